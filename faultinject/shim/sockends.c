/* sockends.c: peer=/local= against a socket's recorded or cached ends,
 * and the calls that give a socket its ends (see sockends.h). */
#include "sockends.h"

#include "engine.h"
#include "fdstate.h"
#include "real.h"
#include "sandbox.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define EXPORT FI_EXPORT
#define RLX memory_order_relaxed

/* A recorded end: SEQ odd while being written; FAM_PORT family << 16 |
 * port, 0 when nothing is recorded. */
struct rec {
    _Atomic unsigned seq;
    _Atomic unsigned fam_port;
    _Atomic uint64_t addr[2];
};
static struct rec rec_of[2][FI_FD_CAP];

static int in_range(int fd)
{
    return fd >= 0 && fd < FI_FD_CAP;
}

/* SA as an end; 0 for an address with no port (AF_UNIX, ...). */
static int end_of(const struct sockaddr *sa, socklen_t len, struct fi_end *e)
{
    memset(e, 0, sizeof *e);
    if (sa == NULL)
        return 0;
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        e->family = AF_INET;
        memcpy(e->addr, &in->sin_addr, 4);
        e->port = ntohs(in->sin_port);
        return 1;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        e->family = AF_INET6;
        memcpy(e->addr, &in6->sin6_addr, 16);
        e->port = ntohs(in6->sin6_port);
        return 1;
    }
    return 0;
}

/* Records E (NULL: nothing) as FD's end WHICH. A writer that finds
 * another one at work leaves it to that one. */
static void put_rec(int fd, int which, const struct fi_end *e)
{
    if (!in_range(fd))
        return;
    struct rec *r = &rec_of[which][fd];
    unsigned s = atomic_load_explicit(&r->seq, RLX);
    if ((s & 1) || !atomic_compare_exchange_strong(&r->seq, &s, s + 1))
        return;
    if (e == NULL) {
        atomic_store_explicit(&r->fam_port, 0, RLX);
    } else {
        uint64_t a[2];
        memcpy(a, e->addr, sizeof a);
        atomic_store_explicit(&r->addr[0], a[0], RLX);
        atomic_store_explicit(&r->addr[1], a[1], RLX);
        atomic_store_explicit(&r->fam_port, (unsigned)e->family << 16 | (unsigned)e->port, RLX);
    }
    atomic_store_explicit(&r->seq, s + 2, memory_order_release);
}

/* FD's recorded end WHICH; 0 if none (or a writer is at work: a signal
 * handler may have interrupted it, so a reader never waits for it). */
static int get_rec(int fd, int which, struct fi_end *e)
{
    if (!in_range(fd))
        return 0;
    struct rec *r = &rec_of[which][fd];
    for (int tries = 0; tries < 4; tries++) {
        unsigned s = atomic_load_explicit(&r->seq, memory_order_acquire);
        if (s & 1)
            continue;
        unsigned fp = atomic_load_explicit(&r->fam_port, RLX);
        uint64_t a[2] = { atomic_load_explicit(&r->addr[0], RLX),
                          atomic_load_explicit(&r->addr[1], RLX) };
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&r->seq, RLX) != s)
            continue;
        if (fp == 0)
            return 0;
        e->family = (int)(fp >> 16);
        e->port = (int)(fp & 0xffff);
        memcpy(e->addr, a, sizeof a);
        return 1;
    }
    return 0;
}

/* The kernel's answer for FD's end WHICH (raw calls: never injected). */
static int ask(int fd, int which, struct fi_end *e)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int saved = errno;
    long r = syscall(which == FI_END_PEER ? SYS_getpeername : SYS_getsockname, fd,
                     (struct sockaddr *)&ss, &len);
    errno = saved;
    return r == 0 && end_of((const struct sockaddr *)&ss, len, e);
}

/* Records what the kernel says of FD's end WHICH, unless sandboxed. */
static void record_asked(int fd, int which)
{
    struct fi_end e;
    if (!fi_sandboxed() && in_range(fd) && ask(fd, which, &e))
        put_rec(fd, which, &e);
}

/* Whether it is worth a system call: some rule may look at ends. */
static int rules_on(void)
{
    return fi_engine_any_rule();
}

/* FD's end WHICH: recorded, cached, or (once, then cached) the kernel's.
 * A local end with port 0 (not bound yet) is not cached: bind or connect
 * will change it. */
static int get_end(int fd, int which, struct fi_end *e)
{
    if (get_rec(fd, which, e) || fi_fd_end(fd, which, e))
        return 1;
    if (fi_sandboxed() || !ask(fd, which, e))
        return 0;
    if (which == FI_END_PEER || e->port != 0)
        fi_fd_set_end(fd, which, e);
    return 1;
}

static int matches(const struct fi_addrsel *sel, const struct fi_end *e)
{
    return fi_addrsel_matches(sel, e->family, e->addr, e->port);
}

int fi_ends_match(int fd, const struct fi_rule *r, const struct sockaddr *to, socklen_t tolen)
{
    struct fi_end e;
    if (r->peer.on) {
        int have = to != NULL ? end_of(to, tolen, &e) : get_end(fd, FI_END_PEER, &e);
        if (!have || !matches(&r->peer, &e))
            return 0;
    }
    if (r->local.on && (!get_end(fd, FI_END_LOCAL, &e) || !matches(&r->local, &e)))
        return 0;
    return 1;
}

void fi_ends_connected(int fd, const struct sockaddr *to, socklen_t tolen)
{
    struct fi_end e;
    int e0 = errno;
    /* connect(2): AF_UNSPEC dissolves a datagram socket's association. */
    put_rec(fd, FI_END_PEER, end_of(to, tolen, &e) ? &e : NULL);
    /* connect picks the local address (and port, if unbound). */
    put_rec(fd, FI_END_LOCAL, NULL);
    if (rules_on())
        record_asked(fd, FI_END_LOCAL);
    errno = e0;
}

void fi_ends_accepted(int listener, int nfd, const struct sockaddr *addr, const socklen_t *alen)
{
    struct fi_end e;
    int e0 = errno;
    put_rec(nfd, FI_END_LOCAL, NULL);
    if (addr != NULL && alen != NULL && end_of(addr, *alen, &e))
        put_rec(nfd, FI_END_PEER, &e);
    else {
        put_rec(nfd, FI_END_PEER, NULL);
        if (rules_on())
            record_asked(nfd, FI_END_PEER);     /* right after accept: still there */
    }
    /* The local end is the listener's, unless it listens on every address. */
    if (get_rec(listener, FI_END_LOCAL, &e)) {
        static const unsigned char any[16];
        if (memcmp(e.addr, any, e.family == AF_INET ? 4 : 16) != 0)
            put_rec(nfd, FI_END_LOCAL, &e);
    }
    errno = e0;
}

void fi_ends_bound(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct fi_end e;
    int e0 = errno;
    put_rec(fd, FI_END_LOCAL, end_of(addr, len, &e) && e.port != 0 ? &e : NULL);
    if (rules_on())
        record_asked(fd, FI_END_LOCAL);         /* the port the kernel picked */
    errno = e0;
}

void fi_ends_shutdown(int fd)
{
    struct fi_end e;
    if (!get_rec(fd, FI_END_PEER, &e) && rules_on())
        record_asked(fd, FI_END_PEER);
}

void fi_ends_learn(int fd)
{
    record_asked(fd, FI_END_PEER);
    record_asked(fd, FI_END_LOCAL);
}

void fi_ends_copy(int fd, int newfd)
{
    struct fi_end e;
    for (int w = 0; w < 2; w++)
        put_rec(newfd, w, get_rec(fd, w, &e) ? &e : NULL);
}

void fi_ends_forget(int fd)
{
    if (!in_range(fd))
        return;
    for (int w = 0; w < 2; w++)
        if (atomic_load_explicit(&rec_of[w][fd].fam_port, RLX) != 0)
            put_rec(fd, w, NULL);
}

void fi_ends_forget_range(unsigned first, unsigned last)
{
    if (last >= FI_FD_CAP)
        last = FI_FD_CAP - 1;
    for (unsigned fd = first; fd <= last; fd++)
        fi_ends_forget((int)fd);
}

/* ---- bind and shutdown: watched, never injected ------------------------ */

REAL(bind, int, (int, const struct sockaddr *, socklen_t))
REAL(shutdown, int, (int, int))

void fi_ends_resolve(void)
{
    get_bind(); get_shutdown();
}

EXPORT int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    int r = get_bind()(fd, addr.__sockaddr__, len);
    if (r == 0)
        fi_ends_bound(fd, addr.__sockaddr__, len);
    return r;
}

EXPORT int shutdown(int fd, int how)
{
    fi_ends_shutdown(fd);
    return get_shutdown()(fd, how);
}

/* shim.c: the interposed calls of libfaultinject.so (faultinject.md, FAULT).
 *
 * Each call first checks two atomics (fast path: no rule names this call
 * and no descriptor carries state -> straight to libc). Otherwise it looks
 * at the descriptor (fstat), lets engine.c decide, and applies the fault.
 * No locks anywhere: safe in threads, forked children and signal handlers.
 */
#undef _FORTIFY_SOURCE
#include "shim.h"

#include "engine.h"
#include "fdstate.h"
#include "filog.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* The next definition of each call (libc's), found once with
 * dlsym(RTLD_NEXT) by the constructor, or here if called before it. */
#define REAL(name, ret, params)                                                  \
    typedef ret(*name##_fn) params;                                              \
    static _Atomic(name##_fn) real_##name;                                       \
    static name##_fn get_##name(void)                                            \
    {                                                                            \
        name##_fn f = atomic_load_explicit(&real_##name, memory_order_relaxed);  \
        if (f == NULL) {                                                         \
            f = (name##_fn)dlsym(RTLD_NEXT, #name);                              \
            atomic_store_explicit(&real_##name, f, memory_order_relaxed);        \
        }                                                                        \
        return f;                                                                \
    }

REAL(read, ssize_t, (int, void *, size_t))
REAL(readv, ssize_t, (int, const struct iovec *, int))
REAL(recv, ssize_t, (int, void *, size_t, int))
REAL(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *))
REAL(recvmsg, ssize_t, (int, struct msghdr *, int))
REAL(write, ssize_t, (int, const void *, size_t))
REAL(writev, ssize_t, (int, const struct iovec *, int))
REAL(send, ssize_t, (int, const void *, size_t, int))
REAL(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))
REAL(sendmsg, ssize_t, (int, const struct msghdr *, int))
REAL(accept, int, (int, struct sockaddr *, socklen_t *))
REAL(accept4, int, (int, struct sockaddr *, socklen_t *, int))
REAL(connect, int, (int, const struct sockaddr *, socklen_t))
REAL(close, int, (int))
REAL(__read_chk, ssize_t, (int, void *, size_t, size_t))
REAL(__recv_chk, ssize_t, (int, void *, size_t, size_t, int))
REAL(__recvfrom_chk, ssize_t, (int, void *, size_t, size_t, int, struct sockaddr *,
                               socklen_t *))
REAL(socket, int, (int, int, int))
REAL(socketpair, int, (int, int, int, int *))
REAL(pipe, int, (int *))
REAL(pipe2, int, (int *, int))
REAL(dup, int, (int))
REAL(dup2, int, (int, int))
REAL(dup3, int, (int, int, int))

void fi_shim_resolve(void)
{
    get_read(); get_readv(); get_recv(); get_recvfrom(); get_recvmsg();
    get_write(); get_writev(); get_send(); get_sendto(); get_sendmsg();
    get_accept(); get_accept4(); get_connect(); get_close();
    get___read_chk(); get___recv_chk(); get___recvfrom_chk();
    get_socket(); get_socketpair(); get_pipe(); get_pipe2();
    get_dup(); get_dup2(); get_dup3();
}

/* Fast path: nonzero when CALL must go through the slow path. */
static inline unsigned hot(enum fi_call call)
{
    return ((atomic_load_explicit(&fi_rule_mask, memory_order_relaxed) >> call) & 1u) |
           atomic_load_explicit(&fi_state_flags, memory_order_relaxed);
}

/* One data call, whatever its family, so that one function can make it. */
struct io {
    enum fi_call call;
    int fd;
    int flags;
    void *buf;
    const void *cbuf;
    size_t len;
    const struct iovec *iov;
    int iovcnt;
    struct msghdr *msg;
    const struct msghdr *cmsg;
    struct sockaddr *addr;
    socklen_t *alen;
    const struct sockaddr *daddr;
    socklen_t dlen;
};

static int is_read_like(enum fi_call call)
{
    return (FI_RD_MASK >> call) & 1u;
}

/* Copies the first LIMIT bytes' worth of IOV into OUT; returns the count.
 * A count the kernel would refuse is passed on unchanged (it says EINVAL). */
static int cut_iov(const struct iovec *iov, int cnt, size_t limit, struct iovec *out)
{
    int n = 0;
    for (; n < cnt && limit > 0; n++) {
        out[n] = iov[n];
        if (out[n].iov_len > limit)
            out[n].iov_len = limit;
        limit -= out[n].iov_len;
    }
    return n;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Makes the real call, moving at most LIMIT bytes (SIZE_MAX: no limit). */
static ssize_t real_io(const struct io *io, size_t limit)
{
    struct iovec cut[IOV_MAX];
    struct msghdr m;
    ssize_t r;
    int cutting = limit != SIZE_MAX;
    size_t len = min_size(io->len, limit);
    int vecok = io->iovcnt >= 0 && io->iovcnt <= IOV_MAX;
    switch (io->call) {
    case FI_C_READ:
        return get_read()(io->fd, io->buf, len);
    case FI_C_RECV:
        return get_recv()(io->fd, io->buf, len, io->flags);
    case FI_C_RECVFROM:
        return get_recvfrom()(io->fd, io->buf, len, io->flags, io->addr, io->alen);
    case FI_C_WRITE:
        return get_write()(io->fd, io->cbuf, len);
    case FI_C_SEND:
        return get_send()(io->fd, io->cbuf, len, io->flags);
    case FI_C_SENDTO:
        return get_sendto()(io->fd, io->cbuf, len, io->flags, io->daddr, io->dlen);
    case FI_C_READV:
    case FI_C_WRITEV:
        if (cutting && vecok) {
            int n = cut_iov(io->iov, io->iovcnt, limit, cut);
            return io->call == FI_C_READV ? get_readv()(io->fd, cut, n)
                                          : get_writev()(io->fd, cut, n);
        }
        return io->call == FI_C_READV ? get_readv()(io->fd, io->iov, io->iovcnt)
                                      : get_writev()(io->fd, io->iov, io->iovcnt);
    case FI_C_RECVMSG:
        if (!cutting || io->msg == NULL || io->msg->msg_iovlen > IOV_MAX)
            return get_recvmsg()(io->fd, io->msg, io->flags);
        m = *io->msg;
        m.msg_iov = cut;
        m.msg_iovlen = (size_t)cut_iov(io->msg->msg_iov, (int)io->msg->msg_iovlen, limit, cut);
        r = get_recvmsg()(io->fd, &m, io->flags);
        io->msg->msg_namelen = m.msg_namelen;
        io->msg->msg_controllen = m.msg_controllen;
        io->msg->msg_flags = m.msg_flags;
        return r;
    default: /* FI_C_SENDMSG */
        if (!cutting || io->cmsg == NULL || io->cmsg->msg_iovlen > IOV_MAX)
            return get_sendmsg()(io->fd, io->cmsg, io->flags);
        m = *io->cmsg;
        m.msg_iov = cut;
        m.msg_iovlen = (size_t)cut_iov(io->cmsg->msg_iov, (int)io->cmsg->msg_iovlen, limit, cut);
        return get_sendmsg()(io->fd, &m, io->flags);
    }
}

/* Counts what a data call moved, for after=. */
static ssize_t moved(const struct io *io, ssize_t r)
{
    if (r > 0)
        fi_fd_add_bytes(io->fd, (uint64_t)r);
    return r;
}

static ssize_t fail_with(int e)
{
    errno = e;
    return -1;
}

/* A write-like call failing with EPIPE: the kernel raises SIGPIPE in the
 * calling thread unless MSG_NOSIGNAL was passed. */
static ssize_t fail_epipe(const struct io *io)
{
    if (!(io->flags & MSG_NOSIGNAL))
        raise(SIGPIPE);
    return fail_with(EPIPE);
}

/* End of stream, as a read-like call reports it. */
static ssize_t at_eof(const struct io *io)
{
    if (io->call == FI_C_RECVMSG && io->msg != NULL) {
        io->msg->msg_controllen = 0;
        io->msg->msg_flags = 0;
    }
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* What the descriptor is, for fd=sock|pipe; ties its state to the file.
 * -1 if FD is not open. */
static int look_at(int fd, enum fi_fdkind *kind)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    *kind = S_ISSOCK(st.st_mode) ? FI_K_SOCK : S_ISFIFO(st.st_mode) ? FI_K_PIPE : FI_K_OTHER;
    uint64_t ident = ((uint64_t)st.st_ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)st.st_dev;
    fi_fd_identify(fd, ident | 1);            /* 0 means "unknown" */
    return 0;
}

static ssize_t slow_io(const struct io *io)
{
    int saved = errno;
    enum fi_fdkind kind;
    struct fi_rule r;
    uint64_t k;
    if (look_at(io->fd, &kind) < 0) {
        errno = saved;
        return real_io(io, SIZE_MAX);    /* not open: the kernel says EBADF */
    }
    errno = saved;
    int reading = is_read_like(io->call);
    int sticky = fi_fd_sticky(io->fd);
    /* After reset or eof the kernel answers, whatever the rules say; the
     * call still counts so that no rule's schedule shifts. */
    int kernel_says = sticky == FI_ST_RESET || (sticky == FI_ST_EOF && reading);
    int rule = fi_engine_decide(io->call, io->fd, kind, !kernel_says, &r, &k);
    if (kernel_says)
        return reading ? at_eof(io) : fail_epipe(io);
    if (rule < 0)
        return moved(io, real_io(io, SIZE_MAX));
    fi_log_injection(&(struct fi_logrec){ .call = io->call, .fd = io->fd, .r = &r,
                                          .rule = rule, .k = k });
    switch (r.fault) {
    case FI_F_SHORT:
        return moved(io, real_io(io, (size_t)r.arg));
    case FI_F_EINTR:
        return fail_with(EINTR);
    case FI_F_EAGAIN:
        return fail_with(EAGAIN);
    case FI_F_ERROR:
        if (r.arg == EPIPE && !reading)
            return fail_epipe(io);
        return fail_with((int)r.arg);
    case FI_F_RESET:
        fi_fd_set_sticky(io->fd, FI_ST_RESET);
        return fail_with(ECONNRESET);
    case FI_F_EOF:
        /* The peer closed: reads end now; a write still goes out. */
        fi_fd_set_sticky(io->fd, FI_ST_EOF);
        return reading ? at_eof(io) : moved(io, real_io(io, SIZE_MAX));
    default: /* FI_F_DELAY */
        sleep_ms(r.arg);
        return moved(io, real_io(io, SIZE_MAX));
    }
}

/* accept, accept4, connect, close: the fault that fired, or -1. */
static int decide_other(enum fi_call call, int fd, struct fi_rule *r)
{
    int saved = errno;
    enum fi_fdkind kind;
    uint64_t k;
    int rule = look_at(fd, &kind) == 0 ? fi_engine_decide(call, fd, kind, 1, r, &k) : -1;
    errno = saved;
    if (rule < 0)
        return -1;
    fi_log_injection(&(struct fi_logrec){ .call = call, .fd = fd, .r = r, .rule = rule,
                                          .k = k });
    if (r->fault == FI_F_DELAY) {
        sleep_ms(r->arg);
        return -1;                      /* then the real call */
    }
    return (int)r->fault;
}

static int errno_of(const struct fi_rule *r)
{
    return r->fault == FI_F_EINTR ? EINTR : r->fault == FI_F_EAGAIN ? EAGAIN : (int)r->arg;
}

/* A descriptor the kernel just handed out starts with no state. */
static int fresh(int fd)
{
    if (fd >= 0 && atomic_load_explicit(&fi_state_flags, memory_order_relaxed))
        fi_fd_forget(fd);
    return fd;
}

static int slow_accept(enum fi_call call, int fd, struct sockaddr *addr, socklen_t *alen,
                       int flags)
{
    struct fi_rule r;
    if (decide_other(call, fd, &r) >= 0)
        return (int)fail_with(errno_of(&r));
    int nfd = call == FI_C_ACCEPT ? get_accept()(fd, addr, alen)
                                  : get_accept4()(fd, addr, alen, flags);
    return fresh(nfd);
}

/* connect:eintr as the kernel does it: the attempt goes on (non-blocking
 * connect, EINPROGRESS) and the caller hears EINTR; a retry then sees
 * EALREADY or EISCONN, and poll + SO_ERROR the outcome. */
static int connect_interrupted(int fd, const struct sockaddr *addr, socklen_t len)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int r = get_connect()(fd, addr, len);
    int e = errno;
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl);
    if (r < 0 && e != EINPROGRESS)
        return (int)fail_with(e);       /* failed at once: that error */
    return (int)fail_with(EINTR);
}

static int slow_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct fi_rule r;
    int f = decide_other(FI_C_CONNECT, fd, &r);
    if (f == FI_F_EINTR)
        return connect_interrupted(fd, addr, len);
    if (f >= 0)
        return (int)fail_with(errno_of(&r));
    return get_connect()(fd, addr, len);
}

/* close: Linux releases the descriptor even when close fails (EINTR
 * included), so every injected close really closes, then reports. */
static int slow_close(int fd)
{
    struct fi_rule r;
    int f = decide_other(FI_C_CLOSE, fd, &r);
    int rc = get_close()(fd);
    int e = errno;
    if (rc == 0 || e != EBADF)
        fi_fd_forget(fd);
    if (f >= 0)
        return (int)fail_with(errno_of(&r));
    errno = e;
    return rc;
}

/* ---- the interposed symbols ---------------------------------------- */

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    if (!hot(FI_C_READ))
        return get_read()(fd, buf, n);
    return slow_io(&(struct io){ .call = FI_C_READ, .fd = fd, .buf = buf, .len = n });
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (n > buflen || !hot(FI_C_READ))
        return get___read_chk()(fd, buf, n, buflen);  /* overflow: glibc aborts */
    return slow_io(&(struct io){ .call = FI_C_READ, .fd = fd, .buf = buf, .len = n });
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    if (!hot(FI_C_READV))
        return get_readv()(fd, iov, cnt);
    return slow_io(&(struct io){ .call = FI_C_READV, .fd = fd, .iov = iov, .iovcnt = cnt,
                                 .len = SIZE_MAX });
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (!hot(FI_C_RECV))
        return get_recv()(fd, buf, n, flags);
    return slow_io(&(struct io){ .call = FI_C_RECV, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags });
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    if (n > buflen || !hot(FI_C_RECV))
        return get___recv_chk()(fd, buf, n, buflen, flags);
    return slow_io(&(struct io){ .call = FI_C_RECV, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags });
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG addr,
                        socklen_t *alen)
{
    struct sockaddr *a = addr.__sockaddr__;
    if (!hot(FI_C_RECVFROM))
        return get_recvfrom()(fd, buf, n, flags, a, alen);
    return slow_io(&(struct io){ .call = FI_C_RECVFROM, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags, .addr = a, .alen = alen });
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                              struct sockaddr *a, socklen_t *alen)
{
    if (n > buflen || !hot(FI_C_RECVFROM))
        return get___recvfrom_chk()(fd, buf, n, buflen, flags, a, alen);
    return slow_io(&(struct io){ .call = FI_C_RECVFROM, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags, .addr = a, .alen = alen });
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    if (!hot(FI_C_RECVMSG))
        return get_recvmsg()(fd, msg, flags);
    return slow_io(&(struct io){ .call = FI_C_RECVMSG, .fd = fd, .msg = msg,
                                 .flags = flags, .len = SIZE_MAX });
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (!hot(FI_C_WRITE))
        return get_write()(fd, buf, n);
    return slow_io(&(struct io){ .call = FI_C_WRITE, .fd = fd, .cbuf = buf, .len = n });
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (!hot(FI_C_WRITEV))
        return get_writev()(fd, iov, cnt);
    return slow_io(&(struct io){ .call = FI_C_WRITEV, .fd = fd, .iov = iov, .iovcnt = cnt,
                                 .len = SIZE_MAX });
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    if (!hot(FI_C_SEND))
        return get_send()(fd, buf, n, flags);
    return slow_io(&(struct io){ .call = FI_C_SEND, .fd = fd, .cbuf = buf, .len = n,
                                 .flags = flags });
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
                      __CONST_SOCKADDR_ARG addr, socklen_t alen)
{
    const struct sockaddr *a = addr.__sockaddr__;
    if (!hot(FI_C_SENDTO))
        return get_sendto()(fd, buf, n, flags, a, alen);
    return slow_io(&(struct io){ .call = FI_C_SENDTO, .fd = fd, .cbuf = buf, .len = n,
                                 .flags = flags, .daddr = a, .dlen = alen });
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (!hot(FI_C_SENDMSG))
        return get_sendmsg()(fd, msg, flags);
    return slow_io(&(struct io){ .call = FI_C_SENDMSG, .fd = fd, .cmsg = msg,
                                 .flags = flags, .len = SIZE_MAX });
}

EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen)
{
    if (!hot(FI_C_ACCEPT))
        return get_accept()(fd, addr.__sockaddr__, alen);
    return slow_accept(FI_C_ACCEPT, fd, addr.__sockaddr__, alen, 0);
}

EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags)
{
    if (!hot(FI_C_ACCEPT4))
        return get_accept4()(fd, addr.__sockaddr__, alen, flags);
    return slow_accept(FI_C_ACCEPT4, fd, addr.__sockaddr__, alen, flags);
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    if (!hot(FI_C_CONNECT))
        return get_connect()(fd, addr.__sockaddr__, len);
    return slow_connect(fd, addr.__sockaddr__, len);
}

EXPORT int close(int fd)
{
    if (!hot(FI_C_CLOSE))
        return get_close()(fd);
    return slow_close(fd);
}

/* Calls that create descriptors: interposed only to clear stale state of
 * the number they return; never injected. */

EXPORT int socket(int domain, int type, int proto)
{
    return fresh(get_socket()(domain, type, proto));
}

EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
    int r = get_socketpair()(domain, type, proto, sv);
    if (r == 0) {
        fresh(sv[0]);
        fresh(sv[1]);
    }
    return r;
}

EXPORT int pipe(int fds[2])
{
    int r = get_pipe()(fds);
    if (r == 0) {
        fresh(fds[0]);
        fresh(fds[1]);
    }
    return r;
}

EXPORT int pipe2(int fds[2], int flags)
{
    int r = get_pipe2()(fds, flags);
    if (r == 0) {
        fresh(fds[0]);
        fresh(fds[1]);
    }
    return r;
}

EXPORT int dup(int fd)
{
    return fresh(get_dup()(fd));
}

EXPORT int dup2(int fd, int fd2)
{
    return fresh(get_dup2()(fd, fd2));
}

EXPORT int dup3(int fd, int fd2, int flags)
{
    return fresh(get_dup3()(fd, fd2, flags));
}

/* tracewait.c: what the traced program's waits reported (see tracewait.h). */
#include "tracewait.h"

#include "traceepoll.h"
#include "tracestate.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#define RD_BITS (POLLIN | POLLRDNORM)
#define WR_BITS (POLLOUT | POLLWRNORM)
#define CHUNK 256                   /* entries read from the tracee at a time */
#define MAX_FD 65536

struct tw_table {
    uint64_t *shown;
    int n;
};

static uint64_t *slot_of(struct tproc *p, int fd, int grow)
{
    if (fd < 0 || fd >= MAX_FD)
        return NULL;
    if (p->shown == NULL) {
        if (!grow || (p->shown = calloc(1, sizeof *p->shown)) == NULL)
            return NULL;
    }
    struct tw_table *t = p->shown;
    if (fd >= t->n) {
        if (!grow)
            return NULL;
        int n = fd < 64 ? 64 : fd * 2;
        uint64_t *m = realloc(t->shown, (size_t)n * sizeof *m);
        if (m == NULL)
            return NULL;
        memset(m + t->n, 0, (size_t)(n - t->n) * sizeof *m);
        t->shown = m;
        t->n = n;
    }
    return &t->shown[fd];
}

/* waits.c's note_shown: the directions REVENTS says are ready. */
static void note_shown(struct tproc *p, int fd, unsigned revents)
{
    uint64_t bits = (revents & RD_BITS ? TW_SHOWN_RD : 0) | (revents & WR_BITS ? TW_SHOWN_WR : 0);
    uint64_t *s = bits ? slot_of(p, fd, 1) : NULL;
    if (s != NULL)
        *s |= bits;
}

/* MSG_PEEK showed N bytes: readable, N kept (the write bit stays). */
static void note_peeked(struct tproc *p, int fd, uint64_t n)
{
    uint64_t *s = slot_of(p, fd, 1);
    if (s != NULL)
        *s = (*s & TW_SHOWN_WR) | TW_SHOWN_RD | n << TW_SHOWN_SHIFT;
}

uint64_t tw_take_shown(struct tproc *p, int fd, int reading)
{
    uint64_t *s = slot_of(p, fd, 0);
    unsigned bit = reading ? TW_SHOWN_RD : TW_SHOWN_WR;
    if (s == NULL || !(*s & bit))
        return 0;
    uint64_t was = *s;
    /* Reading takes the peeked count with the bit. */
    *s &= reading ? (uint64_t)TW_SHOWN_WR : ~(uint64_t)TW_SHOWN_WR;
    return was;
}

static int is_wait(long nr)
{
    return nr == SYS_poll || nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6 ||
           nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

static void forget(struct tproc *p, int fd)
{
    uint64_t *s = slot_of(p, fd, 0);
    if (s != NULL)
        *s = 0;
    te_forget(p, fd);
}

struct tw_note tw_entry(struct tproc *p, const struct ft_call *c)
{
    struct tw_note n = { .kind = TW_NONE, .nr = c->nr };
    memcpy(n.args, c->args, sizeof n.args);
    if (!tr_run.want_ready || !c->native)
        return n;
    if (is_wait(c->nr)) {
        n.kind = TW_WAIT;
    } else if (c->nr == SYS_epoll_ctl) {
        struct { uint32_t events; uint64_t data; } __attribute__((packed)) ev = { 0, 0 };
        if ((int)c->args[1] == EPOLL_CTL_DEL || ft_peek(p->pid, c->args[3], &ev, sizeof ev) == 0) {
            n.kind = TW_EPCTL;
            n.events = ev.events;
            n.data = ev.data;
        }
    } else if ((c->nr == SYS_recvfrom && (c->args[3] & MSG_PEEK)) ||
               (c->nr == SYS_recvmsg && (c->args[2] & MSG_PEEK))) {
        n.kind = TW_PEEK;
    } else if (c->nr == SYS_close) {
        forget(p, (int)c->args[0]);
    }
    return n;
}

static void note_poll(struct tproc *p, uint64_t fds, uint64_t nfds)
{
    struct pollfd buf[CHUNK];
    for (uint64_t i = 0; i < nfds && i < MAX_FD; i += CHUNK) {
        size_t k = nfds - i < CHUNK ? (size_t)(nfds - i) : CHUNK;
        if (ft_peek(p->pid, fds + i * sizeof *buf, buf, k * sizeof *buf) < 0)
            return;
        for (size_t j = 0; j < k; j++)
            if (buf[j].fd >= 0)
                note_shown(p, buf[j].fd, (unsigned short)buf[j].revents);
    }
}

/* An fd_set of NFDS bits at ADDR: the descriptors set get BITS. */
static void note_set(struct tproc *p, uint64_t addr, int nfds, unsigned bits)
{
    unsigned char set[MAX_FD / 8];
    size_t len = ((size_t)nfds + 63) / 64 * 8;      /* the kernel's unit: longs */
    if (addr == 0 || nfds <= 0 || ft_peek(p->pid, addr, set, len) < 0)
        return;
    for (int fd = 0; fd < nfds; fd++)
        if (set[fd / 8] & (1u << (fd % 8)))
            note_shown(p, fd, bits);
}

static void note_epoll(struct tproc *p, int epfd, uint64_t events, long long n)
{
    struct { uint32_t events; uint64_t data; } __attribute__((packed)) buf[CHUNK];
    for (long long i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? (size_t)(n - i) : CHUNK;
        if (ft_peek(p->pid, events + (uint64_t)i * sizeof *buf, buf, k * sizeof *buf) < 0)
            return;
        for (size_t j = 0; j < k; j++) {
            int fd = te_find(p, epfd, buf[j].data);
            if (fd >= 0)
                note_shown(p, fd, buf[j].events);
        }
    }
}

void tw_exit(struct tproc *p, const struct tw_note *n, long long ret)
{
    const uint64_t *a = n->args;
    switch (n->kind) {
    case TW_EPCTL:
        if (ret == 0)
            te_record(p, (int)a[0], (int)a[1], (int)a[2], n->events, n->data);
        return;
    case TW_PEEK:
        if (ret > 0)
            note_peeked(p, (int)a[0], (uint64_t)ret);
        return;
    case TW_WAIT:
        break;
    default:
        return;
    }
    if (ret <= 0)
        return;
    switch (n->nr) {
    case SYS_poll:
    case SYS_ppoll:
        note_poll(p, a[0], a[1]);
        return;
    case SYS_select:
    case SYS_pselect6: {
        int nfds = (int)a[0] < MAX_FD ? (int)a[0] : MAX_FD;
        note_set(p, a[1], nfds, POLLIN);
        note_set(p, a[2], nfds, POLLOUT);
        return;
    }
    default:                        /* epoll_wait, epoll_pwait, epoll_pwait2 */
        note_epoll(p, (int)a[0], a[1], ret);
    }
}

void tw_fork(struct tproc *child, const struct tproc *parent)
{
    child->shown = NULL;
    if (parent->shown == NULL || (child->shown = calloc(1, sizeof *child->shown)) == NULL)
        return;
    size_t len = (size_t)parent->shown->n * sizeof *parent->shown->shown;
    if (len > 0 && (child->shown->shown = malloc(len)) != NULL) {
        memcpy(child->shown->shown, parent->shown->shown, len);
        child->shown->n = parent->shown->n;
    }
}

void tw_free(struct tproc *p)
{
    if (p->shown != NULL)
        free(p->shown->shown);
    free(p->shown);
    p->shown = NULL;
}

/* tracewait.c: what the traced program's waits reported (see tracewait.h). */
#include "tracewait.h"

#include "traceepoll.h"
#include "traceshown.h"
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
#define CHUNK 256                   /* entries read from the tracee at a time */
#define MAX_FD 65536

static int is_wait(long nr)
{
    return nr == SYS_poll || nr == SYS_ppoll || nr == SYS_select || nr == SYS_pselect6 ||
           nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2;
}

static void forget(struct tproc *p, int fd)
{
    ts_forget(p->shown, fd);
    te_forget(p->ep, fd);
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
                ts_note(&p->shown, buf[j].fd, (unsigned short)buf[j].revents);
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
            ts_note(&p->shown, fd, bits);
}

static void note_epoll(struct tproc *p, int epfd, uint64_t events, long long n)
{
    struct { uint32_t events; uint64_t data; } __attribute__((packed)) buf[CHUNK];
    for (long long i = 0; i < n; i += CHUNK) {
        size_t k = n - i < CHUNK ? (size_t)(n - i) : CHUNK;
        if (ft_peek(p->pid, events + (uint64_t)i * sizeof *buf, buf, k * sizeof *buf) < 0)
            return;
        for (size_t j = 0; j < k; j++) {
            int fd = te_find(p->ep, epfd, buf[j].data);
            if (fd >= 0)
                ts_note(&p->shown, fd, buf[j].events);
        }
    }
}

void tw_exit(struct tproc *p, const struct tw_note *n, long long ret)
{
    const uint64_t *a = n->args;
    switch (n->kind) {
    case TW_EPCTL:
        if (ret == 0)
            te_record(&p->ep, (int)a[0], (int)a[1], (int)a[2], n->events, n->data);
        return;
    case TW_PEEK:
        if (ret > 0)
            ts_peeked(&p->shown, (int)a[0], (uint64_t)ret);
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

void tw_exec(struct tproc *p)
{
    ts_free(p->shown);
    te_free(p->ep);
    p->shown = NULL;
    p->ep = NULL;
}

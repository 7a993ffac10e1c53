/* tracewait.c: what the traced program's waits reported (see tracewait.h). */
#include "tracewait.h"

#include "tracefd.h"
#include "traceepoll.h"
#include "traceshown.h"
#include "tracestate.h"

#include <poll.h>
#include <stddef.h>
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
#define RED_ZONE 128                /* the x86_64 ABI's, below rsp */

/* How the kernel reports a descriptor after a real RST (tcp_poll: error,
 * both directions shut) or FIN (receive side shut). POLL* and EPOLL*
 * share their values. */
#define AFTER_RESET (POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLHUP | POLLERR)
#define AFTER_EOF (POLLIN | POLLRDNORM | POLLRDHUP)
#define ALWAYS (POLLHUP | POLLERR)      /* reported whether asked or not */
#define RD_BITS (POLLIN | POLLRDNORM)
#define WR_BITS (POLLOUT | POLLWRNORM)

struct epev {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

static unsigned sticky_bits(const struct tproc *p, int fd)
{
    int st = tf_sticky(p, fd);
    return st == TF_ST_RESET ? AFTER_RESET : st == TF_ST_EOF ? AFTER_EOF : 0;
}

static unsigned stalled_bits(const struct tproc *p, int fd)
{
    int st = tf_stalled(p, fd);
    return (st & TF_STALL_RD ? RD_BITS : 0) | (st & TF_STALL_WR ? WR_BITS : 0);
}

/* Whether some special of N is reported now (the wait must not sleep). */
static int any_add(const struct tw_note *n)
{
    for (int j = 0; j < n->nsp; j++)
        if (n->sp[j].add != 0)
            return 1;
    return 0;
}

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

/* poll, ppoll: the sticky entries of the pollfd array. */
static void poll_specials(struct tproc *p, struct tw_note *n)
{
    struct pollfd buf[CHUNK];
    uint64_t nfds = n->args[1];
    for (uint64_t i = 0; i < nfds && i < MAX_FD && n->nsp < TW_MAX_SPECIAL; i += CHUNK) {
        size_t k = nfds - i < CHUNK ? (size_t)(nfds - i) : CHUNK;
        if (ft_peek(p->pid, n->args[0] + i * sizeof *buf, buf, k * sizeof *buf) < 0)
            return;
        for (size_t j = 0; j < k && n->nsp < TW_MAX_SPECIAL; j++) {
            int fd = buf[j].fd;
            unsigned ev = (unsigned short)buf[j].events;
            unsigned strip = fd >= 0 ? stalled_bits(p, fd) : 0;
            unsigned add = fd >= 0 ? sticky_bits(p, fd) & (ev | ALWAYS) & ~strip : 0;
            if (add == 0 && strip == 0)
                continue;
            n->sp[n->nsp++] = (struct tw_special){ .index = (int)(i + j), .add = add,
                                                   .strip = strip, .events = (unsigned short)ev };
            if (ev & strip) {               /* never asked of the kernel: set back at the exit */
                short now = (short)(ev & ~strip);
                ft_poke(p->pid, n->args[0] + (i + j) * sizeof *buf + offsetof(struct pollfd, events),
                        &now, sizeof now);
            }
        }
    }
}

/* Whether bit FD is set in the fd_set of NFDS bits at ADDR. */
static int in_set(pid_t pid, uint64_t addr, int fd)
{
    unsigned char byte;
    return addr != 0 && ft_peek(pid, addr + (uint64_t)fd / 8, &byte, 1) == 0 &&
           (byte & (1u << (fd % 8)));
}

static void clear_bit(pid_t pid, uint64_t addr, int fd)
{
    unsigned char byte;
    if (addr != 0 && ft_peek(pid, addr + (uint64_t)fd / 8, &byte, 1) == 0) {
        byte &= (unsigned char)~(1u << (fd % 8));
        ft_poke(pid, addr + (uint64_t)fd / 8, &byte, 1);
    }
}

/* select, pselect6: the sticky descriptors in the read and write sets,
 * and the stalled ones taken out of them. */
static void select_specials(struct tproc *p, struct tw_note *n)
{
    int nfds = (int)n->args[0] < MAX_FD ? (int)n->args[0] : MAX_FD;
    for (int fd = tf_next_sticky(p, 0); fd >= 0 && fd < nfds && n->nsp < TW_MAX_SPECIAL;
         fd = tf_next_sticky(p, fd + 1)) {
        unsigned bits = sticky_bits(p, fd), cut = stalled_bits(p, fd), add = 0, strip = 0;
        int rd = in_set(p->pid, n->args[1], fd), wr = in_set(p->pid, n->args[2], fd);
        if (rd && (cut & POLLIN)) {
            clear_bit(p->pid, n->args[1], fd);
            strip |= POLLIN;
        } else if (rd && (bits & POLLIN)) {
            add |= POLLIN;
        }
        if (wr && (cut & POLLOUT)) {
            clear_bit(p->pid, n->args[2], fd);
            strip |= POLLOUT;
        } else if (wr && (bits & POLLOUT)) {
            add |= POLLOUT;
        }
        if (add != 0 || strip != 0)
            n->sp[n->nsp++] = (struct tw_special){ .index = fd, .add = add, .strip = strip };
    }
}

/* epoll waits: the sticky descriptors registered in this epoll set
 * (edge-triggered or one-shot: those whose state was not reported yet). */
static void epoll_specials(struct tproc *p, struct tw_note *n)
{
    struct te_reg reg;
    for (int fd = tf_next_sticky(p, 0); fd >= 0 && n->nsp < TW_MAX_SPECIAL;
         fd = tf_next_sticky(p, fd + 1)) {
        if (!te_lookup(p->ep, fd, &reg) || reg.epfd != (int)n->args[0])
            continue;
        int once = (reg.events & (EPOLLET | EPOLLONESHOT)) != 0;
        unsigned add = sticky_bits(p, fd) & (reg.events | ALWAYS);
        add &= ~stalled_bits(p, fd);
        if (add != 0 && !(once && tf_told(p, fd)))
            n->sp[n->nsp++] = (struct tw_special){ .index = fd, .add = add, .data = reg.data,
                                                   .once = once };
    }
}

/* A wait with sticky descriptors to report returns at once: its timeout
 * becomes 0 (a register, or a zero timespec/timeval below the red zone). */
static void zero_timeout(pid_t pid, pid_t tid, struct tw_note *n)
{
    static const uint64_t zero[2];
    int arg = n->nr == SYS_poll || n->nr == SYS_ppoll ? 2 : n->nr == SYS_select ||
              n->nr == SYS_pselect6 ? 4 : 3;
    int by_pointer = n->nr == SYS_ppoll || n->nr == SYS_select || n->nr == SYS_pselect6 ||
                     n->nr == SYS_epoll_pwait2;
    uint64_t args[6], sp;
    memcpy(args, n->args, sizeof args);
    args[arg] = 0;
    if (by_pointer) {
        if (ft_get_sp(tid, &sp) < 0)
            return;
        args[arg] = (sp - RED_ZONE - sizeof zero) & ~(uint64_t)15;
        if (ft_poke(pid, args[arg], zero, sizeof zero) < 0)
            return;
    }
    if (ft_set_args(tid, args, 1u << arg) == 0)
        n->restore |= 1u << arg;
}

struct tw_note tw_entry(struct tproc *p, pid_t tid, const struct ft_call *c)
{
    struct tw_note n = { .kind = TW_NONE, .nr = c->nr, .tid = tid };
    memcpy(n.args, c->args, sizeof n.args);
    if (!tr_run.want_ready || !c->native)
        return n;
    if (is_wait(c->nr)) {
        n.kind = TW_WAIT;
        if (tf_any_sticky(p)) {
            n.marked = 1;
            if (c->nr == SYS_poll || c->nr == SYS_ppoll)
                poll_specials(p, &n);
            else if (c->nr == SYS_select || c->nr == SYS_pselect6)
                select_specials(p, &n);
            else
                epoll_specials(p, &n);
            if (any_add(&n))
                zero_timeout(p->pid, tid, &n);
        }
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

/* poll: the specials' bits in their revents; the entries now ready. */
static long long poll_report(pid_t pid, const struct tw_note *n, long long ret)
{
    struct pollfd buf[CHUNK];
    long long count = 0;
    for (int j = 0; j < n->nsp; j++) {
        uint64_t at = n->args[0] + (uint64_t)n->sp[j].index * sizeof *buf;
        if (ft_peek(pid, at, buf, sizeof *buf) == 0) {
            unsigned rev = (unsigned short)buf[0].revents;
            buf[0].events = (short)n->sp[j].events;
            if (ret >= 0)
                buf[0].revents = (short)((rev & ~n->sp[j].strip) | n->sp[j].add);
            ft_poke(pid, at, buf, sizeof *buf);
        }
    }
    if (ret < 0)
        return ret;
    for (uint64_t i = 0; i < n->args[1] && i < MAX_FD; i += CHUNK) {
        size_t k = n->args[1] - i < CHUNK ? (size_t)(n->args[1] - i) : CHUNK;
        if (ft_peek(pid, n->args[0] + i * sizeof *buf, buf, k * sizeof *buf) < 0)
            return -1;
        for (size_t j = 0; j < k; j++)
            count += buf[j].revents != 0;
    }
    return count;
}

/* Sets bit FD of the fd_set at ADDR. */
static void set_bit(pid_t pid, uint64_t addr, int fd)
{
    unsigned char byte;
    if (addr != 0 && ft_peek(pid, addr + (uint64_t)fd / 8, &byte, 1) == 0) {
        byte |= (unsigned char)(1u << (fd % 8));
        ft_poke(pid, addr + (uint64_t)fd / 8, &byte, 1);
    }
}

static long long count_set(pid_t pid, uint64_t addr, int nfds)
{
    unsigned char set[MAX_FD / 8];
    size_t len = ((size_t)nfds + 63) / 64 * 8;      /* the kernel's unit: longs */
    long long count = 0;
    if (addr == 0 || nfds <= 0 || ft_peek(pid, addr, set, len) < 0)
        return 0;
    for (int fd = 0; fd < nfds; fd++)
        count += (set[fd / 8] >> (fd % 8)) & 1;
    return count;
}

/* select, pselect6: the specials' bits in the sets; the bits now set. */
static long long select_report(pid_t pid, const struct tw_note *n, long long ret)
{
    int nfds = (int)n->args[0] < MAX_FD ? (int)n->args[0] : MAX_FD;
    if (ret < 0) {                      /* the sets were not rewritten: ours go back */
        for (int j = 0; j < n->nsp; j++) {
            if (n->sp[j].strip & POLLIN)
                set_bit(pid, n->args[1], n->sp[j].index);
            if (n->sp[j].strip & POLLOUT)
                set_bit(pid, n->args[2], n->sp[j].index);
        }
        return ret;
    }
    for (int j = 0; j < n->nsp; j++) {
        if (n->sp[j].add & POLLIN)
            set_bit(pid, n->args[1], n->sp[j].index);
        if (n->sp[j].add & POLLOUT)
            set_bit(pid, n->args[2], n->sp[j].index);
    }
    return count_set(pid, n->args[1], nfds) + count_set(pid, n->args[2], nfds) +
           count_set(pid, n->args[3], nfds);
}

/* epoll waits: the stalled bits out of the kernel's RET events (an event
 * left with none goes); the count left. */
static long long epoll_strip(struct tproc *p, const struct tw_note *n, long long ret)
{
    long long kept = 0;
    for (long long i = 0; i < ret; i++) {
        struct epev ev;
        uint64_t at = n->args[1] + (uint64_t)i * sizeof ev;
        if (ft_peek(p->pid, at, &ev, sizeof ev) < 0)
            return ret;
        int fd = te_find(p->ep, (int)n->args[0], ev.data);
        unsigned cut = fd >= 0 ? stalled_bits(p, fd) : 0;
        if (ev.events & cut) {
            ev.events &= ~cut;
            if ((ev.events & ~(unsigned)(EPOLLET | EPOLLONESHOT)) == 0)
                continue;
        }
        ft_poke(p->pid, n->args[1] + (uint64_t)kept * sizeof ev, &ev, sizeof ev);
        kept++;
    }
    return kept;
}

/* epoll waits: the specials' events, merged into the kernel's RET events
 * with the same data or added after them (up to maxevents). */
static long long epoll_report(struct tproc *p, const struct tw_note *n, long long ret)
{
    if (ret < 0)
        return ret;
    ret = epoll_strip(p, n, ret);
    long long count = ret, max = (long long)(int)n->args[2];
    for (int j = 0; j < n->nsp; j++) {
        struct epev ev;
        long long i;
        for (i = 0; i < count; i++)
            if (ft_peek(p->pid, n->args[1] + (uint64_t)i * sizeof ev, &ev, sizeof ev) == 0 &&
                ev.data == n->sp[j].data)
                break;
        if (i == count && count >= max)
            continue;
        if (i == count) {
            ev = (struct epev){ .events = 0, .data = n->sp[j].data };
            count++;
        }
        ev.events |= n->sp[j].add;
        if (ft_poke(p->pid, n->args[1] + (uint64_t)i * sizeof ev, &ev, sizeof ev) == 0 &&
            n->sp[j].once)
            tf_set_told(p, n->sp[j].index);
    }
    return count;
}

/* The sticky descriptors' report (tracewait.h); the registers set back. */
static void report(struct tproc *p, const struct tw_note *n, long long *ret)
{
    if (n->restore != 0)
        ft_set_args(n->tid, n->args, n->restore);
    if (!n->marked)
        return;
    long long count = n->nr == SYS_poll || n->nr == SYS_ppoll ? poll_report(p->pid, n, *ret)
                    : n->nr == SYS_select || n->nr == SYS_pselect6
                        ? select_report(p->pid, n, *ret)
                    : epoll_report(p, n, *ret);
    if (count >= 0 && count != *ret && ft_set_ret(n->tid, count) == 0)
        *ret = count;
}

void tw_exit(struct tproc *p, const struct tw_note *n, long long *retp)
{
    const uint64_t *a = n->args;
    if (n->kind == TW_WAIT)
        report(p, n, retp);
    long long ret = *retp;
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

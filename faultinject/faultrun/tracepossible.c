/* tracepossible.c: whether the kernel could give the fault at a traced
 * call (see tracepossible.h). */
#include "tracepossible.h"

#include "roomrule.h"
#include "tracefd.h"
#include "traceepoll.h"
#include "traceroom.h"
#include "traceshown.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- whether the kernel could give the fault (shim.c's possible) ------ */

/* The descriptor's flags and timeout as the kernel holds them, from a copy. */
struct fdstate {
    int ok, nonblock, timeout, fin;
};

static struct fdstate fd_state(const struct tcall *tc)
{
    struct fdstate s = { 0 };
    int copy = ft_fd_copy(tc->p->pidfd, tc->fd);
    if (copy < 0)
        return s;
    int fl = fcntl(copy, F_GETFL);
    s.ok = fl >= 0;
    s.nonblock = fl >= 0 && (fl & O_NONBLOCK);
    if (tc->kind == FI_K_SOCK) {
        struct timeval tv = { 0 };
        socklen_t len = sizeof tv;
        int opt = tc->reading ? SO_RCVTIMEO : SO_SNDTIMEO;
        s.timeout = getsockopt(copy, SOL_SOCKET, opt, &tv, &len) == 0 &&
                    (tv.tv_sec != 0 || tv.tv_usec != 0);
    }
    /* tcp_poll/unix_poll: POLLRDHUP once RCV_SHUTDOWN (HUP alone also
     * when both sides are shut, as room.c's fi_fin_queued); a pipe: POLLHUP */
    struct pollfd pfd = { .fd = copy, .events = POLLIN | POLLRDHUP };
    if (tc->reading && poll(&pfd, 1, 0) == 1)
        s.fin = (pfd.revents & (tc->kind == FI_K_PIPE ? POLLHUP : POLLRDHUP | POLLHUP)) != 0;
    close(copy);
    return s;
}

static int synchronous(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
           sig == SIGTRAP || sig == SIGSYS;
}

enum sleep_kind { RESTARTED, NEVER_RESTARTED };

/* sigstate.c's rule with the tracee's masks: some signal caught, not in
 * BLOCKED, not self-raised, whose handler would not restart the call. */
static enum fi_why interruptible(const struct tcall *tc, enum sleep_kind how,
                                 const uint64_t *mask)
{
    uint64_t caught, blocked;
    if (ft_sigmasks(tc->p->pid, tc->t->tid, &caught, &blocked) < 0)
        return FI_WHY_NO_HANDLER;
    if (mask != NULL)
        blocked = *mask;
    enum fi_why why = FI_WHY_NO_HANDLER;
    for (int sig = 1; sig <= 64; sig++) {
        uint64_t bit = 1ULL << (sig - 1);
        if (sig == SIGKILL || sig == SIGSTOP || synchronous(sig) || (blocked & bit) ||
            !(caught & bit))
            continue;
        if (how == RESTARTED && (tc->p->restart & bit)) {
            why = FI_WHY_RESTARTED;
            continue;
        }
        return FI_WHY_OK;
    }
    return why;
}

static enum fi_why eintr_data(const struct tcall *tc)
{
    if (tc->closing)
        return interruptible(tc, NEVER_RESTARTED, NULL);
    struct fdstate s = fd_state(tc);
    if (tc->dontwait || s.nonblock)
        return FI_WHY_NEVER_SLEEPS;
    if (tc->kind == FI_K_SOCK && s.timeout)
        return FI_WHY_OK;               /* a stop signal interrupts it too */
    if (tc->kind == FI_K_OTHER &&
        (S_ISREG(tc->mode) || S_ISDIR(tc->mode) || S_ISBLK(tc->mode)))
        return FI_WHY_NEVER_SLEEPS;
    return interruptible(tc, RESTARTED, NULL);
}

/* A wait sleeps with its own mask (ppoll, pselect6, epoll_pwait[2]). */
static enum fi_why eintr_wait(const struct tcall *tc)
{
    if (tc->c.nr == SYS_epoll_wait || tc->c.nr == SYS_epoll_pwait || tc->c.nr == 441)
        return FI_WHY_OK;               /* stop signals interrupt it too */
    uint64_t ptr = 0, mask;
    if (tc->c.nr == SYS_ppoll)
        ptr = tc->c.args[3];
    else if (tc->c.nr == SYS_pselect6 && tc->c.args[5] != 0 &&
             ft_peek(tc->p->pid, tc->c.args[5], &ptr, sizeof ptr) < 0)
        ptr = 0;
    if (ptr != 0 && ft_peek(tc->p->pid, ptr, &mask, sizeof mask) == 0)
        return interruptible(tc, NEVER_RESTARTED, &mask);
    return interruptible(tc, NEVER_RESTARTED, NULL);
}

int tr_is_eagain(const struct fi_rule *r)
{
    return r->fault == FI_F_EAGAIN ||
           (r->fault == FI_F_ERROR && (r->arg == EAGAIN || r->arg == EWOULDBLOCK));
}

/* A stream the write-side and FIN rules speak of: a stream socket (or one
 * whose type could not be read) or a pipe. */
static int stream_like(const struct tcall *tc)
{
    return tc->kind == FI_K_PIPE ||
           (tc->kind == FI_K_SOCK && (tc->socktype == 0 || tc->socktype == SOCK_STREAM));
}

/* shim.c's data_side: a data call's extra conditions for short and eagain
 * (the FIN, what a wait or peek showed, the write side's room). */
static enum fi_why data_side(struct tcall *tc, const struct fi_rule *r, const struct fdstate *s)
{
    if (!tc->data || !stream_like(tc))
        return FI_WHY_OK;
    long long asked = tx_asked(tc->p->pid, &tc->c, tc->call);
    unsigned bit = tc->reading ? TS_RD : TS_WR;
    int shown = (tc->shown & bit) != 0;
    if (tc->reading) {
        if (s->fin)
            return FI_WHY_FIN;
        return fi_shown_why(r, 1, shown, tc->shown >> TS_SHIFT, asked, &tc->room);
    }
    if (r->fault != FI_F_SHORT && fi_shown_why(r, 0, shown, 0, asked, &tc->room) != FI_WHY_OK)
        return FI_WHY_READY;
    tc->room = tr_room(tc->p->pidfd, tc->fd, tc->kind);
    return fi_room_why(r, tc->kind == FI_K_PIPE, asked, tc->room);
}

enum fi_why tr_possible(void *arg, const struct fi_rule *r)
{
    struct tcall *tc = arg;
    if (tc->wait)
        return r->fault == FI_F_EINTR ? eintr_wait(tc) : FI_WHY_OK;
    if (tr_is_eagain(r)) {
        struct fdstate s = fd_state(tc);
        if (!(tc->dontwait || s.nonblock || (tc->kind == FI_K_SOCK && s.timeout)))
            return FI_WHY_BLOCKING;
        return data_side(tc, r, &s);
    }
    switch (r->fault) {
    case FI_F_SHORT: {
        if (tc->kind == FI_K_SOCK && tc->socktype != 0 && tc->socktype != SOCK_STREAM)
            return FI_WHY_MESSAGE;
        if (!tc->data)
            return FI_WHY_OK;
        struct fdstate s = fd_state(tc);
        enum fi_why why = data_side(tc, r, &s);
        if (why != FI_WHY_OK)
            return why;
        /* not yet: a vector too long to copy */
        long long limit = tc->room > r->arg ? tc->room : r->arg;
        if (tx_can_cut(tc->p->pid, &tc->c, tc->call, limit) < 0)
            return FI_WHY_TRACE_TODO;
        return FI_WHY_OK;
    }
    case FI_F_STALL: {                  /* tracefd.c's begin_stall */
        if (tc->kind == FI_K_SOCK && tc->socktype != 0 && tc->socktype != SOCK_STREAM)
            return FI_WHY_MESSAGE;
        /* not yet: a registration faultrun cannot take the stalled bits out of */
        if (tc->data && !tf_can_strip(tc->p, tc->fd))
            return FI_WHY_TRACE_TODO;
        struct fdstate s = fd_state(tc);
        return tc->data ? data_side(tc, r, &s) : FI_WHY_OK;
    }
    case FI_F_EINTR:
        return eintr_data(tc);
    default:
        return FI_WHY_OK;
    }
}

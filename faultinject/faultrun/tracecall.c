/* tracecall.c: one traced call (see tracecall.h). */
#include "tracecall.h"

#include "logfmt.h"
#include "tracearm.h"
#include "tracedelay.h"
#include "tracepossible.h"
#include "tracerestart.h"
#include "traceshown.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
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

/* ---- one call -------------------------------------------------------- */

/* Which family the call at its stop is, and how it moves data. */
static int sort_call(struct tcall *tc)
{
    const uint64_t *a = tc->c.args;
    pid_t pid = tc->p->pid;
    tc->fd = (int)a[0];
    switch (tc->c.nr) {
    case SYS_read:     tc->call = FI_C_READ; tc->len = a[2]; break;
    case SYS_readv:    tc->call = FI_C_READV; break;
    case SYS_recvfrom: tc->call = a[4] ? FI_C_RECVFROM : FI_C_RECV; tc->len = a[2];
                       tc->dontwait = (a[3] & MSG_DONTWAIT) != 0; break;
    case SYS_recvmsg:  tc->call = FI_C_RECVMSG; tc->dontwait = (a[2] & MSG_DONTWAIT) != 0; break;
    case SYS_write:    tc->call = FI_C_WRITE; break;
    case SYS_writev:   tc->call = FI_C_WRITEV; break;
    case SYS_sendto:   tc->call = a[4] ? FI_C_SENDTO : FI_C_SEND;
                       tc->dontwait = (a[3] & MSG_DONTWAIT) != 0; break;
    case SYS_sendmsg:  tc->call = FI_C_SENDMSG; tc->dontwait = (a[2] & MSG_DONTWAIT) != 0; break;
    case SYS_sendfile: tc->call = FI_C_SENDFILE; break;
    case SYS_splice: {                  /* xfer.c: the end that is not a pipe */
        struct stat st;
        int from_pipe = ft_fd_stat(pid, (int)a[0], &st) == 0 && S_ISFIFO(st.st_mode);
        tc->call = from_pipe ? FI_C_SPLICE_OUT : FI_C_SPLICE_IN;
        tc->fd = from_pipe ? (int)a[2] : (int)a[0];
        tc->dontwait = (a[5] & SPLICE_F_NONBLOCK) != 0;
        break;
    }
    case SYS_recvmmsg: tc->call = FI_C_RECVMMSG; tc->dontwait = (a[3] & MSG_DONTWAIT) != 0; break;
    case SYS_sendmmsg: tc->call = FI_C_SENDMMSG; tc->dontwait = (a[3] & MSG_DONTWAIT) != 0; break;
    case SYS_accept:   tc->call = FI_C_ACCEPT; break;
    case SYS_accept4:  tc->call = FI_C_ACCEPT4; break;
    case SYS_connect:  tc->call = FI_C_CONNECT; break;
    case SYS_close:    tc->call = FI_C_CLOSE; tc->closing = 1; break;
    case SYS_poll: case SYS_ppoll: tc->call = FI_C_POLL; tc->wait = 1; break;
    case SYS_select: case SYS_pselect6: tc->call = FI_C_SELECT; tc->wait = 1; break;
    case SYS_epoll_wait: case SYS_epoll_pwait: case 441:
        tc->call = FI_C_EPOLL_WAIT; tc->wait = 1; break;
    case SYS_rt_sigaction: {            /* which handlers restart calls */
        uint64_t act[2];                /* sa_handler, sa_flags */
        int sig = (int)a[0];
        if (a[1] != 0 && sig >= 1 && sig <= 64 && ft_peek(pid, a[1], act, sizeof act) == 0) {
            if (act[1] & KSA_RESTART)
                tc->p->restart |= 1ULL << (sig - 1);
            else
                tc->p->restart &= ~(1ULL << (sig - 1));
        }
        return -1;
    }
    case SYS_io_uring_setup:            /* counted for the summary, then it runs */
        tr_run.rings++;
        return -1;
    default:
        return -1;
    }
    if (tc->wait) {
        tc->fd = -1;
        return 0;
    }
    tc->reading = ((FI_RD_MASK >> tc->call) & 1u) || tc->call == FI_C_ACCEPT ||
                  tc->call == FI_C_ACCEPT4;
    tc->data = ((FI_RD_MASK | FI_WR_MASK) >> tc->call) & 1u;
    return 0;
}

void tr_resume(pid_t tid, int how, int sig)
{
    ptrace(how, tid, NULL, (void *)(long)sig);      /* ESRCH: it died meanwhile */
}

static void write_log(const struct tthread *t, long long ret);

/* The seccomp stop of T: decide, change the call, and resume it. */
void tr_at_seccomp(struct tthread *t)
{
    struct tcall tc = { .p = t->p, .t = t, .room = -1 };
    if (ft_call_at(t->tid, &tc.c) < 0 || !tc.c.native || !t->p->execd || !t->p->active) {
        tr_resume(t->tid, PTRACE_CONT, 0);
        return;
    }
    /* a wait, a peek, an epoll_ctl: what it reports is noted at its exit */
    struct tw_note note = tw_entry(t->p, t->tid, &tc.c);
    int how = note.kind != TW_NONE ? PTRACE_SYSCALL : PTRACE_CONT;
    t->note = note;
    if (trr_is_restart(t, &tc.c)) {     /* the same call again: decided once */
        how = tf_restart(t, &tc.c, t->pending || t->fdp.on ? PTRACE_SYSCALL : how);
        tr_resume(t->tid, how, 0);
        return;
    }
    int sorted = sort_call(&tc);
    how = tf_entry(t, sorted == 0 ? &tc : NULL, how);   /* per-descriptor state (tracefd.h) */
    if (sorted < 0 || !(tr_run.traced_mask & FI_BIT(tc.call))) {
        tr_resume(t->tid, how, 0);
        return;
    }
    if (!tc.wait && tr_classify(&tc) < 0) {        /* a bad descriptor: EBADF from the kernel */
        tr_resume(t->tid, how, 0);
        return;
    }
    if (tc.data && tr_run.want_ready)
        tc.shown = ts_take(t->p->shown, tc.fd, tc.reading);
    struct fi_callctx cc = {
        .call = tc.call, .fd = tc.fd, .kind = tc.kind, .socktype = tc.socktype,
        .callno = fi_decide_callno(&t->p->eng, tc.call), .ends = tf_ends, .possible = tr_possible, .arg = &tc,
    };
    struct fi_rule r;
    uint64_t k;
    int rule = fi_decide_call(&t->p->eng, &cc, !t->fdp.says, &r, &k);
    if (rule < 0) {
        tr_resume(t->tid, how, 0);
        return;
    }
    *t = (struct tthread){ .tid = t->tid, .rs = t->rs, .p = t->p, .next = t->next, .pending = 1, .r = r,
                           .rule = rule, .k = k, .callno = cc.callno, .call = tc.call,
                           .fd = tc.fd, .data = tc.data, .note = note, .fdp = t->fdp,
                           .asked = tc.data ? tx_asked(tc.p->pid, &tc.c, tc.call) : 0 };
    if (r.fault == FI_F_DELAY) {        /* held, then run as asked (tracedelay.h) */
        td_hold(t->tid, r.arg);
        return;
    }
    if (tf_fault(t, &tc, &r)) {         /* reset, eof, stall: the descriptor's state (tracefd.h) */
        if (t->pending && (t->set_ret != 0 || t->fdp.force)) {  /* fixed: logged now (below) */
            write_log(t, t->fdp.force ? t->fdp.ret : t->set_ret);
            t->logged = 1;
        }
    } else if (r.fault == FI_F_SHORT) {
        /* the kernel itself moves fewer bytes: the rest stays queued; a
         * write moves at least its sure room, a read what MSG_PEEK showed */
        long long limit = tc.room > r.arg ? tc.room : r.arg;
        tx_cut(tc.p->pid, t->tid, &tc.c, tc.call, limit, &t->undo);
    } else {
        int e = r.fault == FI_F_EINTR ? EINTR : r.fault == FI_F_EAGAIN ? EAGAIN : (int)r.arg;
        t->set_ret = -(long long)e;
        /* Linux releases a descriptor whatever close says; an interrupted
         * connect goes on: both run, then report (faultinject.md, eintr) */
        if (tc.call == FI_C_CONNECT && r.fault == FI_F_EINTR)
            t->keep_error = 1;
        else if (tc.call != FI_C_CLOSE)
            ft_set_nr(t->tid, -1);
        /* sendfile and splice have no MSG_NOSIGNAL: they always raise it */
        int flags = tc.call == FI_C_SEND || tc.call == FI_C_SENDTO ||
                    tc.call == FI_C_SENDMMSG ? (int)tc.c.args[3]
                  : tc.call == FI_C_SENDMSG ? (int)tc.c.args[2] : 0;
        t->sigpipe = e == EPIPE && ((FI_WR_MASK >> tc.call) & 1u) && !(flags & MSG_NOSIGNAL);
        /* the result is fixed: logged now, so that a thread the program
         * ends before the call's exit stop (exit_group) still has its line */
        if (!t->keep_error) {
            write_log(t, t->set_ret);
            t->logged = 1;
        }
    }
    tr_resume(t->tid, PTRACE_SYSCALL, 0);
}

static void write_log(const struct tthread *t, long long ret)
{
    if (tr_run.log_fd < 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[320];
    size_t len = fi_log_format(line, sizeof line, &(struct fi_logfields){
        .pid = t->p->pid, .tid = t->tid, .call = t->call, .fd = t->fd, .r = &t->r,
        .rule = t->rule, .k = t->k, .t_sec = (uint64_t)ts.tv_sec, .t_nsec = ts.tv_nsec,
        .data = t->data, .asked = t->asked, .ret = ret < 0 ? -1 : ret, .callno = t->callno,
        .proc = t->p->path, .image = t->p->image });
    if (write(tr_run.log_fd, line, len) != (ssize_t)len)
        fprintf(stderr, "faultrun: log: %s\n", strerror(errno));
}

void tr_finish(struct tthread *t, long long ret)
{
    tx_undo(t->p->pid, t->tid, &t->undo);
    if (t->set_ret != 0 && !(t->keep_error && ret < 0 && ret != -EINTR)) {
        ft_set_ret(t->tid, t->set_ret);
        ret = t->set_ret;
    }
    if (!t->logged)
        write_log(t, ret);
    if (t->sigpipe)
        syscall(SYS_tgkill, t->p->pid, t->tid, SIGPIPE);
    t->pending = 0;
}

/* The syscall-exit stop after an injection: the result, the log line. A
 * call a signal interrupted is not over: the kernel may restart it (with
 * the registers as they are), tracerestart.c decides at the signal. */
void tr_at_exit_stop(struct tthread *t)
{
    long long ret = 0;
    int have = ft_get_ret(t->tid, &ret) == 0;
    if (have)
        tf_exit(t, &ret);               /* a sticky answer; after= bytes (tracefd.h) */
    if (t->pending && have && !trr_restarting(ret)) {
        tr_finish(t, ret);
        ta_rearm(t, NULL);              /* an EPOLLET descriptor's edge (tracearm.h) */
    }
    if (t->note.kind != TW_NONE && have)
        tw_exit(t->p, &t->note, &ret);
    t->note.kind = TW_NONE;
    tr_resume(t->tid, PTRACE_CONT, 0);
}

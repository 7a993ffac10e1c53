/* tracearm.c: the EPOLLET re-arm in the stopped thread (see tracearm.h). */
#include "tracearm.h"

#include "traceepoll.h"
#include "tracepossible.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RED_ZONE 128
#define MAX_STEPS 32            /* stops met before the injected call's exit */
#define MAX_KEPT 8

/* struct epoll_event as x86_64's kernel reads it (packed: 12 bytes) */
struct kevent {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

/* What the injection changed, put back whatever happens. */
struct saved {
    struct user_regs_struct regs;
    uint64_t mask;
    unsigned char mem[16];
    uint64_t addr;
    int have_mem, have_mask;
    int kept[MAX_KEPT];         /* stop signals met meanwhile, sent again */
    int nkept;
};

static int stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void keep(struct saved *s, int sig)
{
    if (s->nkept < MAX_KEPT)
        s->kept[s->nkept++] = sig;
}

/* Whether TID is past running: a zombie or dead (/proc/TID/stat). */
static int ended(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    const char *st = strrchr(buf, ')');
    return st == NULL || st[1] == '\0' || st[2] == 'Z' || st[2] == 'X';
}

/* The next stop of TID: 0 and its status; -1 (ESRCH) when it ended
 * instead, its end left unreaped for the wait loop. Polled, never a
 * blocking wait on TID alone: a thread-group leader whose process is
 * exiting reports nothing until its other threads are reaped (kernel:
 * delay_group_leader), and reaping them is the wait loop's. */
static int next_stop(pid_t tid, int *status)
{
    siginfo_t si;
    for (int round = 0;; round++) {
        memset(&si, 0, sizeof si);
        if (waitid(P_PID, (id_t)tid, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT | WNOHANG) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (si.si_pid != 0)
            break;
        if (ended(tid)) {
            errno = ESRCH;
            return -1;
        }
        if (round < 64) {
            sched_yield();
        } else {
            struct timespec ts = { 0, 100000 };
            nanosleep(&ts, NULL);
        }
    }
    if (si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED) {
        errno = ESRCH;
        return -1;
    }
    while (waitpid(tid, status, __WALL) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

/* Steps TID through the injected call to its exit stop; its result in *RET. */
static int run_call(pid_t tid, struct saved *s, long long *ret)
{
    int status;
    int sig = 0;
    for (int step = 0; step < MAX_STEPS; step++) {
        if (ptrace(PTRACE_SYSCALL, tid, NULL, (void *)(long)sig) < 0 || next_stop(tid, &status) < 0)
            return -1;
        sig = 0;
        int stopsig = WSTOPSIG(status), event = (unsigned)status >> 16;
        if (stopsig == (SIGTRAP | 0x80)) {
            struct __ptrace_syscall_info info;
            if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) < 0)
                return -1;
            if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
                *ret = info.exit.rval;
                return 0;
            }
            continue;                   /* the entry stop */
        }
        if (event == PTRACE_EVENT_SECCOMP)
            continue;                   /* our own call: not decided */
        if (event == PTRACE_EVENT_STOP) {
            if (stop_signal(stopsig))   /* a group-stop: kept for after */
                keep(s, stopsig);
            continue;
        }
        if (event == 0)
            keep(s, stopsig);           /* only SIGSTOP gets past the mask */
    }
    errno = ETIMEDOUT;
    return -1;
}

/* Puts back what the injection changed; the kept signals sent again. */
static void restore(pid_t pid, pid_t tid, struct saved *s)
{
    ptrace(PTRACE_SETREGS, tid, NULL, &s->regs);
    if (s->have_mem)
        ft_poke(pid, s->addr, s->mem, sizeof s->mem);
    if (s->have_mask)
        ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof s->mask, &s->mask);
    for (int i = 0; i < s->nkept; i++)
        syscall(SYS_tgkill, pid, tid, s->kept[i]);
}

int ta_may_strand(const struct fi_rule *r)
{
    unsigned data = FI_RD_MASK | FI_WR_MASK, accepts = FI_BIT(FI_C_ACCEPT) | FI_BIT(FI_C_ACCEPT4);
    return ((r->fault == FI_F_SHORT || tr_is_eagain(r)) && (r->calls & data)) ||
           (tr_is_eagain(r) && (r->calls & accepts));
}

/* Whether T's fault leaves a descriptor the kernel will not raise an
 * edge for (a data call's short or eagain; an accept's eagain: its
 * connection still queued), and its registration to hand back in *REG. */
static int wanted(const struct tthread *t, struct te_reg *reg)
{
    int accepting = t->call == FI_C_ACCEPT || t->call == FI_C_ACCEPT4;
    if (!(tr_is_eagain(&t->r) || (t->r.fault == FI_F_SHORT && !accepting)))
        return 0;
    /* one-shot: the program re-arms it itself; exclusive: MOD refused */
    return te_lookup(t->p->ep, t->fd, reg) && (reg->events & (uint32_t)EPOLLET) &&
           !(reg->events & (uint32_t)(EPOLLONESHOT | EPOLLEXCLUSIVE));
}

/* A re-arm that could not be made may strand the program: said once. */
static void warn_once(const struct tthread *t, int e)
{
    static int warned;
    if (warned || e == ESRCH || tr_run.opts == NULL || tr_run.opts->quiet)
        return;
    warned = 1;
    fprintf(stderr, "faultrun: trace: warning: descriptor %d of process %d is registered "
            "EPOLLET and could not be re-armed after its fault (%s): the program may wait "
            "for an edge that never comes\n", t->fd, (int)t->p->pid,
            e == ENOEXEC ? "the call was not made by a syscall instruction" : strerror(e));
}

int ta_epoll_mod(struct tthread *t, int fd, const struct te_reg *reg, long long *ret)
{
    pid_t pid = t->p->pid, tid = t->tid;
    struct saved s = { .nkept = 0 };
    unsigned char insn[2];
    if (ptrace(PTRACE_GETREGS, tid, NULL, &s.regs) < 0)
        return -1;
    /* the exit stop of a call made by `syscall`: rip follows it */
    if (ft_peek(pid, s.regs.rip - 2, insn, sizeof insn) < 0 || insn[0] != 0x0f || insn[1] != 0x05) {
        errno = ENOEXEC;
        return -1;
    }
    s.addr = (s.regs.rsp - RED_ZONE - sizeof s.mem) & ~(uint64_t)15;
    if (ft_peek(pid, s.addr, s.mem, sizeof s.mem) < 0)
        return -1;
    struct kevent ev = { .events = reg->events, .data = reg->data };
    if (ft_poke(pid, s.addr, &ev, sizeof ev) < 0)
        return -1;
    s.have_mem = 1;
    uint64_t all = ~(uint64_t)0;
    if (ptrace(PTRACE_GETSIGMASK, tid, (void *)sizeof s.mask, &s.mask) < 0 ||
        ptrace(PTRACE_SETSIGMASK, tid, (void *)sizeof all, &all) < 0) {
        int e = errno;
        restore(pid, tid, &s);
        errno = e;
        return -1;
    }
    s.have_mask = 1;
    struct user_regs_struct r = s.regs;
    r.rip -= 2;
    r.rax = SYS_epoll_ctl;
    r.orig_rax = SYS_epoll_ctl;
    r.rdi = (uint64_t)(unsigned)reg->epfd;
    r.rsi = EPOLL_CTL_MOD;
    r.rdx = (uint64_t)(unsigned)fd;
    r.r10 = s.addr;
    long long got = 0;
    int rc = -1;
    if (ptrace(PTRACE_SETREGS, tid, NULL, &r) == 0)
        rc = run_call(tid, &s, &got);
    int e = errno;
    restore(pid, tid, &s);
    if (rc < 0) {
        errno = e;
        return -1;
    }
    if (ret != NULL)
        *ret = got;
    return 1;
}

int ta_rearm(struct tthread *t, long long *ret)
{
    struct te_reg reg;
    if (!wanted(t, &reg))
        return 0;
    int rc = ta_epoll_mod(t, t->fd, &reg, ret);
    if (rc < 0)
        warn_once(t, errno);
    return rc;
}

/* trace.c: the trace backend's supervisor (see trace.h).
 *
 * fork; the child stops itself (SIGSTOP), the parent seizes it with every
 * event followed and EXITKILL (no tracee outlives faultrun with the filter
 * on: it would get ENOSYS on every filtered call), and SIGCONTs it; the
 * child sets no_new_privs, installs a cBPF filter that returns
 * SECCOMP_RET_TRACE for the calls the rules name and ALLOW for all else,
 * and execs COMMAND. One wait loop serves every tracee.
 */
#include "trace.h"

#include "launch.h"
#include "runblock.h"
#include "summary.h"
#include "tracearm.h"
#include "tracecall.h"
#include "tracedelay.h"
#include "tracefd.h"
#include "tracepossible.h"
#include "tracereplay.h"
#include "tracerestart.h"
#include "tracestate.h"
#include "tracewait.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t command_pid;
static volatile sig_atomic_t forward_pid;
/* faultrun's own dispositions before it ignored or forwarded them:
 * COMMAND starts with these, as it would without faultrun */
static struct sigaction old_int, old_quit, old_term, old_hup;

/* ---- the filter ------------------------------------------------------ */

static void add_nr(long *nrs, int *n, long nr)
{
    for (int i = 0; i < *n; i++)
        if (nrs[i] == nr)
            return;
    nrs[(*n)++] = nr;
}

/* The system calls (x86_64) that carry the call families in MASK. */
static int syscalls_of(unsigned mask, long *nrs)
{
    static const struct { enum fi_call call; long nr; } map[] = {
        { FI_C_READ, SYS_read }, { FI_C_READV, SYS_readv }, { FI_C_RECV, SYS_recvfrom },
        { FI_C_RECVFROM, SYS_recvfrom }, { FI_C_RECVMSG, SYS_recvmsg },
        { FI_C_WRITE, SYS_write }, { FI_C_WRITEV, SYS_writev }, { FI_C_SEND, SYS_sendto },
        { FI_C_SENDTO, SYS_sendto }, { FI_C_SENDMSG, SYS_sendmsg },
        { FI_C_ACCEPT, SYS_accept }, { FI_C_ACCEPT4, SYS_accept4 },
        { FI_C_CONNECT, SYS_connect }, { FI_C_CLOSE, SYS_close },
        { FI_C_POLL, SYS_poll }, { FI_C_POLL, SYS_ppoll }, { FI_C_SELECT, SYS_select },
        { FI_C_SELECT, SYS_pselect6 }, { FI_C_EPOLL_WAIT, SYS_epoll_wait },
        { FI_C_EPOLL_WAIT, SYS_epoll_pwait }, { FI_C_EPOLL_WAIT, 441 /* epoll_pwait2 */ },
        { FI_C_SENDFILE, SYS_sendfile }, { FI_C_SPLICE_IN, SYS_splice },
        { FI_C_SPLICE_OUT, SYS_splice }, { FI_C_RECVMMSG, SYS_recvmmsg },
        { FI_C_SENDMMSG, SYS_sendmmsg },
    };
    int n = 0;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (mask & FI_BIT(map[i].call))
            add_nr(nrs, &n, map[i].nr);
    return n;
}

/* In the child, after the seize: no_new_privs and the filter. */
static void install_filter(void)
{
    long nrs[64];
    int n = syscalls_of(tr_run.traced_mask | (tr_run.want_ready ? FI_WAIT_MASK : 0) |
                        (tf_stops_data(&tr_run.opts->rs) ? FI_RD_MASK | FI_WR_MASK : 0), nrs);
    if (tf_keeps_state(&tr_run.opts->rs))
        add_nr(nrs, &n, SYS_close);     /* a closed descriptor's state goes (tracefd.h) */
    if (tr_run.want_sigaction)
        add_nr(nrs, &n, SYS_rt_sigaction);
    if (tr_run.want_ready) {
        add_nr(nrs, &n, SYS_epoll_ctl);
        add_nr(nrs, &n, SYS_close);     /* a closed descriptor's notes go (tracewait.h) */
    }
    add_nr(nrs, &n, SYS_io_uring_setup);    /* to say so: a ring's I/O is beyond the rules */
    struct sock_filter f[80];
    int k = 0;
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, arch));
    /* i386 and x32 calls are let through untouched (faultinject/NOTES.md) */
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
                                          (unsigned char)(n + 2));
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
    for (int i = 0; i < n; i++)
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nrs[i],
                                              (unsigned char)(n - i), 0);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
    struct sock_fprog prog = { .len = (unsigned short)k, .filter = f };
    /* SPEC_ALLOW: a filter alone does not force the speculative-store
     * mitigation on the program (kernel 4.17; older kernels: EINVAL) */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                 &prog) < 0 &&
         (errno != EINVAL || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0))) {
        fprintf(stderr, "faultrun: trace: cannot install the seccomp filter: %s\n",
                strerror(errno));
        _exit(2);
    }
}


/* COMMAND's name as --only sees it: argv[0]'s basename or the executable's. */
static int only_matches(pid_t pid)
{
    char path[64], buf[4096];
    const char *base;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        base = strrchr(buf, '/');
        if (strcmp(base ? base + 1 : buf, tr_run.opts->only) == 0)
            return 1;
    }
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    base = strrchr(buf, '/');
    return strcmp(base ? base + 1 : buf, tr_run.opts->only) == 0;
}

/* A new image in T's process: call numbers and counters start again, as
 * a freshly loaded shim's would; x= numbers the images after the first. */
static void at_exec(struct tthread *t)
{
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &former);
    if ((pid_t)former != t->tid && tr_thread_find((pid_t)former) != NULL)
        tr_thread_gone((pid_t)former);
    /* exec from another thread: this tid was the leader's, whose call
     * (decided, restarting, or to note) went with the old image */
    t->pending = 0;
    t->rs.on = 0;
    t->note.kind = TW_NONE;
    struct tproc *p = t->p;
    if (p->execd)
        p->image++;
    p->execd = 1;
    p->restart = 0;                     /* caught signals are reset by exec */
    tr_engine_start(p);
    tw_exec(p);
    p->active = tr_run.opts->only == NULL || only_matches(p->pid);
    atomic_fetch_add(&tr_run.opts->run->c.procs, 1);
    if (tr_run.opts->only != NULL && p->active)
        atomic_fetch_add(&tr_run.opts->run->c.only_matched, 1);
}

static int stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stop(pid_t tid, int status)
{
    int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
    struct tthread *t = tr_adopt(tid, NULL);
    if (sig == (SIGTRAP | 0x80)) {
        tr_at_exit_stop(t);
        return;
    }
    switch (event) {
    case 0:                             /* a signal, delivered as it arrived */
        if (trr_at_signal(t, sig))
            tr_finish(t, -EINTR);
        tr_resume(tid, PTRACE_CONT, sig);
        return;
    case PTRACE_EVENT_SECCOMP:
        tr_at_seccomp(t);
        return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
        unsigned long child = 0;
        if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &child) == 0 && child > 0)
            tr_adopt((pid_t)child, t->p);
        tr_resume(tid, PTRACE_CONT, 0);
        return;
    }
    case PTRACE_EVENT_EXEC:
        at_exec(t);
        tr_resume(tid, PTRACE_CONT, 0);
        return;
    case PTRACE_EVENT_STOP:
        /* a group-stop stays stopped until SIGCONT; any other (a new
         * tracee's first stop, a SIGCONT's wake-up) goes on */
        if (stop_signal(sig))
            tr_resume(tid, PTRACE_LISTEN, 0);
        else
            tr_resume(tid, PTRACE_CONT, 0);
        return;
    default:
        tr_resume(tid, PTRACE_CONT, 0);
    }
}

/* ---- the run --------------------------------------------------------- */

static void pass_on(int sig)
{
    if (forward_pid > 0)
        kill((pid_t)forward_pid, sig);
}

static void refuse(const char *reason, const char *what)
{
    fprintf(stderr, "faultrun: the trace backend (%s) %s; run a dynamically linked build "
            "under --backend=preload for it\n", reason, what);
    exit(2);
}

void fr_trace_check(const struct fr_opts *o, const char *reason)
{
    char why[256];
#if !defined(__x86_64__)
    refuse(reason, "is for x86_64 only so far");
#endif
    (void)o;                            /* every rule's fault and option can be done */
    if (ft_kernel_check(why, sizeof why) < 0) {
        char what[320];
        snprintf(what, sizeof what, "cannot run here: %s", why);
        refuse(reason, what);
    }
}

/* The child: stop for the seize, then filter and exec. */
static void child(char **argv)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* faultrun gone before the seize */
    raise(SIGSTOP);
    prctl(PR_SET_PDEATHSIG, 0);         /* seized: EXITKILL takes over */
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    /* the run's counters are the supervisor's: no shim runs in COMMAND */
    const char *run = getenv(FI_RUN_ENV);
    if (run != NULL)
        close(atoi(run));
    unsetenv(FI_RUN_ENV);
    unsetenv(FI_RUN_PID_ENV);
    install_filter();
    fr_exec(argv);
}

static void start(char **argv)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "faultrun: fork: %s\n", strerror(errno));
        exit(2);
    }
    if (pid == 0)
        child(argv);
    int status;
    while (waitpid(pid, &status, WSTOPPED) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "faultrun: waitpid: %s\n", strerror(errno));
            exit(2);
        }
    long opt = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE |
               PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC |
               PTRACE_O_EXITKILL;
    if (!WIFSTOPPED(status) || ptrace(PTRACE_SEIZE, pid, NULL, (void *)opt) < 0) {
        int e = errno;
        kill(pid, SIGKILL);
        fprintf(stderr, "faultrun: trace: cannot trace COMMAND (PTRACE_SEIZE): %s\n",
                strerror(e));
        exit(2);
    }
    command_pid = pid;
    forward_pid = pid;
    tr_thread_add(pid, tr_proc_new(pid, NULL));
    kill(pid, SIGCONT);
}

int fr_trace_run(const struct fr_opts *o, const char *reason)
{
    tr_run.opts = o;
    tr_run.want_sigaction = 1;          /* which handlers restart calls: always */
    for (int i = 0; i < o->rs.n; i++) {
        const struct fi_rule *r = &o->rs.rule[i];
        tr_run.traced_mask |= r->calls;
        tr_run.want_ready |= ta_may_strand(r);  /* the re-arm's registrations */
        tr_run.want_ready |= tf_sticky_rules(&o->rs);  /* waits see the state (tracewait.h) */
    }
    if (o->replay != NULL) {
        char err[512];
        if (trp_load(o->replay, err, sizeof err) < 0) {
            fprintf(stderr, "faultrun: --replay '%s': %s\n", o->replay, err);
            exit(2);
        }
        tr_run.replaying = 1;
        tr_run.replay = trp_decide;
        tr_run.replay_refused = trp_refused;
        tr_run.traced_mask |= trp_mask();
        tr_run.want_ready |= trp_watches_ready();
        trp_counts(&o->run->c);
    }
    if (o->log != NULL && (tr_run.log_fd = open(o->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                                         0644)) < 0) {
        fprintf(stderr, "faultrun: log '%s': %s\n", o->log, strerror(errno));
        exit(2);
    }
    struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = pass_on };
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, &old_term);
    sigaction(SIGHUP, &fwd, &old_hup);
    start(o->argv);
    int status = 0, command_status = 0;
    for (;;) {
        pid_t tid = td_wait(&status);  /* waitpid, serving delay= (tracedelay.h) */
        if (tid < 0) {
            if (errno == EINTR)
                continue;
            break;                      /* ECHILD: every tracee is gone */
        }
        if (WIFSTOPPED(status)) {
            on_stop(tid, status);
            continue;
        }
        if (tid == command_pid) {
            command_status = status;
            forward_pid = 0;
        }
        tr_thread_gone(tid);
    }
    if (!o->quiet) {
        const struct fi_run_counts *c = &o->run->c;
        int not_started = atomic_load(&c->procs) == 0 && WIFEXITED(command_status) &&
                          (WEXITSTATUS(command_status) == 126 ||
                           WEXITSTATUS(command_status) == 127);
        if (!not_started) {
            fprintf(stderr, "faultrun: backend trace: %s\n", reason);
            if (tr_run.rings > 0)
                fprintf(stderr, "faultrun: trace: warning: %lu io_uring ring%s set up: the reads "
                        "and writes a ring carries are not system calls the rules can reach\n",
                        tr_run.rings, tr_run.rings == 1 ? " was" : "s were");
            fi_summary_print(stderr, &(struct fi_summary){
                .prefix = "faultrun", .rs = &o->rs, .c = c, .run = o->run, .only = o->only,
                .replay = o->replay != NULL, .replay_total = o->replay_faults, .traced = 1 });
        }
    }
    return command_status;
}

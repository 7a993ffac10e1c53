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

#include "decide.h"
#include "forkpath.h"
#include "launch.h"
#include "logfmt.h"
#include "summary.h"
#include "tracee.h"

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

#define EPOLLET_BIT ((uint32_t)EPOLLET)
#define KSA_RESTART 0x10000000UL

/* A descriptor's kind as last seen, told apart by its device and inode. */
struct fdkind {
    dev_t dev;
    ino_t ino;
    int socktype;
    int valid;
};

/* One traced process (a thread group): its engine and its place in the run. */
struct tproc {
    pid_t pid;
    struct tproc *next;
    struct fi_engine eng;
    struct fi_engine_host host;
    char path[FI_PATH_MAX];
    uint64_t stream;
    uint32_t children;
    unsigned image;
    int execd;                  /* COMMAND's image runs (not faultrun's child code) */
    int active;                 /* --only: its rules are on */
    int pidfd;
    int threads;
    int waited;                 /* made a readiness wait (readiness not tracked yet) */
    uint64_t restart;           /* signals whose handler has SA_RESTART (bit N-1) */
    struct fdkind *fds;
    int nfds;
    unsigned char *et;          /* descriptors registered EPOLLET, by number */
    int net;
};

/* One traced thread, and the fault it waits to finish at the syscall exit. */
struct tthread {
    pid_t tid;
    struct tproc *p;
    struct tthread *next;
    int pending;                /* 0, or a fault to finish at the exit stop */
    long long set_ret;          /* 1: the result to give (0: keep the kernel's) */
    int keep_error;             /* connect:eintr: a failure of its own wins */
    int sigpipe;
    struct fi_rule r;
    int rule;
    uint64_t k, callno;
    enum fi_call call;
    int fd, data;
    long long asked;
};

/* One call at its seccomp stop, for possible(). */
struct tcall {
    struct tproc *p;
    struct tthread *t;
    struct ft_call c;
    enum fi_call call;
    int fd;
    enum fi_fdkind kind;
    mode_t mode;
    int socktype;
    int reading, data, dontwait, closing, wait;
    size_t len;                 /* read/recv/recvfrom: the size asked */
};

static const struct fr_opts *opts;
static struct tproc *procs;
static struct tthread *threads[256];
static unsigned traced_mask;    /* the call families the filter stops */
static int want_sigaction, want_ready;
static unsigned long rings;         /* io_uring_setup calls seen (every one is stopped) */
static int log_fd = -1;
static pid_t command_pid;
static volatile sig_atomic_t forward_pid;

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
    int n = syscalls_of(traced_mask | (want_ready ? FI_WAIT_MASK : 0), nrs);
    if (want_sigaction)
        add_nr(nrs, &n, SYS_rt_sigaction);
    if (want_ready)
        add_nr(nrs, &n, SYS_epoll_ctl);
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
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
        fprintf(stderr, "faultrun: trace: cannot install the seccomp filter: %s\n",
                strerror(errno));
        _exit(2);
    }
}

/* ---- processes and threads ------------------------------------------ */

static uint64_t host_stream(void *ctx)
{
    return ((struct tproc *)ctx)->stream;
}

/* A fresh engine for P's new image: the rules as loaded, counters at 0. */
static void engine_start(struct tproc *p)
{
    fi_decide_init(&p->eng, &p->host);
    fi_decide_seed(&p->eng, opts->seed);
    fi_decide_counts(&p->eng, &opts->run->c);
    fi_decide_set(&p->eng, &opts->rs);
}

static struct tproc *proc_find(pid_t pid)
{
    for (struct tproc *p = procs; p != NULL; p = p->next)
        if (p->pid == pid)
            return p;
    return NULL;
}

static struct tproc *proc_new(pid_t pid, const struct tproc *parent)
{
    struct tproc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "faultrun: trace: out of memory\n");
        exit(2);
    }
    p->pid = pid;
    p->host = (struct fi_engine_host){ .ctx = p, .stream = host_stream };
    p->pidfd = ft_pidfd(pid);
    if (parent == NULL) {
        strcpy(p->path, "0");
        p->active = 1;
        engine_start(p);
    } else {
        /* a forked child carries on with its own copy of the counters */
        struct tproc *pp = (struct tproc *)parent;
        fi_forkpath_child(parent->path, ++pp->children, p->path);
        memcpy(&p->eng, &parent->eng, sizeof p->eng);
        p->eng.host = &p->host;
        fi_decide_on_fork(&p->eng);
        p->execd = parent->execd;
        p->active = parent->active;
        p->waited = parent->waited;
        p->restart = parent->restart;
        if (parent->net > 0 && (p->et = malloc((size_t)parent->net)) != NULL) {
            memcpy(p->et, parent->et, (size_t)parent->net);
            p->net = parent->net;
        }
    }
    p->stream = fi_forkpath_stream(p->path);
    p->next = procs;
    procs = p;
    return p;
}

static void proc_free(struct tproc *p)
{
    for (struct tproc **pp = &procs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (p->pidfd >= 0)
        close(p->pidfd);
    free(p->fds);
    free(p->et);
    free(p);
}

static struct tthread *thread_find(pid_t tid)
{
    for (struct tthread *t = threads[(unsigned)tid % 256]; t != NULL; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

static struct tthread *thread_add(pid_t tid, struct tproc *p)
{
    struct tthread *t = calloc(1, sizeof *t);
    if (t == NULL) {
        fprintf(stderr, "faultrun: trace: out of memory\n");
        exit(2);
    }
    t->tid = tid;
    t->p = p;
    p->threads++;
    t->next = threads[(unsigned)tid % 256];
    threads[(unsigned)tid % 256] = t;
    return t;
}

static void thread_gone(pid_t tid)
{
    for (struct tthread **pt = &threads[(unsigned)tid % 256]; *pt != NULL; pt = &(*pt)->next)
        if ((*pt)->tid == tid) {
            struct tthread *t = *pt;
            *pt = t->next;
            if (--t->p->threads == 0)
                proc_free(t->p);
            free(t);
            return;
        }
}

/* TID, new or known: a thread of a traced process, or a new process
 * (the child of PARENT when known, else of its parent process). */
static struct tthread *adopt(pid_t tid, struct tproc *parent)
{
    struct tthread *t = thread_find(tid);
    if (t != NULL)
        return t;
    pid_t ppid = -1, tgid = ft_tgid(tid, &ppid);
    struct tproc *own = tgid > 0 ? proc_find(tgid) : NULL;
    if (own != NULL)
        return thread_add(tid, own);
    if (parent == NULL && ppid > 0)
        parent = proc_find(ppid);
    return thread_add(tid, proc_new(tgid > 0 ? tgid : tid, parent));
}

/* ---- what a descriptor is -------------------------------------------- */

static struct fdkind *kind_slot(struct tproc *p, int fd)
{
    if (fd < 0 || fd >= 65536)
        return NULL;
    if (fd >= p->nfds) {
        int n = fd < 64 ? 64 : fd * 2;
        struct fdkind *m = realloc(p->fds, (size_t)n * sizeof *m);
        if (m == NULL)
            return NULL;
        memset(m + p->nfds, 0, (size_t)(n - p->nfds) * sizeof *m);
        p->fds = m;
        p->nfds = n;
    }
    return &p->fds[fd];
}

/* FD's kind and, for a socket, its type (SO_TYPE on a copy, once per inode). */
static int classify(struct tcall *tc)
{
    struct stat st;
    tc->kind = FI_K_OTHER;
    tc->socktype = 0;
    if (ft_fd_stat(tc->p->pid, tc->fd, &st) < 0)
        return -1;
    tc->mode = st.st_mode;
    if (S_ISFIFO(st.st_mode))
        tc->kind = FI_K_PIPE;
    if (!S_ISSOCK(st.st_mode))
        return 0;
    tc->kind = FI_K_SOCK;
    struct fdkind *k = kind_slot(tc->p, tc->fd);
    if (k != NULL && k->valid && k->dev == st.st_dev && k->ino == st.st_ino) {
        tc->socktype = k->socktype;
        return 0;
    }
    int copy = ft_fd_copy(tc->p->pidfd, tc->fd);
    socklen_t len = sizeof tc->socktype;
    if (copy >= 0) {
        if (getsockopt(copy, SOL_SOCKET, SO_TYPE, &tc->socktype, &len) < 0)
            tc->socktype = 0;
        close(copy);
    }
    if (k != NULL)
        *k = (struct fdkind){ st.st_dev, st.st_ino, tc->socktype, 1 };
    return 0;
}

static int et_registered(const struct tproc *p, int fd)
{
    return fd >= 0 && fd < p->net && p->et[fd];
}

static void et_mark(struct tproc *p, int fd, int on)
{
    if (fd < 0 || fd >= 65536)
        return;
    if (fd >= p->net) {
        if (!on)
            return;
        int n = fd < 64 ? 64 : fd * 2;
        unsigned char *m = realloc(p->et, (size_t)n);
        if (m == NULL)
            return;
        memset(m + p->net, 0, (size_t)(n - p->net));
        p->et = m;
        p->net = n;
    }
    p->et[fd] = (unsigned char)on;
}

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
    /* tcp_poll/unix_poll: POLLRDHUP once RCV_SHUTDOWN; a pipe: POLLHUP */
    struct pollfd pfd = { .fd = copy, .events = POLLIN | POLLRDHUP };
    if (tc->reading && poll(&pfd, 1, 0) == 1)
        s.fin = (pfd.revents & (tc->kind == FI_K_SOCK ? POLLRDHUP : POLLHUP)) != 0;
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

static int is_eagain(const struct fi_rule *r)
{
    return r->fault == FI_F_EAGAIN ||
           (r->fault == FI_F_ERROR && (r->arg == EAGAIN || r->arg == EWOULDBLOCK));
}

static enum fi_why possible(void *arg, const struct fi_rule *r)
{
    struct tcall *tc = arg;
    if (tc->wait)
        return r->fault == FI_F_EINTR ? eintr_wait(tc) : FI_WHY_OK;
    if (is_eagain(r)) {
        struct fdstate s = fd_state(tc);
        if (!(tc->dontwait || s.nonblock || (tc->kind == FI_K_SOCK && s.timeout)))
            return FI_WHY_BLOCKING;
        if (!tc->data)
            return FI_WHY_OK;
        if (tc->reading && s.fin)
            return FI_WHY_FIN;
        /* not yet: the write room, what a wait showed, the EPOLLET re-arm */
        if (!tc->reading || tc->p->waited || et_registered(tc->p, tc->fd))
            return FI_WHY_TRACE_TODO;
        return FI_WHY_OK;
    }
    switch (r->fault) {
    case FI_F_SHORT: {
        if (tc->kind == FI_K_SOCK && tc->socktype != 0 && tc->socktype != SOCK_STREAM)
            return FI_WHY_MESSAGE;
        if (!tc->reading || (tc->call != FI_C_READ && tc->call != FI_C_RECV &&
                             tc->call != FI_C_RECVFROM) || et_registered(tc->p, tc->fd))
            return FI_WHY_TRACE_TODO;
        struct fdstate s = fd_state(tc);
        return s.fin ? FI_WHY_FIN : FI_WHY_OK;
    }
    case FI_F_EINTR:
        return eintr_data(tc);
    default:
        return FI_WHY_OK;
    }
}

/* ---- one call -------------------------------------------------------- */

/* The bytes IOVCNT iovecs at IOV ask for. */
static long long iov_bytes(pid_t pid, uint64_t iov, uint64_t iovcnt)
{
    long long sum = 0;
    for (uint64_t i = 0; i < iovcnt && i < 1024; i++) {
        uint64_t v[2];
        if (ft_peek(pid, iov + i * 16, v, sizeof v) < 0)
            return sum;
        sum += (long long)v[1];
    }
    return sum;
}

static long long msg_bytes(pid_t pid, uint64_t msg)
{
    uint64_t m[4];              /* msg_name, msg_namelen, msg_iov, msg_iovlen */
    return ft_peek(pid, msg, m, sizeof m) < 0 ? 0 : iov_bytes(pid, m[2], m[3]);
}

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
        rings++;
        return -1;
    case SYS_epoll_ctl: {               /* which descriptors are edge-triggered */
        uint32_t ev;
        int op = (int)a[1], fd = (int)a[2];
        if (op == EPOLL_CTL_DEL)
            et_mark(tc->p, fd, 0);
        else if (a[3] != 0 && ft_peek(pid, a[3], &ev, sizeof ev) == 0)
            et_mark(tc->p, fd, (ev & EPOLLET_BIT) != 0);
        return -1;
    }
    default:
        return -1;
    }
    if (tc->wait) {
        tc->fd = -1;
        tc->p->waited = 1;
        return 0;
    }
    tc->reading = ((FI_RD_MASK >> tc->call) & 1u) || tc->call == FI_C_ACCEPT ||
                  tc->call == FI_C_ACCEPT4;
    tc->data = ((FI_RD_MASK | FI_WR_MASK) >> tc->call) & 1u;
    return 0;
}

static long long asked_of(const struct tcall *tc)
{
    const uint64_t *a = tc->c.args;
    switch (tc->call) {
    case FI_C_READV: case FI_C_WRITEV: return iov_bytes(tc->p->pid, a[1], a[2]);
    case FI_C_RECVMSG: case FI_C_SENDMSG: return msg_bytes(tc->p->pid, a[1]);
    default: return (long long)a[2];
    }
}

static void resume(pid_t tid, int how, int sig)
{
    ptrace(how, tid, NULL, (void *)(long)sig);      /* ESRCH: it died meanwhile */
}

/* The seccomp stop of T: decide, change the call, and resume it. */
static void at_seccomp(struct tthread *t)
{
    struct tcall tc = { .p = t->p, .t = t };
    if (ft_call_at(t->tid, &tc.c) < 0 || !tc.c.native || !t->p->execd || !t->p->active ||
        sort_call(&tc) < 0 || !(traced_mask & FI_BIT(tc.call))) {
        resume(t->tid, PTRACE_CONT, 0);
        return;
    }
    if (!tc.wait && classify(&tc) < 0) {        /* a bad descriptor: EBADF from the kernel */
        resume(t->tid, PTRACE_CONT, 0);
        return;
    }
    struct fi_callctx cc = {
        .call = tc.call, .fd = tc.fd, .kind = tc.kind, .socktype = tc.socktype,
        .callno = fi_decide_callno(&t->p->eng, tc.call), .possible = possible, .arg = &tc,
    };
    struct fi_rule r;
    uint64_t k;
    int rule = fi_decide_call(&t->p->eng, &cc, 1, &r, &k);
    if (rule < 0) {
        resume(t->tid, PTRACE_CONT, 0);
        return;
    }
    *t = (struct tthread){ .tid = t->tid, .p = t->p, .next = t->next, .pending = 1, .r = r,
                           .rule = rule, .k = k, .callno = cc.callno, .call = tc.call,
                           .fd = tc.fd, .data = tc.data, .asked = tc.data ? asked_of(&tc) : 0 };
    if (r.fault == FI_F_SHORT) {
        /* the kernel itself reads fewer bytes: the rest stays queued */
        if ((long long)tc.len > r.arg)
            ft_set_arg(t->tid, 2, (uint64_t)r.arg);
    } else {
        int e = r.fault == FI_F_EINTR ? EINTR : r.fault == FI_F_EAGAIN ? EAGAIN : (int)r.arg;
        t->set_ret = -(long long)e;
        /* Linux releases a descriptor whatever close says; an interrupted
         * connect goes on: both run, then report (faultinject.md, eintr) */
        if (tc.call == FI_C_CONNECT && r.fault == FI_F_EINTR)
            t->keep_error = 1;
        else if (tc.call != FI_C_CLOSE)
            ft_set_nr(t->tid, -1);
        int flags = tc.call == FI_C_SEND || tc.call == FI_C_SENDTO ? (int)tc.c.args[3]
                  : tc.call == FI_C_SENDMSG ? (int)tc.c.args[2] : 0;
        t->sigpipe = e == EPIPE && ((FI_WR_MASK >> tc.call) & 1u) && !(flags & MSG_NOSIGNAL);
    }
    resume(t->tid, PTRACE_SYSCALL, 0);
}

static void write_log(const struct tthread *t, long long ret)
{
    if (log_fd < 0)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char line[320];
    size_t len = fi_log_format(line, sizeof line, &(struct fi_logfields){
        .pid = t->p->pid, .tid = t->tid, .call = t->call, .fd = t->fd, .r = &t->r,
        .rule = t->rule, .k = t->k, .t_sec = (uint64_t)ts.tv_sec, .t_nsec = ts.tv_nsec,
        .data = t->data, .asked = t->asked, .ret = ret < 0 ? -1 : ret, .callno = t->callno,
        .proc = t->p->path, .image = t->p->image });
    if (write(log_fd, line, len) != (ssize_t)len)
        fprintf(stderr, "faultrun: log: %s\n", strerror(errno));
}

/* The syscall-exit stop after an injection: the result, the log line. */
static void at_exit_stop(struct tthread *t)
{
    long long ret = 0;
    if (t->pending && ft_get_ret(t->tid, &ret) == 0) {
        if (t->set_ret != 0 && !(t->keep_error && ret < 0 && ret != -EINTR)) {
            ft_set_ret(t->tid, t->set_ret);
            ret = t->set_ret;
        }
        write_log(t, ret);
        if (t->sigpipe)
            syscall(SYS_tgkill, t->p->pid, t->tid, SIGPIPE);
    }
    t->pending = 0;
    resume(t->tid, PTRACE_CONT, 0);
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
        if (strcmp(base ? base + 1 : buf, opts->only) == 0)
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
    return strcmp(base ? base + 1 : buf, opts->only) == 0;
}

/* A new image in T's process: call numbers and counters start again, as
 * a freshly loaded shim's would; x= numbers the images after the first. */
static void at_exec(struct tthread *t)
{
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &former);
    if ((pid_t)former != t->tid && thread_find((pid_t)former) != NULL)
        thread_gone((pid_t)former);
    struct tproc *p = t->p;
    if (p->execd)
        p->image++;
    p->execd = 1;
    p->restart = 0;                     /* caught signals are reset by exec */
    engine_start(p);
    p->active = opts->only == NULL || only_matches(p->pid);
    atomic_fetch_add(&opts->run->c.procs, 1);
    if (opts->only != NULL && p->active)
        atomic_fetch_add(&opts->run->c.only_matched, 1);
}

static int stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stop(pid_t tid, int status)
{
    int sig = WSTOPSIG(status), event = (unsigned)status >> 16;
    struct tthread *t = adopt(tid, NULL);
    if (sig == (SIGTRAP | 0x80)) {
        at_exit_stop(t);
        return;
    }
    switch (event) {
    case 0:                             /* a signal, delivered as it arrived */
        resume(tid, PTRACE_CONT, sig);
        return;
    case PTRACE_EVENT_SECCOMP:
        at_seccomp(t);
        return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE: {
        unsigned long child = 0;
        if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &child) == 0 && child > 0)
            adopt((pid_t)child, t->p);
        resume(tid, PTRACE_CONT, 0);
        return;
    }
    case PTRACE_EVENT_EXEC:
        at_exec(t);
        resume(tid, PTRACE_CONT, 0);
        return;
    case PTRACE_EVENT_STOP:
        /* a group-stop stays stopped until SIGCONT; any other (a new
         * tracee's first stop, a SIGCONT's wake-up) goes on */
        if (stop_signal(sig))
            resume(tid, PTRACE_LISTEN, 0);
        else
            resume(tid, PTRACE_CONT, 0);
        return;
    default:
        resume(tid, PTRACE_CONT, 0);
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
    if (o->sweep)
        refuse(reason, "cannot run --sweep yet");
    if (o->replay != NULL)
        refuse(reason, "cannot run --replay yet");
    for (int i = 0; i < o->rs.n; i++) {
        const struct fi_rule *r = &o->rs.rule[i];
        char text[512], what[700];
        fi_rule_format(r, text, sizeof text);
        const char *no = r->fault == FI_F_RESET ? "reset" : r->fault == FI_F_EOF ? "eof"
                       : r->fault == FI_F_STALL ? "stall" : r->fault == FI_F_DELAY ? "delay="
                       : r->per_fd ? "per=fd" : r->has_after ? "after="
                       : r->peer.on ? "peer=" : r->local.on ? "local=" : NULL;
        if (no != NULL) {
            snprintf(what, sizeof what, "cannot do rule %d '%s' yet: no %s", i + 1, text, no);
            refuse(reason, what);
        }
    }
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
    thread_add(pid, proc_new(pid, NULL));
    kill(pid, SIGCONT);
}

/* The calls a rule names that this backend does not trace yet. */
static void untraced_note(FILE *out)
{
    static const enum fi_call no[] = { FI_C_RECVMMSG, FI_C_SENDMMSG, FI_C_SENDFILE,
                                       FI_C_SPLICE_IN };
    unsigned mask = 0;
    for (int i = 0; i < opts->rs.n; i++)
        mask |= opts->rs.rule[i].calls;
    if (!(mask & (FI_BIT(FI_C_RECVMMSG) | FI_BIT(FI_C_SENDMMSG) | FI_BIT(FI_C_SENDFILE) |
                  FI_BIT(FI_C_SPLICE_IN) | FI_BIT(FI_C_SPLICE_OUT))))
        return;
    fprintf(out, "faultrun: trace: not traced yet, though the rules name them:");
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (mask & FI_BIT(no[i]))
            fprintf(out, " %s", fi_call_name(no[i]));
    fprintf(out, "\n");
}

int fr_trace_run(const struct fr_opts *o, const char *reason)
{
    opts = o;
    for (int i = 0; i < o->rs.n; i++) {
        const struct fi_rule *r = &o->rs.rule[i];
        traced_mask |= r->calls;
        want_sigaction |= r->fault == FI_F_EINTR;
        want_ready |= (is_eagain(r) || r->fault == FI_F_SHORT) &&
                      (r->calls & (FI_RD_MASK | FI_WR_MASK));
    }
    traced_mask &= ~(FI_BIT(FI_C_RECVMMSG) | FI_BIT(FI_C_SENDMMSG) | FI_BIT(FI_C_SENDFILE) |
                     FI_BIT(FI_C_SPLICE_IN) | FI_BIT(FI_C_SPLICE_OUT));
    if (o->log != NULL && (log_fd = open(o->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                                         0644)) < 0) {
        fprintf(stderr, "faultrun: log '%s': %s\n", o->log, strerror(errno));
        exit(2);
    }
    struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = pass_on };
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGQUIT, &ign, NULL);
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    start(o->argv);
    int status = 0, command_status = 0;
    for (;;) {
        pid_t tid = waitpid(-1, &status, __WALL);
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
        thread_gone(tid);
    }
    if (!o->quiet) {
        const struct fi_run_counts *c = &o->run->c;
        int not_started = atomic_load(&c->procs) == 0 && WIFEXITED(command_status) &&
                          (WEXITSTATUS(command_status) == 126 ||
                           WEXITSTATUS(command_status) == 127);
        if (!not_started) {
            fprintf(stderr, "faultrun: backend trace: %s\n", reason);
            untraced_note(stderr);
            if (rings > 0)
                fprintf(stderr, "faultrun: trace: warning: %lu io_uring ring%s set up: the reads "
                        "and writes a ring carries are not system calls the rules can reach\n",
                        rings, rings == 1 ? " was" : "s were");
            fi_summary_print(stderr, &(struct fi_summary){
                .prefix = "faultrun", .rs = &o->rs, .c = c, .run = o->run, .only = o->only });
        }
    }
    return command_status;
}

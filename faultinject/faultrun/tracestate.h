/* tracestate.h: what the trace backend knows of the processes and
 * threads it traces (faultinject.md, Backends): one engine per traced
 * process (decide.h), its fork path and p= stream, its descriptors' kinds
 * (its epoll registrations: traceepoll.h); per thread, the fault it finishes at the syscall
 * exit; per stopped call, what possible() asks about.
 *
 * Owner: tracestate.c (processes, threads, descriptor kinds); the run's
 * settings (struct tr_run) are trace.c's, read by the other modules.
 */
#ifndef FI_TRACESTATE_H
#define FI_TRACESTATE_H

#include "decide.h"
#include "faultrun.h"
#include "tracee.h"
#include "tracefd.h"
#include "tracewait.h"
#include "tracexfer.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

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
    uint64_t restart;           /* signals whose handler has SA_RESTART (bit N-1) */
    struct fdkind *fds;
    int nfds;
    struct te_table *ep;        /* epoll registrations (traceepoll.c) */
    struct ts_table *shown;     /* readiness the waits showed (traceshown.c) */
    struct tf_table *fdst;      /* per-descriptor state (tracefd.c) */
};

/* One traced thread, and the fault it waits to finish at the syscall exit. */
struct tthread {
    pid_t tid;
    struct tproc *p;
    struct tthread *next;
    int pending;                /* 0, or a fault to finish at the exit stop */
    long long set_ret;          /* 1: the result to give (0: keep the kernel's) */
    int keep_error;             /* connect:eintr: a failure of its own wins */
    int logged;                 /* its log line is written (a result fixed at the entry) */
    int sigpipe;
    struct fi_rule r;
    int rule;
    uint64_t k, callno;
    enum fi_call call;
    int fd, data;
    long long asked;
    struct tx_undo undo;        /* registers a short changed (tracexfer.c) */
    struct tw_note note;        /* a wait, peek or epoll_ctl to note at the exit */
    struct tf_pending fdp;      /* a data call to count for after= (tracefd.c) */
    struct {                    /* a call the kernel restarts (tracerestart.c) */
        int on;
        long nr;
        uint64_t args[6];
    } rs;
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
    uint64_t shown;             /* what a wait or peek showed (traceshown.h) */
    long long room;             /* bytes the call surely moves: a write's room,
                                 * a read's peeked bytes; -1 none known */
};

/* The run's settings, set once by fr_trace_run before COMMAND starts. */
struct tr_run {
    const struct fr_opts *opts;
    unsigned traced_mask;       /* the call families the filter stops */
    int want_sigaction, want_ready;
    int replaying;              /* --replay: these decide, not the rules (tracereplay.h) */
    int (*replay)(void *ctx, const struct fi_callctx *c, struct fi_rule *r, int *rule);
    void (*replay_refused)(void *ctx, const struct fi_callctx *c);
    unsigned long rings;        /* io_uring_setup calls seen (every one is stopped) */
    int log_fd;
};
extern struct tr_run tr_run;

/* A fresh engine for P's new image: the rules as loaded, counters at 0. */
void tr_engine_start(struct tproc *p);

/* The traced process PID, or NULL. */
struct tproc *tr_proc_find(pid_t pid);

/* A new traced process PID: COMMAND (PARENT NULL) or PARENT's child. */
struct tproc *tr_proc_new(pid_t pid, const struct tproc *parent);

struct tthread *tr_thread_find(pid_t tid);
struct tthread *tr_thread_add(pid_t tid, struct tproc *p);

/* TID is gone; its process with its last thread. */
void tr_thread_gone(pid_t tid);

/* TID, new or known: a thread of a traced process, or a new process
 * (the child of PARENT when known, else of its parent process). */
struct tthread *tr_adopt(pid_t tid, struct tproc *parent);

/* TC's descriptor's kind and, for a socket, its type; -1 if it is not open. */
int tr_classify(struct tcall *tc);

#endif

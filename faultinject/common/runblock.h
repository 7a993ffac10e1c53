/* runblock.h: one run of faultrun, shared by every process in it
 * (faultinject.md, Never silent, Deterministic, Replay).
 *
 * Owner: runblock.c (the block's layout, creation and process table).
 * faultrun creates the block in a memfd (not close-on-exec) and names its
 * descriptor in FAULTINJECT_TALLY_FD; every process of the run maps it
 * MAP_SHARED when the shim loads (shim/tally.c), so forked and exec'd
 * children, `sh -c` pipelines and fork servers all add to the same counts.
 * Nothing is left behind (the memfd goes with the last process); no locks,
 * only atomics. Without the block (bare LD_PRELOAD) the counts stay in the
 * process.
 */
#ifndef FI_RUNBLOCK_H
#define FI_RUNBLOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rules.h"
#include "why.h"

enum fi_tally {
    FI_T_MATCHED,    /* a call matched the rule's CALLS, fd=, peer=, local= */
    FI_T_FIRED,      /* the rule injected its fault */
    FI_T_BLOCKED,    /* due to fire, but the kernel could not give the fault
                      * here (eagain on a blocking fd, short on a datagram) */
};

#define FI_RUN_ENV    "FAULTINJECT_TALLY_FD"
#define FI_RUN_PID_ENV "FAULTINJECT_TALLY_PID"  /* faultrun's pid: /proc/PID/fd/FD */
#define FI_RUN_MAGIC  0x66726e7431000004ULL   /* "frnt1", layout 4 */
#define FI_RUN_PROCS  8192      /* process table entries (more: not recorded) */
#define FI_PATH_MAX   48        /* a fork path: "0.3.1" */

/* Per rule: FI_T_MATCHED, FI_T_FIRED, FI_T_BLOCKED (tally.h); the
 * FI_T_BLOCKED calls again per reason (why.h); the highest when= count
 * any process (or descriptor, per=fd) reached, for "when=N beyond". */
struct fi_run_counts {
    _Atomic uint64_t rule[FI_MAX_RULES][3];
    _Atomic uint64_t why[FI_MAX_RULES][FI_WHY_COUNT];
    _Atomic uint64_t max_k[FI_MAX_RULES];
    _Atomic uint64_t stdio_sockets;   /* sockets handed to stdio under rules */
    _Atomic uint64_t only_matched;    /* processes --only named */
    _Atomic uint64_t procs;           /* processes that loaded the shim */
    _Atomic uint64_t replay_found;    /* recorded faults injected again */
    _Atomic uint64_t sandboxed;       /* processes that installed a seccomp filter */
    _Atomic uint64_t reattached;      /* processes that found the block by faultrun's pid */
};

/* pid -> fork path, so that an exec'd image (same pid) keeps its path.
 * An entry is published by storing pid last; start (the process's start
 * time, /proc/PID/stat field 22) tells a reused pid from the old one. */
struct fi_run_proc {
    _Atomic int pid;
    uint64_t start;
    _Atomic uint32_t children;        /* fork numbers handed out so far */
    _Atomic uint32_t images;          /* exec'd images after the first */
    _Atomic uint32_t sandboxed;       /* installed a seccomp filter (sandbox.h) */
    char name[16];                    /* its program name, when sandboxed */
    char path[FI_PATH_MAX];
};

struct fi_run {
    uint64_t magic;
    struct fi_run_counts c;
    _Atomic uint32_t nprocs;
    struct fi_run_proc proc[FI_RUN_PROCS];
};

/* faultrun: a new zeroed block; *FD is its descriptor (>= 100 where
 * possible, so that COMMAND's own descriptor numbers do not move).
 * NULL with errno on failure. */
struct fi_run *fi_run_create(int *fd);

/* faultrun --sweep: zero the counts and the process table between runs. */
void fi_run_reset(struct fi_run *run);

/* FD mapped if it is a run's block (faultrun's memfd, the right size and
 * magic); NULL if not. */
struct fi_run *fi_run_map(int fd);

/* Process table: registers PID (start time START) with PATH; the entry or
 * NULL when the table is full. fi_run_find: the latest entry for PID with
 * that start time, or NULL. */
struct fi_run_proc *fi_run_register(struct fi_run *run, pid_t pid, uint64_t start,
                                    const char *path);
struct fi_run_proc *fi_run_find(struct fi_run *run, pid_t pid, uint64_t start);

/* The counts C (NULL: none kept): RULE's (0-based) WHAT plus one; a
 * reason RULE could not fire (counted FI_T_BLOCKED too); the highest
 * when= count K reached. Lock-free, async-signal-safe. */
static inline void fi_counts_tally(struct fi_run_counts *c, int rule, enum fi_tally what)
{
    if (c == NULL || rule < 0 || rule >= FI_MAX_RULES || (unsigned)what > FI_T_BLOCKED)
        return;
    atomic_fetch_add_explicit(&c->rule[rule][what], 1, memory_order_relaxed);
}

void fi_counts_blocked(struct fi_run_counts *c, int rule, enum fi_why why);

static inline void fi_counts_reached(struct fi_run_counts *c, int rule, uint64_t k)
{
    if (c == NULL || rule < 0 || rule >= FI_MAX_RULES)
        return;
    _Atomic uint64_t *m = &c->max_k[rule];
    uint64_t old = atomic_load_explicit(m, memory_order_relaxed);
    while (old < k && !atomic_compare_exchange_weak_explicit(m, &old, k, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

/* PID's start time (clock ticks since boot), or 0 if unknown.
 * Raw system calls only: safe in a fork child handler. */
uint64_t fi_proc_start_time(pid_t pid);

#endif

/* jobs.h: runs of COMMAND side by side, for faultrun --sweep -j N and
 * --shard (faultinject.md, Sweep). Owner: jobs.c.
 *
 * Each run is its own process group with its own run block (the shared
 * counters), and its stdout, stderr and -l log go to memory files that the
 * caller writes out when the run's turn comes (fr_job_emit), so that what
 * N runs print comes out in point order. stdin is /dev/null: N runs cannot
 * share one input. */
#ifndef FI_JOBS_H
#define FI_JOBS_H

#include <stdint.h>
#include <sys/types.h>

#include "faultrun.h"
#include "runblock.h"

struct fr_job {
    uint64_t point;          /* the sweep point it runs (when=POINT) */
    pid_t pid;               /* while it runs; 0 once reaped */
    int used;                /* started and not yet closed */
    int done;                /* reaped: status, fired and counts are set */
    int status;              /* wait status */
    int fired;               /* the rule fired in the run */
    struct fi_run_counts counts;   /* the run's counts, copied when reaped */
    int out, err, log;       /* what it wrote: memory files (log: -1 without -l) */
    struct fi_run *run;      /* its block, until reaped */
    int run_fd;
};

/* Before the first run: the terminal's signals and SIGTERM, SIGHUP that
 * reach faultrun are passed on to every running run's group (the runs are
 * not in faultrun's group, so the terminal reaches only faultrun); the
 * run block faultrun made for a single run is no longer inherited. */
void fr_jobs_begin(void);

/* Starts ARGV with FAULTINJECT_RULES=RULE as the run of POINT in J (an
 * unused slot), with a log of its own when O->log is set. Exits 2 when it
 * cannot (fork, memfd). */
void fr_job_start(struct fr_job *j, const struct fr_opts *o, uint64_t point, const char *rule);

/* Waits for one of the N slots in JOBS to end: that job, reaped (done,
 * status, fired, counts set; its block let go). NULL when a signal
 * interrupted the wait (the caller may redraw and wait again). */
struct fr_job *fr_job_wait(struct fr_job *jobs, size_t n);

/* Writes out what the done job J printed (stdout to 1, stderr to 2) and
 * logged (appended to LOG, when not NULL). */
void fr_job_emit(const struct fr_job *j, const char *log);

/* Kills J's process group if it still runs (SIGKILL, then reaps it), and
 * frees the slot: its output and log are discarded. */
void fr_job_close(struct fr_job *j);

#endif

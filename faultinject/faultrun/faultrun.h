/* faultrun.h: faultrun's options, parsed once (faultrun.c) and read by
 * the sweep (sweep.c), the shrink (shrink.c) and the summary. A header of data only: faultrun.c
 * uses sweep.c and launch.c, never the other way round. */
#ifndef FI_FAULTRUN_H
#define FI_FAULTRUN_H

#include <stdint.h>

#include "rules.h"
#include "runblock.h"

#define FR_JOBS_MAX 64       /* -j: each run holds a few descriptors until written out */

struct fr_opts {
    char rules[8192];        /* every -e as given, joined with ';' (for the shim) */
    struct fi_ruleset rs;    /* the same rules, parsed */
    uint64_t seed;
    const char *log;
    const char *only;
    const char *replay;      /* --replay LOG */
    unsigned long replay_faults;  /* faults LOG records */
    int sweep;
    int quiet;
    const char *backend;     /* --backend: "auto" (default), "preload" or "trace" */
    uint64_t sweep_max;
    unsigned jobs;           /* -j N: runs at a time (1..FR_JOBS_MAX; default 1) */
    int jobs_given;          /* -j was given */
    const char *shard;       /* --shard K/N as given (sweep.c reads it), or NULL */
    uint64_t shard_k, shard_n;  /* the points P with P % N == K; 0/1 when not given */
    const char *shrink;      /* --shrink LOG */
    const char *shrink_out;  /* --shrink-out FILE (NULL: LOG.min) */
    unsigned long shrink_timeout_ms;  /* --shrink-timeout, in ms */
    unsigned shrink_runs;    /* --shrink-runs N */
    int shrink_opts;         /* some --shrink-* option was given */
    const char *self;        /* how faultrun was invoked, for reproduce lines */
    char **argv;             /* COMMAND [ARG...] */
    char **run_argv;         /* what a sweep's run starts (NULL: argv; under the trace
                              * backend faultrun itself, traceinner.h) */
    int from_env;            /* --trace-from-env: one traced run of a sweep (traceinner.h) */
    struct fi_run *run;      /* the run's shared counters */
};

#endif

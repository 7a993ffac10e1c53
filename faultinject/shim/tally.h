/* tally.h: per-rule counts over every process of a run, for faultrun's
 * end-of-run summary (faultinject.md, Never silent).
 *
 * Owner: tally.c (also this process's attachment to the run's block,
 * common/runblock.h). The engine reports each rule's matched calls, injected
 * faults and "could not fire here" calls; tally.c adds them lock-free to
 * the run's shared counters (when faultrun set them up) so that forked and
 * exec'd children add to the same lines. Async-signal-safe.
 */
#ifndef FI_TALLY_H
#define FI_TALLY_H

#include <stdint.h>

#include "runblock.h"
#include "why.h"

/* Adds one to RULE's (0-based) count WHAT. */
void fi_tally(int rule, enum fi_tally what);

/* RULE was due to fire but could not, for WHY (not FI_WHY_OK): counted
 * as FI_T_BLOCKED. */
void fi_tally_blocked(int rule, enum fi_why why);

/* RULE's when= count reached K in some process (or descriptor): the
 * summary warns about a when= past every count reached. */
void fi_tally_reached(int rule, uint64_t k);

/* A socket was handed to stdio (fdopen) while rules were active: calls
 * glibc makes inside stdio are beyond the shim's reach. */
void fi_tally_stdio_socket(void);

/* The shim: maps the block named by FAULTINJECT_TALLY_FD if it is one.
 * A program may have closed it before exec'ing (sshd closes every
 * inherited descriptor) or reused the number: then the block is opened
 * again as faultrun holds it (/proc/FAULTINJECT_TALLY_PID/fd/FD), else
 * nothing. */
struct fi_run *fi_run_attach(void);

/* The descriptor of the block this process attached to (close, close_range
 * and closefrom spare it), or -1; checked to be still the block's (one
 * fstat: ask only when about to close that number, never in a sandbox). */
int fi_run_fd(void);

/* The same number, unchecked (one load: close's fast path asks this first). */
int fi_run_fd_number(void);

/* The block this process adds to, or NULL (bare LD_PRELOAD). */
struct fi_run *fi_run_shared(void);

/* What this process counts into: the block's counts, or its own. */
struct fi_run_counts *fi_run_counts(void);


#endif

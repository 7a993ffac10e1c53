/* tally.h: per-rule counts over every process of a run, for faultrun's
 * end-of-run summary (faultinject.md, Never silent).
 *
 * Owner: tally.c. The engine reports each rule's matched calls, injected
 * faults and "could not fire here" calls; tally.c adds them lock-free to
 * the run's shared counters (when faultrun set them up) so that forked and
 * exec'd children add to the same lines. Async-signal-safe.
 */
#ifndef FI_TALLY_H
#define FI_TALLY_H

enum fi_tally {
    FI_T_MATCHED,    /* a call matched the rule's CALLS, fd=, peer=, local= */
    FI_T_FIRED,      /* the rule injected its fault */
    FI_T_BLOCKED,    /* due to fire, but the kernel could not give the fault
                      * here (eagain on a blocking fd, short on a datagram) */
};

#include <stdint.h>

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
void fi_tally_stdio_socket(int fd);

#endif

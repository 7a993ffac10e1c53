/* summary.h: the end-of-run summary of faultinject.md (Never silent):
 * one line per rule (matched calls, faults injected, calls where it could
 * not fire), a warning for a rule that matched nothing with its usual
 * causes, for an --only that named no process, for sockets handed to
 * stdio, and under --replay how many recorded faults found their point.
 *
 * Owner: summary.c. Printed by faultrun over the whole run, and by a
 * process under bare LD_PRELOAD with FAULTINJECT_SUMMARY=1 for itself.
 */
#ifndef FI_SUMMARY_H
#define FI_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "rules.h"
#include "runblock.h"

struct fi_summary {
    const char *prefix;                 /* "faultrun" or "faultinject" */
    const struct fi_ruleset *rs;        /* the rules (none under --replay) */
    const struct fi_run_counts *c;
    const struct fi_run *run;           /* the process table, or NULL */
    const char *only;                   /* --only NAME, or NULL */
    int replay;                         /* a replay ran ... */
    unsigned long replay_total;         /* ... of this many recorded faults */
    int traced;                         /* the trace backend ran it */
};

void fi_summary_print(FILE *out, const struct fi_summary *s);

/* RULE's "could not fire" counts per reason, as "189: blocking descriptor;
 * 1: message socket" (empty when there are none). */
void fi_summary_reasons(const struct fi_run_counts *c, int rule, char *buf, size_t len);

/* The usual reasons a rule matches no call, for the summary and --sweep
 * (TRACED: under the trace backend, which sees stdio's and raw calls). */
const char *fi_summary_causes(int traced);

#endif

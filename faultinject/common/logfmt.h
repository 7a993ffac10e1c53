/* logfmt.h: writes one line of the injection log of faultinject.md (Log):
 *   pid tid call fd fault n=K rule=I t=SECONDS[ asked=N ret=R] c=C proc=PATH[ x=E]
 * the line logparse.h reads back. The shim (shim/filog.c) and the trace
 * backend (faultrun/trace.c) both write through it, so a log from either
 * reads, replays and shrinks the same.
 *
 * Owner: logfmt.c. Pure: no I/O, no allocation, no stdio: async-signal-safe.
 */
#ifndef FI_LOGFMT_H
#define FI_LOGFMT_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "rules.h"

/* One injection, with everything its line says. */
struct fi_logfields {
    long pid, tid;
    enum fi_call call;
    int fd;                    /* -1 for a wait */
    const struct fi_rule *r;   /* the fault (and its value) that fired */
    int rule;                  /* the rule's index, from 0 (logged from 1) */
    uint64_t k;                /* the call's number for that rule */
    uint64_t t_sec;            /* CLOCK_MONOTONIC when it fired */
    long t_nsec;
    int data;                  /* a data call: asked= and ret= follow */
    long long asked, ret;
    uint64_t callno;           /* c= */
    const char *proc;          /* proc=: the fork path */
    unsigned image;            /* x= when > 0 */
    const struct fi_point *pt; /* o= q= off= (replay point), or NULL */
};

/* The line for F, newline included, into BUF (CAP bytes, NUL-terminated,
 * cut to fit); its length. 320 bytes always hold it. */
size_t fi_log_format(char *buf, size_t cap, const struct fi_logfields *f);

/* (R's fault as the log writes it: fi_fault_text, logparse.h: the names
 * come from names.h, as the parser reads them.) */

#endif

/* filog.h: the injection log of faultinject.md (Log):
 *   pid tid call fd fault n=K rule=I t=SECONDS[ asked=N ret=R] c=C proc=PATH[ x=E]
 *       [ o=ORD q=POS[ off=BYTES]]
 * c= is the call's number among the calls of that name of this process
 * image (engine.h), proc= the fork path and x= the image after an exec
 * (proc.h; absent for the first); o=, q= and off= the point that replay
 * matches (decide.h, struct fi_point: a wait has q= only, a data call
 * off= too; none when no point is known); --replay needs nothing else.
 *
 * One line per injection, written with a single write() on a descriptor
 * opened O_APPEND for that line alone, so lines from threads and forked
 * children never interleave and a program that closes or dup2()s over
 * descriptors cannot redirect the log. Async-signal-safe: no malloc, no stdio.
 */
#ifndef FI_FILOG_H
#define FI_FILOG_H

#include "decide.h"
#include "rules.h"

/* Remembers PATH (made absolute against the current directory) and checks
 * it can be opened for appending. 0, or -1 with a message in ERR. */
int fi_log_init(const char *path, char *err, size_t errlen);

/* One injection, as the shim knows it once the call has returned. */
struct fi_logrec {
    enum fi_call call;
    int fd;
    const struct fi_rule *r;   /* the fault (and its value) that fired */
    int rule;                  /* the rule's index, from 0 (logged from 1) */
    uint64_t k;                /* the call's number for that rule */
    uint64_t callno;           /* the call's number by name in this image */
    int data;                  /* a data call: asked= and ret= follow */
    long long asked;           /* bytes the program asked to move */
    long long ret;             /* what the program got back (-1: error) */
    const struct fi_point *pt; /* the call's replay point; NULL: none */
};

/* Nonzero when a log was set up (fi_log_init with a path). */
int fi_log_active(void);

/* Just before a seccomp filter (sandbox.h): opens the log once and keeps
 * it, so that a line then costs one write(2) and no openat. */
void fi_log_hold(void);

/* Appends the line for REC if a log was set up. */
void fi_log_injection(const struct fi_logrec *rec);

#endif

/* logparse.h: reads back the injection log of faultinject.md (Log):
 *   pid tid call fd fault n=K rule=I t=SECONDS[ asked=N ret=R] c=C proc=PATH[ x=E]
 *       [ o=ORD q=POS[ off=BYTES]]
 * for faultrun --replay (which checks the whole log before COMMAND runs)
 * and the shim's replay.c (which loads it).
 *
 * Owner: logparse.c. Pure: no I/O, no allocation, no global state.
 * Fields are separated by spaces or tabs. After t= the key=value fields
 * may come in any order, each at most once; c= and proc= are required
 * (--replay needs them), asked= and ret= come together or not at all,
 * other key=value fields are allowed and ignored (the spec lets more
 * fields follow). Blank lines and lines starting with '#' are skipped, so
 * a log can be shrunk by commenting lines out as well as deleting them.
 * Ranges: pid and tid 1..4194304 (Linux's PID_MAX_LIMIT), fd -1..2^31-1,
 * n and c from 1, rule 1..16, t SECONDS.NNNNNNNNN, asked 0..2^62,
 * ret -1..2^62, proc 0[.N]... (N from 1, at most 47 characters), x 1..2^31
 * (absent: 0, the first image); the
 * fault must be one the rule language allows on that call.
 * The replay point (decide.h, struct fi_point), written since issue 18:
 * o= (0..2^62) and q= (1..2^62) come together on a line with a
 * descriptor, and off= (0..2^62) with them exactly when the line is a
 * data call's (asked=/ret=); a wait's line (fd -1) has q= alone. A line
 * with none of them (an older log) has point kind FI_PT_NONE: replay
 * matches it by c= as before; any other mix is refused.
 */
#ifndef FI_LOGPARSE_H
#define FI_LOGPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"
#include "rules.h"

#define FI_LOG_PATH_MAX 48

struct fi_logline {
    long pid, tid;
    enum fi_call call;          /* splice: FI_C_SPLICE_IN (the log says "splice") */
    int fd;
    struct fi_rule fault;       /* fault and arg; calls: that call's bit(s) */
    uint64_t n;                 /* n=: the call's number for its rule */
    int rule;                   /* rule=, from 0 */
    uint64_t t_sec;
    uint32_t t_nsec;
    int data;                   /* asked= and ret= were given */
    long long asked, ret;
    uint64_t callno;            /* c= */
    char proc[FI_LOG_PATH_MAX]; /* proc= */
    unsigned image;             /* x=, 0 when absent */
    struct fi_point pt;         /* o=, q=, off=; kind FI_PT_NONE when absent */
    const char *text;           /* the line itself, TEXTLEN bytes (no newline) */
    size_t textlen;
};

/* Formats R's fault as the log writes it ("short=3", "error=EPIPE",
 * "eintr": names.h's word, then '=' and the value if it takes one) into
 * BUF (at least FI_LOG_FAULT_MAX bytes); returns its length.
 * Async-signal-safe (the shim's log writer calls it): no stdio. */
#define FI_LOG_FAULT_MAX 48
size_t fi_fault_text(const struct fi_rule *r, char *buf);

/* Parses one line TEXT[0..LEN) (no newline). 1: a fault in *OUT; 0: a
 * blank or '#' line; -1: not a log line, with what is wrong in ERR. */
int fi_logline_parse(const char *text, size_t len, struct fi_logline *out, char *err,
                     size_t errlen);

/* Called for each fault line; nonzero stops the parse (returned as -1
 * with ERR as the callback left it). */
typedef int (*fi_logline_fn)(const struct fi_logline *line, void *arg);

/* Parses a whole log TEXT[0..LEN): the number of fault lines, or -1 with
 * "line N: what is wrong" in ERR. EACH may be NULL (just checking). */
long fi_log_parse(const char *text, size_t len, fi_logline_fn each, void *arg, char *err,
                  size_t errlen);

#endif

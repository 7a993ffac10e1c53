/* filog.h: the injection log of faultinject.md ("pid tid call fd fault n=K").
 *
 * One line per injection, written with a single write() on a descriptor
 * opened O_APPEND for that line alone, so lines from threads and forked
 * children never interleave and a program that closes or dup2()s over
 * descriptors cannot redirect the log. Async-signal-safe: no malloc, no stdio.
 */
#ifndef FI_FILOG_H
#define FI_FILOG_H

#include "rules.h"

/* Remembers PATH (made absolute against the current directory) and checks
 * it can be opened for appending. 0, or -1 with a message in ERR. */
int fi_log_init(const char *path, char *err, size_t errlen);

/* Appends "pid tid CALL FD FAULT n=K\n" if a log was set up. */
void fi_log_injection(enum fi_call call, int fd, const struct fi_rule *r, uint64_t k);

/* Formats R's fault as the log writes it ("short=3", "error=EPIPE", ...)
 * into BUF (at least 48 bytes); returns its length. */
size_t fi_fault_text(const struct fi_rule *r, char *buf);

#endif

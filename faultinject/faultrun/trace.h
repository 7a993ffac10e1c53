/* trace.h: faultrun's trace backend (faultinject.md, Backends): COMMAND
 * runs under a supervisor that ptraces it, with a seccomp filter that
 * stops only the system calls some rule names; the decision is the
 * shim's own engine (decide.h), one per traced process, and the log and
 * summary are the shim's.
 *
 * Owner: trace.c (the supervisor: filter, start, wait loop, exec, the
 * summary); tracestate.c the processes, threads and descriptor kinds;
 * tracecall.c one call (decision, change, result, log line);
 * tracepossible.c whether the kernel could give a fault there; tracee.c
 * reads and changes a stopped tracee. x86_64 only.
 *
 * This slice (faultinject/NOTES.md, "Trace backend"): short on read,
 * recv and recvfrom; eintr, eagain and error= on every call the rules
 * name. What the spec promises but this backend cannot yet give
 * faithfully is refused before COMMAND runs (reset, eof, stall, delay,
 * per=fd, after=, peer=, local=, --sweep, --replay) or counted "could not
 * fire (not yet under the trace backend)" where it depends on the call.
 */
#ifndef FI_TRACE_H
#define FI_TRACE_H

#include "faultrun.h"

/* Before anything runs: exits 2 with a message naming what the trace
 * backend (chosen because of REASON) cannot do with O, or this kernel or
 * build cannot trace. */
void fr_trace_check(const struct fr_opts *o, const char *reason);

/* Runs O->argv traced, prints the summary unless O->quiet (naming the
 * backend and REASON), and returns COMMAND's wait status. */
int fr_trace_run(const struct fr_opts *o, const char *reason);

#endif

/* tracecall.h: one traced call (faultinject.md, Backends): at its
 * seccomp stop, the decision and the change (a lower count, or the call
 * skipped); at its syscall-exit stop, the result and the log line.
 *
 * Owner: tracecall.c.
 */
#ifndef FI_TRACECALL_H
#define FI_TRACECALL_H

#include "tracestate.h"

/* The seccomp stop of T: decide, change the call, and resume it. */
void tr_at_seccomp(struct tthread *t);

/* The syscall-exit stop after an injection: the result, the log line. */
void tr_at_exit_stop(struct tthread *t);

/* T's pending fault ends with the program's result RET: the registers
 * back, the result set where the fault gives one, the log line. */
void tr_finish(struct tthread *t, long long ret);

/* Resumes TID with ptrace request HOW, delivering SIG (ESRCH ignored). */
void tr_resume(pid_t tid, int how, int sig);

#endif

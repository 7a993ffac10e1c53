/* tracerestart.h: a call the kernel restarts after a signal is one call
 * of the program (faultinject.md, Backends: the rules see the calls the
 * program makes; the shim sees one libc call however often the kernel
 * restarts it), so its restart is neither counted nor decided again, and
 * a fault it carries (a lowered count) holds through the restart.
 *
 * Owner: tracerestart.c: each thread's restart mark (struct tthread's rs).
 * A call interrupted by a signal comes back from the kernel with one of
 * its restart codes; at the signal's delivery stop the handler's flags
 * (SA_RESTART, as rt_sigaction set them) say whether it restarts.
 */
#ifndef FI_TRACERESTART_H
#define FI_TRACERESTART_H

#include "tracestate.h"

/* Whether RET (a syscall-exit value) is a restart code: not over yet. */
int trr_restarting(long long ret);

/* At T's signal-delivery stop for SIG: if T stopped inside a call the
 * kernel restarts once SIG is handled, marks it and returns 0; 1 when T
 * has a fault pending on a call that is not restarted (it returns EINTR:
 * the caller ends the fault so, tracecall.h's tr_finish). */
int trr_at_signal(struct tthread *t, int sig);

/* At T's seccomp stop for C: 1 when C is T's marked call coming back (the
 * mark is taken), else 0. */
int trr_is_restart(struct tthread *t, const struct ft_call *c);

#endif

/* tracepossible.h: whether the kernel could give a fault at a traced
 * call (faultinject.md, Promises; shim.c's possible with the tracee's
 * state): the engine's possible() callback for the trace backend.
 *
 * Owner: tracepossible.c. ARG is the call's struct tcall.
 */
#ifndef FI_TRACEPOSSIBLE_H
#define FI_TRACEPOSSIBLE_H

#include "tracestate.h"

enum fi_why tr_possible(void *arg, const struct fi_rule *r);

/* R is an eagain: eagain itself or error=EAGAIN. */
int tr_is_eagain(const struct fi_rule *r);

#endif

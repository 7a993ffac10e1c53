/* traceinner.h: a sweep under the trace backend (faultinject.md, Sweep
 * and Backends: the same sweep through either backend). Under preload a
 * sweep's run is COMMAND with the shim's settings in its environment
 * (FAULTINJECT_RULES, _SEED, _LOG, _ONLY and the run's counters); under
 * trace it is faultrun itself, `faultrun --trace-from-env -- COMMAND`,
 * which reads the same settings and traces that one run, adding to the
 * sweep's counters, printing nothing of its own. A shrink's candidate
 * runs so too, with FAULTINJECT_REPLAY (its subset of the log).
 *
 * Owner: traceinner.c. Startup code: bad settings exit 2 with a message.
 */
#ifndef FI_TRACEINNER_H
#define FI_TRACEINNER_H

#include "faultrun.h"

#define FR_FROM_ENV_OPTION "trace-from-env"

/* What each of O's sweep runs starts: faultrun --trace-from-env -- ARGV. */
char **fr_trace_inner_argv(const struct fr_opts *o, const char *reason);

/* In that run: O's rules or replay, seed, log, --only and counters from
 * the environment; quiet. */
void fr_trace_inner_opts(struct fr_opts *o);

/* Why the sweep chose the trace backend, as it said. */
const char *fr_trace_inner_reason(void);

#endif

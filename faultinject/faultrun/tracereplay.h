/* tracereplay.h: --replay LOG under the trace backend (faultinject.md,
 * Replay). The recorded faults replace the rules: each is injected once,
 * in the same process (proc=, and x= after an exec), at the same call by
 * its number (c=) on the same descriptor number. That is how the trace
 * backend's own logs are written (it numbers calls, not descriptors: no
 * o=, q=, off=); a line with such a point (written by the shim) is
 * refused with the reason, as its point cannot be found here.
 *
 * Owner: tracereplay.c: one table for every traced process of the run.
 */
#ifndef FI_TRACEREPLAY_H
#define FI_TRACEREPLAY_H

#include "decide.h"
#include "runblock.h"

#include <stddef.h>

/* Loads LOG (PATH): its faults, or -1 with why in ERR. */
long trp_load(const char *path, char *err, size_t errlen);

/* The calls the recorded faults name (1u << FI_C_*), and whether some is a
 * short or eagain on a data call (readiness must be watched). */
unsigned trp_mask(void);
int trp_watches_ready(void);

/* struct fi_engine_host's replay and replay_refused for the traced
 * process CTX (a struct tproc); found faults are counted in COUNTS. */
void trp_counts(struct fi_run_counts *counts);
int trp_decide(void *ctx, const struct fi_callctx *c, struct fi_rule *r, int *rule);
void trp_refused(void *ctx, const struct fi_callctx *c);

#endif

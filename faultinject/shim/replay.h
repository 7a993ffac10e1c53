/* replay.h: --replay LOG on the shim's side (faultinject.md, Replay).
 *
 * Owner: replay.c. Under FAULTINJECT_REPLAY the recorded faults replace
 * the rules. A line with a point (logparse.h: o=, q=, off=) is injected at
 * the same process (fork path, and program image after an exec: x=), the
 * same descriptor by ordinal (o=; o=0: by its number), the same call, and
 * there at the first call whose position is at or past the recorded one:
 * a data call's (off=, q=) compared in that order, so a fault fires at the
 * first such call starting at or past its offset; another call's q= (its
 * position among the calls not injected). The lines of one stream (the
 * same process, image, descriptor and call) are taken in log order: the
 * first one not yet injected is the only one a call can take. A line
 * without a point (a log from before) is injected exactly at its c= on
 * the same descriptor number, as before. Each point is injected once.
 * Lock-free, async-signal-safe.
 */
#ifndef FI_REPLAY_H
#define FI_REPLAY_H

#include <stdint.h>

#include "decide.h"
#include "rules.h"

/* Nonzero while a replay is active. */
int fi_replay_active(void);

/* The calls (1u << FI_C_*) that recorded faults name: the engine's mask
 * while replaying. */
unsigned fi_replay_mask(void);

/* Whether a recorded fault is due for the call C (its call, fd, c= and
 * point); if so, takes it, fills *R with it (fault and value; no options)
 * and *RULE with the rule index it was recorded under (0-based), and
 * returns 1. Else 0. */
int fi_replay_decide(const struct fi_callctx *c, struct fi_rule *r, int *rule);

/* The fault fi_replay_decide just gave this thread for C could not happen
 * there (decide.h, possible()): it is given back, for a later call. */
void fi_replay_refused(const struct fi_callctx *c);

/* At load (fi_run_init): reads the log at PATH (NULL: no replay) into
 * memory of its own (mmap: nothing for a leak checker to report). RULES is
 * FAULTINJECT_RULES: replay replaces the rules, so both at once is an
 * error. 0, or -1 with "replay 'PATH': line N: ..." in ERR. */
int fi_replay_init(const char *path, const char *rules, char *err, size_t errlen);

/* How many faults the log records. */
unsigned long fi_replay_count(void);

#endif

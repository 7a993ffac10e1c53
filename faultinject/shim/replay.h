/* replay.h: --replay LOG on the shim's side (faultinject.md, Replay).
 *
 * Owner: replay.c. Under FAULTINJECT_REPLAY the recorded faults replace
 * the rules: a fault is injected exactly at a recorded point, that is the
 * same process (fork path, and program image after an exec: the log's x=),
 * descriptor, call and call number (the count of calls of that name in
 * that image, from 1: the log's c=). Each point is injected once.
 * Lock-free, async-signal-safe.
 */
#ifndef FI_REPLAY_H
#define FI_REPLAY_H

#include <stdint.h>

#include "rules.h"

/* Nonzero while a replay is active. */
int fi_replay_active(void);

/* The calls (1u << FI_C_*) that recorded faults name: the engine's mask
 * while replaying. */
unsigned fi_replay_mask(void);

/* Whether a recorded fault is due for CALL on FD with call number CALLNO;
 * if so, fills *R with it (fault and value; no options) and *RULE with the
 * rule index it was recorded under (0-based), and returns 1. Else 0. */
int fi_replay_decide(enum fi_call call, int fd, uint64_t callno, struct fi_rule *r,
                     int *rule);

/* At load (fi_run_init): reads the log at PATH (NULL: no replay) into
 * memory of its own (mmap: nothing for a leak checker to report). RULES is
 * FAULTINJECT_RULES: replay replaces the rules, so both at once is an
 * error. 0, or -1 with "replay 'PATH': line N: ..." in ERR. */
int fi_replay_init(const char *path, const char *rules, char *err, size_t errlen);

/* How many faults the log records. */
unsigned long fi_replay_count(void);

#endif

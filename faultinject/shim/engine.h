/* engine.h: the active rules and the one place that decides whether a
 * rule fires on a call (faultinject.md, OPTION and Promises).
 *
 * Owner: engine.c: this process's one engine (common/decide.h: the
 * decision as a unit), its host (per=fd counters and after= bytes from
 * fdstate.c, which owns all per-descriptor state and the gate that says
 * some descriptor has any; the fork stream from proc.c; the counts from
 * tally.c; replay.c), and the fast path's gates below.
 * Lock-free for the interposed calls (atomics only, safe in signal
 * handlers and across fork).
 */
#ifndef FI_ENGINE_H
#define FI_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>

#include "decide.h"
#include "rules.h"
#include "why.h"

/* The fast path's first gate, owned here: the calls any active rule names
 * (1u << FI_C_*; the recorded calls while replaying). Only engine.c
 * writes it; read it through the two functions below. The second gate
 * (some descriptor may carry state) is fdstate.c's: fi_fd_gate(). */
extern _Atomic unsigned fi_rule_mask;

/* Nonzero when some active rule names CALL (one relaxed load). */
static inline unsigned fi_engine_names(enum fi_call call)
{
    return (atomic_load_explicit(&fi_rule_mask, memory_order_relaxed) >> call) & 1u;
}

/* Nonzero while some rule could make a data call fail or stall where a
 * wait had just reported it ready (eagain, stall, short, error=EAGAIN on
 * read-like or write-like calls): then the waits note what they report
 * (fdstate.h, readiness shown), so that such a fault does not fire on the
 * call after (faultinject.md, eagain). Owned by engine.c. */
extern _Atomic unsigned fi_engine_ready_watch;
static inline unsigned fi_engine_watches_ready(void)
{
    return atomic_load_explicit(&fi_engine_ready_watch, memory_order_relaxed);
}

/* Nonzero when some active rule names any call. */
static inline unsigned fi_engine_any_rule(void)
{
    return atomic_load_explicit(&fi_rule_mask, memory_order_relaxed) != 0;
}

/* The log's c= and replay's point: one more CALL made by this process
 * image, of every call going through the slow path by that name (both
 * splice families count as "splice"); returns its number, from 1. Never
 * restarts for a reused descriptor number, so (process, image, call, c=)
 * names one call; starts again at 1 in a forked child. */
uint64_t fi_engine_callno(enum fi_call call);

/* A wait's replay point (decide.h, struct fi_point): its position among
 * this process's calls of that family that were not injected; and one
 * more such call. Nothing while no log or replay is active. Starts again
 * in a forked child. */
void fi_engine_wait_point(enum fi_call call, struct fi_point *out);
void fi_engine_wait_passed(enum fi_call call);

/* The seed of p= (FAULTINJECT_SEED / --seed, default 1). */
void fi_engine_seed(uint64_t seed);

/* Replaces the rules with RS; counters and fi_engine_fired start again.
 * Not for signal handlers (it waits for calls deciding on the old slot). */
void fi_engine_set(const struct fi_ruleset *rs);

/* fi_decide_call on this process's engine (decide.h). */
int fi_engine_decide(const struct fi_callctx *c, int may_fire, struct fi_rule *r, uint64_t *k);

/* Faults injected since the last fi_engine_set. */
long fi_engine_fired(void);

/* In a forked child: no other thread is deciding any more. */
void fi_engine_after_fork(void);

#endif

/* engine.h: the active rules and the one place that decides whether a
 * rule fires on a call (faultinject.md, OPTION and Promises).
 *
 * Lock-free for the interposed calls (atomics only, safe in signal
 * handlers and across fork): two rule slots, readers pin the current one,
 * fi_engine_set fills the other and publishes it.
 */
#ifndef FI_ENGINE_H
#define FI_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>

#include "rules.h"

/* What the caller knows of the descriptor, for fd=sock|pipe. */
enum fi_fdkind { FI_K_OTHER, FI_K_SOCK, FI_K_PIPE };

/* Fast-path gates: calls any active rule names (1u << FI_C_*), and nonzero
 * when some descriptor may carry state: FI_STATE_RULES while the rules use
 * after= or per=fd, plus FI_STATE_STICKY_ONE per descriptor now in reset
 * or eof state (so the gate closes again once they are all closed). */
extern _Atomic unsigned fi_rule_mask;
extern _Atomic unsigned fi_state_flags;
#define FI_STATE_RULES      1u
#define FI_STATE_STICKY_ONE 2u

/* The seed of p= (FAULTINJECT_SEED / --seed, default 1). */
void fi_engine_seed(uint64_t seed);

/* Replaces the rules with RS; counters and fi_engine_fired start again.
 * Not for signal handlers (it waits for calls deciding on the old slot). */
void fi_engine_set(const struct fi_ruleset *rs);

/* Counts CALL on FD (of kind KIND) for every rule that matches its calls
 * and fd=, and returns the index of the first that fires (copying it to
 * *R and its call number to *K), or -1. MAY_FIRE 0: count only. */
int fi_engine_decide(enum fi_call call, int fd, enum fi_fdkind kind, int may_fire,
                     struct fi_rule *r, uint64_t *k);

/* Faults injected since the last fi_engine_set. */
long fi_engine_fired(void);

/* In a forked child: no other thread is deciding any more. */
void fi_engine_after_fork(void);

#endif

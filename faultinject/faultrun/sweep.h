/* sweep.h: faultrun --sweep, the exhaustive fault loop (faultinject.md,
 * Sweep). Owner: sweep.c; uses faultrun's parsed options (faultrun.h). */
#ifndef FI_SWEEP_H
#define FI_SWEEP_H

#include "faultrun.h"

/* Exactly one rule, without when= or p=, whose per-point form (the parsed
 * rule written back with when=K) parses to itself, and a --shard K/N
 * (O->shard, parsed into shard_k and shard_n; 0/1 without it); exits 2
 * with a message naming what is wrong otherwise, before anything runs. */
void fr_sweep_check(struct fr_opts *o);

/* Runs COMMAND once per injection point (the rule firing only at matching
 * call 1, 2, ...) until a run where it did not fire or sweep_max runs: one
 * line per run on stderr, and for each failing point the faultrun command
 * that reproduces it alone. 0 every run passed, 1 some run failed, 3 the
 * rule never fired (nothing was tested). The environment is set.
 * With O->jobs > 1 or a shard, the runs go through jobs.c (O->jobs at a
 * time, each in its own group, what it prints kept apart) and the lines
 * are the same as one at a time: in point order, up to the same end. */
int fr_sweep(const struct fr_opts *o);

#endif

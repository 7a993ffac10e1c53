/* sweep.h: faultrun --sweep, the exhaustive fault loop (faultinject.md,
 * Sweep). Owner: sweep.c; uses faultrun's parsed options (faultrun.h). */
#ifndef FI_SWEEP_H
#define FI_SWEEP_H

#include "faultrun.h"

/* Exactly one rule, without when= or p=, whose per-point form (the parsed
 * rule written back with when=K) parses to itself; exits 2 with a message
 * otherwise, before anything runs. */
void fr_sweep_check(const struct fr_opts *o);

/* Runs COMMAND once per injection point (the rule firing only at matching
 * call 1, 2, ...) until a run where it did not fire or sweep_max runs: one
 * line per run on stderr, and for each failing point the faultrun command
 * that reproduces it alone. 0 every run passed, 1 some run failed, 3 the
 * rule never fired (nothing was tested). The environment is set. */
int fr_sweep(const struct fr_opts *o);

#endif

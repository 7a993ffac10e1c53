/* shrink.h: faultrun --shrink LOG, delta debugging over a failing run's
 * faults with --replay as the test (faultinject.md, Shrink).
 * Owner: shrink.c; uses faultrun's parsed options (faultrun.h).
 *
 * Shrink only ever asks "does COMMAND fail when exactly this subset of
 * LOG's lines is replayed?": it needs replay points that do not move when
 * lines are deleted, and is as faithful as the replay is. */
#ifndef FI_SHRINK_H
#define FI_SHRINK_H

#include <stddef.h>

#include "faultrun.h"


/* --shrink-timeout SECONDS: 0.001 .. 86400, at most three decimals, into
 * milliseconds. 0, or -1 with "--shrink-timeout 'TEXT': ..." in ERR. */
int fr_shrink_timeout_parse(const char *text, unsigned long *ms, char *err, size_t errlen);

/* The options go together: --shrink with no -e, --replay, --sweep or -l;
 * --shrink-timeout, --shrink-runs, --shrink-out only with --shrink; -j
 * only with --shrink or --sweep. Exits 2 with a message otherwise. */
void fr_shrink_check(const struct fr_opts *o);

/* Runs the shrink and returns faultrun's exit status: 0 a minimal failing
 * subset was found (written to shrink_out, its --replay command printed),
 * 3 LOG replayed whole does not fail, 2 bad input (LOG missing, unreadable
 * or not a log; the output not writable). Progress, the result and the
 * number of runs go to stderr. Every run is COMMAND in its own process
 * group with stdin, stdout and stderr on /dev/null, killed whole at the
 * timeout; faultrun is the subreaper of what it starts, so nothing of a
 * run outlives it. The environment (set_env) is set; the run's blocks are
 * its own, one per job. */
int fr_shrink(const struct fr_opts *o);

#endif

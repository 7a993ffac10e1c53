/* run.h: this process's part in the run, set up when the shim loads
 * (faultinject.md, Never silent, Replay).
 *
 * Owner: run.c. The block itself is common/runblock.h; this process's view
 * of it (attach, counters) is tally.h.
 */
#ifndef FI_RUN_H
#define FI_RUN_H

#include <stddef.h>

/* The shim's constructor calls this first (control.c): attaches the block,
 * finds this process's fork path, installs the fork handlers, loads
 * FAULTINJECT_REPLAY, and under FAULTINJECT_SUMMARY=1 (no faultrun) prints
 * this process's summary at exit. 0, or -1 with a message in ERR (a bad
 * replay log: the caller exits 2). */
int fi_run_init(char *err, size_t errlen);

/* The constructor calls this when --only (FAULTINJECT_ONLY) names this
 * process, for faultrun's warning about an --only that named none. */
void fi_run_only_matched(void);

#endif

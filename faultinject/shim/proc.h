/* proc.h: this process's place in the run (faultinject.md, Deterministic).
 *
 * Owner: proc.c. COMMAND is fork path "0"; the Nth child its parent forked
 * is PARENT.N ("0.3", "0.3.1"). A forked child draws p= from a stream
 * derived from the seed and its fork path, so children differ from each
 * other and a rerun that forks alike draws alike. Async-signal-safe.
 */
#ifndef FI_PROC_H
#define FI_PROC_H

#include <stdint.h>

/* The value the engine mixes into every p= draw of this process
 * (0 for COMMAND itself). */
uint64_t fi_proc_stream(void);

/* This process's fork path, e.g. "0.2" (for the log and --replay). */
const char *fi_proc_path(void);

/* This image of the process: 0 until it execs, then 1, 2, ... (call
 * numbers start again in a new image, so a point in the log and in
 * --replay names its image too: the log's x=). Needs the run's table
 * (faultrun); without it every image is 0. */
unsigned fi_proc_image(void);

/* This process installed a seccomp filter (sandbox.h): marked in the
 * run's table for the summary; no /proc look-ups from now on. */
void fi_proc_sandboxed(void);

/* The fork handlers (control.c registers them, once): before, the fork
 * number this child gets; in the parent after, nothing left pending. */
void fi_proc_before_fork(void);
void fi_proc_parent_after_fork(void);

/* Called in the child right after fork (pthread_atfork child handler;
 * fi_proc_init installs it: a second call for the same fork does nothing). */
void fi_proc_after_fork(void);

/* At load (fi_run_init, after the run's block is attached): finds this
 * process's path (an exec'd image keeps its own; a process spawned without
 * fork handlers takes the next number from its parent) and installs the
 * fork handlers that number children. */
void fi_proc_init(void);

#endif

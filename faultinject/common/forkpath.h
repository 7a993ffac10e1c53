/* forkpath.h: a process's fork path and the p= stream it draws from
 * (faultinject.md, Deterministic): COMMAND is "0", the Nth child that a
 * process forked is PARENT.N ("0.3", "0.3.1").
 *
 * Owner: forkpath.c. Pure: no I/O, no allocation, async-signal-safe. The
 * shim (shim/proc.c) and the trace backend (faultrun/trace.c) derive both
 * from here, so a forked child draws alike under either backend.
 */
#ifndef FI_FORKPATH_H
#define FI_FORKPATH_H

#include <stdint.h>

/* The value the engine mixes into every p= draw of the process at PATH:
 * 0 for COMMAND ("0"), else a mix of every number in the path. */
uint64_t fi_forkpath_stream(const char *path);

/* PARENT + "." + N into OUT (FI_PATH_MAX bytes, runblock.h); the parent's
 * path when it would not fit. OUT may be PARENT. */
void fi_forkpath_child(const char *parent, uint32_t n, char *out);

#endif

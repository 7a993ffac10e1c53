/* tracedelay.h: delay=MS under the trace backend (faultinject.md, FAULT:
 * "sleep, then make the real call"): the thread stays in its seccomp stop
 * for MS milliseconds, then its call runs as asked; meanwhile the wait
 * loop serves every other tracee (a signal for the held thread waits in
 * its queue, as the shim's nanosleep loop lets none end the sleep).
 *
 * Owner: tracedelay.c (the held threads and their deadlines). While one
 * is held, SIGCHLD is blocked in faultrun (never in a tracee: it is set
 * after the fork) and td_wait waits for it with the nearest deadline as
 * the timeout, so that no wait sleeps past a deadline.
 */
#ifndef FI_TRACEDELAY_H
#define FI_TRACEDELAY_H

#include <sys/types.h>

/* TID, at its seccomp stop, is resumed (PTRACE_SYSCALL: its exit stop
 * logs the fault) MS milliseconds from now. */
void td_hold(pid_t tid, long ms);

/* waitpid(-1, STATUS, __WALL), resuming each held thread as it falls due. */
pid_t td_wait(int *status);

#endif

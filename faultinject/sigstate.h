/* sigstate.h: could a signal interrupt this call now (faultinject.md,
 * eintr: "fires only where a signal could have interrupted the call").
 * Asked only for an eintr rule that is due to fire, never on the fast
 * path. Linux, signal(7):
 *  - a call that cannot sleep (O_NONBLOCK, MSG_DONTWAIT) is never
 *    interrupted (tcp_recvmsg: EAGAIN before any signal check);
 *  - a blocking socket or pipe call without a timeout is interrupted by
 *    a caught signal whose handler lacks SA_RESTART (with it, restarted);
 *  - poll, select, epoll_wait, close and socket calls with SO_RCVTIMEO/
 *    SO_SNDTIMEO are never restarted: any caught signal interrupts them;
 *  - with no handler at all, only epoll_wait and the timed socket calls
 *    are interrupted (by a stop signal and SIGCONT: "Interruption of
 *    system calls and library functions by stop signals"); SIGSTOP can
 *    reach every process, so these always may be.
 * A caught signal counts when it is not blocked in the calling thread
 * (in MASK for ppoll, pselect, epoll_pwait) and is not one a thread
 * raises on itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS).
 * Handlers are read with sigaction(sig, NULL, &old), the mask with
 * pthread_sigmask; in a seccomp sandbox neither is asked (sandbox.h) and
 * a call that needs them counts as FI_WHY_SANDBOXED.
 * Owner: sigstate.c. Async-signal-safe.
 */
#ifndef FI_SIGSTATE_H
#define FI_SIGSTATE_H

#include "engine.h"
#include "why.h"

#include <signal.h>

/* eintr on data call (read-like when READING; accept reads, connect
 * writes) or close (IS_CLOSE) on FD of kind KIND, DONTWAIT as given:
 * FI_WHY_OK, or FI_WHY_NEVER_SLEEPS, _NO_HANDLER, _RESTARTED, _SANDBOXED. */
enum fi_why fi_eintr_data(int fd, enum fi_fdkind kind, int reading, int dontwait,
                          int is_close);

/* eintr on a readiness wait of family CALL; MASK: the mask it sleeps
 * with (ppoll, pselect, epoll_pwait), or NULL for the thread's. */
enum fi_why fi_eintr_wait(enum fi_call call, const sigset_t *mask);

#endif

/* tracearm.h: the EPOLLET re-arm (faultinject.md, Readiness agrees; the
 * shim's fi_wait_rearm): after an injected short or eagain on a
 * descriptor that an epoll set holds edge-triggered, the program's own
 * registration is handed to the kernel again with EPOLL_CTL_MOD, made by
 * the stopped thread itself: Linux re-polls the file and queues the event
 * only if it is ready now, the edge the kernel would have raised had the
 * rest arrived just after the call. Without it a program that waits for
 * the next edge (Go's netpoller) waits for ever.
 *
 * The same after an injected eagain on accept or accept4: the listener's
 * queue still holds the connection, and an edge-triggered server (Go's
 * netpoller accepts until EAGAIN) waits for the next edge.
 *
 * How (x86_64): at the call's syscall-exit stop the thread's registers
 * are saved; rip - 2 is the `syscall` instruction it came from (0f 05,
 * checked); rip is pointed back at it with epoll_ctl's number and
 * arguments, the event (12 bytes, packed) written below the stack's red
 * zone (its bytes there saved); every signal but SIGKILL/SIGSTOP blocked
 * meanwhile (PTRACE_SETSIGMASK: they stay pending, delivered once the
 * thread runs on); then PTRACE_SYSCALL through the entry stop, the
 * seccomp stop (the filter stops epoll_ctl: let through, not decided) and
 * the exit stop; then registers, memory and mask restored. A SIGSTOP (or
 * a group-stop) met meanwhile is kept and sent again after.
 *
 * Owner: tracearm.c; reads the registrations of traceepoll.c, no state.
 * EPOLLONESHOT registrations are left alone (the program re-arms them),
 * and so are EPOLLEXCLUSIVE ones (the kernel refuses MOD), as the shim.
 */
#ifndef FI_TRACEARM_H
#define FI_TRACEARM_H

#include "traceepoll.h"
#include "tracestate.h"

/* At T's exit stop, after its fault (T->r) was given: re-arm T's
 * descriptor if the fault is short or eagain and the descriptor is
 * registered EPOLLET. 1 re-armed (the kernel's answer in *RET when RET
 * is not NULL), 0 nothing to do, -1 with errno when it could not be
 * done (ESRCH: the thread is gone; its end is left to the wait loop;
 * any other reason is said once on stderr unless --quiet). */
int ta_rearm(struct tthread *t, long long *ret);

/* Whether rule R's fault can take the place of an edge the program waits
 * for, so that a run with R must record the epoll registrations
 * (tr_run.want_ready) for ta_rearm: short or eagain on a data call;
 * eagain on accept or accept4, a listener whose connection stays queued
 * (a real EAGAIN there means an empty queue). */
int ta_may_strand(const struct fi_rule *r);

/* The primitive under it, for any registration change the backend must
 * make in the program's name (stall's MOD too): at T's syscall-exit
 * stop, epoll_ctl(REG->epfd, EPOLL_CTL_MOD, FD, {REG->events, REG->data})
 * made by T as described above. 1 and the kernel's answer in *RET (when
 * not NULL: 0 or -errno), or -1 with errno (ENOEXEC: T's call was not
 * made by a `syscall` instruction; ESRCH: T is gone), T as it was. */
int ta_epoll_mod(struct tthread *t, int fd, const struct te_reg *reg, long long *ret);

#endif

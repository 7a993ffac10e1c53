/* waits.h: the readiness waits' side of the data calls (faultinject.md,
 * Readiness agrees); waits.c also interposes poll, ppoll, select, pselect,
 * epoll_wait, epoll_pwait, epoll_pwait2 and epoll_ctl. Internal.
 */
#ifndef FI_WAITS_H
#define FI_WAITS_H

/* After an injected short or eagain on FD: if FD is registered in epoll
 * edge-triggered (not one-shot, not exclusive), re-arm it (EPOLL_CTL_MOD
 * with the program's events and data): the kernel re-polls the file and
 * queues the event it would have raised had the rest arrived just after
 * the call, and none for a descriptor that is not ready. */
void fi_wait_rearm(int fd);

/* FD has just stalled in a direction: take that direction out of its
 * epoll registration in the kernel (the program's view stays recorded). */
void fi_wait_stalled(int fd);

/* Resolves waits.c's real calls. */
void fi_waits_resolve(void);

#endif

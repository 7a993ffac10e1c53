/* room.h: what the kernel surely takes or shows at once, so that a
 * write-side short/eagain and a read-side short/eagain/stall fire only
 * where the kernel could give them (faultinject.md, the write-side rule
 * and "nor on a read once the peer's FIN is queued"; NOTES.md, Room).
 *
 * Each asks the kernel (getsockopt, ioctl, fcntl, a zero-timeout poll),
 * so the shim asks only for a rule about to fire; never in a seccomp
 * sandbox (sandbox.h: the caller says FI_WHY_SANDBOXED instead).
 * Async-signal-safe; no state.
 */
#ifndef FI_ROOM_H
#define FI_ROOM_H

#include "engine.h"
#include "roomrule.h"       /* fi_room_floor and the rule itself */

/* Bytes a write-like call on FD (of KIND) is sure to move at once, whatever
 * the kernel's buffer sizes: for a stream socket, the room of its send
 * queue at the smallest SO_SNDBUF the kernel allows less what is queued
 * (SIOCOUTQ); for a pipe, its free pages (F_GETPIPE_SZ, FIONREAD). -1 when
 * no floor is known (files, terminals, other socket families). */
long long fi_room(int fd, enum fi_fdkind kind);

/* Nonzero when the peer's FIN (a pipe: the last writer's close) is queued
 * on FD: all data is in, a read returns it or 0, never EAGAIN, and a
 * short read means the next returns 0 (tcp_poll/unix_poll: POLLRDHUP;
 * pipe_poll: POLLHUP). */
int fi_fin_queued(int fd, enum fi_fdkind kind);

/* Bytes queued for reading on FD (FIONREAD), 0 when unknown. */
long long fi_queued(int fd);

/* Resolves room.c's real calls. */
void fi_room_resolve(void);

#endif

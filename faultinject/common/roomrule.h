/* roomrule.h: the write side's faithful rule and what readiness shown
 * means for the next data call (faultinject.md, "On a write-like call,
 * short and eagain stand for a send buffer that ran out of room" and
 * "Nor does it fire on the first read-like (write-like) call after a wait
 * reported the descriptor ready"), shared by the shim and the trace
 * backend. Pure: each caller asks its kernel (SIOCOUTQ, F_GETPIPE_SZ,
 * FIONREAD) on its own descriptor (the shim its own, the trace backend a
 * pidfd_getfd copy of the tracee's) and hands the numbers in.
 *
 * Owner: roomrule.c. libc only, no state.
 */
#ifndef FI_ROOMRULE_H
#define FI_ROOMRULE_H

#include "rules.h"
#include "why.h"

#include <stdint.h>

/* The smallest send queue the kernel allows, for a stream socket of
 * FAMILY (AF_INET, AF_INET6, AF_UNIX); -1 for another. Measured on this
 * kernel by tests/fi/test_room.c. */
long long fi_room_floor(int family);

/* Bytes a stream socket of FAMILY with OUTQ (SIOCOUTQ) queued surely
 * takes at once; -1 when no floor is known for FAMILY. */
long long fi_room_socket(int family, long long outq);

/* Bytes a pipe of SIZE bytes (F_GETPIPE_SZ) with QUEUED bytes in it
 * (FIONREAD) surely takes at once, pages of PAGE bytes; -1 if unknown. */
long long fi_room_pipe(long long size, long long queued, long page);

/* Whether a write-like call asking ASKED bytes could be cut (FAULT short)
 * or refused (eagain, error=EAGAIN) with ROOM bytes of sure room (-1:
 * none known); PIPE: the descriptor is a pipe (PIPE_BUF writes are
 * atomic). FI_WHY_OK, FI_WHY_ROOM or FI_WHY_PIPE_ATOMIC; a stall is
 * always OK (it takes the room first). */
enum fi_why fi_room_why(const struct fi_rule *r, int pipe, long long asked, long long room);

/* The first read-like (write-like: READING 0) call after a wait reported
 * the stream ready (SHOWN nonzero), or MSG_PEEK showed PEEKED bytes: the
 * kernel answers with data, so no eagain, no write stall and no cut
 * below the bytes peeked. FI_WHY_OK or FI_WHY_READY; a short read that
 * fires sets *FLOOR to the peeked bytes (the least it may move), which is
 * left alone otherwise. ASKED: the bytes the call asks for. */
enum fi_why fi_shown_why(const struct fi_rule *r, int reading, int shown, uint64_t peeked,
                         long long asked, long long *floor);

#endif

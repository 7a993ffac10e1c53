/* traceroom.h: the room a traced write surely has (faultinject.md, the
 * write-side rule), asked of the kernel on a pidfd_getfd copy of the
 * tracee's descriptor (the same socket or pipe: SIOCOUTQ, SO_DOMAIN,
 * F_GETPIPE_SZ and FIONREAD read as the tracee's); the rule itself is
 * common/roomrule.h's, as under the shim (shim/room.c).
 *
 * Owner: traceroom.c. No state.
 */
#ifndef FI_TRACEROOM_H
#define FI_TRACEROOM_H

#include "decide.h"

/* Bytes a write on descriptor FD of the process behind PIDFD (of KIND)
 * surely moves at once; -1 when no floor is known (files, terminals,
 * other families) or the descriptor cannot be had. */
long long tr_room(int pidfd, int fd, enum fi_fdkind kind);

#endif

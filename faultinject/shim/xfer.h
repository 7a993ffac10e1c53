/* xfer.h: sendfile, splice, recvmmsg and sendmmsg, the data calls whose
 * real form is more than one buffer (owner: xfer.c); shim.c's slow path
 * decides for them as for read and write. */
#ifndef FI_XFER_H
#define FI_XFER_H

#include <stddef.h>

#include "shim.h"

/* The real sendfile/splice/recvmmsg/sendmmsg moving at most LIMIT bytes
 * (SIZE_MAX: no limit) (xfer.c). */
ssize_t fi_xfer_real(const struct fi_io *io, size_t limit);

/* Bytes IO asks to move, for the log's asked=. */
long long fi_xfer_asked(const struct fi_io *io);

/* Resolves xfer.c's real calls. */
void fi_xfer_resolve(void);

#endif

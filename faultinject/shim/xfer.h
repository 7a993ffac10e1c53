/* xfer.h: sendfile, splice, recvmmsg and sendmmsg, the data calls whose
 * real form is more than one buffer (owner: xfer.c); shim.c's slow path
 * decides for them as for read and write. */
#ifndef FI_XFER_H
#define FI_XFER_H

/* Resolves xfer.c's real calls. */
void fi_xfer_resolve(void);

#endif

/* io.h: one data call, whatever its family, as the shim's slow path sees
 * it (shim.c decides and applies the fault; xfer.c makes the new calls).
 * Internal to libfaultinject.so.
 */
#ifndef FI_IO_H
#define FI_IO_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "engine.h"
#include "fdstate.h"

struct fi_io {
    enum fi_call call;
    int fd;                     /* the descriptor the rules look at */
    int flags;                  /* MSG_* (splice: SPLICE_F_*) */
    int dontwait;               /* MSG_DONTWAIT or SPLICE_F_NONBLOCK given */
    void *buf;
    const void *cbuf;
    size_t len;                 /* SIZE_MAX: the vectors say */
    const struct iovec *iov;
    int iovcnt;
    struct msghdr *msg;
    const struct msghdr *cmsg;
    struct sockaddr *addr;
    socklen_t *alen;
    const struct sockaddr *daddr;
    socklen_t dlen;
    /* sendfile (in_fd, off), splice (fd_in, off_in, fd_out, off_out) */
    int fd_in, fd_out;
    off_t *off;
    int wide;                   /* sendfile64 */
    loff_t *off_in, *off_out;
    /* recvmmsg / sendmmsg */
    struct mmsghdr *mm;
    unsigned vlen;
    struct timespec *tmo;
};

/* Fast path: nonzero when CALL must go through the slow path. Two
 * relaxed loads: engine.c's rule mask and fdstate.c's gate. */
static inline unsigned fi_hot(enum fi_call call)
{
    return fi_engine_names(call) | fi_fd_gate();
}

/* What FD is (fd=sock|pipe, message sockets): from fdstate's cache, or
 * the first time from the kernel (then cached). Only classifies: whether
 * FD's sticky/stalled state still belongs to its file is checked by the
 * slow path itself (shim.c, drop_stale_state). -1 if FD is not open.
 * Keeps errno. */
struct fi_fdinfo;
int fi_look_at(int fd, struct fi_fdinfo *info);

/* The slow path: decide, inject, make the real call (shim.c). */
ssize_t fi_io_slow(const struct fi_io *io);

/* The real sendfile/splice/recvmmsg/sendmmsg moving at most LIMIT bytes
 * (SIZE_MAX: no limit) (xfer.c). */
ssize_t fi_xfer_real(const struct fi_io *io, size_t limit);

/* Bytes IO asks to move, for the log's asked=. */
long long fi_xfer_asked(const struct fi_io *io);

/* Resolves xfer.c's real calls. */
void fi_xfer_resolve(void);

#endif

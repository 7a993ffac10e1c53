/* shim.h: one data call, whatever its family, as the shim's slow path sees
 * it (owner: shim.c: it decides and applies the fault, and interposes the
 * data calls, accept, connect and close). Interposers elsewhere (xfer.c)
 * fill a struct fi_io with their own real call and pass it to fi_io_slow:
 * the data path goes one way, interposer -> slow path -> real call.
 * Internal to libfaultinject.so.
 */
#ifndef FI_SHIM_H
#define FI_SHIM_H

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
    /* The interposer's own real call moving at most LIMIT bytes (SIZE_MAX:
     * no limit) and the bytes it asks to move, for the families shim.c
     * does not make itself (xfer.c); NULL for shim.c's own. The slow path
     * calls them; it never calls back into the interposer's file. */
    ssize_t (*real)(const struct fi_io *io, size_t limit);
    long long (*asked)(const struct fi_io *io);
};

/* Fast path: nonzero when CALL must go through the slow path. Two
 * relaxed loads: engine.c's rule mask and fdstate.c's gate. */
static inline unsigned fi_hot(enum fi_call call)
{
    return fi_engine_names(call) | fi_fd_gate();
}

/* The slow path: decide, inject, make the real call (shim.c). */
ssize_t fi_io_slow(const struct fi_io *io);

/* Looks up every real libc call (dlsym RTLD_NEXT) now, so that no lookup
 * happens later in a signal handler. Called by the constructor. */
void fi_shim_resolve(void);

#endif

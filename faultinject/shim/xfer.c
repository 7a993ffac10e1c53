/* xfer.c: sendfile, sendfile64, splice, recvmmsg and sendmmsg under the
 * rules (faultinject.md, CALLS): each goes through fi_io_slow like the
 * other data calls; this file knows how to make each one move less.
 *   sendfile: write-like on the socket it writes to. A short one is the
 *     real call with a smaller count, so the kernel advances the offset
 *     (the pointer, or the file position when it is NULL) by exactly what
 *     was sent.
 *   splice: read-like on FD_IN when that is not a pipe (FI_C_SPLICE_IN),
 *     else write-like on FD_OUT (FI_C_SPLICE_OUT); SPLICE_F_NONBLOCK counts
 *     as MSG_DONTWAIT.
 *   recvmmsg/sendmmsg: a short one (stream sockets only) moves at most N
 *     bytes of the first message and returns 1.
 */
#include "fdstate.h"
#include "xfer.h"

#include "classify.h"
#include "shim.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/sendfile.h>

#define EXPORT FI_EXPORT

REAL(sendfile, ssize_t, (int, int, off_t *, size_t))
REAL(sendfile64, ssize_t, (int, int, off64_t *, size_t))
REAL(splice, ssize_t, (int, loff_t *, int, loff_t *, size_t, unsigned))
REAL(recvmmsg, int, (int, struct mmsghdr *, unsigned, int, struct timespec *))
REAL(sendmmsg, int, (int, struct mmsghdr *, unsigned, int))

void fi_xfer_resolve(void)
{
    get_sendfile(); get_sendfile64(); get_splice(); get_recvmmsg(); get_sendmmsg();
}

static long long msg_bytes(const struct msghdr *m)
{
    long long n = 0;
    for (size_t i = 0; m->msg_iov != NULL && i < m->msg_iovlen && i < IOV_MAX; i++)
        n += (long long)m->msg_iov[i].iov_len;
    return n;
}

static long long xfer_asked(const struct fi_io *io)
{
    long long n = 0;
    if (io->call != FI_C_RECVMMSG && io->call != FI_C_SENDMMSG)
        return (long long)io->len;
    for (unsigned i = 0; io->mm != NULL && i < io->vlen && i < UIO_MAXIOV; i++)
        n += msg_bytes(&io->mm[i].msg_hdr);
    return n;
}

/* after=: the bytes the returned messages moved. */
static int count_messages(const struct fi_io *io, int r)
{
    for (int i = 0; i < r; i++) {
        fi_fd_add_bytes(io->fd, io->mm[i].msg_len);
        fi_fd_point_moved(io->fd, io->call == FI_C_RECVMMSG ? FI_DIR_RD : FI_DIR_WR,
                          io->mm[i].msg_len);
    }
    return r;
}

/* The first message, moving at most LIMIT bytes; 1 or -1. */
static int one_message_cut(const struct fi_io *io, size_t limit)
{
    struct iovec cut[IOV_MAX];
    struct mmsghdr one = io->mm[0];
    const struct msghdr *h = &io->mm[0].msg_hdr;
    if (h->msg_iovlen > IOV_MAX)
        return io->call == FI_C_RECVMMSG
                   ? get_recvmmsg()(io->fd, io->mm, io->vlen, io->flags, io->tmo)
                   : get_sendmmsg()(io->fd, io->mm, io->vlen, io->flags);
    size_t n = 0;
    for (; n < h->msg_iovlen && limit > 0; n++) {
        cut[n] = h->msg_iov[n];
        if (cut[n].iov_len > limit)
            cut[n].iov_len = limit;
        limit -= cut[n].iov_len;
    }
    one.msg_hdr.msg_iov = cut;
    one.msg_hdr.msg_iovlen = n;
    int r = io->call == FI_C_RECVMMSG ? get_recvmmsg()(io->fd, &one, 1, io->flags, io->tmo)
                                      : get_sendmmsg()(io->fd, &one, 1, io->flags);
    if (r == 1) {
        io->mm[0].msg_len = one.msg_len;
        io->mm[0].msg_hdr.msg_namelen = one.msg_hdr.msg_namelen;
        io->mm[0].msg_hdr.msg_controllen = one.msg_hdr.msg_controllen;
        io->mm[0].msg_hdr.msg_flags = one.msg_hdr.msg_flags;
    }
    return r;
}

static int mmsg(const struct fi_io *io, size_t limit)
{
    int r;
    if (limit != SIZE_MAX && io->mm != NULL && io->vlen > 0)
        r = one_message_cut(io, limit);
    else if (io->call == FI_C_RECVMMSG)
        r = get_recvmmsg()(io->fd, io->mm, io->vlen, io->flags, io->tmo);
    else
        r = get_sendmmsg()(io->fd, io->mm, io->vlen, io->flags);
    return count_messages(io, r);
}

static ssize_t xfer_real(const struct fi_io *io, size_t limit)
{
    size_t len = io->len < limit ? io->len : limit;
    switch (io->call) {
    case FI_C_SENDFILE:
        if (io->wide)
            return get_sendfile64()(io->fd, io->fd_in, (off64_t *)io->off, len);
        return get_sendfile()(io->fd, io->fd_in, io->off, len);
    case FI_C_SPLICE_IN:
    case FI_C_SPLICE_OUT:
        return get_splice()(io->fd_in, io->off_in, io->fd_out, io->off_out, len,
                            (unsigned)io->flags);
    default: /* FI_C_RECVMMSG, FI_C_SENDMMSG */
        return mmsg(io, limit);
    }
}

/* The slow path, with this file's real call (shim.h: one direction). */
static ssize_t slow(struct fi_io io)
{
    io.real = xfer_real;
    io.asked = xfer_asked;
    return fi_io_slow(&io);
}

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
    if (!fi_hot(FI_C_SENDFILE))
        return get_sendfile()(out, in, off, n);
    return slow((struct fi_io){ .call = FI_C_SENDFILE, .fd = out, .fd_in = in,
                                .off = off, .len = n });
}

EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t n)
{
    if (!fi_hot(FI_C_SENDFILE))
        return get_sendfile64()(out, in, off, n);
    return slow((struct fi_io){ .call = FI_C_SENDFILE, .fd = out, .fd_in = in,
                                .off = (off_t *)off, .wide = 1, .len = n });
}

EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t n,
                      unsigned flags)
{
    if (!fi_hot(FI_C_SPLICE_IN) && !fi_hot(FI_C_SPLICE_OUT))
        return get_splice()(in, off_in, out, off_out, n, flags);
    struct fi_fdinfo info;
    /* One end is a pipe: the rules look at the other one. */
    int from_pipe = fi_look_at(in, &info) == 0 && info.kind == FI_K_PIPE;
    return slow((struct fi_io){ .call = from_pipe ? FI_C_SPLICE_OUT : FI_C_SPLICE_IN,
                                .fd = from_pipe ? out : in, .fd_in = in,
                                .off_in = off_in, .fd_out = out, .off_out = off_out,
                                .len = n, .flags = (int)flags,
                                .dontwait = (flags & SPLICE_F_NONBLOCK) != 0 });
}

EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
                    struct timespec *tmo)
{
    if (!fi_hot(FI_C_RECVMMSG))
        return get_recvmmsg()(fd, vec, vlen, flags, tmo);
    return (int)slow((struct fi_io){ .call = FI_C_RECVMMSG, .fd = fd, .mm = vec,
                                     .vlen = vlen, .flags = flags, .tmo = tmo,
                                     .dontwait = flags & MSG_DONTWAIT,
                                     .len = SIZE_MAX });
}

EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
    if (!fi_hot(FI_C_SENDMMSG))
        return get_sendmmsg()(fd, vec, vlen, flags);
    return (int)slow((struct fi_io){ .call = FI_C_SENDMMSG, .fd = fd, .mm = vec,
                                     .vlen = vlen, .flags = flags,
                                     .dontwait = flags & MSG_DONTWAIT,
                                     .len = SIZE_MAX });
}

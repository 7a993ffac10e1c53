/* fdflags.c: the per-descriptor O_NONBLOCK and timeout cache, and the
 * calls that change them: fcntl (F_SETFL, F_GETFL, F_DUPFD*), ioctl
 * FIONBIO, setsockopt SO_RCVTIMEO/SO_SNDTIMEO (see fdflags.h). The calls
 * are interposed only to watch: each goes to libc unchanged and is never
 * injected. The cache is kept only in a sandboxed process (elsewhere the
 * shim asks the kernel, which is always right: O_NONBLOCK is shared with
 * every process holding the same open file description).
 */
#include "fdflags.h"

#include "fdstate.h"
#include "real.h"
#include "sandbox.h"
#include "sockends.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#define EXPORT FI_EXPORT
#define RLX memory_order_relaxed

/* flags: FL_KNOWN, FL_NONBLOCK; timeouts: ns + 1, 0 not known. */
enum { FL_KNOWN = 1, FL_NONBLOCK = 2 };
static _Atomic unsigned char flags_of[FI_FD_CAP];
static _Atomic uint64_t timeo_of[2][FI_FD_CAP];     /* [0] send, [1] receive */

static int in_range(int fd)
{
    return fd >= 0 && fd < FI_FD_CAP;
}

int fi_fdflags_nonblocking(int fd)
{
    if (!in_range(fd))
        return -1;
    unsigned v = atomic_load_explicit(&flags_of[fd], RLX);
    return (v & FL_KNOWN) ? (v & FL_NONBLOCK) != 0 : -1;
}

void fi_fdflags_set_nonblocking(int fd, int on)
{
    if (in_range(fd))
        atomic_store_explicit(&flags_of[fd], (unsigned char)(FL_KNOWN | (on ? FL_NONBLOCK : 0)),
                              RLX);
}

int fi_fdflags_timeout(int fd, int reading, struct timespec *out)
{
    if (!in_range(fd))
        return -1;
    uint64_t v = atomic_load_explicit(&timeo_of[reading != 0][fd], RLX);
    if (v == 0)
        return -1;
    v--;
    if (v == 0)
        return 0;
    out->tv_sec = (time_t)(v / 1000000000u);
    out->tv_nsec = (long)(v % 1000000000u);
    return 1;
}

void fi_fdflags_set_timeout(int fd, int reading, uint64_t ns)
{
    if (in_range(fd))
        atomic_store_explicit(&timeo_of[reading != 0][fd], ns + 1, RLX);
}

void fi_fdflags_fresh(int fd, int nonblocking, int socket_without_timeouts)
{
    if (!in_range(fd))
        return;
    fi_fdflags_set_nonblocking(fd, nonblocking);
    uint64_t t = socket_without_timeouts ? 1 : 0;
    atomic_store_explicit(&timeo_of[0][fd], t, RLX);
    atomic_store_explicit(&timeo_of[1][fd], t, RLX);
}

void fi_fdflags_copy(int fd, int newfd)
{
    if (!in_range(newfd))
        return;
    if (!in_range(fd)) {
        fi_fdflags_forget(newfd);
        return;
    }
    atomic_store_explicit(&flags_of[newfd], atomic_load_explicit(&flags_of[fd], RLX), RLX);
    for (int d = 0; d < 2; d++)
        atomic_store_explicit(&timeo_of[d][newfd], atomic_load_explicit(&timeo_of[d][fd], RLX),
                              RLX);
}

void fi_fdflags_copy_timeouts(int fd, int newfd)
{
    if (!in_range(newfd))
        return;
    for (int d = 0; d < 2; d++)
        atomic_store_explicit(&timeo_of[d][newfd],
                              in_range(fd) ? atomic_load_explicit(&timeo_of[d][fd], RLX) : 0,
                              RLX);
}

void fi_fdflags_forget(int fd)
{
    if (!in_range(fd))
        return;
    if (atomic_load_explicit(&flags_of[fd], RLX) != 0)
        atomic_store_explicit(&flags_of[fd], 0, RLX);
    for (int d = 0; d < 2; d++)
        if (atomic_load_explicit(&timeo_of[d][fd], RLX) != 0)
            atomic_store_explicit(&timeo_of[d][fd], 0, RLX);
}

void fi_fdflags_forget_range(unsigned first, unsigned last)
{
    if (last >= FI_FD_CAP)
        last = FI_FD_CAP - 1;
    for (unsigned fd = first; fd <= last; fd++)
        fi_fdflags_forget((int)fd);
}

/* ---- the calls that change them -------------------------------------- */

REAL(fcntl, int, (int, int, ...))
REAL(fcntl64, int, (int, int, ...))
REAL(ioctl, int, (int, unsigned long, ...))
REAL(setsockopt, int, (int, int, int, const void *, socklen_t))

void fi_fdflags_resolve(void)
{
    get_fcntl(); get_fcntl64(); get_ioctl(); get_setsockopt();
}

/* What fcntl(FD, CMD, ARG) returned R says of the cache. */
static int after_fcntl(int fd, int cmd, void *arg, int r)
{
    if (r < 0)
        return r;
    int e = errno;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        fi_fd_forget(r);                /* a new descriptor: no old state */
        fi_fd_created(r);
        fi_ends_copy(fd, r);
        if (fi_sandboxed())
            fi_fdflags_copy(fd, r);
        else
            fi_fdflags_forget(r);
        break;
    case F_SETFL:
        if (fi_sandboxed())
            fi_fdflags_set_nonblocking(fd, ((int)(long)arg & O_NONBLOCK) != 0);
        break;
    case F_GETFL:
        if (fi_sandboxed())
            fi_fdflags_set_nonblocking(fd, (r & O_NONBLOCK) != 0);
        break;
    default:
        break;
    }
    errno = e;
    return r;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);     /* as glibc reads it: int or pointer */
    va_end(ap);
    return after_fcntl(fd, cmd, arg, get_fcntl()(fd, cmd, arg));
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    fcntl64_fn f = get_fcntl64();
    int r = f != NULL ? f(fd, cmd, arg) : get_fcntl()(fd, cmd, arg);
    return after_fcntl(fd, cmd, arg, r);
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int r = get_ioctl()(fd, req, arg);
    /* ioctl(2) FIONBIO: the int it points to sets or clears O_NONBLOCK. */
    if (r == 0 && req == FIONBIO && arg != NULL && fi_sandboxed())
        fi_fdflags_set_nonblocking(fd, *(const int *)arg != 0);
    return r;
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    int r = get_setsockopt()(fd, level, name, val, len);
    int timeo = level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO
#ifdef SO_RCVTIMEO_NEW
                                        || name == SO_RCVTIMEO_NEW || name == SO_SNDTIMEO_NEW
#endif
                                        );
    if (r == 0 && timeo && val != NULL && len >= sizeof(struct timeval) && fi_sandboxed()) {
        const struct timeval *tv = val;     /* _NEW: the same layout on 64-bit */
        int reading = name == SO_RCVTIMEO;
#ifdef SO_RCVTIMEO_NEW
        reading |= name == SO_RCVTIMEO_NEW;
#endif
        uint64_t ns = (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
        fi_fdflags_set_timeout(fd, reading, ns);
    }
    return r;
}

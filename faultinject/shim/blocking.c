/* blocking.c: blocking mode, socket timeouts, and a stalled call's wait
 * (see blocking.h). */
#include "blocking.h"

#include "fdflags.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* In a seccomp sandbox the shim asks the kernel nothing (sandbox.h): the
 * cache says, and what it does not know counts as blocking, no timeout
 * (the caller has checked fi_blocking_known first). */
int fi_nonblocking(int fd)
{
    if (fi_sandboxed())
        return fi_fdflags_nonblocking(fd) == 1;
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

int fi_timeout(int fd, int reading, struct timespec *out)
{
    if (fi_sandboxed())
        return fi_fdflags_timeout(fd, reading, out) == 1;
    struct timeval tv = { 0, 0 };
    socklen_t len = sizeof tv;
    int e = errno;
    int r = getsockopt(fd, SOL_SOCKET, reading ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &len);
    errno = e;
    if (r < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0))
        return 0;
    out->tv_sec = tv.tv_sec;
    out->tv_nsec = tv.tv_usec * 1000L;
    return 1;
}

int fi_blocking_known(int fd, int reading, int dontwait)
{
    struct timespec ts;
    if (!fi_sandboxed() || dontwait)
        return 1;
    int nb = fi_fdflags_nonblocking(fd);
    return nb == 1 || (nb == 0 && fi_fdflags_timeout(fd, reading, &ts) >= 0);
}

int fi_could_eagain(int fd, int reading, int dontwait)
{
    struct timespec ts;
    return dontwait || fi_nonblocking(fd) || fi_timeout(fd, reading, &ts);
}

long fi_stall_wait(int fd, int reading, int dontwait)
{
    struct timespec ts;
    if (dontwait || fi_nonblocking(fd)) {
        errno = EAGAIN;
        return -1;
    }
    int timed = fi_timeout(fd, reading, &ts);
    if (!timed) {
        /* socket(7): with no timeout, a handler with SA_RESTART restarts
         * the call and one without ends it with EINTR. A FUTEX_WAIT with
         * no timeout on a word nobody wakes is restarted by the kernel the
         * same way, so the wait is the real call's to the letter. */
        static int never;
        for (;;)
            if (syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) < 0 &&
                errno == EINTR)
                return -1;
    }
    /* With a timeout, any caught signal ends the call with EINTR (socket(7));
     * a wait on no descriptor: only the time or a signal ends it (the raw
     * call, so that our own ppoll does not see it). */
    long r = syscall(SYS_ppoll, NULL, 0, &ts, NULL, (size_t)(_NSIG / 8));
    if (r < 0 && errno == EINTR)
        return -1;
    errno = EAGAIN;
    return -1;
}

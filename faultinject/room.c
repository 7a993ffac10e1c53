/* room.c: send-queue room and the peer's FIN, asked of the kernel (room.h). */
#include "room.h"

#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

REAL(poll, int, (struct pollfd *, nfds_t, int))

void fi_room_resolve(void)
{
    get_poll();
}

/* Measured on Linux 6.x (tests/fi/test_room.c checks it on the running
 * kernel): a non-blocking write into an empty send queue with SO_SNDBUF
 * at its minimum (SOCK_MIN_SNDBUF, set with SO_SNDBUF=1), the receiver's
 * SO_RCVBUF at its minimum and a tiny MSS (TCP_MAXSEG 88) takes 1824
 * bytes over TCP loopback; a unix stream socketpair takes 4480. */
#define FLOOR_TCP 1824
#define FLOOR_UNIX 4480

long long fi_room_floor(int family)
{
    return family == AF_INET || family == AF_INET6 ? FLOOR_TCP
         : family == AF_UNIX                      ? FLOOR_UNIX
                                                  : -1;
}

static long long socket_room(int fd)
{
    int family = 0, outq = 0;
    socklen_t len = sizeof family;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
        return -1;
    long long floor = fi_room_floor(family);
    /* SIOCOUTQ: TCP, bytes not yet acknowledged; unix, the memory of what
     * the peer has not read yet (truesize: more than the bytes). */
    if (floor < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
        return -1;
    return floor > outq ? floor - outq : 0;
}

/* pipe_write fills the last page first, then whole pages: with Q bytes
 * queued at most Q/page + 2 pages are in use (a partly read head page, a
 * partly written tail page), so that many fewer are surely free. Pages
 * a splice left partly filled are not counted: the room may then be less. */
static long long pipe_room(int fd)
{
    int q = 0;
    long page = sysconf(_SC_PAGESIZE);
    int size = fcntl(fd, F_GETPIPE_SZ);
    if (size < 0 || page <= 0 || ioctl(fd, FIONREAD, &q) < 0)
        return -1;
    long long used = ((long long)q / page + 2) * page;
    return size > used ? size - used : 0;
}

long long fi_room(int fd, enum fi_fdkind kind)
{
    int saved = errno;
    long long room = kind == FI_K_SOCK ? socket_room(fd) : kind == FI_K_PIPE ? pipe_room(fd) : -1;
    errno = saved;
    return room;
}

int fi_fin_queued(int fd, enum fi_fdkind kind)
{
    int saved = errno;
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
    int r = get_poll()(&p, 1, 0);
    errno = saved;
    if (r != 1)
        return 0;
    /* A socket: RDHUP (receive side shut); HUP alone also when both are. */
    unsigned fin = kind == FI_K_PIPE ? POLLHUP : POLLRDHUP | POLLHUP;
    return (p.revents & fin) != 0;
}

long long fi_queued(int fd)
{
    int saved = errno, q = 0;
    if (ioctl(fd, FIONREAD, &q) < 0)
        q = 0;
    errno = saved;
    return q;
}

/* room.c: send-queue room and the peer's FIN, asked of the kernel (room.h). */
#include "room.h"

#include "real.h"
#include "roomrule.h"

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

static long long socket_room(int fd)
{
    int family = 0, outq = 0;
    socklen_t len = sizeof family;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
        return -1;
    if (fi_room_floor(family) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
        return -1;
    return fi_room_socket(family, outq);
}

/* roomrule.h: the pages surely free */
static long long pipe_room(int fd)
{
    int q = 0;
    long page = sysconf(_SC_PAGESIZE);
    int size = fcntl(fd, F_GETPIPE_SZ);
    if (size < 0 || page <= 0 || ioctl(fd, FIONREAD, &q) < 0)
        return -1;
    return fi_room_pipe(size, q, page);
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

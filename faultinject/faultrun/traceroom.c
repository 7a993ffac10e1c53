/* traceroom.c: a traced write's sure room (see traceroom.h). */
#include "traceroom.h"

#include "roomrule.h"
#include "tracee.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

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

static long long pipe_room(int fd)
{
    int q = 0;
    int size = fcntl(fd, F_GETPIPE_SZ);
    if (size < 0 || ioctl(fd, FIONREAD, &q) < 0)
        return -1;
    return fi_room_pipe(size, q, sysconf(_SC_PAGESIZE));
}

long long tr_room(int pidfd, int fd, enum fi_fdkind kind)
{
    if (kind != FI_K_SOCK && kind != FI_K_PIPE)
        return -1;
    int copy = ft_fd_copy(pidfd, fd);
    if (copy < 0)
        return -1;
    long long room = kind == FI_K_SOCK ? socket_room(copy) : pipe_room(copy);
    close(copy);
    return room;
}

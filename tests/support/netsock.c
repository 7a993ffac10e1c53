/* netsock.c: see netsock.h. Nothing but libc: the wrap suite links it. */
#include "netsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int net_pair(int sv[2])
{
    return socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
}

/* Closes FD keeping errno (the failure's), returns -1. */
static int fail_closing(int fd)
{
    int e = errno;
    if (fd >= 0)
        close(fd);
    errno = e;
    return -1;
}

int net_bound(struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) < 0)
        return fail_closing(fd);
    return fd;
}

int net_listen(struct sockaddr_in *addr, int backlog)
{
    int fd = net_bound(addr);
    if (fd >= 0 && listen(fd, backlog) < 0)
        return fail_closing(fd);
    return fd;
}

int net_dial(const struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

    if (fd < 0)
        return -1;
    while ((r = connect(fd, (const struct sockaddr *)addr, sizeof *addr)) < 0 &&
           errno == EINTR)
        ;
    return r < 0 ? fail_closing(fd) : fd;
}

int net_tcp_pair(int fds[2])
{
    struct sockaddr_in a;
    int l = net_listen(&a, 16);

    if (l < 0)
        return -1;
    fds[0] = net_dial(&a);
    if (fds[0] < 0)
        return fail_closing(l);
    fds[1] = accept(l, NULL, NULL);
    if (fds[1] < 0) {
        fail_closing(fds[0]);
        return fail_closing(l);
    }
    close(l);
    return 0;
}

int net_pending(int fd)
{
    int n = -1;
    return ioctl(fd, FIONREAD, &n) < 0 ? -1 : n;
}

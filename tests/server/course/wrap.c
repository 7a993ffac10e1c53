/* wrap.c (course-style fixture, written for the suite's own tests): the
 * wrappers a student writes from the course notes, with the course's
 * habits kept on purpose: Accept retries EINTR and ECONNABORTED and exits
 * on anything else (EMFILE included); Write is one write() (a short write
 * loses the rest); Close exits on any error (EINTR included). */
#include "wrap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void perr_exit(const char *s)
{
    perror(s);
    exit(1);
}

int Socket(int family, int type, int protocol)
{
    int n = socket(family, type, protocol);
    if (n < 0)
        perr_exit("socket error");
    return n;
}

int Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{
    int n = bind(fd, sa, salen);
    if (n < 0)
        perr_exit("bind error");
    return n;
}

int Listen(int fd, int backlog)
{
    int n = listen(fd, backlog);
    if (n < 0)
        perr_exit("listen error");
    return n;
}

int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{
    int n;
again:
    n = accept(fd, sa, salenptr);
    if (n < 0) {
        if (errno == ECONNABORTED || errno == EINTR)
            goto again;
        perr_exit("accept error");
    }
    return n;
}

ssize_t Read(int fd, void *ptr, size_t nbytes)
{
    ssize_t n;
again:
    n = read(fd, ptr, nbytes);
    if (n == -1 && errno == EINTR)
        goto again;
    return n;
}

ssize_t Write(int fd, const void *ptr, size_t nbytes)
{
    ssize_t n;
again:
    n = write(fd, ptr, nbytes);
    if (n == -1 && errno == EINTR)
        goto again;
    return n;
}

int Close(int fd)
{
    int n = close(fd);
    if (n == -1)
        perr_exit("close error");
    return n;
}

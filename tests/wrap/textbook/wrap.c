/* wrap.c of the textbook-style fixture, written for check-wrap's own
 * test: void Bind/Listen/Connect, errors that exit, and a Readline with a
 * one-descriptor read-ahead buffer that stores its '\0' at buf[0] when
 * maxlen is 0 (the loop runs no time, then *ptr = 0). */
#include "wrap.h"

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

void Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{
    if (bind(fd, sa, salen) < 0)
        perr_exit("bind error");
}

void Listen(int fd, int backlog)
{
    if (listen(fd, backlog) < 0)
        perr_exit("listen error");
}

void Connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
    if (connect(fd, sa, salen) < 0)
        perr_exit("connect error");
}

int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{
    int n;
again:
    if ((n = accept(fd, sa, salenptr)) < 0) {
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
    if ((n = read(fd, ptr, nbytes)) == -1) {
        if (errno == EINTR)
            goto again;
        return -1;
    }
    return n;
}

ssize_t Write(int fd, const void *ptr, size_t nbytes)
{
    ssize_t n;
again:
    if ((n = write(fd, ptr, nbytes)) == -1) {
        if (errno == EINTR)
            goto again;
        return -1;
    }
    return n;
}

int Close(int fd)
{
    int n = close(fd);
    if (n == -1)
        perr_exit("close error");
    return n;
}

ssize_t Readn(int fd, void *vptr, size_t n)
{
    size_t left = n;
    char *p = vptr;
    while (left > 0) {
        ssize_t r = read(fd, p, left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        left -= (size_t)r;
        p += r;
    }
    return (ssize_t)(n - left);
}

ssize_t Writen(int fd, const void *vptr, size_t n)
{
    size_t left = n;
    const char *p = vptr;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        left -= (size_t)w;
        p += w;
    }
    return (ssize_t)n;
}

static ssize_t my_read(int fd, char *ptr)
{
    static int count;
    static char *read_ptr;
    static char read_buf[128];
    if (count <= 0) {
    again:
        if ((count = (int)read(fd, read_buf, sizeof read_buf)) < 0) {
            if (errno == EINTR)
                goto again;
            return -1;
        } else if (count == 0)
            return 0;
        read_ptr = read_buf;
    }
    count--;
    *ptr = *read_ptr++;
    return 1;
}

ssize_t Readline(int fd, void *vptr, size_t maxlen)
{
    size_t n;
    ssize_t rc;
    char c, *ptr = vptr;
    for (n = 1; n < maxlen; n++) {
        if ((rc = my_read(fd, &c)) == 1) {
            *ptr++ = c;
            if (c == '\n')
                break;
        } else if (rc == 0) {
            *ptr = 0;
            return (ssize_t)(n - 1);
        } else
            return -1;
    }
    *ptr = 0;
    return (ssize_t)n;
}

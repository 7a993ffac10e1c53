/* A wrap.c written the way the course teaches it (seeds/), to check what
 * check-wrap tells such a student. Not a copy: the same behaviours, on
 * purpose, bugs included:
 *   - Readline returns maxlen after storing maxlen - 1 bytes (breaks L2);
 *   - one static read-ahead buffer for every descriptor (breaks L8, L9, L10,
 *     T1), its bytes lost on an error (L6, and Readn's N4);
 *   - Accept, Connect and Close call perr_exit on any error they do not
 *     retry (A2, C2, C3, CL1); maxlen is never checked (L11), and with maxlen 0 its
 *     '\0' goes to buf[0] (L12).
 * The expected verdict of each row is in tests/wrap/course/expected.txt. */
#include "wrap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void perr_exit(const char *s)
{
    perror(s);
    exit(-1);
}

int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{
    int n;

    for (;;) {
        n = accept(fd, sa, salenptr);
        if (n >= 0)
            return n;
        if (errno != ECONNABORTED && errno != EINTR)
            perr_exit("accept error");
    }
}

int Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{
    int n = bind(fd, sa, salen);

    if (n < 0)
        perr_exit("bind error");
    return n;
}

int Connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
    int n = connect(fd, sa, salen);

    if (n < 0)
        perr_exit("connect error");
    return n;
}

int Listen(int fd, int backlog)
{
    int n = listen(fd, backlog);

    if (n < 0)
        perr_exit("listen error");
    return n;
}

int Socket(int family, int type, int protocol)
{
    int n = socket(family, type, protocol);

    if (n < 0)
        perr_exit("socket error");
    return n;
}

ssize_t Read(int fd, void *ptr, size_t nbytes)
{
    ssize_t n;

    do
        n = read(fd, ptr, nbytes);
    while (n == -1 && errno == EINTR);
    return n;
}

ssize_t Write(int fd, const void *ptr, size_t nbytes)
{
    ssize_t n;

    do
        n = write(fd, ptr, nbytes);
    while (n == -1 && errno == EINTR);
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
    char *p = vptr;
    size_t left = n;

    while (left > 0) {
        ssize_t got = read(fd, p, left);
        if (got < 0) {
            if (errno != EINTR)
                return -1;
            got = 0;
        } else if (got == 0) {
            break;
        }
        left -= (size_t)got;
        p += got;
    }
    return (ssize_t)(n - left);
}

ssize_t Writen(int fd, const void *vptr, size_t n)
{
    const char *p = vptr;
    size_t left = n;

    while (left > 0) {
        ssize_t put = write(fd, p, left);
        if (put <= 0) {
            if (put < 0 && errno == EINTR)
                put = 0;
            else
                return -1;
        }
        left -= (size_t)put;
        p += put;
    }
    return (ssize_t)n;
}

/* One byte of fd's stream, through a 100-byte buffer shared by every
 * descriptor, as in the course. */
static ssize_t my_read(int fd, char *c)
{
    static char buf[100];
    static char *next;
    static ssize_t count;

    if (count <= 0) {
        do
            count = read(fd, buf, sizeof buf);
        while (count < 0 && errno == EINTR);
        if (count <= 0)
            return count;
        next = buf;
    }
    count--;
    *c = *next++;
    return 1;
}

ssize_t Readline(int fd, void *vptr, size_t maxlen)
{
    char *p = vptr, c;
    size_t n;

    for (n = 1; n < maxlen; n++) {
        ssize_t rc = my_read(fd, &c);
        if (rc == 1) {
            *p++ = c;
            if (c == '\n')
                break;
        } else if (rc == 0) {
            *p = '\0';
            return (ssize_t)(n - 1);
        } else {
            return -1;
        }
    }
    *p = '\0';
    return (ssize_t)n;
}

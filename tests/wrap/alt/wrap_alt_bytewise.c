/* CORRECT alternative: a second, differently built wrap.c that meets the
 * contract, to check that the suite tests the contract and not our internals.
 *
 * Readline reads ONE byte per read() (no read-ahead at all); the bytes of an
 * unfinished line taken before a failure, and Readn's bytes before a
 * failure, go to a per-descriptor "pushback" kept in a linked list under one
 * global mutex. Readn serves the pushback first. Close drops the pushback. */
#include "wrap.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pb {
    struct pb *next;
    int fd;
    size_t len, off;
    char *bytes;
};

static struct pb *pbs;
static pthread_mutex_t pb_mu = PTHREAD_MUTEX_INITIALIZER;

/* Removes and returns fd's pushback (the caller owns it), or NULL. */
static struct pb *pb_take(int fd)
{
    struct pb **pp, *p;
    pthread_mutex_lock(&pb_mu);
    for (pp = &pbs; *pp && (*pp)->fd != fd; pp = &(*pp)->next)
        ;
    p = *pp;
    if (p)
        *pp = p->next;
    pthread_mutex_unlock(&pb_mu);
    return p;
}

/* Stores BUF[0..n) + the rest of OLD (if any) as fd's pushback. */
static void pb_put(int fd, const char *buf, size_t n, struct pb *old)
{
    int saved = errno;
    size_t rest = old ? old->len - old->off : 0;
    struct pb *p;

    if (n + rest == 0) {
        if (old) {
            free(old->bytes);
            free(old);
        }
        errno = saved;
        return;
    }
    p = malloc(sizeof *p);
    if (p) {
        p->bytes = malloc(n + rest);
        if (!p->bytes) {
            free(p);
            p = NULL;
        }
    }
    if (p) {
        memcpy(p->bytes, buf, n);
        if (rest)
            memcpy(p->bytes + n, old->bytes + old->off, rest);
        p->fd = fd;
        p->len = n + rest;
        p->off = 0;
        pthread_mutex_lock(&pb_mu);
        p->next = pbs;
        pbs = p;
        pthread_mutex_unlock(&pb_mu);
    }
    if (old) {
        free(old->bytes);
        free(old);
    }
    errno = saved;
}

void perr_exit(const char *s)
{
    int e = errno;
    fprintf(stderr, "%s: %s\n", s, strerror(e));
    exit(2);
}

int Socket(int family, int type, int protocol)
{
    int n;
    if ((n = socket(family, type, protocol)) < 0)
        perr_exit("socket");
    return n;
}

int Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{
    int n;
    if ((n = bind(fd, sa, salen)) < 0)
        perr_exit("bind");
    return n;
}

int Listen(int fd, int backlog)
{
    int n;
    if ((n = listen(fd, backlog)) < 0)
        perr_exit("listen");
    return n;
}

int Connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
    struct pollfd p;
    int err;
    socklen_t l = sizeof err;

    if (connect(fd, sa, salen) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    p.fd = fd;
    p.events = POLLOUT;
    while (poll(&p, 1, -1) < 0)
        if (errno != EINTR)
            return -1;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
        return -1;
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{
    socklen_t keep = salenptr ? *salenptr : 0;
    int n;
again:
    if ((n = accept(fd, sa, salenptr)) < 0) {
        if (errno == EINTR || errno == ECONNABORTED) {
            if (salenptr)
                *salenptr = keep;
            goto again;
        }
    }
    return n;
}

ssize_t Read(int fd, void *ptr, size_t nbytes)
{
    ssize_t n;
again:
    if ((n = read(fd, ptr, nbytes)) == -1 && errno == EINTR)
        goto again;
    return n;
}

ssize_t Write(int fd, const void *ptr, size_t nbytes)
{
    ssize_t n;
again:
    if ((n = write(fd, ptr, nbytes)) == -1 && errno == EINTR)
        goto again;
    return n;
}

int Close(int fd)
{
    struct pb *p = pb_take(fd);
    if (p) {
        free(p->bytes);
        free(p);
    }
    if (close(fd) == -1 && errno != EINTR)
        return -1;
    return 0;
}

ssize_t Readn(int fd, void *vptr, size_t n)
{
    char *ptr = vptr;
    size_t done = 0;
    struct pb *p;

    if (n == 0)
        return 0;
    if ((p = pb_take(fd)) != NULL) {
        size_t k = p->len - p->off < n ? p->len - p->off : n;
        memcpy(ptr, p->bytes + p->off, k);
        p->off += k;
        done = k;
        if (done == n) {
            pb_put(fd, "", 0, p);   /* the rest stays pushed back */
            return (ssize_t)n;
        }
        free(p->bytes);
        free(p);
    }
    while (done < n) {
        ssize_t r = read(fd, ptr + done, n - done);
        if (r == 0)
            break;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            pb_put(fd, ptr, done, NULL);
            return -1;
        }
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t Writen(int fd, const void *vptr, size_t n)
{
    const char *ptr = vptr;
    size_t left = n;
    while (left) {
        ssize_t w = write(fd, ptr, left);
        if (w <= 0) {
            if (w < 0 && errno == EINTR)
                continue;
            return -1;
        }
        left -= (size_t)w;
        ptr += w;
    }
    return (ssize_t)n;
}

/* One byte: from the pushback if any, else one read(). */
static ssize_t next_byte(int fd, char *c)
{
    struct pb *p = pb_take(fd);
    ssize_t r;

    if (p) {
        *c = p->bytes[p->off++];
        pb_put(fd, "", 0, p);
        return 1;
    }
    do {
        r = read(fd, c, 1);
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t Readline(int fd, void *vptr, size_t maxlen)
{
    char *buf = vptr, c;
    size_t n = 0;
    ssize_t r;

    if (maxlen <= 1) {
        errno = EINVAL;
        return -1;
    }
    while (n < maxlen - 1) {
        r = next_byte(fd, &c);
        if (r < 0) {
            pb_put(fd, buf, n, pb_take(fd));
            return -1;
        }
        if (r == 0)
            break;
        buf[n++] = c;
        if (c == '\n')
            break;
    }
    buf[n] = 0;
    return (ssize_t)n;
}

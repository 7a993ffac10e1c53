/* CORRECT alternative: a third wrap.c with other internals again.
 *
 * Per-descriptor state lives in a heap array indexed by descriptor number,
 * grown with realloc under a read-write lock and freed as a whole when the
 * last state is dropped (so M1 holds with a dynamic table). Each state reads
 * ahead into a tiny 7-byte buffer. Readline copies into the caller's buffer
 * as it goes and, on a failure, pushes what it took back in front of the
 * buffer (growing it), instead of keeping the line in its own buffer. */
#include "wrap.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMALL 7

struct st {
    char *b;
    size_t cap, pos, len;
};

static struct st **tab;
static size_t ntab, nlive;
static pthread_rwlock_t tab_lk = PTHREAD_RWLOCK_INITIALIZER;

static struct st *st_find(int fd)
{
    struct st *s = NULL;
    if (fd < 0)
        return NULL;
    pthread_rwlock_rdlock(&tab_lk);
    if ((size_t)fd < ntab)
        s = tab[fd];
    pthread_rwlock_unlock(&tab_lk);
    return s;
}

static struct st *st_make(int fd)
{
    struct st *s = st_find(fd);
    if (s)
        return s;
    if (fd < 0) {
        errno = EBADF;
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->b = malloc(SMALL);
    if (!s->b) {
        free(s);
        return NULL;
    }
    s->cap = SMALL;
    pthread_rwlock_wrlock(&tab_lk);
    if ((size_t)fd >= ntab) {
        size_t n = (size_t)fd + 16;
        struct st **t = realloc(tab, n * sizeof *t);
        if (!t) {
            pthread_rwlock_unlock(&tab_lk);
            free(s->b);
            free(s);
            errno = ENOMEM;
            return NULL;
        }
        memset(t + ntab, 0, (n - ntab) * sizeof *t);
        tab = t;
        ntab = n;
    }
    tab[fd] = s;
    nlive++;
    pthread_rwlock_unlock(&tab_lk);
    return s;
}

static void st_drop(int fd)
{
    struct st *s = NULL;
    int e = errno;
    pthread_rwlock_wrlock(&tab_lk);
    if (fd >= 0 && (size_t)fd < ntab && tab[fd]) {
        s = tab[fd];
        tab[fd] = NULL;
        if (--nlive == 0) {
            free(tab);
            tab = NULL;
            ntab = 0;
        }
    }
    pthread_rwlock_unlock(&tab_lk);
    if (s) {
        free(s->b);
        free(s);
    }
    errno = e;
}

/* Puts P[0..n) in front of s's pending bytes. */
static void st_unread(int fd, const char *p, size_t n)
{
    int e = errno;
    struct st *s;
    if (n == 0 || !(s = st_make(fd))) {
        errno = e;
        return;
    }
    size_t have = s->len - s->pos;
    if (n + have > s->cap) {
        char *nb = malloc(n + have);
        if (!nb) {
            errno = e;
            return;
        }
        memcpy(nb + n, s->b + s->pos, have);
        free(s->b);
        s->b = nb;
        s->cap = n + have;
    } else {
        memmove(s->b + n, s->b + s->pos, have);
    }
    memcpy(s->b, p, n);
    s->pos = 0;
    s->len = n + have;
    errno = e;
}

void perr_exit(const char *s)
{
    perror(s);
    exit(1);
}

int Socket(int f, int t, int p)
{
    int n = socket(f, t, p);
    if (n < 0)
        perr_exit("socket");
    return n;
}

int Bind(int fd, const struct sockaddr *sa, socklen_t l)
{
    if (bind(fd, sa, l) < 0)
        perr_exit("bind");
    return 0;
}

int Listen(int fd, int b)
{
    if (listen(fd, b) < 0)
        perr_exit("listen");
    return 0;
}

int Connect(int fd, const struct sockaddr *sa, socklen_t l)
{
    if (connect(fd, sa, l) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    for (;;) {
        struct pollfd p = { fd, POLLOUT, 0 };
        int r = poll(&p, 1, -1), err = 0;
        socklen_t el = sizeof err;
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            errno = err;
            return -1;
        }
        return 0;
    }
}

int Accept(int fd, struct sockaddr *sa, socklen_t *lp)
{
    socklen_t l0 = lp ? *lp : 0;
    for (;;) {
        int n = accept(fd, sa, lp);
        if (n >= 0)
            return n;
        if (errno != EINTR && errno != ECONNABORTED && errno != EPROTO)
            return -1;
        if (lp)
            *lp = l0;
    }
}

ssize_t Read(int fd, void *p, size_t n)
{
    for (;;) {
        ssize_t r = read(fd, p, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

ssize_t Write(int fd, const void *p, size_t n)
{
    for (;;) {
        ssize_t r = write(fd, p, n);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

int Close(int fd)
{
    st_drop(fd);
    int r = close(fd);
    return r < 0 && errno == EINTR ? 0 : r;
}

ssize_t Readn(int fd, void *vp, size_t n)
{
    char *p = vp;
    size_t got = 0;
    struct st *s = st_find(fd);

    if (s) {
        size_t k = s->len - s->pos;
        if (k > n)
            k = n;
        memcpy(p, s->b + s->pos, k);
        s->pos += k;
        got = k;
    }
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st_unread(fd, p, got);
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

ssize_t Writen(int fd, const void *vp, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, (const char *)vp + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t Readline(int fd, void *vp, size_t maxlen)
{
    char *out = vp;
    size_t n = 0;
    struct st *s;

    if (maxlen < 2) {
        errno = EINVAL;
        return -1;
    }
    if (!(s = st_make(fd)))
        return -1;
    while (n + 1 < maxlen) {
        if (s->pos == s->len) {
            ssize_t r;
            s->pos = s->len = 0;
            do {
                r = read(fd, s->b, s->cap < SMALL ? s->cap : SMALL);
            } while (r < 0 && errno == EINTR);
            if (r < 0) {
                st_unread(fd, out, n);
                return -1;
            }
            if (r == 0)
                break;
            s->len = (size_t)r;
        }
        char c = s->b[s->pos++];
        out[n++] = c;
        if (c == '\n')
            break;
    }
    out[n] = '\0';
    return (ssize_t)n;
}

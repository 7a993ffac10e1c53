/* MUTANT breaks: L6 */
/* Readline throws the unfinished line away when read() fails (EAGAIN). A copy of wrap/wrap.c with that one fault. */
/* wrap.c: the course's wrappers, hardened to meet wrap-contract.md.
 *
 * Readline keeps a read-ahead buffer per descriptor (struct rl_state),
 * allocated on first use. It is found without a lock for descriptors below
 * RL_DIRECT (one atomic slot each), and through 256 buckets of short lists,
 * each under its own mutex held only while the list is walked or changed,
 * above. A read() is never made under a lock, so threads on different
 * descriptors do not contend (T1). The same descriptor used by two threads
 * at once is not supported (as with the course's code).
 * Close drops the state before close() (CL1); once every descriptor went
 * through Close no block is held (M1).
 */
#include "wrap.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RL_DIRECT  1024     /* descriptors with a lock-free slot */
#define RL_BUCKETS 256u     /* lists for the others */
#define RL_CAP     16384u   /* first buffer size; grows for longer lines */

/* One descriptor's read-ahead: bytes [pos, len) of data are the next bytes
 * of the stream, not yet delivered. */
struct rl_state {
    struct rl_state *next;
    int fd;
    char *data;
    size_t cap, pos, len;
};

struct rl_bucket {
    pthread_mutex_t lock;
    struct rl_state *head;
};

static struct rl_bucket rl_table[RL_BUCKETS] = {
    [0 ... RL_BUCKETS - 1] = { PTHREAD_MUTEX_INITIALIZER, NULL }
};

/* Slot fd holds fd's state. Only the thread using fd stores into it (Readline
 * creating the state, Close taking it out), so acquire/release suffices. */
static _Atomic(struct rl_state *) rl_direct[RL_DIRECT];

static struct rl_state *rl_new(int fd)
{
    struct rl_state *s = calloc(1, sizeof *s);

    if (s != NULL)
        s->fd = fd;
    return s;
}

static struct rl_bucket *rl_bucket_of(int fd)
{
    return &rl_table[(unsigned)fd % RL_BUCKETS];
}

/* fd's state, or NULL. With CREATE, an empty state is made when there is
 * none (NULL with errno ENOMEM if that fails). */
static struct rl_state *rl_get(int fd, int create)
{
    struct rl_bucket *b;
    struct rl_state *s;

    if (fd >= 0 && fd < RL_DIRECT) {
        s = atomic_load_explicit(&rl_direct[fd], memory_order_acquire);
        if (s == NULL && create && (s = rl_new(fd)) != NULL)
            atomic_store_explicit(&rl_direct[fd], s, memory_order_release);
        return s;
    }
    b = rl_bucket_of(fd);
    pthread_mutex_lock(&b->lock);
    for (s = b->head; s != NULL && s->fd != fd; s = s->next)
        ;
    if (s == NULL && create && (s = rl_new(fd)) != NULL) {
        s->next = b->head;
        b->head = s;
    }
    pthread_mutex_unlock(&b->lock);
    return s;
}

/* Unlinks fd's state, if any, and returns it. */
static struct rl_state *rl_unlink(int fd)
{
    struct rl_bucket *b;
    struct rl_state **pp, *s;

    if (fd >= 0 && fd < RL_DIRECT)
        return atomic_exchange_explicit(&rl_direct[fd], NULL,
                                        memory_order_acq_rel);
    b = rl_bucket_of(fd);
    pthread_mutex_lock(&b->lock);
    for (pp = &b->head; *pp != NULL && (*pp)->fd != fd; pp = &(*pp)->next)
        ;
    s = *pp;
    if (s != NULL)
        *pp = s->next;
    pthread_mutex_unlock(&b->lock);
    return s;
}

/* Unlinks and frees fd's state, if any. errno is left as it was. */
static void rl_drop(int fd)
{
    struct rl_state *s = rl_unlink(fd);
    int saved = errno;

    if (s != NULL) {
        free(s->data);
        free(s);
    }
    errno = saved;
}

/* Drops S when it holds no byte: a descriptor that only failed or ended
 * keeps no memory even if it is never Closed. errno is kept. */
static void rl_release_if_empty(struct rl_state *s)
{
    if (s->pos == s->len)
        rl_drop(s->fd);
}

/* Takes up to N buffered bytes into DST; returns how many. */
static size_t rl_take(struct rl_state *s, char *dst, size_t n)
{
    size_t avail = s->len - s->pos;

    if (n > avail)
        n = avail;
    if (n == 0)
        return 0;
    memcpy(dst, s->data + s->pos, n);
    s->pos += n;
    if (s->pos == s->len) {
        s->pos = s->len = 0;
        if (s->cap > RL_CAP) {      /* a long line grew it: give it back */
            free(s->data);
            s->data = NULL;
            s->cap = 0;
        }
    }
    return n;
}

/* Makes room for at least one more byte at the tail: moves pending bytes to
 * the front, or grows the buffer (doubling) when it is full of them. */
static int rl_make_room(struct rl_state *s)
{
    size_t ncap;
    char *nd;

    if (s->len < s->cap)
        return 0;
    if (s->pos > 0) {
        memmove(s->data, s->data + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
        return 0;
    }
    ncap = s->cap ? s->cap * 2 : RL_CAP;
    nd = realloc(s->data, ncap);
    if (nd == NULL)
        return -1;
    s->data = nd;
    s->cap = ncap;
    return 0;
}

/* The one refill of Readline's buffer: appends what one read() gives.
 * Returns the count added, 0 at end of stream, -1 with errno (EINTR is
 * retried). Pending bytes stay in the buffer whatever happens (L6). */
static ssize_t rl_refill(struct rl_state *s)
{
    ssize_t r;

    if (rl_make_room(s) < 0)
        return -1;
    do {
        r = read(s->fd, s->data + s->len, s->cap - s->len);
    } while (r < 0 && errno == EINTR);
    if (r > 0)
        s->len += (size_t)r;
    return r;
}

/* Puts BUF[0..n) back as the next bytes of fd's stream: Readn's bytes taken
 * before a failure (N4). Only called with fd's buffer empty. If memory runs
 * out the bytes are lost (the caller still returns the read's errno). */
static void rl_unread(int fd, const char *buf, size_t n)
{
    struct rl_state *s;
    int saved = errno;

    if (n > 0 && (s = rl_get(fd, 1)) != NULL) {
        if (s->cap < n) {
            char *nd = malloc(n > RL_CAP ? n : RL_CAP);
            if (nd != NULL) {
                free(s->data);
                s->data = nd;
                s->cap = n > RL_CAP ? n : RL_CAP;
            }
        }
        if (s->cap >= n) {
            memcpy(s->data, buf, n);
            s->pos = 0;
            s->len = n;
        }
        rl_release_if_empty(s);
    }
    errno = saved;
}

void perr_exit(const char *s)
{
    int e = errno;

    fprintf(stderr, "%s: %s\n", s, strerror(e));
    exit(1);
}

int Socket(int family, int type, int protocol)
{
    int fd = socket(family, type, protocol);

    if (fd < 0)
        perr_exit("socket error");
    return fd;
}

int Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{
    int r = bind(fd, sa, salen);

    if (r < 0)
        perr_exit("bind error");
    return r;
}

int Listen(int fd, int backlog)
{
    int r = listen(fd, backlog);

    if (r < 0)
        perr_exit("listen error");
    return r;
}

/* C2: connect() was interrupted; the attempt goes on in the kernel (Linux
 * does not abort it), so wait until the socket is writable and read the
 * outcome from SO_ERROR. connect() is never called again. */
static int connect_wait(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLOUT };
    int err = 0, r;
    socklen_t len = sizeof err;

    do {
        r = poll(&pfd, 1, -1);
    } while (r < 0 && errno == EINTR);
    if (r >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0) {
        if (err == 0)
            return 0;
        errno = err;                /* the attempt's own failure */
    }
    return -1;
}

int Connect(int fd, const struct sockaddr *sa, socklen_t salen)
{
    if (connect(fd, sa, salen) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    return connect_wait(fd);
}

/* A1: errors that belong to one pending connection, not to the listener:
 * ECONNABORTED, and the network errors Linux passes on from accept() that
 * accept(2) says to retry like EAGAIN. EOPNOTSUPP is not among them here: it
 * also means "not a stream socket", which retrying would never cure. */
static int accept_retry(int e)
{
    switch (e) {
    case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN:
    case ENOPROTOOPT: case EHOSTDOWN: case ENONET: case EHOSTUNREACH:
    case ENETUNREACH:
        return 1;
    default:
        return 0;
    }
}

int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{
    socklen_t len0 = salenptr ? *salenptr : 0;
    int r;

    for (;;) {
        r = accept(fd, sa, salenptr);
        if (r >= 0 || !accept_retry(errno))
            return r;
        if (salenptr)               /* accept() may have changed it */
            *salenptr = len0;
    }
}

ssize_t Read(int fd, void *ptr, size_t nbytes)
{
    ssize_t r;

    do {
        r = read(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t Write(int fd, const void *ptr, size_t nbytes)
{
    ssize_t r;

    do {
        r = write(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    return r;
}

int Close(int fd)
{
    rl_drop(fd);    /* first: the number is free the moment close() runs */
    if (close(fd) == 0)
        return 0;
    /* Linux releases the descriptor even when close() fails with EINTR:
     * closing it again could close another thread's new descriptor. */
    if (errno == EINTR)
        return 0;
    return -1;
}

ssize_t Readn(int fd, void *vptr, size_t n)
{
    char *p = vptr;
    size_t got = 0;
    struct rl_state *s;
    ssize_t r;

    if (n == 0)
        return 0;
    s = rl_get(fd, 0);
    if (s != NULL)                  /* L10: Readline's read-ahead first */
        got = rl_take(s, p, n);
    while (got < n) {
        r = read(fd, p + got, n - got);     /* never more than asked: N5 */
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            break;
        } else if (errno != EINTR) {
            rl_unread(fd, p, got);          /* N4 */
            return -1;
        }
    }
    return (ssize_t)got;
}

ssize_t Writen(int fd, const void *vptr, size_t n)
{
    const char *p = vptr;
    size_t left = n;
    ssize_t r;

    while (left > 0) {
        r = write(fd, p, left);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        left -= (size_t)r;
    }
    return (ssize_t)n;
}

ssize_t Readline(int fd, void *vptr, size_t maxlen)
{
    char *buf = vptr;
    size_t want, scanned = 0, avail, lim, take;
    struct rl_state *s;
    const char *nl;
    ssize_t r;

    if (maxlen < 2) {
        errno = EINVAL;
        return -1;
    }
    s = rl_get(fd, 1);
    if (s == NULL)
        return -1;
    want = maxlen - 1;
    for (;;) {
        avail = s->len - s->pos;
        lim = avail < want ? avail : want;
        nl = lim > scanned ? memchr(s->data + s->pos + scanned, '\n',
                                    lim - scanned) : NULL;
        if (nl != NULL) {
            take = (size_t)(nl - (s->data + s->pos)) + 1;
            break;
        }
        if (avail >= want) {
            take = want;
            break;
        }
        scanned = lim;
        r = rl_refill(s);
        if (r < 0) {
            s->pos = s->len = 0;
            rl_release_if_empty(s);
            return -1;
        }
        if (r == 0) {               /* end of stream: the partial line */
            take = avail;
            break;
        }
    }
    rl_take(s, buf, take);
    buf[take] = '\0';
    if (take == 0)
        rl_release_if_empty(s);
    return (ssize_t)take;
}

/* wtest.c: see wtest.h. */
#include "wtest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void pair_unix(int fds[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
        fail_msg("socketpair: %s", strerror(errno));
}

void pair_pipe(int fds[2])
{
    int p[2];
    if (pipe(p) < 0)
        fail_msg("pipe: %s", strerror(errno));
    fds[0] = p[0];      /* read end first, as for the pairs: fds[0] reads */
    fds[1] = p[1];
}

int tcp_listener(struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(fd, 16) < 0)
        fail_msg("listener: %s", strerror(errno));
    *len = sizeof *sa;
    if (getsockname(fd, (struct sockaddr *)sa, len) < 0)
        fail_msg("getsockname: %s", strerror(errno));
    return fd;
}

void refused_addr(struct sockaddr_storage *sa, socklen_t *len, int *holder)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
        fail_msg("bind: %s", strerror(errno));
    *len = sizeof *sa;
    getsockname(fd, (struct sockaddr *)sa, len);
    *holder = fd;       /* keeps the port ours, never listening: RST on SYN */
}

void pair_tcp(int fds[2])
{
    struct sockaddr_storage sa;
    socklen_t len;
    int l = tcp_listener(&sa, &len), one = 1;

    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&sa, len) < 0)
        fail_msg("connect: %s", strerror(errno));
    fds[1] = accept(l, NULL, NULL);
    if (fds[1] < 0)
        fail_msg("accept: %s", strerror(errno));
    setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    close(l);
}

void pair_tcp_reset(int fds[2])
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    struct pollfd p;

    pair_tcp(fds);
    /* SO_LINGER 0: close() sends RST instead of FIN */
    setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fds[1]);
    fds[1] = -1;
    p.fd = fds[0];
    p.events = POLLIN;
    if (poll(&p, 1, 5000) != 1 || !(p.revents & (POLLERR | POLLHUP | POLLIN)))
        fail_msg("the RST did not arrive");
}

void write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            fail_msg("test's own write failed: %s", strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

void read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            fail_msg("test's own read failed: %s", strerror(errno));
        if (r == 0)
            fail_msg("test's own read: stream ended %zu bytes early", n);
        p += r;
        n -= (size_t)r;
    }
}

int pending(int fd)
{
    int n = -1;
    if (ioctl(fd, FIONREAD, &n) < 0)
        fail_msg("FIONREAD: %s", strerror(errno));
    return n;
}

void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void rcv_timeout(int fd, int ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

size_t fill_socket(int fd)
{
    static char junk[65536];
    size_t total = 0;

    set_nonblock(fd);
    for (;;) {
        ssize_t r = write(fd, junk, sizeof junk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN) {
            /* small writes may still fit: fill to the last byte */
            while ((r = write(fd, junk, 1)) == 1)
                total++;
            return total;
        }
        if (r < 0)
            fail_msg("fill: %s", strerror(errno));
        total += (size_t)r;
    }
}

void fi(const char *fmt, ...)
{
    char rules[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rules, sizeof rules, fmt, ap);
    va_end(ap);
    if (!fi_active())
        fail_msg("the fault-injection shim is not loaded (run under "
                 "LD_PRELOAD=libfaultinject.so); needed for rules '%s'", rules);
    if (fi_set(rules) != 0)
        fail_msg("fi_set(\"%s\") refused: %s", rules, fi_error());
}

uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

size_t rnd_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(rnd(s) % n) : 0;
}

int slow_mode(void)
{
    const char *v = getenv("WRAP_SLOW");
    return v && *v && *v != '0';
}

int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

struct twrap {
    void *(*fn)(void *);
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
};

static void *twrap_main(void *p)
{
    struct twrap *t = p;
    t->fn(t->arg);
    pthread_mutex_lock(&t->mu);
    t->done = 1;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

int run_with_timeout(void *(*fn)(void *), void *arg, int ms)
{
    static struct twrap t;   /* leaked on timeout on purpose: thread runs on */
    pthread_t th;
    struct timespec dl;
    int done;

    t.fn = fn;
    t.arg = arg;
    t.done = 0;
    pthread_mutex_init(&t.mu, NULL);
    pthread_cond_init(&t.cv, NULL);
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    if (pthread_create(&th, NULL, twrap_main, &t) != 0)
        fail_msg("pthread_create failed");
    pthread_mutex_lock(&t.mu);
    while (!t.done && pthread_cond_timedwait(&t.cv, &t.mu, &dl) == 0)
        ;
    done = t.done;
    pthread_mutex_unlock(&t.mu);
    if (done)
        pthread_join(th, NULL);
    else
        pthread_detach(th);
    return done;
}

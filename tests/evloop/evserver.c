/* evserver: an edge-triggered epoll echo server with nginx's habits, to
 * check that the shim never strands a program that is correct under the
 * kernel's rules (faultinject.md, "Readiness agrees").
 *
 *   evserver PORT [-m MAX_CONNECTIONS] [-t IDLE_SECONDS]
 *
 * It meets the echo-server contract (server-contract.md S0-S8: a-z sent back
 * as A-Z, half-close answered by the rest of the echo and a close, SIGTERM
 * or SIGINT end it with status 0), so the soak can run it too. PORT 0 asks
 * the kernel for one; the port is printed on stdout as
 * "evserver: listening on 127.0.0.1:PORT".
 *
 * Its habits, the ones that hang a program when a shim breaks the kernel's
 * readiness rules:
 *  - every socket is non-blocking and registered once, EPOLLIN | EPOLLOUT |
 *    EPOLLRDHUP | EPOLLET; a flag per direction says "ready";
 *  - a read that returns less than it asked clears the read flag: under the
 *    kernel's rules the receive queue is then empty and more data raises a
 *    new edge (nginx's ngx_unix_recv); so does EAGAIN;
 *  - a write that takes less than it was given clears the write flag and the
 *    server waits for EPOLLOUT; so does EAGAIN;
 *  - EPOLLRDHUP/EPOLLHUP/EPOLLERR mark the end as pending, so the read flag
 *    survives a short read (the FIN is already queued: no later edge).
 */
#include "clock.h"

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BUF = 32 * 1024, BATCH = 128, RETRY_MS = 10 };

struct conn {
    int fd;
    int rd_ready, wr_ready, pending_eof, rd_eof;
    size_t head, tail;           /* bytes [head, tail) of buf are owed */
    long long last_io;           /* ms; S8 idleness */
    struct conn *prev, *next;    /* every open connection */
    unsigned char buf[BUF];
};

struct server {
    int ep, lfd, sfd;
    int l_ready;                 /* connections may be waiting in the backlog */
    long long l_retry;           /* accept failed for want of resources: retry then */
    long max_conns, nconns;
    long long idle_ms;
    struct conn *conns;
    int stop;
};

/* Distinct addresses for epoll_data: the listener and the signalfd. */
static char listener_tag, signal_tag;

static void upcase(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'a' && p[i] <= 'z')
            p[i] = (unsigned char)(p[i] - 'a' + 'A');
}

static void conn_close(struct server *s, struct conn *c)
{
    /* Linux releases the descriptor even when close() says EINTR. */
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    s->nconns--;
}

/* One read, nginx's way. 1: bytes came, go on; 0: wait for an edge or for
 * room; -1: the connection is over (closed here). */
static int conn_read(struct server *s, struct conn *c)
{
    if (c->tail == BUF && c->head > 0) {
        memmove(c->buf, c->buf + c->head, c->tail - c->head);
        c->tail -= c->head;
        c->head = 0;
    }
    size_t room = BUF - c->tail;
    if (!c->rd_ready || c->rd_eof || room == 0)
        return 0;
    ssize_t n;
    do
        n = recv(c->fd, c->buf + c->tail, room, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        upcase(c->buf + c->tail, (size_t)n);
        c->tail += (size_t)n;
        c->last_io = now_ms();
        /* A short stream read means the queue ran dry (unless the end is
         * already queued): the next bytes raise a new edge. */
        if ((size_t)n < room && !c->pending_eof)
            c->rd_ready = 0;
        return 1;
    }
    if (n == 0) {
        c->rd_eof = 1;
        return 1;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->rd_ready = 0;
        return 0;
    }
    conn_close(s, c);
    return -1;
}

/* One write of what is owed; same results as conn_read. */
static int conn_write(struct server *s, struct conn *c)
{
    size_t owed = c->tail - c->head;
    if (!c->wr_ready || owed == 0)
        return 0;
    ssize_t n;
    do
        n = send(c->fd, c->buf + c->head, owed, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0) {
        c->head += (size_t)n;
        if (c->head == c->tail)
            c->head = c->tail = 0;
        c->last_io = now_ms();
        /* The send buffer is full: EPOLLOUT comes once there is room. */
        if ((size_t)n < owed)
            c->wr_ready = 0;
        return n > 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        c->wr_ready = 0;
        return 0;
    }
    conn_close(s, c);
    return -1;
}

/* Moves bytes while either direction can; closes once the client has
 * half-closed and all is echoed (S2). */
static void conn_serve(struct server *s, struct conn *c)
{
    for (;;) {
        int r = conn_read(s, c);
        if (r < 0)
            return;
        int w = conn_write(s, c);
        if (w < 0)
            return;
        if (c->rd_eof && c->head == c->tail) {
            conn_close(s, c);
            return;
        }
        if (r == 0 && w == 0)
            return;
    }
}

static void conn_event(struct server *s, struct conn *c, uint32_t ev)
{
    if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c->pending_eof = 1;
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        c->rd_ready = 1;
    if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        c->wr_ready = 1;
    conn_serve(s, c);
}

/* Takes connections from the backlog until EAGAIN, the cap, or a shortage. */
static void accept_all(struct server *s)
{
    while (s->l_ready && s->nconns < s->max_conns) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                s->l_ready = 0;
            else if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            else /* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection waits */
                s->l_retry = now_ms() + RETRY_MS;
            return;
        }
        struct conn *c = calloc(1, sizeof *c);
        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET};
        e.data.ptr = c;
        if (!c || epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
            free(c);
            close(fd);
            s->l_retry = now_ms() + RETRY_MS;
            return;
        }
        c->fd = fd;
        c->last_io = now_ms();
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
    }
}

/* S8: closes connections on which nothing moved for idle_ms. */
static void close_idle(struct server *s, long long now)
{
    struct conn *c = s->conns, *next;
    for (; c; c = next) {
        next = c->next;
        if (now - c->last_io >= s->idle_ms)
            conn_close(s, c);
    }
}

static int wait_timeout(const struct server *s, long long now)
{
    int t = -1;
    if (s->l_ready && s->nconns < s->max_conns)
        t = s->l_retry > now ? (int)(s->l_retry - now) : 0;
    if (s->conns && (t < 0 || t > 1000))
        t = 1000;
    return t;
}

static void run(struct server *s)
{
    struct epoll_event ev[BATCH];
    long long last_scan = now_ms();
    while (!s->stop) {
        int n = epoll_wait(s->ep, ev, BATCH, wait_timeout(s, now_ms()));
        if (n < 0 && errno != EINTR) {
            perror("evserver: epoll_wait");
            return;
        }
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == &listener_tag)
                s->l_ready = 1;
            else if (ev[i].data.ptr == &signal_tag)
                s->stop = 1;
            else
                conn_event(s, ev[i].data.ptr, ev[i].events);
        }
        long long now = now_ms();
        if (s->l_ready && now >= s->l_retry)
            accept_all(s);
        if (now - last_scan >= 1000) {
            close_idle(s, now);
            last_scan = now;
        }
    }
}

static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        perror("evserver: listen");
        return -1;
    }
    printf("evserver: listening on 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    return fd;
}

static int usage(void)
{
    fprintf(stderr, "usage: evserver PORT [-m MAX_CONNECTIONS] [-t IDLE_SECONDS]\n");
    return 2;
}

static int number(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct server s = {.ep = -1, .lfd = -1, .sfd = -1, .max_conns = 4096, .idle_ms = 60000};
    long port, v;
    if (argc < 2 || number(argv[1], 0, 65535, &port) < 0)
        return usage();
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc || number(argv[i + 1], 1, 1000000, &v) < 0)
            return usage();
        if (strcmp(argv[i], "-m") == 0)
            s.max_conns = v;
        else if (strcmp(argv[i], "-t") == 0)
            s.idle_ms = v * 1000;
        else
            return usage();
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    s.lfd = listen_on((int)port);
    s.ep = epoll_create1(EPOLL_CLOEXEC);
    s.sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    struct epoll_event le = {.events = EPOLLIN | EPOLLET, .data.ptr = &listener_tag};
    struct epoll_event se = {.events = EPOLLIN, .data.ptr = &signal_tag};
    if (s.lfd < 0 || s.ep < 0 || s.sfd < 0 ||
        epoll_ctl(s.ep, EPOLL_CTL_ADD, s.lfd, &le) < 0 ||
        epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sfd, &se) < 0) {
        perror("evserver: setup");
        return 1;
    }
    run(&s);
    while (s.conns)
        conn_close(&s, s.conns);
    close(s.sfd);
    close(s.ep);
    close(s.lfd);
    return s.stop ? 0 : 1;
}

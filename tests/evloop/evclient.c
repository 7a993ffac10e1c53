/* evclient.c: the poll() loop behind ev_run. */
#include "clock.h"
#include "evclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CHUNK = 64 * 1024 };

static unsigned long long next_rand(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned char mapped(unsigned char b)
{
    return b >= 'a' && b <= 'z' ? (unsigned char)(b - 'a' + 'A') : b;
}

static void finish(struct ev_conn *c, int err)
{
    if (err && !c->err)
        c->err = err;
    c->ms = now_ms() - c->t_start;
    close(c->fd);
    c->fd = -1;
}

static void start(struct ev_conn *c, int port, int deadline_ms)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->sent = c->got = 0;
    c->first_bad = (size_t)-1;
    c->eof = c->err = c->timed_out = c->connected = c->shut = 0;
    c->t_start = now_ms();
    c->deadline = c->t_start + deadline_ms;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->err = errno;
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0)
        c->connected = 1;
    else if (errno != EINPROGRESS)
        finish(c, errno);
}

static void do_send(struct ev_conn *c, unsigned long long *rng)
{
    size_t n = c->len - c->sent;
    size_t chunk = 1 + (size_t)(next_rand(rng) % MAX_CHUNK);
    if (n > chunk)
        n = chunk;
    ssize_t w = send(c->fd, c->data + c->sent, n, MSG_NOSIGNAL);
    if (w > 0)
        c->sent += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
        finish(c, errno);
    if (c->fd >= 0 && c->sent == c->len && !c->shut) {
        shutdown(c->fd, SHUT_WR);
        c->shut = 1;
    }
}

static void do_recv(struct ev_conn *c)
{
    unsigned char buf[MAX_CHUNK];
    ssize_t r = recv(c->fd, buf, sizeof buf, 0);
    if (r == 0) {
        c->eof = 1;
        finish(c, 0);
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish(c, errno);
        return;
    }
    for (ssize_t i = 0; i < r && c->first_bad == (size_t)-1; i++)
        if (c->got + (size_t)i >= c->len || buf[i] != mapped(c->data[c->got + (size_t)i]))
            c->first_bad = c->got + (size_t)i;
    c->got += (size_t)r;
}

int ev_run(struct ev_conn *conns, int n, int port, int deadline_ms, unsigned long long seed)
{
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    int *idx = calloc((size_t)n, sizeof *idx);
    unsigned long long rng = seed | 1;
    for (int i = 0; i < n; i++)
        start(&conns[i], port, deadline_ms);
    while (p && idx) {
        long long now = now_ms(), next_deadline = -1;
        int np = 0;
        for (int i = 0; i < n; i++) {
            struct ev_conn *c = &conns[i];
            if (c->fd < 0)
                continue;
            if (now >= c->deadline) {
                c->timed_out = 1;
                finish(c, 0);
                continue;
            }
            if (next_deadline < 0 || c->deadline < next_deadline)
                next_deadline = c->deadline;
            short ev = POLLIN;
            if (!c->connected || (c->sent < c->len && !(c->lockstep && c->got < c->sent)))
                ev |= POLLOUT;
            p[np] = (struct pollfd){.fd = c->fd, .events = ev};
            idx[np++] = i;
        }
        if (np == 0)
            break;
        int r = poll(p, (nfds_t)np, (int)(next_deadline - now));
        if (r < 0 && errno != EINTR)
            break;
        for (int k = 0; k < np && r > 0; k++) {
            struct ev_conn *c = &conns[idx[k]];
            short re = p[k].revents;
            if (re == 0)
                continue;
            if (!c->connected) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err)
                    finish(c, err);
                else
                    c->connected = 1;
                continue;
            }
            if (re & (POLLIN | POLLERR | POLLHUP))
                do_recv(c);
            if (c->fd >= 0 && (re & POLLOUT) && c->sent < c->len &&
                !(c->lockstep && c->got < c->sent))
                do_send(c, &rng);
        }
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (conns[i].fd >= 0) { /* the loop broke off: count as stalled */
            conns[i].timed_out = 1;
            finish(&conns[i], 0);
        }
        char why[8];
        bad += ev_check(&conns[i], why, sizeof why) < 0;
    }
    free(p);
    free(idx);
    return bad;
}

int ev_check(const struct ev_conn *c, char *why, size_t whylen)
{
    const char *what = NULL;
    char at[64];
    if (c->first_bad != (size_t)-1) {
        snprintf(at, sizeof at, "echo wrong at byte %zu", c->first_bad);
        what = at;
    } else if (c->timed_out) {
        what = "stalled: still going at its deadline";
    } else if (c->err) {
        what = strerror(c->err);
    } else if (!c->eof || c->got != c->len || c->sent != c->len) {
        what = "echo incomplete";
    }
    if (!what)
        return 0;
    snprintf(why, whylen, "%s (sent %zu of %zu, got %zu back, %s, after %lld ms)", what,
             c->sent, c->len, c->got, c->eof ? "then end of stream" : "no end of stream", c->ms);
    return -1;
}

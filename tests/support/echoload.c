/* echoload.c: the poll() loop behind echo_run. */
#include "echoload.h"
#include "clock.h"
#include "netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CHUNK = 16 * 1024, CHECK_MS = 10, STUCK_MS = 50 };

const char *echo_end_str(enum echo_end e)
{
    static const char *const s[] = { "running", "eof", "reset", "closed by client",
                                      "closed by server", "timeout", "connect failed", "error" };
    return e <= EE_ERROR ? s[e] : "?";
}

static enum echo_map map = EMAP_UPPER;
static long gone; /* connections we reset or closed with data unread */

long echo_clients_gone(void)
{
    return gone;
}

void echo_set_map(enum echo_map m)
{
    map = m;
}

enum echo_map echo_get_map(void)
{
    return map;
}

const char *echo_map_str(enum echo_map m)
{
    return m == EMAP_UPPER ? "a-z as A-Z" : m == EMAP_IDENTITY ? "every byte unchanged (plain echo)"
                                                               : "none that fits";
}

unsigned char echo_mapped(unsigned char b)
{
    if (map == EMAP_UPPER)
        return b >= 'a' && b <= 'z' ? (unsigned char)(b - 'a' + 'A') : b;
    return b;
}

static int background(const struct echo_conn *c)
{
    return c->mode == EM_SILENT || c->mode == EM_STALL;
}

static int reads(const struct echo_conn *c)
{
    return c->mode == EM_NORMAL || c->mode == EM_RST || (c->mode == EM_WAIT_CLOSE && c->len == 0);
}

/* reads(), and its read_delay_ms is over */
static int reads_now(const struct echo_conn *c, long long now)
{
    return reads(c) && now >= c->t_start + c->read_delay_ms;
}

static void finish(struct echo_conn *c, enum echo_end e, int err)
{
    c->end = e;
    c->err = err;
    c->t_end = now_ms();
    if (c->fd >= 0 && e == EE_LOCAL &&
        (c->mode == EM_RST || c->mode == EM_HALF_RST || c->mode == EM_STALL ||
         c->mode == EM_CLOSE_NOREAD))
        gone++;
    if (c->fd >= 0) {
        if (e == EE_LOCAL && (c->mode == EM_RST || c->mode == EM_HALF_RST))
            net_close_rst(c->fd);
        else
            close(c->fd);
        c->fd = -1;
    }
}

static void start(struct echo_conn *c, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    c->sent = c->got = 0;
    c->first_bad = (size_t)-1;
    c->end = EE_RUNNING;
    c->err = 0;
    c->shut = c->connected = c->rst_in_close_wait = 0;
    c->last_rxq = 0;
    c->t_start = c->t_last_io = c->t_check = now_ms();
    c->t_next_send = c->t_start + c->start_delay_ms;
    if (c->chunk == 0)
        c->chunk = CHUNK;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        finish(c, EE_ERROR, errno);
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) == 0)
        c->connected = 1;
    else if (errno != EINPROGRESS)
        finish(c, EE_CONNFAIL, errno);
    c->local_port = net_local_port(c->fd >= 0 ? c->fd : -1);
}

static void on_connected(struct echo_conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        finish(c, EE_CONNFAIL, err);
        return;
    }
    c->connected = 1;
    c->local_port = net_local_port(c->fd);
}

static int may_send(const struct echo_conn *c, long long now)
{
    if (c->mode == EM_SILENT || c->sent >= c->len)
        return 0;
    if (c->mode == EM_CLOSE_NOREAD && c->rst_at && c->sent >= c->rst_at)
        return 0;
    if (c->lockstep && c->got < c->sent)
        return 0;
    return now >= c->t_next_send;
}

/* S2: the half-close, once everything is sent. */
static void maybe_shut(struct echo_conn *c)
{
    if (c->sent == c->len && !c->shut && c->fd >= 0 &&
        (!c->shut_after_echo || c->got >= c->len) &&
        (c->mode == EM_NORMAL || c->mode == EM_RST || c->mode == EM_HALF_RST)) {
        shutdown(c->fd, SHUT_WR);
        c->shut = 1;
    }
}

static void do_send(struct echo_conn *c)
{
    size_t n = c->len - c->sent;
    if (n > c->chunk)
        n = c->chunk;
    ssize_t w = send(c->fd, c->data + c->sent, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w > 0) {
        c->sent += (size_t)w;
        c->t_last_io = now_ms();
        c->t_next_send = c->t_last_io + c->interval_ms;
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        finish(c, errno == EPIPE || errno == ECONNRESET ? EE_RESET : EE_ERROR, errno);
        return;
    }
    maybe_shut(c);
}

static void do_recv(struct echo_conn *c)
{
    unsigned char buf[64 * 1024];
    ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0) {
        finish(c, EE_EOF, 0);
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EINTR)
            finish(c, errno == ECONNRESET || errno == EPIPE ? EE_RESET : EE_ERROR, errno);
        return;
    }
    for (ssize_t i = 0; map != EMAP_NONE && i < r && c->first_bad == (size_t)-1; i++)
        if (c->got + (size_t)i >= c->len || buf[i] != echo_mapped(c->data[c->got + (size_t)i])) {
            c->first_bad = c->got + (size_t)i;
            c->bad_n = (unsigned)(r - i < (ssize_t)sizeof c->bad_got ? r - i
                                                                     : (ssize_t)sizeof c->bad_got);
            memcpy(c->bad_got, buf + i, c->bad_n);
        }
    c->got += (size_t)r;
    c->t_last_io = now_ms();
    if (c->mode == EM_RST && c->got >= c->rst_at)
        finish(c, EE_LOCAL, 0);
}

/* Timed checks: stuck senders that close, half-closers waiting for
 * CLOSE_WAIT, connections waiting for the server to close. */
static void check(struct echo_conn *c, int port, long long now)
{
    if (now < c->t_check)
        return;
    c->t_check = now + CHECK_MS;
    if (c->mode == EM_CLOSE_NOREAD && c->sent > 0 &&
        (c->sent >= c->len || (c->rst_at && c->sent >= c->rst_at) ||
         now - c->t_last_io >= STUCK_MS)) {
        finish(c, EE_LOCAL, 0);
    } else if (c->mode == EM_HALF_RST && !c->shut && c->sent > 0 &&
               now - c->t_last_io >= STUCK_MS) {
        /* Sending is stuck (the server stopped reading while its echo
         * piles up): what is sent is all we send; half-close. */
        c->len = c->sent;
        maybe_shut(c);
    } else if (c->mode == EM_HALF_RST && c->shut) {
        /* Read a chunk at a time until the FIN has reached the server
         * (CLOSE_WAIT) while it still owes echo it has not written. */
        for (int i = 0; i < 32 && c->end == EE_RUNNING; i++) {
            unsigned stx = 0, srx = 0, ctx = 0, crx = 0;
            int st = net_tcp_state(port, c->local_port, &stx, &srx);
            net_tcp_state(c->local_port, port, &ctx, &crx);
            if (c->got >= c->rst_at && st == TCP_ST_CLOSE_WAIT && c->got + crx + stx < c->len) {
                c->rst_in_close_wait = 1;
                finish(c, EE_LOCAL, 0);
            } else if (c->got >= c->len || now - c->t_last_io > 10 * STUCK_MS) {
                /* all back, or the flow stalled (zero-window probing can
                 * back off for seconds): reset now */
                finish(c, EE_LOCAL, 0);
            } else {
                size_t before = c->got;
                do_recv(c);
                if (c->got == before)
                    break; /* nothing there yet */
            }
        }
    } else if (c->mode == EM_WAIT_CLOSE && c->connected) {
        int st = net_tcp_state(port, c->local_port, NULL, NULL);
        unsigned ctx = 0, crx = 0;
        net_tcp_state(c->local_port, port, &ctx, &crx);
        if (crx != c->last_rxq) { /* the server's bytes still arrive: not idle */
            c->last_rxq = crx;
            c->t_last_io = now;
        }
        if (st != TCP_ST_ESTABLISHED)
            finish(c, EE_CLOSED, 0);
    }
}

void echo_run(struct echo_conn *conns, int n, int port, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    struct pollfd *p = calloc((size_t)n, sizeof *p);
    int *idx = calloc((size_t)n, sizeof *idx);

    for (int i = 0; i < n; i++)
        start(&conns[i], port);
    while (p && idx) {
        long long now = now_ms();
        int np = 0, fg = 0, timed = 0;
        for (int i = 0; i < n; i++) {
            struct echo_conn *c = &conns[i];
            if (c->end != EE_RUNNING)
                continue;
            if (c->connected) {
                maybe_shut(c);
                check(c, port, now);
            }
            if (c->end != EE_RUNNING)
                continue;
            fg += !background(c);
            short ev = 0;
            if (!c->connected) {
                ev = POLLOUT;
            } else {
                if (may_send(c, now))
                    ev |= POLLOUT;
                if (reads_now(c, now) || (c->mode == EM_HALF_RST && c->shut))
                    ev |= POLLIN;
                else
                    ev |= POLLRDHUP;
                timed |= c->interval_ms > 0 || c->start_delay_ms > 0 || c->read_delay_ms > 0 ||
                         c->mode == EM_CLOSE_NOREAD ||
                         c->mode == EM_HALF_RST || c->mode == EM_WAIT_CLOSE;
            }
            p[np] = (struct pollfd){ .fd = c->fd, .events = ev };
            idx[np++] = i;
        }
        if (fg == 0 || ms_left(deadline) == 0)
            break;
        int wait = ms_left(deadline);
        if (timed && wait > CHECK_MS)
            wait = CHECK_MS;
        if (poll(p, (nfds_t)np, wait) < 0 && errno != EINTR)
            break;
        for (int k = 0; k < np; k++) {
            struct echo_conn *c = &conns[idx[k]];
            short re = p[k].revents;
            if (re == 0 || c->end != EE_RUNNING)
                continue;
            if (!c->connected) {
                on_connected(c);
                continue;
            }
            if (!reads(c) && (re & (POLLERR | POLLHUP | POLLRDHUP))) {
                if (c->mode == EM_WAIT_CLOSE) {
                    finish(c, EE_CLOSED, 0);
                    continue;
                }
            }
            if (reads_now(c, now_ms()) && (re & (POLLIN | POLLERR | POLLHUP)))
                do_recv(c);
            if (c->mode == EM_HALF_RST && c->shut && (re & (POLLIN | POLLERR | POLLHUP))) {
                c->t_check = 0; /* data came: read it, checking the state per chunk */
                check(c, port, now_ms());
            }
            if (c->end == EE_RUNNING && (re & (POLLOUT | POLLERR)) && may_send(c, now_ms()))
                do_send(c);
        }
    }
    for (int i = 0; i < n; i++)
        if (conns[i].end == EE_RUNNING)
            finish(&conns[i], background(&conns[i]) ? EE_LOCAL : EE_TIMEOUT, 0);
    free(p);
    free(idx);
}

static int describe(const struct echo_conn *c, char *why, size_t whylen, const char *what)
{
    snprintf(why, whylen, "%s (sent %zu of %zu, got %zu back, then %s%s%s)", what, c->sent, c->len,
             c->got, echo_end_str(c->end), c->err ? ": " : "", c->err ? strerror(c->err) : "");
    return -1;
}

const char *echo_bad_bytes(const struct echo_conn *c, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "echo wrong at byte %zu: expected", c->first_bad);
    for (size_t i = 0; i < c->bad_n && c->first_bad + i < c->len && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, " %02x",
                                 echo_mapped(c->data[c->first_bad + i]));
    if (c->first_bad >= c->len && used < len)
        used += (size_t)snprintf(buf + used, len - used, " nothing more");
    if (used < len)
        used += (size_t)snprintf(buf + used, len - used, ", got");
    for (unsigned i = 0; i < c->bad_n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, " %02x", c->bad_got[i]);
    if (used < len)
        snprintf(buf + used, len - used, " (checked as %s)", echo_map_str(map));
    return buf;
}

int echo_check_exact(const struct echo_conn *c, char *why, size_t whylen)
{
    if (c->first_bad != (size_t)-1) {
        char what[256];
        return describe(c, why, whylen, echo_bad_bytes(c, what, sizeof what));
    }
    if (c->end != EE_EOF || c->sent != c->len || (map != EMAP_NONE && c->got != c->len))
        return describe(c, why, whylen, "echo incomplete");
    return 0;
}

int echo_check_prefix(const struct echo_conn *c, char *why, size_t whylen)
{
    if (c->first_bad != (size_t)-1) {
        char what[256];
        return describe(c, why, whylen, echo_bad_bytes(c, what, sizeof what));
    }
    if (c->end == EE_TIMEOUT || c->end == EE_CONNFAIL || c->end == EE_ERROR ||
        c->end == EE_RUNNING)
        return describe(c, why, whylen, "connection did not end");
    return 0;
}

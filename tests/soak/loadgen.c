/* loadgen: holds many echo connections at once and checks every byte.
 *
 * One thread, one epoll set, non-blocking sockets. Each connection does a
 * random number of rounds (fixed seed): it sends a chunk of random binary
 * bytes, reads the echo back (S1: a-z mapped to A-Z, every other byte
 * unchanged) and checks each byte as it arrives, then the next round; after
 * the last round it half-closes and expects the rest of the echo and end of
 * stream (S2). Some connections end on purpose (S5): a reset (SO_LINGER 0),
 * a close without reading, a half-close followed by a reset.
 *
 * The bytes of connection number K at stream offset I are a pure function of
 * (seed, K, I) (a counter-based hash), so nothing is buffered: the sender and
 * the checker each keep only an offset.
 *
 * A connection the server ends early (end of stream or reset before the whole
 * echo came back) has had every received byte checked, so what came back is
 * a prefix of its exact echo; it counts as "early", and as an error with -E
 * (runs without faults that end connections).
 *
 *   loadgen -p PORT [-c CONCURRENT] [-s SECONDS] [-N TOTAL] [-S SEED]
 *           [-R ROUNDS] [-B CHUNK] [-x RESET_PERMILLE] [-z VANISH_PERMILLE]
 *           [-h HALFRESET_PERMILLE] [-T STALL_SECONDS] [-E] [-q]
 *   loadgen --free-port          prints a port the kernel says is free
 *   loadgen --wait-port PORT S   connects until it succeeds (exit 0) or S s pass
 *
 * Exit status: 0 when every checked byte was right and nothing stalled,
 * 1 on any error, 2 on bad usage.
 */
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { C_FREE, C_CONNECTING, C_ROUNDS, C_SHUT };
enum action { A_NONE, A_RESET, A_VANISH, A_HALFRESET };

struct conn {
    int fd;
    enum state state;
    enum action action;
    int round, nrounds, action_round;
    uint64_t key;       /* per-connection hash key */
    uint64_t tx, rx;    /* bytes sent, bytes received and checked */
    uint64_t round_end; /* tx offset at which the current round ends */
    uint32_t events;    /* what epoll watches now */
    double progress;    /* last time a byte moved or the state changed */
};

struct opts {
    int port, concurrent, rounds, chunk, stall, strict, quiet;
    double seconds;
    long total;
    uint64_t seed;
    int reset_pm, vanish_pm, halfreset_pm;
};

struct stats {
    long started, complete, deliberate, early, errors, retries, peak;
    uint64_t bytes_tx, bytes_rx;
};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Byte I of the stream of the connection with key KEY. */
static unsigned char stream_byte(uint64_t key, uint64_t i)
{
    return (unsigned char)(splitmix64(key ^ (i >> 3) * 0x100000001b3ULL) >> ((i & 7) * 8));
}

/* S1: what the server must send back for byte B. */
static unsigned char echo_of(unsigned char b)
{
    return (b >= 'a' && b <= 'z') ? (unsigned char)(b - 'a' + 'A') : b;
}

static void fill(uint64_t key, uint64_t from, unsigned char *buf, size_t n)
{
    for (size_t j = 0; j < n; j++)
        buf[j] = stream_byte(key, from + j);
}

static long report_limit = 20;

static void error_at(struct stats *st, long idx, const char *what, uint64_t off)
{
    st->errors++;
    if (report_limit-- > 0)
        fprintf(stderr, "loadgen: ERROR connection %ld: %s (offset %llu)\n",
                idx, what, (unsigned long long)off);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sa;
}

/* --free-port: bind port 0, print what the kernel chose. The port is free
 * again once we exit; the caller starts the server on it at once. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = loopback(0);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("loadgen: free port");
        return 1;
    }
    printf("%d\n", ntohs(sa.sin_port));
    close(fd);
    return 0;
}

/* --wait-port: connect until it succeeds or the deadline passes. The
 * connection is closed at once without sending (the server sees a client
 * that connects and leaves, which S2/S5 allow). */
static int wait_port(int port, double seconds)
{
    double deadline = now_s() + seconds;
    struct sockaddr_in sa = loopback(port);
    while (now_s() < deadline) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return 1;
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        close(fd);
        if (rc == 0)
            return 0;
        struct timespec ts = {0, 20 * 1000 * 1000}; /* polling interval */
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "loadgen: nothing accepts on 127.0.0.1:%d after %.1f s\n", port, seconds);
    return 1;
}

struct gen {
    struct opts o;
    struct stats st;
    struct conn *c;
    int ep;
    int active;
    long next_id;
    unsigned char *buf;
    size_t bufsz;
};

static void watch(struct gen *g, long idx, uint32_t ev)
{
    struct conn *c = &g->c[idx];
    if (c->events == ev)
        return;
    struct epoll_event e = {.events = ev, .data.u64 = (uint64_t)idx};
    if (epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &e) < 0)
        perror("loadgen: epoll_ctl");
    c->events = ev;
}

static void finish(struct gen *g, long idx, int rst)
{
    struct conn *c = &g->c[idx];
    if (rst) {
        struct linger lg = {1, 0}; /* close() then sends RST, not FIN */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->state = C_FREE;
    g->active--;
}

static void start_round(struct gen *g, long idx)
{
    struct conn *c = &g->c[idx];
    uint64_t len = 1 + splitmix64(c->key ^ 0x5eedULL ^ (uint64_t)c->round << 20) % (uint64_t)g->o.chunk;
    c->round_end = c->tx + len;
    watch(g, idx, EPOLLIN | EPOLLOUT);
}

static int open_conn(struct gen *g, long idx)
{
    struct conn *c = &g->c[idx];
    long id = g->next_id;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_at(&g->st, id, "socket() failed", 0);
        return -1;
    }
    struct sockaddr_in sa = loopback(g->o.port);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        if (e == EADDRNOTAVAIL || e == EAGAIN) { /* ephemeral ports busy: try later */
            g->st.retries++;
            return -1;
        }
        error_at(&g->st, id, strerror(e), 0);
        return -1;
    }
    g->next_id++;
    g->st.started++;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->key = splitmix64(g->o.seed * 0x9e3779b97f4a7c15ULL + (uint64_t)id);
    uint64_t h = splitmix64(c->key ^ 0xacULL);
    c->nrounds = 1 + (int)(h % (uint64_t)g->o.rounds);
    c->action_round = (int)((h >> 32) % (uint64_t)c->nrounds);
    unsigned pm = (unsigned)((h >> 16) % 1000);
    if (pm < (unsigned)g->o.reset_pm)
        c->action = A_RESET;
    else if (pm < (unsigned)(g->o.reset_pm + g->o.vanish_pm))
        c->action = A_VANISH;
    else if (pm < (unsigned)(g->o.reset_pm + g->o.vanish_pm + g->o.halfreset_pm))
        c->action = A_HALFRESET;
    c->state = C_CONNECTING;
    c->progress = now_s();
    c->events = EPOLLOUT;
    struct epoll_event e = {.events = EPOLLOUT, .data.u64 = (uint64_t)idx};
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &e) < 0) {
        perror("loadgen: epoll_ctl add");
        close(fd);
        c->fd = -1;
        c->state = C_FREE;
        return -1;
    }
    g->active++;
    if (g->active > g->st.peak)
        g->st.peak = g->active;
    return 0;
}

static void on_round_done(struct gen *g, long idx)
{
    struct conn *c = &g->c[idx];
    if (c->action == A_HALFRESET && c->round == c->action_round) {
        shutdown(c->fd, SHUT_WR);
        g->st.deliberate++;
        finish(g, idx, 1);
        return;
    }
    c->round++;
    if (c->round >= c->nrounds) {
        if (shutdown(c->fd, SHUT_WR) < 0) {
            error_at(&g->st, idx, "shutdown() failed", c->tx);
            finish(g, idx, 0);
            return;
        }
        c->state = C_SHUT;
        watch(g, idx, EPOLLIN);
        return;
    }
    start_round(g, idx);
}

static void do_write(struct gen *g, long idx)
{
    struct conn *c = &g->c[idx];
    while (c->tx < c->round_end) {
        size_t n = (size_t)(c->round_end - c->tx);
        if (n > g->bufsz)
            n = g->bufsz;
        fill(c->key, c->tx, g->buf, n);
        ssize_t w = send(c->fd, g->buf, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            if (errno == ECONNRESET || errno == EPIPE) { /* S5: the server ended it */
                g->st.early++;
                if (g->o.strict)
                    error_at(&g->st, idx, "connection ended early (send)", c->tx);
                finish(g, idx, 0);
                return;
            }
            error_at(&g->st, idx, strerror(errno), c->tx);
            finish(g, idx, 0);
            return;
        }
        c->tx += (uint64_t)w;
        g->st.bytes_tx += (uint64_t)w;
        c->progress = now_s();
    }
    if (c->action == A_VANISH && c->round == c->action_round) {
        g->st.deliberate++; /* S5: a client that closes without reading */
        finish(g, idx, 0);
        return;
    }
    if (c->action == A_RESET && c->round == c->action_round) {
        g->st.deliberate++; /* S5: a client that resets */
        finish(g, idx, 1);
        return;
    }
    watch(g, idx, EPOLLIN);
}

static void do_read(struct gen *g, long idx)
{
    struct conn *c = &g->c[idx];
    for (;;) {
        ssize_t r = recv(c->fd, g->buf, g->bufsz, 0);
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return;
            if (errno == ECONNRESET) {
                g->st.early++;
                if (g->o.strict)
                    error_at(&g->st, idx, "connection reset early", c->rx);
                finish(g, idx, 0);
                return;
            }
            error_at(&g->st, idx, strerror(errno), c->rx);
            finish(g, idx, 0);
            return;
        }
        if (r == 0) {
            if (c->state == C_SHUT && c->rx == c->tx) {
                g->st.complete++; /* S2: whole echo, then end of stream */
            } else {
                g->st.early++;
                if (g->o.strict)
                    error_at(&g->st, idx, "end of stream before the whole echo", c->rx);
            }
            finish(g, idx, 0);
            return;
        }
        if (c->rx + (uint64_t)r > c->tx) {
            error_at(&g->st, idx, "received more bytes than were sent", c->rx);
            finish(g, idx, 0);
            return;
        }
        for (ssize_t j = 0; j < r; j++) {
            unsigned char want = echo_of(stream_byte(c->key, c->rx + (uint64_t)j));
            if (g->buf[j] != want) {
                char msg[96];
                snprintf(msg, sizeof msg, "corrupt echo: got 0x%02x, want 0x%02x",
                         g->buf[j], want);
                error_at(&g->st, idx, msg, c->rx + (uint64_t)j);
                finish(g, idx, 0);
                return;
            }
        }
        c->rx += (uint64_t)r;
        g->st.bytes_rx += (uint64_t)r;
        c->progress = now_s();
        if (c->state == C_ROUNDS && c->rx == c->round_end && c->tx == c->round_end) {
            on_round_done(g, idx);
            if (c->state == C_FREE)
                return;
        }
    }
}

static void on_connected(struct gen *g, long idx)
{
    struct conn *c = &g->c[idx];
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
        error_at(&g->st, idx, strerror(err), 0);
        finish(g, idx, 0);
        return;
    }
    c->state = C_ROUNDS;
    c->tx = c->rx = 0;
    c->progress = now_s();
    start_round(g, idx);
}

static void on_event(struct gen *g, long idx, uint32_t ev)
{
    struct conn *c = &g->c[idx];
    if (c->state == C_CONNECTING) {
        on_connected(g, idx);
        return;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
        do_read(g, idx);
    if (c->state == C_ROUNDS && (ev & EPOLLOUT) && c->tx < c->round_end)
        do_write(g, idx);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "loadgen: %s\n", msg);
    fprintf(stderr,
            "usage: loadgen -p PORT [-c CONCURRENT] [-s SECONDS] [-N TOTAL] [-S SEED]\n"
            "               [-R ROUNDS] [-B CHUNK] [-x RESET_PM] [-z VANISH_PM]\n"
            "               [-h HALFRESET_PM] [-T STALL_SECONDS] [-E] [-q]\n"
            "       loadgen --free-port\n"
            "       loadgen --wait-port PORT SECONDS\n");
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.port = 0, .concurrent = 100, .rounds = 32, .chunk = 8192,
                       .stall = 30, .seconds = 10, .total = 0, .seed = 1,
                       .reset_pm = 20, .vanish_pm = 20, .halfreset_pm = 10};
    int opt;
    long v;
    while ((opt = getopt(argc, argv, "p:c:s:N:S:R:B:x:z:h:T:Eq")) != -1) {
        const char *a = optarg;
        switch (opt) {
        case 'p': if (parse_int(a, 1, 65535, &v)) return usage("bad port"); o->port = (int)v; break;
        case 'c': if (parse_int(a, 1, 100000, &v)) return usage("bad -c"); o->concurrent = (int)v; break;
        case 's': if (parse_int(a, 0, 100000, &v)) return usage("bad -s"); o->seconds = (double)v; break;
        case 'N': if (parse_int(a, 0, LONG_MAX, &v)) return usage("bad -N"); o->total = v; break;
        case 'S': if (parse_int(a, 0, LONG_MAX, &v)) return usage("bad -S"); o->seed = (uint64_t)v; break;
        case 'R': if (parse_int(a, 1, 100000, &v)) return usage("bad -R"); o->rounds = (int)v; break;
        case 'B': if (parse_int(a, 1, 1 << 24, &v)) return usage("bad -B"); o->chunk = (int)v; break;
        case 'x': if (parse_int(a, 0, 1000, &v)) return usage("bad -x"); o->reset_pm = (int)v; break;
        case 'z': if (parse_int(a, 0, 1000, &v)) return usage("bad -z"); o->vanish_pm = (int)v; break;
        case 'h': if (parse_int(a, 0, 1000, &v)) return usage("bad -h"); o->halfreset_pm = (int)v; break;
        case 'T': if (parse_int(a, 1, 100000, &v)) return usage("bad -T"); o->stall = (int)v; break;
        case 'E': o->strict = 1; break;
        case 'q': o->quiet = 1; break;
        default: return usage(NULL);
        }
    }
    if (optind != argc)
        return usage("unexpected argument");
    if (o->port == 0)
        return usage("-p PORT is required");
    if (o->reset_pm + o->vanish_pm + o->halfreset_pm > 1000)
        return usage("-x + -z + -h must be at most 1000");
    if (o->seconds == 0 && o->total == 0)
        return usage("give -s SECONDS or -N TOTAL (or both)");
    return 0;
}

static int run(struct gen *g)
{
    const struct opts *o = &g->o;
    double t0 = now_s();
    double stop_new = o->seconds > 0 ? t0 + o->seconds : 1e300;
    /* After the last start, connections get this long to finish; without
     * -s the stall check alone bounds the run. */
    double hard_end = o->seconds > 0 ? stop_new + o->stall + 30.0 : 1e300;
    double last_scan = t0;
    struct epoll_event ev[256];

    for (;;) {
        double t = now_s();
        int may_start = t < stop_new && (o->total == 0 || g->next_id < o->total);
        if (may_start) {
            for (long i = 0; i < o->concurrent && g->active < o->concurrent; i++) {
                if (g->c[i].state != C_FREE)
                    continue;
                if (o->total && g->next_id >= o->total)
                    break;
                if (open_conn(g, i) < 0)
                    break; /* try again after the next epoll_wait */
            }
        }
        if (!may_start && g->active == 0)
            break;
        int n = epoll_wait(g->ep, ev, 256, 100);
        if (n < 0 && errno != EINTR) {
            perror("loadgen: epoll_wait");
            return -1;
        }
        for (int k = 0; k < n; k++) {
            long idx = (long)ev[k].data.u64;
            if (g->c[idx].state != C_FREE)
                on_event(g, idx, ev[k].events);
        }
        t = now_s();
        if (t - last_scan >= 1.0) { /* stalled connections fail the run */
            last_scan = t;
            for (long i = 0; i < o->concurrent; i++) {
                struct conn *c = &g->c[i];
                if (c->state != C_FREE && t - c->progress > o->stall) {
                    char msg[128];
                    snprintf(msg, sizeof msg,
                             "no progress for %d s (state %d, round %d/%d, tx %llu rx %llu)",
                             o->stall, (int)c->state, c->round, c->nrounds,
                             (unsigned long long)c->tx, (unsigned long long)c->rx);
                    error_at(&g->st, i, msg, c->rx);
                    finish(g, i, 0);
                }
            }
        }
        if (t > hard_end) {
            fprintf(stderr, "loadgen: ERROR %d connections still open at the deadline\n", g->active);
            g->st.errors += g->active;
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--free-port") == 0)
        return argc == 2 ? free_port() : usage("--free-port takes no argument");
    if (argc >= 2 && strcmp(argv[1], "--wait-port") == 0) {
        long port, secs;
        if (argc != 4 || parse_int(argv[2], 1, 65535, &port) || parse_int(argv[3], 1, 3600, &secs))
            return usage("--wait-port PORT SECONDS");
        return wait_port((int)port, (double)secs);
    }
    struct gen g;
    memset(&g, 0, sizeof g);
    int rc = parse(argc, argv, &g.o);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    g.c = calloc((size_t)g.o.concurrent, sizeof *g.c);
    g.bufsz = 65536;
    g.buf = malloc(g.bufsz);
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    if (!g.c || !g.buf || g.ep < 0) {
        perror("loadgen: setup");
        return 1;
    }
    for (int i = 0; i < g.o.concurrent; i++)
        g.c[i].fd = -1;
    double t0 = now_s();
    rc = run(&g);
    double dt = now_s() - t0;
    for (int i = 0; i < g.o.concurrent; i++)
        if (g.c[i].state != C_FREE)
            close(g.c[i].fd);
    close(g.ep);
    printf("loadgen: %.1f s, %ld at once at most, connections %ld (complete %ld, ended by client %ld, ended early by server %ld), "
           "bytes sent %llu, bytes echoed %llu, port retries %ld, errors %ld\n",
           dt, g.st.peak, g.st.started, g.st.complete, g.st.deliberate, g.st.early,
           (unsigned long long)g.st.bytes_tx, (unsigned long long)g.st.bytes_rx,
           g.st.retries, g.st.errors);
    /* The same figures for a driver (soak.c) to read. */
    printf("STATS started=%ld complete=%ld deliberate=%ld early=%ld tx=%llu rx=%llu errors=%ld peak=%ld\n",
           g.st.started, g.st.complete, g.st.deliberate, g.st.early,
           (unsigned long long)g.st.bytes_tx, (unsigned long long)g.st.bytes_rx, g.st.errors, g.st.peak);
    free(g.c);
    free(g.buf);
    return (rc == 0 && g.st.errors == 0) ? 0 : 1;
}

/* wtest.c: see wtest.h. */
#include "wtest.h"
#include "netsock.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

void fi_t_pair_unix(int pair[2])
{
    if (net_pair(pair) < 0)
        fail_msg("socketpair: %s", strerror(errno));
}

void fi_t_pair_pipe(int pair[2])
{
    int p[2];
    if (pipe(p) < 0)
        fail_msg("pipe: %s", strerror(errno));
    pair[0] = p[0];      /* read end first, as for the pairs: pair[0] reads */
    pair[1] = p[1];
}

/* *SA and *LEN from the IPv4 address A, as the tests pass them on. */
static void to_storage(const struct sockaddr_in *a, struct sockaddr_storage *sa,
                       socklen_t *len)
{
    memset(sa, 0, sizeof *sa);
    memcpy(sa, a, sizeof *a);
    *len = sizeof *a;
}

int fi_t_tcp_listener(struct sockaddr_storage *sa, socklen_t *len)
{
    struct sockaddr_in a;
    int fd = net_listen(&a, 16);

    if (fd < 0)
        fail_msg("listener: %s", strerror(errno));
    to_storage(&a, sa, len);
    return fd;
}

void fi_t_refused_addr(struct sockaddr_storage *sa, socklen_t *len, int *holder)
{
    struct sockaddr_in a;

    *holder = net_bound(&a);    /* keeps the port ours, never listening: RST on SYN */
    if (*holder < 0)
        fail_msg("bind: %s", strerror(errno));
    to_storage(&a, sa, len);
}

void fi_t_pair_tcp(int pair[2])
{
    int one = 1;

    if (net_tcp_pair(pair) < 0)
        fail_msg("loopback TCP pair: %s", strerror(errno));
    setsockopt(pair[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(pair[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void fi_t_pair_tcp_reset(int pair[2])
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    struct pollfd p;

    fi_t_pair_tcp(pair);
    /* SO_LINGER 0: close() sends RST instead of FIN */
    setsockopt(pair[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(pair[1]);
    pair[1] = -1;
    p.fd = pair[0];
    p.events = POLLIN;
    if (poll(&p, 1, 5000) != 1 || !(p.revents & (POLLERR | POLLHUP | POLLIN)))
        fail_msg("the RST did not arrive");
}

int fi_t_fds[2] = { -1, -1 };

int fi_t_setup_pair(void **state)
{
    (void)state;
    fi_t_pair_unix(fds);
    return 0;
}

int fi_t_setup_pair_timed(void **state)
{
    fi_t_setup_pair(state);
    fi_t_rcv_timeout(fds[0], 3000);
    return 0;
}

int fi_t_teardown_pair(void **state)
{
    (void)state;
    fi_t_clear();
    close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return 0;
}

int fi_t_teardown_pair_Close(void **state)
{
    (void)state;
    fi_t_clear();
    Close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    return 0;
}

void fi_t_fill_pattern(char *b, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (char)((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/* Notes what the test feeds, for the first few writes of a test (a writer
 * loop would otherwise flood the record). */
static void note_fed(int fd, const void *buf, size_t n)
{
    static int noted;

    if (noted < 6)
        fi_t_note("fed", "the test sent \"%s\"%s (%zu bytes) on fd %d",
                  fi_t_esc(buf, n < 160 ? n : 160), n > 160 ? "..." : "", n, fd);
    else if (noted == 6)
        fi_t_note("fed", "(more writes follow, not shown)");
    noted++;
}

void fi_t_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    note_fed(fd, buf, n);
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

void fi_t_read_all(int fd, void *buf, size_t n)
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

int fi_t_pending(int fd)
{
    int n = net_pending(fd);
    if (n < 0)
        fail_msg("FIONREAD: %s", strerror(errno));
    return n;
}

void fi_t_set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void fi_t_rcv_timeout(int fd, int ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

size_t fi_t_fill_socket(int fd)
{
    static char junk[65536];
    size_t total = 0;

    fi_t_set_nonblock(fd);
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

/* Faults fired under rules set before the current ones, and whether the
 * test set any. */
static long fired_before;
static int faults_set;
static char last_rules[2048];

static void on_usr2(int sig)
{
    (void)sig;
}

/* signal(7): a blocking call ends with EINTR only when a caught signal's
 * handler has no SA_RESTART (a call with a socket timeout: any handler);
 * a faithful shim injects eintr only there, so a test that asks for it
 * catches SIGUSR2 so (never sent: nothing else changes). */
static void catch_a_signal(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;        /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
}

void fi_t_faults(const char *fmt, ...)
{
    char rules[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rules, sizeof rules, fmt, ap);
    va_end(ap);
    if (strstr(rules, "eintr") != NULL)
        catch_a_signal();
    if (!fi_active())
        fail_msg("the fault-injection shim is not loaded (run under "
                 "LD_PRELOAD=libfaultinject.so); needed for rules '%s'", rules);
    if (faults_set)
        fired_before += fi_fired();
    if (fi_set(rules) != 0)
        fail_msg("fi_set(\"%s\") refused: %s", rules, fi_error());
    faults_set = 1;
    snprintf(last_rules, sizeof last_rules, "%s", rules);
    fi_t_note("faults", "%s", rules);
}

void fi_t_exit_not_mine(const char *reason)
{
    fi_t_note("exitnotmine", "%s", reason);
}

void fi_t_clear(void)
{
    if (faults_set)
        fired_before += fi_fired();
    fi_clear();
}

void fi_t_after_test(int passed)
{
    if (faults_set && fired_before + fi_fired() == 0)
        fi_t_note(passed ? "notjudged" : "unfired", "the faults this test set "
                  "never reached the candidate (none fired; last rules: %s): "
                  "does it make its system calls through libc?", last_rules);
}

void fi_t_note(const char *tag, const char *fmt, ...)
{
    char line[16384];
    int n = snprintf(line, sizeof line, "\n@@%s ", tag);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    /* one line: the harness reads a marker up to its newline */
    for (char *c = line + 1; *c; c++)
        if (*c == '\n' || *c == '\t')
            *c = ' ';
    strcat(line, "\n");
    if (write(2, line, strlen(line)) < 0)
        return;
}

const char *fi_t_esc(const void *buf, size_t n)
{
    static char ring[4][8192];
    static int next;
    char *o = ring[next++ % 4];
    const unsigned char *p = buf;
    size_t d = 0, i;

    for (i = 0; i < n && d + 16 < sizeof ring[0]; i++) {
        unsigned c = p[i];
        if (c == '\n')
            d += (size_t)sprintf(o + d, "\\n");
        else if (c == '\t')
            d += (size_t)sprintf(o + d, "\\t");
        else if (c == '\r')
            d += (size_t)sprintf(o + d, "\\r");
        else if (c == '\\' || c == '"')
            d += (size_t)sprintf(o + d, "\\%c", c);
        else if (c < 32 || c >= 127)
            d += (size_t)sprintf(o + d, "\\x%02x", c);
        else
            o[d++] = (char)c;
    }
    o[d] = '\0';
    if (i < n)
        snprintf(o + d, sizeof ring[0] - d, "...(%zu more bytes)", n - i);
    return o;
}

const char *fi_t_errname(int e)
{
    static char num[4][16];
    static int next;
    const char *s = e ? strerrorname_np(e) : "0";

    if (s != NULL)
        return s;
    snprintf(num[next % 4], sizeof num[0], "%d", e);
    return num[next++ % 4];
}

uint64_t fi_t_rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

size_t fi_t_rnd_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(fi_t_rnd(s) % n) : 0;
}

int fi_t_slow_mode(void)
{
    const char *v = getenv("WRAP_SLOW");
    return v && *v && *v != '0';
}

int fi_t_under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

/* ---- gates ---- */

/* A fresh unix pair holding BYTES, with the shim splitting reads (or
 * writes, for the Writen gate) into SPLIT bytes; no note, no fault counted:
 * a gate is not the test. */
static void gate_pair(int p[2], const char *bytes, size_t n, const char *rule)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
        fail_msg("socketpair: %s", strerror(errno));
    fi_t_rcv_timeout(p[0], 3000);
    if (n > 0 && write(p[1], bytes, n) != (ssize_t)n)
        fail_msg("gate write: %s", strerror(errno));
    if (rule != NULL) {
        char r[128];
        snprintf(r, sizeof r, rule, p[0]);
        if (fi_active() && fi_set(r) != 0)
            fail_msg("fi_set(\"%s\") refused: %s", r, fi_error());
    }
}

static void gate_end(int p[2])
{
    if (fi_active())
        fi_clear();
    Close(p[0]);
    close(p[1]);
}

void fi_t_need_readline(int split)
{
    int p[2];
    char buf[64];
    ssize_t r;

    memset(buf, 'X', sizeof buf);
    gate_pair(p, "abcdef\n", 7, split ? "rd:short=2:fd=%d" : NULL);
    r = Readline(p[0], buf, sizeof buf);
    gate_end(p);
    if (r != 7 || memcmp(buf, "abcdef\n", 8) != 0)
        not_judged("Readline gets \"abcdef\\n\"%s wrong (returned %zd, "
                   "\"%s\"): that is %s's failure, and this test needs it",
                   split ? " in 2-byte reads" : "", r,
                   fi_t_esc(buf, r > 0 && r < 64 ? (size_t)r : 0),
                   split ? "L1 or L7" : "L1");
}

void fi_t_need_readn(void)
{
    int p[2];
    char buf[16];
    ssize_t r;

    gate_pair(p, "abcdef", 6, "rd:short=2:fd=%d");
    r = Readn(p[0], buf, 6);
    gate_end(p);
    if (r != 6 || memcmp(buf, "abcdef", 6) != 0)
        not_judged("Readn(6) of 6 bytes in 2-byte reads returned %zd: that "
                   "is N1's failure, and this test needs it", r);
}

/* The Writen gate's reader: takes what comes until end of stream. */
struct gate_sink {
    int fd;
    size_t got;
};

static void *gate_drain(void *arg)
{
    struct gate_sink *g = arg;
    char buf[4096];
    ssize_t r;

    while ((r = read(g->fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0)
            g->got += (size_t)r;
    return NULL;
}

/* 16 KiB, more than a send queue's room: a faithful shim cuts these writes
 * short too (to that room, at least 2 bytes); a reader takes them. */
void fi_t_need_writen(void)
{
    static const char block[16384];
    int p[2];
    struct gate_sink g;
    pthread_t th;
    ssize_t r;

    gate_pair(p, "", 0, NULL);
    g.fd = p[0];
    g.got = 0;
    fi_t_rcv_timeout(p[0], 3000);
    pthread_create(&th, NULL, gate_drain, &g);
    if (fi_active()) {
        char rule[64];
        snprintf(rule, sizeof rule, "wr:short=2:fd=%d", p[1]);
        fi_set(rule);
    }
    r = Writen(p[1], block, sizeof block);
    if (fi_active())
        fi_clear();
    shutdown(p[1], SHUT_WR);
    pthread_join(th, NULL);
    if (r == (ssize_t)sizeof block && g.got != sizeof block)
        r = -2;
    gate_end(p);
    if (r == -2)
        not_judged("Writen(%zu) in short writes returned %zu but %zu bytes "
                   "arrived: that is WN1's failure, and this test needs it",
                   sizeof block, sizeof block, g.got);
    if (r != (ssize_t)sizeof block)
        not_judged("Writen(%zu) in short writes returned %zd: that is WN1's "
                   "failure, and this test needs it", sizeof block, r);
}

/* ---- Readline's buffer, guarded (wtest.h) ---- */

#define CANARY 64                   /* bytes checked after buf[maxlen] */

/* This thread's copy: [base, guard) read-write, then one PROT_NONE page;
 * the candidate gets guard - CANARY - maxlen. */
static __thread char *g_base, *g_guard;
static __thread size_t g_room;      /* bytes before the guard page */
static int pastend_noted;           /* one note per test process */
static struct sigaction old_segv;
static pthread_once_t segv_once = PTHREAD_ONCE_INIT;
static long page_size;

static unsigned char canary_byte(size_t i)
{
    return (unsigned char)(0x5b + 37 * i);
}

/* Async-signal-safe: the decimal of N at the end of BUF, its start back. */
static char *udec(char *end, size_t n)
{
    *--end = '\0';
    do
        *--end = (char)('0' + n % 10);
    while (n /= 10);
    return end;
}

/* A fault on this thread's guard page is the candidate writing far past
 * buf[maxlen]: say so, then let the fault take its course (cmocka's handler
 * or the default one). */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    char *a = si->si_addr, num[32];
    static const char head[] = "\n@@pastend Readline wrote far past buf[maxlen]"
        " (into the guard page ", tail[] = " bytes past the end): a write at"
        " or beyond buf[maxlen] is L12's failure\n";

    (void)ctx;
    if (g_guard != NULL && a >= g_guard && a < g_guard + page_size &&
        !__atomic_exchange_n(&pastend_noted, 1, __ATOMIC_SEQ_CST)) {
        const char *n = udec(num + sizeof num, (size_t)(a - g_guard) + CANARY);
        if (write(2, head, sizeof head - 1) < 0 || write(2, n, strlen(n)) < 0 ||
            write(2, tail, sizeof tail - 1) < 0)
            _exit(1);
    }
    (void)sig;
    sigaction(SIGSEGV, &old_segv, NULL);    /* the retried write faults again */
}

/* Once per process (threads may start at once): the handler after
 * whatever was there (cmocka's), which it hands the fault back to. */
static void install_segv(void)
{
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };

    page_size = sysconf(_SC_PAGESIZE);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
}

static char *guarded_buffer(size_t maxlen)
{
    long pg;
    size_t need = maxlen + CANARY;

    pthread_once(&segv_once, install_segv);
    pg = page_size;
    if (g_base == NULL || g_room < need) {
        size_t room = (need + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
        char *m;
        if (g_base != NULL)
            munmap(g_base, g_room + (size_t)pg);
        m = mmap(NULL, room + (size_t)pg, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m + room, (size_t)pg, PROT_NONE) < 0)
            fail_msg("guarded buffer of %zu bytes: %s", maxlen, strerror(errno));
        g_base = m;
        g_room = room;
        g_guard = m + room;
    }
    return g_guard - CANARY - maxlen;
}

ssize_t fi_t_readline(int fd, void *buf, size_t maxlen)
{
    char *g = guarded_buffer(maxlen);
    unsigned char *c = (unsigned char *)g + maxlen;
    ssize_t r;
    int e;
    size_t i;

    if (maxlen > 0)
        memcpy(g, buf, maxlen);
    for (i = 0; i < CANARY; i++)
        c[i] = canary_byte(i);
    r = (Readline)(fd, g, maxlen);
    e = errno;
    if (maxlen > 0)
        memcpy(buf, g, maxlen);
    for (i = CANARY; i > 0 && c[i - 1] == canary_byte(i - 1); i--)
        ;
    if (i > 0 && !__atomic_exchange_n(&pastend_noted, 1, __ATOMIC_SEQ_CST)) {
        size_t first = 0;
        char where[64];
        while (c[first] == canary_byte(first))
            first++;
        if (i - 1 > first)
            snprintf(where, sizeof where, "buf[%zu..%zu]", maxlen + first,
                     maxlen + i - 1);
        else
            snprintf(where, sizeof where, "buf[%zu]", maxlen + first);
        fi_t_note("pastend", "Readline(fd %d, buf, maxlen %zu) returned %zd and "
                  "wrote %s (\"%s\" there): a write at or beyond buf[maxlen] "
                  "is L12's failure", fd, maxlen, r, where,
                  fi_t_esc(c + first, i - first));
    }
    errno = e;
    return r;
}

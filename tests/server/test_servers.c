/* test_servers.c: the end-to-end suite of the echo-server contract
 * (shared/spec/server-contract.md), run against any server binary.
 *
 *   test_servers [--shim LIBFAULTINJECT.SO] [--no-valgrind] [--fast] SERVER
 *   (or SERVER=path and FI_SO=path in the environment; --fast skips the
 *   remaining tests of a clause once it has failed, as the mutants want;
 *   SERVER_SUITE_ONLY=pattern runs only matching tests; SERVER_SUITE_WARMUP=1
 *   takes the S6 baseline after one exchange, for TSan-built servers)
 *
 * Each test starts the server as `SERVER PORT` (plus `-t` for S8 only)
 * under the shim with its own rules, drives it from poll()-driven client
 * sockets in this process (which is not under the shim), and watches it
 * only from outside (/proc). Every step has a deadline. At the end one row
 * per clause: PASS/FAIL and the first reason; the exit status is nonzero
 * if any clause failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "echoload.h"
#include "harness.h"
#include "netio.h"
#include "procstat.h"
#include "spawn.h"

enum {
    POOL = 16 << 20,        /* random bytes the connections send */
    NCONN = 100,            /* S3, S4: connections at once */
    RUN_MS = 10000,         /* deadline of one scenario's traffic (slack for loaded machines) */
    STOP_MS = 2000,         /* S7 */
};

static unsigned char *pool;
static struct server srv;
static char why[512];

/* Fails the running test and the clause's row with a one-line reason. */
#define REQUIRE(clause, cond, ...)                                   \
    do {                                                             \
        if (!(cond)) {                                               \
            clause_fail(clause, __func__, __VA_ARGS__);              \
            fail_msg("%s: %s", clause, clause_reason(clause));       \
        }                                                            \
    } while (0)

static int teardown(void **state)
{
    (void)state;
    server_stop(&srv);
    return 0;
}

/* Starts the server with RULES (NULL: none) and ARGS; S0 fails the test.
 * With --fast, a test whose clause has already failed is skipped. */
static void start(const char *test, const char *rules, const char *const *args)
{
    if (cfg.fast && clause_failed(test)) {
        fprintf(stderr, "  %.2s already failed: skipped (--fast)\n", test);
        skip();
    }
    if (server_start(&srv, rules, args, NULL, 5000, why, sizeof why) < 0) {
        clause_fail("S0", test, "%s%s%s", why, rules ? " under " : "", rules ? rules : "");
        fail_msg("S0: %s", why);
    }
}

/* Data for connection I of a scenario: a slice of the pool. */
static const unsigned char *slice(unsigned i, size_t len)
{
    size_t off = ((size_t)i * 7919u * 4096u) % (POOL - len);
    return pool + off;
}

static void conns_init(struct echo_conn *c, int n, size_t minlen, size_t maxlen, unsigned seed)
{
    unsigned long long x = 0x1234567ull + seed;
    memset(c, 0, (size_t)n * sizeof *c);
    for (int i = 0; i < n; i++) {
        unsigned char r[4];
        net_fill_random(r, sizeof r, &x);
        uint32_t v = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16;
        c[i].len = minlen + (maxlen > minlen ? v % (maxlen - minlen + 1) : 0);
        c[i].data = slice((unsigned)i + seed, c[i].len);
        c[i].mode = EM_NORMAL;
    }
}

/* The server is still running; else the clause fails. */
static void require_alive(const char *clause, const char *test)
{
    if (!server_alive(&srv)) {
        clause_fail(clause, test, "server %s", server_status_str(&srv));
        fail_msg("%s: server %s", clause, server_status_str(&srv));
    }
}

/* All of C[0..N) got their exact echo. */
static void require_exact(const char *clause, const char *test, struct echo_conn *c, int n)
{
    for (int i = 0; i < n; i++)
        if (echo_check_exact(&c[i], why, sizeof why) < 0) {
            char msg[600];
            snprintf(msg, sizeof msg, "connection %d of %d: %s", i + 1, n, why);
            if (!server_alive(&srv))
                snprintf(msg, sizeof msg, "server %s; connection %d: %s",
                         server_status_str(&srv), i + 1, why);
            clause_fail(clause, test, "%s", msg);
            fail_msg("%s: %s", clause, msg);
        }
}

/* A new connection is served exactly afterwards. */
static void require_new_served(const char *clause, const char *test)
{
    struct echo_conn c;
    require_alive(clause, test);
    conns_init(&c, 1, 4096, 4096, 999);
    echo_run(&c, 1, srv.port, 5000);
    if (echo_check_exact(&c, why, sizeof why) < 0) {
        clause_fail(clause, test, "new connection afterwards: %s", why);
        fail_msg("%s: new connection afterwards: %s", clause, why);
    }
}

/* S6 after a scenario: recorded in the S6 row, not failing this test. */
static void s6_after(const char *test)
{
    if (cfg.fast && clause_failed("S6"))
        return;
    if (server_check_leaks(&srv, why, sizeof why) < 0)
        clause_fail("S6", test, "%s", why);
    else
        clause_pass("S6");
}

static void warn_if_no_faults(const char *test)
{
    if (server_faults(&srv) == 0)
        fprintf(stderr, "  %s: note: the shim injected nothing into this server\n", test);
}

#define NEED_SHIM()                                  \
    do {                                             \
        if (cfg.shim == NULL) {                      \
            fprintf(stderr, "  no shim: skipped\n"); \
            clause_skip(__func__, "no shim (FI_SO)");  \
            skip();                                  \
        }                                            \
    } while (0)

/* ---- S0 start ---- */

static void S0_listens_within_5s(void **state)
{
    (void)state;
    start(__func__, NULL, NULL);
    long long t0 = now_ms();
    REQUIRE("S0", net_wait_port(srv.port, 5000, srv.pid) == 0,
            "no connection accepted on 127.0.0.1:%d: %s", srv.port, strerror(errno));
    int fd = net_connect(srv.port, 5000);
    REQUIRE("S0", fd >= 0, "connect: %s", strerror(errno));
    char b = 'q';
    size_t got = 0;
    REQUIRE("S0", net_write_all(fd, &b, 1, 5000) == 1, "send: %s", strerror(errno));
    enum net_end e = net_read_all(fd, &b, 1, &got, 5000);
    close(fd);
    REQUIRE("S0", e == NET_FULL && b == 'Q', "no echo within 5 s of the start (%lld ms)",
            now_ms() - t0);
    clause_pass("S0");
}

/* ---- S1 echo ---- */

static void S1_echo_exact(void **state)
{
    (void)state;
    static unsigned char all[4 * 256];
    for (int i = 0; i < (int)sizeof all; i++)
        all[i] = (unsigned char)i; /* every byte value, NUL and >= 0x80 included */
    start(__func__, NULL, NULL);
    struct echo_conn c[3];
    conns_init(c, 3, 256 * 1024, 256 * 1024, 1);
    c[1].data = all;
    c[1].len = sizeof all;
    c[2].len = 1;
    c[2].data = (const unsigned char *)"z";
    echo_run(c, 3, srv.port, RUN_MS);
    require_exact("S1", __func__, c, 3);
    s6_after(__func__);
    clause_pass("S1");
}

/* ---- S2 end ---- */

static void S2_half_close(void **state)
{
    (void)state;
    start(__func__, NULL, NULL);
    struct echo_conn c[3];
    conns_init(c, 3, 100000, 100000, 2);
    c[1].len = 1;
    c[2].len = 0; /* half-close at once: end of stream, nothing else */
    echo_run(c, 3, srv.port, RUN_MS);
    require_exact("S2", __func__, c, 3);
    s6_after(__func__);
    clause_pass("S2");
}

/* ---- S3 concurrency ---- */

static void S3_100_concurrent(void **state)
{
    (void)state;
    static int fds[NCONN];
    start(__func__, NULL, NULL);
    /* Barrier: each of the 100 sends a line and all must get it back before
     * any of them half-closes, which only a server serving them at once does. */
    for (int i = 0; i < NCONN; i++) {
        fds[i] = net_connect(srv.port, 5000);
        REQUIRE("S3", fds[i] >= 0, "connection %d: connect: %s", i + 1, strerror(errno));
    }
    long long deadline = now_ms() + 5000;
    for (int i = 0; i < NCONN; i++) {
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "hello %03d\n", i);
        size_t got = 0;
        REQUIRE("S3", net_write_all(fds[i], msg, (size_t)len, ms_left(deadline)) == len,
                "connection %d: send: %s", i + 1, strerror(errno));
        net_read_all(fds[i], back, (size_t)len, &got, ms_left(deadline));
        for (int k = 0; k < len; k++)
            if (msg[k] >= 'a' && msg[k] <= 'z')
                msg[k] = (char)(msg[k] - 32);
        if (got != (size_t)len || memcmp(msg, back, (size_t)len) != 0) {
            for (int k = 0; k < NCONN; k++)
                if (fds[k] >= 0)
                    close(fds[k]);
            REQUIRE("S3", 0, "only %d of %d connections served at once (connection %d got %zu of %d bytes within 5 s)",
                    i, NCONN, i + 1, got, len);
        }
    }
    for (int i = 0; i < NCONN; i++) {
        close(fds[i]);
        fds[i] = -1;
    }
    /* Then 100 at once moving random binary data, each checked byte for byte. */
    static struct echo_conn c[NCONN];
    conns_init(c, NCONN, 1, 64 * 1024, 3);
    echo_run(c, NCONN, srv.port, RUN_MS);
    require_exact("S3", __func__, c, NCONN);
    s6_after(__func__);
    clause_pass("S3");
}

static void S3_silent_client_does_not_block(void **state)
{
    (void)state;
    start(__func__, NULL, NULL);
    struct echo_conn c[12];
    conns_init(c, 12, 20000, 20000, 4);
    c[0].mode = EM_SILENT; /* connects first, sends nothing */
    c[0].len = 0;
    c[1].mode = EM_STALL;  /* sends 8 MiB, never reads */
    c[1].len = 8 << 20;
    c[1].data = pool;
    for (int i = 2; i < 12; i++)
        c[i].start_delay_ms = 300; /* once the two above are stuck */
    echo_run(c, 12, srv.port, 5000);
    require_exact("S3", __func__, &c[2], 10);
    s6_after(__func__);
    clause_pass("S3");
}

/* ---- S4 faults that keep data ---- */

/* 100 connections of random binary data at once under RULES, each echo
 * byte-exact; then a new connection is served; then S6. */
static void s4_scenario(const char *test, const char *rules, unsigned seed)
{
    static struct echo_conn c[NCONN];
    NEED_SHIM();
    start(test, rules, NULL);
    conns_init(c, NCONN, 1, 16 * 1024, seed);
    echo_run(c, NCONN, srv.port, RUN_MS);
    require_alive("S4", test);
    require_exact("S4", test, c, NCONN);
    require_new_served("S4", test);
    warn_if_no_faults(test);
    s6_after(test);
    clause_pass("S4");
}

#define RD "read,readv,recv,recvfrom,recvmsg"
#define WR "write,writev,send,sendto,sendmsg"
#define ACC "accept,accept4"

static void S4_short_reads(void **state)
{
    (void)state;
    s4_scenario(__func__, RD ":short=1:p=0.5 ; " RD ":short=7:p=0.3", 10);
}

static void S4_short_writes(void **state)
{
    (void)state;
    s4_scenario(__func__, WR ":short=1:p=0.5 ; " WR ":short=13:p=0.3", 11);
}

static void S4_eintr_every_call(void **state)
{
    (void)state;
    s4_scenario(__func__, RD ":eintr:p=0.3 ; " WR ":eintr:p=0.3 ; " ACC ":eintr:p=0.3 ; close:eintr:p=0.3",
                12);
}

static void S4_spurious_eagain(void **state)
{
    (void)state;
    s4_scenario(__func__, RD ":eagain:p=0.3 ; " WR ":eagain:p=0.3", 13);
}

static void S4_accept_econnaborted_emfile(void **state)
{
    (void)state;
    s4_scenario(__func__, ACC ":error=ECONNABORTED:p=0.3 ; " ACC ":error=EMFILE:p=0.2", 14);
}

static void S4_mixed(void **state)
{
    (void)state;
    s4_scenario(__func__,
                RD ":short=3:p=0.1 ; " WR ":short=5:p=0.1 ; " RD ":eintr:p=0.1 ; " WR
                   ":eintr:p=0.1 ; " RD ":eagain:p=0.1 ; " WR ":eagain:p=0.1 ; " ACC
                   ":eintr:p=0.1 ; " ACC ":error=ECONNABORTED:p=0.1 ; " ACC
                   ":error=EMFILE:p=0.1 ; close:eintr:p=0.1",
                15);
}

/* ---- S5 faults that end a connection ---- */

enum { VICTIMS = 3, CONTROLS = 10, BIG = 1 << 20, SMALL = 4096, THRESHOLD = 100000 };

/* Victims (modes/rules that end them) and small controls at once: victims
 * get an exact prefix then EOF/reset, controls their whole echo, the
 * server survives and serves a new connection; then S6. */
static void s5_scenario(const char *test, const char *rules, enum echo_mode vmode, size_t vlen,
                        size_t rst_at)
{
    struct echo_conn c[VICTIMS + CONTROLS];
    if (rules)
        NEED_SHIM();
    start(test, rules, NULL);
    conns_init(c, VICTIMS + CONTROLS, SMALL, SMALL, 20);
    for (int i = 0; i < VICTIMS; i++) {
        c[i].mode = vmode;
        c[i].len = vlen;
        c[i].data = slice(100u + (unsigned)i, vlen);
        c[i].rst_at = rst_at;
    }
    for (int i = VICTIMS; i < VICTIMS + CONTROLS; i++)
        c[i].start_delay_ms = 20;
    /* EM_HALF_RST moves a lot (what fills the buffers) in small steps */
    echo_run(c, VICTIMS + CONTROLS, srv.port, vmode == EM_HALF_RST ? 3 * RUN_MS : RUN_MS);
    require_alive("S5", test);
    for (int i = 0; i < VICTIMS; i++)
        if (echo_check_prefix(&c[i], why, sizeof why) < 0) {
            clause_fail("S5", test, "connection hit by the fault: %s", why);
            fail_msg("S5: %s", why);
        }
    require_exact("S5", test, &c[VICTIMS], CONTROLS);
    require_new_served("S5", test);
    if (rules)
        warn_if_no_faults(test);
    if (vmode == EM_HALF_RST) {
        int n = 0;
        for (int i = 0; i < VICTIMS; i++)
            n += c[i].rst_in_close_wait;
        if (n == 0)
            fprintf(stderr, "  %s: note: no RST met the server in CLOSE_WAIT\n", test);
    }
    s6_after(test);
    clause_pass("S5");
}

static char rule_buf[256];
static const char *rule_after(const char *calls, const char *fault)
{
    snprintf(rule_buf, sizeof rule_buf, "%s:%s:after=%d", calls, fault, THRESHOLD);
    return rule_buf;
}

static void S5_injected_reset_on_read(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(RD, "reset"), EM_NORMAL, BIG, 0);
}

static void S5_injected_eof_on_read(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(RD, "eof"), EM_NORMAL, BIG, 0);
}

static void S5_injected_reset_on_write(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(WR, "reset"), EM_NORMAL, BIG, 0);
}

static void S5_injected_epipe_on_write(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(WR, "error=EPIPE"), EM_NORMAL, BIG, 0);
}

static void S5_client_rst(void **state)
{
    (void)state;
    s5_scenario(__func__, NULL, EM_RST, BIG, 64 * 1024);
}

static void S5_client_closes_without_reading(void **state)
{
    (void)state;
    s5_scenario(__func__, NULL, EM_CLOSE_NOREAD, 4 * BIG, 0);
}

static void S5_client_half_closes_then_rst(void **state)
{
    (void)state;
    s5_scenario(__func__, NULL, EM_HALF_RST, 12 * BIG, 0);
}

/* ---- S4/S5 sweep ---- */

/* As `faultrun --sweep`: FAULT fires only at matching call K, K = 1, 2, ...
 * until a run where it did not fire. Each run: one connection sends three
 * chunks in lock-step, half-closes and reads to the end; then a second
 * connection. KEEPS: S4 (both exact) else S5 (prefixes, then end). */
static int sweep_one(const char *test, const char *clause, const char *fault, int keeps)
{
    char rules[160];
    int runs = 0;
    for (int k = 1; k <= 40; k++, runs++) {
        snprintf(rules, sizeof rules, "%s:when=%d", fault, k);
        start(test, rules, NULL);
        struct echo_conn c[2];
        conns_init(c, 2, 3000, 3000, 30 + (unsigned)k);
        c[0].chunk = 1000;
        c[0].lockstep = 1;
        echo_run(&c[0], 1, srv.port, 3000);
        echo_run(&c[1], 1, srv.port, 3000);
        for (int i = 0; i < 2; i++) {
            int bad = keeps ? echo_check_exact(&c[i], why, sizeof why)
                            : echo_check_prefix(&c[i], why, sizeof why);
            if (!server_alive(&srv))
                bad = -1, snprintf(why, sizeof why, "server %s", server_status_str(&srv));
            if (bad) {
                clause_fail(clause, test, "%s: connection %d: %s", rules, i + 1, why);
                fail_msg("%s: %s: %s", clause, rules, why);
            }
        }
        long fired = server_faults(&srv);
        if (!(cfg.fast && clause_failed("S6")) && server_check_leaks(&srv, why, sizeof why) < 0)
            clause_fail("S6", test, "%s: %s", rules, why);
        server_stop(&srv);
        if (fired == 0 && cfg.shim)
            break;
    }
    return runs;
}

static void S4_sweep(void **state)
{
    (void)state;
    static const char *const faults[] = {
        ACC ":eintr", ACC ":error=ECONNABORTED", ACC ":error=EMFILE",
        RD ":short=1", RD ":eintr", RD ":eagain",
        WR ":short=1", WR ":eintr", WR ":eagain",
    };
    NEED_SHIM();
    int runs = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        runs += sweep_one(__func__, "S4", faults[i], 1);
    fprintf(stderr, "  %s: %d runs\n", __func__, runs);
    clause_pass("S4");
}

static void S5_sweep(void **state)
{
    (void)state;
    static const char *const faults[] = {
        RD ":reset", RD ":eof", WR ":reset", WR ":error=EPIPE",
    };
    NEED_SHIM();
    int runs = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        runs += sweep_one(__func__, "S5", faults[i], 0);
    fprintf(stderr, "  %s: %d runs\n", __func__, runs);
    clause_pass("S5");
}

/* ---- S8 idle ---- */

static void S8_idle_timeout(void **state)
{
    (void)state;
    static const char *const args[] = { "-t", "1", NULL };
    /* Spurious EAGAIN everywhere: it must not count as idleness. */
    start(__func__, cfg.shim ? RD ":eagain:p=0.5 ; " WR ":eagain:p=0.5" : NULL, args);
    struct echo_conn c[3];
    conns_init(c, 3, 10, 10, 40);
    c[0].mode = EM_WAIT_CLOSE; /* silent */
    c[0].len = 0;
    c[1].mode = EM_WAIT_CLOSE; /* sends 8 MiB, stops reading */
    c[1].len = 8 << 20;
    c[1].data = pool;
    c[2].chunk = 1;            /* active: a byte every 250 ms for 2.5 s */
    c[2].interval_ms = 250;
    echo_run(c, 3, srv.port, 8000);
    if (getenv("SERVER_SUITE_DEBUG"))
        for (int i = 0; i < 3; i++)
            fprintf(stderr, "  conn %d: %s after %lld ms, last io at %lld ms\n", i,
                    echo_end_str(c[i].end), c[i].t_end - c[i].t_start, c[i].t_last_io - c[i].t_start);
    require_alive("S8", __func__);
    REQUIRE("S8", c[0].end == EE_EOF || c[0].end == EE_RESET || c[0].end == EE_CLOSED,
            "silent connection still open %lld ms after connecting with -t 1 (%s)",
            c[0].t_end - c[0].t_start, echo_end_str(c[0].end));
    REQUIRE("S8", c[0].t_end - c[0].t_start >= 900,
            "silent connection closed after %lld ms with -t 1", c[0].t_end - c[0].t_start);
    if (c[1].end == EE_TIMEOUT && c[1].t_end - c[1].t_last_io < 1500)
        /* bytes still moving at the deadline (a slow, loaded machine): not
         * idle, so nothing to judge */
        fprintf(stderr, "  %s: note: the non-reading connection still moved bytes at the end\n",
                __func__);
    else
        REQUIRE("S8", c[1].end == EE_CLOSED || c[1].end == EE_RESET || c[1].end == EE_EOF,
                "connection that stopped reading still open %lld ms after its last byte moved (%s)",
                c[1].t_end - c[1].t_last_io, echo_end_str(c[1].end));
    if (echo_check_exact(&c[2], why, sizeof why) < 0) {
        clause_fail("S8", __func__, "active connection (a byte every 250 ms, -t 1) cut: %s", why);
        fail_msg("S8: %s", why);
    }
    s6_after(__func__);
    clause_pass("S8");
}

/* ---- S6 no leaks ---- */

static void S6_no_leaks(void **state)
{
    (void)state;
    struct echo_conn c[40];
    start(__func__, NULL, NULL);
    conns_init(c, 40, 1, 200000, 50);
    for (int i = 0; i < 40; i += 4) {
        c[i].mode = EM_RST;
        c[i].rst_at = c[i].len / 2;
        c[i + 1].mode = EM_CLOSE_NOREAD;
    }
    c[2].mode = EM_SILENT;
    echo_run(c, 40, srv.port, RUN_MS);
    require_alive("S6", __func__);
    int fds = proc_count_fds(srv.pid), thr = proc_count_threads(srv.pid);
    int bad = server_check_leaks(&srv, why, sizeof why);
    REQUIRE("S6", bad == 0, "%s", why);
    REQUIRE("S6", !clause_failed("S6"), "%s", clause_reason("S6"));
    (void)fds;
    (void)thr;
    clause_pass("S6");
}

/* ---- S7 stop ---- */

static void stop_with(const char *test, int sig)
{
    struct echo_conn c;
    start(test, NULL, NULL);
    conns_init(&c, 1, 1000, 1000, 60);
    echo_run(&c, 1, srv.port, 5000);
    /* "with no client connected": wait for the connection to be gone */
    server_check_leaks(&srv, why, sizeof why);
    int st = 0;
    long long t0 = now_ms();
    int r = proc_stop(srv.pid, sig, STOP_MS, &st);
    srv.exited = 1;
    srv.status = st;
    REQUIRE("S7", r == 0, "still running %d ms after SIG%s", STOP_MS, sigabbrev_np(sig));
    REQUIRE("S7", WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIG%s: %s after %lld ms",
            sigabbrev_np(sig), server_status_str(&srv), now_ms() - t0);
    clause_pass("S7");
}

static void S7_sigterm_exit0(void **state)
{
    (void)state;
    stop_with(__func__, SIGTERM);
}

static void S7_sigint_exit0(void **state)
{
    (void)state;
    stop_with(__func__, SIGINT);
}

static void S7_valgrind_clean(void **state)
{
    (void)state;
    char logpat[128], logdir[64];
    if (cfg.fast && clause_failed("S7"))
        skip();
    if (!cfg.valgrind) {
        fprintf(stderr, "  valgrind not wanted or not installed: skipped\n");
        skip();
    }
    snprintf(logdir, sizeof logdir, "/tmp/server-suite-vg-XXXXXX");
    REQUIRE("S7", mkdtemp(logdir) != NULL, "mkdtemp: %s", strerror(errno));
    snprintf(logpat, sizeof logpat, "--log-file=%s/vg.%%p", logdir);
    /* S7 forbids errors and definite or indirect leaks, nothing more: a
     * detached thread still exiting may leave its TLS "possibly lost". */
    const char *const vg[] = { "valgrind", "-q", "--leak-check=full",
                               "--show-leak-kinds=definite,indirect",
                               "--errors-for-leak-kinds=definite,indirect",
                               "--error-exitcode=99", "--trace-children=yes",
                               logpat, NULL };
    /* No shim here: only the server's own code is judged. */
    const char *shim = cfg.shim;
    cfg.shim = NULL;
    int r = server_start(&srv, NULL, NULL, vg, 20000, why, sizeof why);
    cfg.shim = shim;
    REQUIRE("S7", r == 0, "under valgrind: %s", why);

    struct echo_conn c[6];
    conns_init(c, 6, 1000, 100000, 70);
    c[3].mode = EM_RST;
    c[3].rst_at = 1000;
    c[4].mode = EM_CLOSE_NOREAD;
    c[5].mode = EM_SILENT;
    echo_run(c, 6, srv.port, 20000);
    require_exact("S1", __func__, c, 3); /* the echo itself is S1 */
    /* with no client connected: every child gone */
    long long deadline = now_ms() + 10000;
    while (proc_count_descendants(srv.pid) > 0 && ms_left(deadline) > 0)
        poll(NULL, 0, 20);
    int st = 0;
    r = proc_stop(srv.pid, SIGTERM, 20000, &st);
    srv.exited = 1;
    srv.status = st;

    /* every log (one per process) must be empty under -q */
    char cmd[256], report[400] = "";
    snprintf(cmd, sizeof cmd, "cat %s/vg.* 2>/dev/null | grep -m3 -E '==[0-9]+== +[^ ]'", logdir);
    FILE *f = popen(cmd, "r");
    if (f) {
        size_t n = fread(report, 1, sizeof report - 1, f);
        report[n] = '\0';
        pclose(f);
    }
    for (char *p = report; *p; p++)
        if (*p == '\n')
            *p = ' ';
    snprintf(cmd, sizeof cmd, "rm -rf %s", logdir);
    if (system(cmd) != 0)
        fprintf(stderr, "  could not remove %s\n", logdir);
    REQUIRE("S7", r == 0, "under valgrind: still running 20 s after SIGTERM");
    REQUIRE("S7", report[0] == '\0', "valgrind: %s", report);
    REQUIRE("S7", WIFEXITED(st) && WEXITSTATUS(st) == 0, "under valgrind: %s after SIGTERM%s",
            server_status_str(&srv), WIFEXITED(st) && WEXITSTATUS(st) == 99 ? " (errors)" : "");
    clause_pass("S7");
}

/* ---- main ---- */

static void on_watchdog(int sig)
{
    (void)sig;
    static const char msg[] = "test_servers: watchdog: the suite hung; killing the server\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    if (srv.pid > 0)
        kill(srv.pid, SIGKILL);
    _exit(3);
}

static int valgrind_present(void)
{
    return system("valgrind --version >/dev/null 2>&1") == 0;
}

int main(int argc, char **argv)
{
    int novg = 0;
    cfg.shim = getenv("FI_SO");
    cfg.server = getenv("SERVER");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--shim") == 0 && i + 1 < argc)
            cfg.shim = argv[++i];
        else if (strcmp(argv[i], "--no-valgrind") == 0)
            novg = 1;
        else if (strcmp(argv[i], "--fast") == 0)
            cfg.fast = 1;
        else if (argv[i][0] != '-')
            cfg.server = argv[i];
        else {
            fprintf(stderr, "usage: %s [--shim LIBFAULTINJECT.SO] [--no-valgrind] [--fast] SERVER\n", argv[0]);
            return 2;
        }
    }
    if (cfg.server == NULL || access(cfg.server, X_OK) != 0) {
        fprintf(stderr, "%s: no server to test (give a path or SERVER=path): %s\n", argv[0],
                cfg.server ? cfg.server : "none given");
        return 2;
    }
    if (cfg.shim && (cfg.shim[0] == '\0' || access(cfg.shim, R_OK) != 0)) {
        fprintf(stderr, "%s: shim %s not found: fault tests are skipped\n", argv[0], cfg.shim);
        cfg.shim = NULL;
    }
    cfg.warmup = getenv("SERVER_SUITE_WARMUP") != NULL;
    cfg.valgrind = !novg && !getenv("SERVER_SUITE_NO_VALGRIND") && valgrind_present();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_watchdog);
    alarm(300);

    pool = malloc(POOL);
    if (pool == NULL)
        return 2;
    unsigned long long seed = 20261124;
    net_fill_random(pool, POOL, &seed);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(S0_listens_within_5s, teardown),
        cmocka_unit_test_teardown(S1_echo_exact, teardown),
        cmocka_unit_test_teardown(S2_half_close, teardown),
        cmocka_unit_test_teardown(S3_100_concurrent, teardown),
        cmocka_unit_test_teardown(S3_silent_client_does_not_block, teardown),
        cmocka_unit_test_teardown(S4_short_reads, teardown),
        cmocka_unit_test_teardown(S4_short_writes, teardown),
        cmocka_unit_test_teardown(S4_eintr_every_call, teardown),
        cmocka_unit_test_teardown(S4_spurious_eagain, teardown),
        cmocka_unit_test_teardown(S4_accept_econnaborted_emfile, teardown),
        cmocka_unit_test_teardown(S4_mixed, teardown),
        cmocka_unit_test_teardown(S4_sweep, teardown),
        cmocka_unit_test_teardown(S5_injected_reset_on_read, teardown),
        cmocka_unit_test_teardown(S5_injected_eof_on_read, teardown),
        cmocka_unit_test_teardown(S5_injected_reset_on_write, teardown),
        cmocka_unit_test_teardown(S5_injected_epipe_on_write, teardown),
        cmocka_unit_test_teardown(S5_client_rst, teardown),
        cmocka_unit_test_teardown(S5_client_closes_without_reading, teardown),
        cmocka_unit_test_teardown(S5_client_half_closes_then_rst, teardown),
        cmocka_unit_test_teardown(S5_sweep, teardown),
        cmocka_unit_test_teardown(S8_idle_timeout, teardown),
        cmocka_unit_test_teardown(S6_no_leaks, teardown),
        cmocka_unit_test_teardown(S7_sigterm_exit0, teardown),
        cmocka_unit_test_teardown(S7_sigint_exit0, teardown),
        cmocka_unit_test_teardown(S7_valgrind_clean, teardown),
    };
    /* SERVER_SUITE_ONLY="S1_*,S7_*": run only the tests matching a pattern */
    static struct CMUnitTest chosen[sizeof tests / sizeof tests[0]];
    size_t nchosen = 0;
    const char *only = getenv("SERVER_SUITE_ONLY");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        char pats[256], *save = NULL;
        snprintf(pats, sizeof pats, "%s", only ? only : "*");
        for (char *p = strtok_r(pats, ",", &save); p; p = strtok_r(NULL, ",", &save))
            if (fnmatch(p, tests[i].name, 0) == 0) {
                chosen[nchosen++] = tests[i];
                break;
            }
    }
    int failed_tests = _cmocka_run_group_tests(cfg.server, chosen, nchosen, NULL, NULL);
    int failed_rows = clause_table(cfg.server, getenv("SERVER_SUITE_ONLY") != NULL);
    free(pool);
    return failed_tests || failed_rows ? 1 : 0;
}

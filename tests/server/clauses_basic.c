/* clauses_basic.c: S0 start, S1 echo, S2 end, S3 concurrency. */
#include "suite.h"
#include "clock.h"
#include "netio.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- S0 start ---- */

void S0_listens_within_5s(void **state)
{
    (void)state;
    suite_begin(__func__, 0);
    suite_start(__func__, NULL, NULL);
    suite_feed("one connection to the port it listens on", "connected and accept()ed within 5 s "
                                                           "of the start");
    if (srv.port != srv.given_port) {
        char note[160];
        snprintf(note, sizeof note, "it ignores the PORT argument (%d) and listens on port %d of "
                 "its own: judged there", srv.given_port, srv.port);
        verdict_note("S0", __func__, note);
    }
    long long t0 = now_ms();
    int fd = net_connect(srv.port, 5000);
    if (fd < 0) {
        int e = errno;
        suite_require_alive(__func__);
        suite_fail("S0", __func__, "connect to 127.0.0.1:%d: %s", srv.port, strerror(e));
    }
    /* accepted: the connection left the listener's accept queue */
    int r = server_wait_accepted(&srv, 5000);
    suite_probe_blocking(); /* what later tests may inject (EAGAIN) */
    close(fd);
    if (r < 0) {
        suite_require_alive(__func__);
        suite_fail("S0", __func__, "connected, but not accept()ed within %lld ms (it waits in the "
                   "accept queue)", now_ms() - t0);
    }
    verdict_pass("S0", __func__);
}

/* ---- S1 echo ---- */

/* The three connections of S1, one after another under the current
 * mapping: -1 if all were exact; the index of the first whose bytes were
 * wrong (WHY says how); any other failure is S1's (the test ends). */
static int s1_round(struct echo_conn *c, const unsigned char *all, size_t alllen, char *why,
                    size_t whylen)
{
    suite_conns(c, 3, 256 * 1024, 256 * 1024, 1);
    c[1].data = all;
    c[1].len = alllen;
    c[2].len = 1;
    c[2].data = (const unsigned char *)"z";
    int unended = 0;
    for (int i = 0; i < 3; i++) { /* one at a time: serving them at once is S3's */
        /* a server that never ends a connection (S2's) has shown it: the
         * small ones need not wait the whole deadline for their end too */
        echo_run(&c[i], 1, srv.port, unended ? 2000 : RUN_MS);
        unended |= c[i].end == EE_TIMEOUT && c[i].got == c[i].len;
        if (c[i].first_bad != (size_t)-1 && echo_check_exact(&c[i], why, whylen) < 0)
            return i;
        suite_require_exact("S1", "S1_echo_exact", &c[i], 1); /* a hang fails at once */
    }
    return -1;
}

void S1_echo_exact(void **state)
{
    (void)state;
    static unsigned char all[4 * 256];
    for (int i = 0; i < (int)sizeof all; i++)
        all[i] = (unsigned char)i; /* every byte value, NUL and >= 0x80 included */
    suite_begin(__func__, 0);
    suite_start(__func__, NULL, NULL);
    suite_feed("3 connections one after another: 256 KiB of random bytes; bytes 0x00-0xff four "
               "times; \"z\"; each then half-closes",
               "each its bytes back, a-z as A-Z, all else unchanged, nothing more");
    struct echo_conn c[3];
    char why[512] = "";
    int bad = s1_round(c, all, sizeof all, why, sizeof why);
    if (bad < 0) {
        suite_s6_after(__func__);
        verdict_pass("S1", __func__);
        return;
    }
    /* Bytes came back, but not as the contract maps them: which fixed
     * mapping does the server use? S2-S8 judge it against that one. */
    char first[512];
    snprintf(first, sizeof first, "%s", why);
    echo_set_map(EMAP_IDENTITY);
    if (s1_round(c, all, sizeof all, why, sizeof why) >= 0)
        echo_set_map(EMAP_NONE);
    suite_fail("S1", __func__, "connection %d of 3: %s; the mapping seen: %s%s", bad + 1, first,
               echo_map_str(echo_get_map()),
               echo_get_map() == EMAP_IDENTITY ? " (an identity echo: a-z come back unchanged)"
                                               : "");
}

/* ---- S2 end ---- */

void S2_half_close(void **state)
{
    (void)state;
    suite_begin(__func__, NEEDS_ECHO);
    suite_start(__func__, NULL, NULL);
    suite_feed("3 connections one after another: 100000 bytes, 1 byte, nothing; each then "
               "shutdown(SHUT_WR)",
               "everything owed, then end of stream (the server closes)");
    struct echo_conn c[3];
    suite_conns(c, 3, 100000, 100000, 2);
    c[1].len = 1;
    c[2].len = 0; /* half-close at once: end of stream, nothing else */
    for (int i = 0; i < 3; i++) {
        echo_run(&c[i], 1, srv.port, RUN_MS);
        suite_require_exact("S2", __func__, &c[i], 1);
    }
    suite_s6_after(__func__);
    verdict_pass("S2", __func__);
}

/* ---- S3 concurrency ---- */

static int fds[NCONN];

static void close_all(void)
{
    for (int k = 0; k < NCONN; k++)
        if (fds[k] >= 0) {
            close(fds[k]);
            fds[k] = -1;
        }
}

void S3_100_concurrent(void **state)
{
    (void)state;
    suite_begin(__func__, NEEDS_ECHO);
    suite_start(__func__, NULL, NULL);
    suite_feed("100 connections open at once, each sends \"hello NNN\\n\" and waits for it "
               "before any of them closes",
               "all 100 lines back while all 100 are open");
    /* Barrier: each of the 100 sends a line and all must get it back before
     * any of them half-closes, which only a server serving them at once does. */
    for (int i = 0; i < NCONN; i++)
        fds[i] = -1;
    for (int i = 0; i < NCONN; i++) {
        fds[i] = net_connect(srv.port, 5000);
        if (fds[i] < 0) {
            int e = errno;
            close_all();
            suite_settle();
            suite_require_alive(__func__);
            suite_fail("S3", __func__, "connection %d: connect: %s", i + 1, strerror(e));
        }
    }
    long long deadline = now_ms() + 5000;
    for (int i = 0; i < NCONN; i++) {
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "hello %03d\n", i);
        size_t got = 0;
        net_write_all(fds[i], msg, (size_t)len, ms_left(deadline));
        net_read_all(fds[i], back, (size_t)len, &got, ms_left(deadline));
        for (int k = 0; k < len; k++)
            msg[k] = (char)echo_mapped((unsigned char)msg[k]);
        if (got != (size_t)len ||
            (echo_get_map() != EMAP_NONE && memcmp(msg, back, (size_t)len) != 0)) {
            close_all();
            suite_settle();
            suite_require_alive(__func__);
            suite_fail("S3", __func__, "only %d of %d connections served at once (connection %d "
                       "got %zu of %d bytes within 5 s)", i, NCONN, i + 1, got, len);
        }
    }
    close_all();
    /* Then 100 at once moving random binary data, each checked byte for byte. */
    static struct echo_conn c[NCONN];
    suite_feed("100 connections at once, 1-65536 random bytes each, then half-close",
               "each its exact echo, then end of stream");
    suite_conns(c, NCONN, 1, 64 * 1024, 3);
    echo_run(c, NCONN, srv.port, RUN_MS);
    suite_require_exact("S3", __func__, c, NCONN);
    suite_s6_after(__func__);
    verdict_pass("S3", __func__);
}

void S3_silent_client_does_not_block(void **state)
{
    (void)state;
    suite_begin(__func__, NEEDS_ECHO | NEEDS_AT_ONCE);
    suite_start(__func__, NULL, NULL);
    suite_feed("a client that connects and sends nothing, one that sends 8 MiB and never reads, "
               "then 10 clients of 20000 bytes",
               "the 10 get their exact echo within 5 s");
    struct echo_conn c[12];
    suite_conns(c, 12, 20000, 20000, 4);
    c[0].mode = EM_SILENT; /* connects first, sends nothing */
    c[0].len = 0;
    c[1].mode = EM_STALL;  /* sends 8 MiB, never reads */
    c[1].len = 8 << 20;
    c[1].data = pool;
    for (int i = 2; i < 12; i++)
        c[i].start_delay_ms = 300; /* once the two above are stuck */
    echo_run(c, 12, srv.port, 5000);
    suite_require_exact("S3", __func__, &c[2], 10);
    /* The stuck client was closed with data unread (an S5 condition): a
     * server that dies of it is charged there. */
    if (suite_charge_death(__func__))
        suite_s6_after(__func__);
    verdict_pass("S3", __func__);
}

/* S3 endurance: a fixed table of client slots fails here. */
void S3_1000_in_a_row(void **state)
{
    (void)state;
    enum { N = 1000 };
    suite_begin(__func__, NEEDS_ECHO);
    suite_start(__func__, NULL, NULL);
    suite_feed("1,000 connections one after another, each 100 random bytes then half-close",
               "every one its exact echo, then end of stream");
    for (int i = 0; i < N; i++) {
        struct echo_conn c;
        char why[512];
        suite_conns(&c, 1, 100, 100, 200u + (unsigned)i);
        echo_run(&c, 1, srv.port, 5000);
        if (echo_check_exact(&c, why, sizeof why) < 0) {
            suite_settle();
            if (!server_alive(&srv) && !(WIFSIGNALED(srv.status) && WTERMSIG(srv.status) == SIGPIPE))
                suite_fail("S3", __func__, "connection %d of %d: the server %s after serving %d "
                           "connections one after another", i + 1, N, server_was(&srv), i);
            suite_require_alive(__func__);
            suite_fail("S3", __func__, "connection %d of %d: %s", i + 1, N, why);
        }
    }
    suite_s6_after(__func__);
    verdict_pass("S3", __func__);
}

void S3_bursts_of_100(void **state)
{
    (void)state;
    enum { BURSTS = 10 };
    static struct echo_conn c[NCONN];
    suite_begin(__func__, NEEDS_ECHO | NEEDS_AT_ONCE);
    suite_start(__func__, NULL, NULL);
    suite_feed("10 bursts of 100 connections at once (1,000 in all), 1-4096 random bytes each",
               "every one its exact echo, then end of stream");
    for (int b = 0; b < BURSTS; b++) {
        char why[512];
        suite_conns(c, NCONN, 1, 4096, 300u + (unsigned)b);
        echo_run(c, NCONN, srv.port, RUN_MS);
        for (int i = 0; i < NCONN; i++)
            if (echo_check_exact(&c[i], why, sizeof why) < 0) {
                suite_settle();
                if (!server_alive(&srv) &&
                    !(WIFSIGNALED(srv.status) && WTERMSIG(srv.status) == SIGPIPE))
                    suite_fail("S3", __func__, "burst %d of %d: the server %s after %d "
                               "connections", b + 1, BURSTS, server_was(&srv), b * NCONN);
                suite_require_alive(__func__);
                suite_fail("S3", __func__, "burst %d of %d, connection %d: %s", b + 1, BURSTS,
                           i + 1, why);
            }
    }
    suite_s6_after(__func__);
    verdict_pass("S3", __func__);
}

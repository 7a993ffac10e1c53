/* clauses_faults.c: S4 faults that keep data, S5 faults that end a
 * connection (injected by the shim into the server's own calls, or made by
 * clients), and the sweeps of both. */
#include "suite.h"
#include "clock.h"

#include <stdio.h>
#include <string.h>

#define NRULES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- S4 faults that keep data ---- */

/* What a scenario's clients arrange, so that the faults injected are ones
 * the kernel could give (faultinject.md, Faithful): */
enum {
    NO_FIN = 1,     /* half-close only once the echo is back: no FIN queued
                     * while the server reads (no short or EAGAIN read after it) */
    FULL_QUEUE = 2, /* FULLQ of the connections send 1 MiB and read nothing for
                     * 300 ms: the server's send queues fill (short and EAGAIN
                     * writes only where the queue is out of room) */
};
enum { FULLQ = 10, FULLQ_LEN = 1 << 20, FULLQ_DELAY_MS = 300 };

/* 100 connections of random binary data at once under RULES, each echo
 * byte-exact; then a new connection is served; the faults must have
 * reached the server; then S6. */
static void s4_scenario(const char *test, const char *const *all, int nall, unsigned seed,
                        int conds)
{
    static struct echo_conn c[NCONN];
    char joined[1024], f[1400];
    const char *rules[16];
    suite_begin(test, NEEDS_ECHO | NEEDS_AT_ONCE);
    if (!harness_can_inject())
        suite_not_judged(test, "no shim (FI_SO): no fault could be injected");
    int n = suite_drop_impossible(test, all, nall, rules);
    if (n == 0)
        skip(); /* nothing this server could meet: the note says why */
    suite_join(rules, n, joined, sizeof joined);
    snprintf(f, sizeof f, "100 connections at once, 1-16384 random bytes each%s, then "
             "half-close%s; injected into the server: %s",
             conds & FULL_QUEUE ? " (10 of them 1 MiB, reading nothing for the first 300 ms, "
                                  "so the server's send queues fill)" : "",
             conds & NO_FIN ? " once the whole echo is back (no FIN queued while the server "
                              "reads)" : "", joined);
    suite_feed(f, "every connection its complete exact echo, then end of stream; a new "
                  "connection served afterwards");
    suite_start(test, joined, NULL);
    suite_conns(c, NCONN, 1, 16 * 1024, seed);
    for (int i = 0; i < NCONN; i++) {
        c[i].shut_after_echo = (conds & NO_FIN) != 0;
        if ((conds & FULL_QUEUE) && i % (NCONN / FULLQ) == 0) {
            c[i].len = FULLQ_LEN;
            c[i].data = suite_slice(500u + (unsigned)i, FULLQ_LEN);
            c[i].read_delay_ms = FULLQ_DELAY_MS;
        }
    }
    echo_run(c, NCONN, srv.port, RUN_MS);
    suite_require_alive(test);
    suite_require_exact("S4", test, c, NCONN);
    suite_require_new_served("S4", test);
    if (suite_require_faults(test, rules, n) == 0)
        skip(); /* none could fire here (the notes say why): this test judged nothing */
    /* A rule on each connection's first call (per=fd:when=1) must have
     * reached every one of them: in a forking server, every child that
     * carried data. */
    struct fault_log fl;
    server_fault_log(&srv, &fl);
    for (int i = 0; i < n; i++) {
        if (!strstr(rules[i], ":per=fd:when=1"))
            continue;
        /* such rules come first, so they win on the first calls; n=1 of a
         * per=fd rule is its first call on a descriptor */
        long got = i < FL_RULES ? fl.first_by_rule[i] : 0;
        if (got == 0 && strstr(rules[i], ":eintr"))
            continue; /* could interrupt nothing: noted by suite_require_faults */
        if (got < NCONN)
            suite_not_judged(test, "`%s` reached only %ld of the %d connections%s", rules[i],
                             got, NCONN, fl.npids > 1 ? " (in the server's children)" : "");
    }
    suite_s6_after(test);
    verdict_pass("S4", test);
}

void S4_short_reads(void **state)
{
    (void)state;
    static const char *const r[] = { RD ":short=1:p=0.5", RD ":short=7:p=0.3" };
    s4_scenario(__func__, r, NRULES(r), 10, NO_FIN);
}

void S4_short_writes(void **state)
{
    (void)state;
    static const char *const r[] = { WR ":short=1:p=0.5", WR ":short=13:p=0.3" };
    s4_scenario(__func__, r, NRULES(r), 11, FULL_QUEUE);
}

void S4_eintr_every_call(void **state)
{
    (void)state;
    /* the first two: every connection's first read and first write are
     * interrupted, so no connection (no forked child) escapes; first, so
     * that they win over the p= rules there (every rule counts the call) */
    /* (no close:eintr: closing a socket sleeps only with SO_LINGER set,
     * socket(7), so the kernel never interrupts the servers' closes) */
    static const char *const r[] = { RD ":eintr:per=fd:when=1", WR ":eintr:per=fd:when=1",
                                     RD ":eintr:p=0.3", WR ":eintr:p=0.3", ACC ":eintr:p=0.3" };
    s4_scenario(__func__, r, NRULES(r), 12, 0);
}

void S4_spurious_eagain(void **state)
{
    (void)state;
    static const char *const r[] = { RD ":eagain:p=0.3", WR ":eagain:p=0.3" };
    s4_scenario(__func__, r, NRULES(r), 13, NO_FIN | FULL_QUEUE);
}

void S4_accept_econnaborted_emfile(void **state)
{
    (void)state;
    static const char *const r[] = { ACC ":error=ECONNABORTED:p=0.3", ACC ":error=EMFILE:p=0.2" };
    s4_scenario(__func__, r, NRULES(r), 14, 0);
}

void S4_mixed(void **state)
{
    (void)state;
    static const char *const r[] = {
        RD ":short=3:p=0.1", WR ":short=5:p=0.1", RD ":eintr:p=0.1", WR ":eintr:p=0.1",
        RD ":eagain:p=0.1", WR ":eagain:p=0.1", ACC ":eintr:p=0.1",
        ACC ":error=ECONNABORTED:p=0.1", ACC ":error=EMFILE:p=0.1",
    };
    s4_scenario(__func__, r, NRULES(r), 15, NO_FIN | FULL_QUEUE);
}

/* ---- S5 faults that end a connection ---- */

enum { VICTIMS = 3, CONTROLS = 10, BIG = 1 << 20, SMALL = 4096, THRESHOLD = 100000 };

/* Victims (modes/rules that end them) and small controls at once: victims
 * get an exact prefix then EOF/reset, controls their whole echo, the
 * server survives and serves a new connection; then S6. */
static void s5_scenario(const char *test, const char *rule, const char *fed,
                        enum echo_mode vmode, size_t vlen, size_t rst_at)
{
    struct echo_conn c[VICTIMS + CONTROLS];
    char why[512], f[600];
    suite_begin(test, NEEDS_ECHO | NEEDS_AT_ONCE);
    if (rule && !harness_can_inject())
        suite_not_judged(test, "no shim (FI_SO): no fault could be injected");
    snprintf(f, sizeof f, "3 connections of %zu bytes that %s, with 10 of 4096 bytes beside them%s%s",
             vlen, fed, rule ? "; injected into the server: " : "", rule ? rule : "");
    suite_feed(f, "the 3 get an exact prefix of their echo, then end of stream or a reset; the "
                  "10 their whole echo; the server lives on and serves a new connection");
    suite_start(test, rule, NULL);
    suite_conns(c, VICTIMS + CONTROLS, SMALL, SMALL, 20);
    for (int i = 0; i < VICTIMS; i++) {
        c[i].mode = vmode;
        c[i].len = vlen;
        c[i].data = suite_slice(100u + (unsigned)i, vlen);
        c[i].rst_at = rst_at;
    }
    for (int i = VICTIMS; i < VICTIMS + CONTROLS; i++)
        c[i].start_delay_ms = 20;
    /* (EM_HALF_RST moves a lot in small steps: ~1.5 s on a loaded 2-core machine) */
    echo_run(c, VICTIMS + CONTROLS, srv.port, RUN_MS);
    suite_require_alive(test);
    for (int i = 0; i < VICTIMS; i++)
        if (echo_check_prefix(&c[i], why, sizeof why) < 0) {
            suite_settle();
            suite_require_alive(test);
            if (c[i].first_bad != (size_t)-1)
                suite_not_judged(test, "connection %d: %s: the echo lost or changed bytes before "
                                       "the connection ended, which is S1's or S4's concern, so "
                                       "how it ended cannot be judged", i + 1, why);
            suite_fail("S5", test, "connection %d (hit by the fault): %s", i + 1, why);
        }
    suite_require_exact("S5", test, &c[VICTIMS], CONTROLS);
    suite_require_new_served("S5", test);
    if (rule) {
        const char *const r[] = { rule };
        suite_require_faults(test, r, 1);
    }
    if (vmode == EM_HALF_RST) {
        int n = 0;
        for (int i = 0; i < VICTIMS; i++)
            n += c[i].rst_in_close_wait;
        if (n == 0)
            verdict_note("S5", test, "no RST met the server in CLOSE_WAIT with echo still "
                                     "owed this time (a timing the test cannot force)");
    }
    suite_s6_after(test);
    verdict_pass("S5", test);
}

static char rule_buf[256];
static const char *rule_after(const char *calls, const char *fault)
{
    snprintf(rule_buf, sizeof rule_buf, "%s:%s:after=%d", calls, fault, THRESHOLD);
    return rule_buf;
}

void S5_injected_reset_on_read(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(RD, "reset"), "get ECONNRESET on a server read after 100000 bytes",
                EM_NORMAL, BIG, 0);
}

void S5_injected_eof_on_read(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(RD, "eof"), "get an early end of stream on a server read after 100000 bytes",
                EM_NORMAL, BIG, 0);
}

void S5_injected_reset_on_write(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(WR, "reset"), "get ECONNRESET on a server write after 100000 bytes",
                EM_NORMAL, BIG, 0);
}

void S5_injected_epipe_on_write(void **state)
{
    (void)state;
    s5_scenario(__func__, rule_after(WR, "error=EPIPE"),
                "get EPIPE (and SIGPIPE) on a server write after 100000 bytes", EM_NORMAL, BIG, 0);
}

void S5_client_rst(void **state)
{
    (void)state;
    s5_scenario(__func__, NULL, "reset (RST) once 64 KiB came back", EM_RST, BIG, 64 * 1024);
}

void S5_client_closes_without_reading(void **state)
{
    (void)state;
    s5_scenario(__func__, NULL, "close without reading anything", EM_CLOSE_NOREAD, 4 * BIG, 0);
}

void S5_client_half_closes_then_rst(void **state)
{
    (void)state;
    s5_scenario(__func__, NULL, "half-close, then reset while echo is still owed", EM_HALF_RST,
                12 * BIG, 0);
}

/* ---- S4/S5 sweep ---- */

/* As `faultrun --sweep`: FAULT fires only at matching call K, K = 1, 2, ...
 * until a run where it did not fire. Each run: one connection sends three
 * chunks in lock-step, half-closes and reads to the end; then a second
 * connection. KEEPS: S4 (both exact) else S5 (prefixes, then end).
 * A short or eagain write stands for a send queue out of room, which the
 * kernel gives only then (faultinject.md): for those the first connection
 * sends 384 KiB and reads nothing for 150 ms, so the server's queue fills,
 * and the calls K whose write had room (it did not fire) are passed over
 * until the first that fired. */
enum { SWEEP_MAX = 40, FULL_LEN = 384 * 1024, FULL_DELAY_MS = 150 };

static int sweep_one(const char *test, const char *clause, const char *fault, int keeps)
{
    char rules[160], why[512], f[400];
    int runs = 0, leaked = 0, ever = 0;
    const char *kept[1];
    if (suite_drop_impossible(test, &fault, 1, kept) == 0)
        return 0;
    int room = strncmp(fault, WR, strlen(WR)) == 0 &&
               (strstr(fault, ":short") || strstr(fault, ":eagain"));
    /* A read's short or eagain cannot fire once the peer's FIN is queued
     * (faultinject.md): calls K where a connection (the suite's warm-up
     * exchange, say) had already half-closed are passed over too. */
    int passover = room || (strncmp(fault, RD, strlen(RD)) == 0 &&
                            (strstr(fault, ":short") || strstr(fault, ":eagain")));
    for (int k = 1; k <= SWEEP_MAX; k++, runs++) {
        snprintf(rules, sizeof rules, "%s:when=%d", fault, k);
        if (room)
            snprintf(f, sizeof f, "injected: %s; one connection sends %d KiB, reading nothing for "
                     "the first %d ms (the server's send queue fills), and half-closes, then a "
                     "second one 3000 bytes", rules, FULL_LEN / 1024, FULL_DELAY_MS);
        else
            snprintf(f, sizeof f, "injected: %s; one connection sends 3 x 1000 bytes in "
                     "lock-step and half-closes, then a second one 3000 bytes", rules);
        suite_feed(f, keeps ? "both connections their exact echo, then end of stream"
                            : "an exact prefix of each echo, then end of stream or reset; "
                              "the server lives on");
        suite_start(test, rules, NULL);
        struct echo_conn c[2];
        suite_conns(c, 2, 3000, 3000, 30 + (unsigned)k);
        if (room) {
            c[0].len = FULL_LEN;
            c[0].data = suite_slice(600u + (unsigned)k, FULL_LEN);
            c[0].read_delay_ms = FULL_DELAY_MS;
        } else {
            c[0].chunk = 1000;
            c[0].lockstep = 1;
        }
        echo_run(&c[0], 1, srv.port, 3000);
        echo_run(&c[1], 1, srv.port, 3000);
        for (int i = 0; i < 2; i++) {
            int bad = keeps ? echo_check_exact(&c[i], why, sizeof why)
                            : echo_check_prefix(&c[i], why, sizeof why);
            if (bad) {
                suite_settle();
                suite_require_alive(test);
                suite_require_listening(test);
                suite_fail(clause, test, "%s: connection %d: %s", rules, i + 1, why);
            }
        }
        suite_require_alive(test);
        long fired = server_faults(&srv);
        if (k == 1 && fired == 0 && !passover) {
            const char *const r[] = { rules };
            suite_require_faults(test, r, 1); /* NOT JUDGED */
            server_stop(&srv);
            break;
        }
        /* a leak found once in this sweep is not waited for (2 s) again */
        if (!leaked && !(cfg.fast && verdict_failed("S6"))) {
            if (server_check_leaks(&srv, why, sizeof why) < 0) {
                suite_require_alive(test); /* it died meanwhile: a death, not a leak */
                verdict_fail("S6", test, f, "no zombies, descriptors and threads as before", why);
                leaked = 1;
            }
        }
        server_stop(&srv);
        ever |= fired > 0;
        if (fired == 0 && (ever || !passover))
            break;
    }
    if (passover && !room && !ever) {
        const char *const r[] = { fault };
        suite_require_faults(test, r, 1); /* NOT JUDGED */
    }
    if (room && !ever) {
        char note[300];
        snprintf(note, sizeof note, "`%s` never fired in calls 1-%d: the server's writes "
                 "always had room in its send queue, where the kernel takes a write whole",
                 fault, SWEEP_MAX);
        verdict_note(test, test, note);
    }
    return runs;
}

void S4_sweep(void **state)
{
    (void)state;
    static const char *const faults[] = {
        ACC ":eintr", ACC ":error=ECONNABORTED", ACC ":error=EMFILE",
        RD ":short=1", RD ":eintr", RD ":eagain",
        WR ":short=1", WR ":eintr", WR ":eagain",
    };
    suite_begin(__func__, NEEDS_ECHO);
    if (!harness_can_inject())
        suite_not_judged(__func__, "no shim (FI_SO): no fault could be injected");
    int runs = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        runs += sweep_one(__func__, "S4", faults[i], 1);
    fprintf(stderr, "  %s: %d runs\n", __func__, runs);
    verdict_pass("S4", __func__);
}

void S5_sweep(void **state)
{
    (void)state;
    static const char *const faults[] = {
        RD ":reset", RD ":eof", WR ":reset", WR ":error=EPIPE",
    };
    suite_begin(__func__, NEEDS_ECHO);
    if (!harness_can_inject())
        suite_not_judged(__func__, "no shim (FI_SO): no fault could be injected");
    int runs = 0;
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
        runs += sweep_one(__func__, "S5", faults[i], 0);
    fprintf(stderr, "  %s: %d runs\n", __func__, runs);
    verdict_pass("S5", __func__);
}

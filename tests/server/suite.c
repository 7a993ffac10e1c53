/* suite.c: the steps the server suite's tests are made of. */
#include "suite.h"
#include "clock.h"
#include "netio.h"
#include "procstat.h"
#include "rules.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

unsigned char *pool;
struct server srv;

static long long t_begin;
static int unended;
static long gone_base; /* echo_clients_gone() when the test began */ /* a connection got its whole echo but never its end (S2's) */
static char fed[1024], expected[512];

__attribute__((noreturn)) static void end_test_failed(const char *clause)
{
    if (now_ms() - t_begin > HANG_MS)
        verdict_mark_hung(clause);
    fail_msg("%.2s failed", clause);
    abort(); /* not reached: fail_msg does not return */
}

void suite_fail(const char *clause, const char *test, const char *fmt, ...)
{
    char got[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(got, sizeof got, fmt, ap);
    va_end(ap);
    verdict_fail(clause, test, fed[0] ? fed : "-", expected[0] ? expected : "-", got);
    end_test_failed(clause);
}

void suite_not_judged(const char *test, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    verdict_not_judged(test, test, msg);
    skip();
    abort(); /* not reached */
}

/* The echo's mapping, when S1 (which learns it) is not among the tests
 * run (SERVER_SUITE_ONLY, a rerun command): one exchange of every byte
 * value with a plain start, as S1 judges it; else every byte comparison
 * would be against a-z as A-Z. */
static int map_known;

static void learn_map(const char *test)
{
    static unsigned char all[256];
    struct server s;
    struct echo_conn c;
    char why[256];
    map_known = 1;
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    if (server_start(&s, NULL, NULL, NULL, 5000, why, sizeof why) < 0)
        return; /* the test's own start says why */
    static const enum echo_map maps[] = { EMAP_UPPER, EMAP_IDENTITY };
    enum echo_map seen = EMAP_NONE;
    for (int m = 0; m < 2 && seen == EMAP_NONE; m++) {
        echo_set_map(maps[m]);
        memset(&c, 0, sizeof c);
        c.data = all;
        c.len = sizeof all;
        c.mode = EM_NORMAL;
        echo_run(&c, 1, s.port, 5000);
        if (c.got == c.len && c.first_bad == (size_t)-1)
            seen = maps[m];
    }
    server_stop(&s);
    echo_set_map(seen);
    char note[200];
    snprintf(note, sizeof note, "S1 not run: the echo's mapping, learned from one exchange of "
             "every byte value: %s", echo_map_str(seen));
    verdict_note(test, test, note);
}

void suite_begin(const char *test, int needs)
{
    verdict_touch(test);
    t_begin = now_ms();
    fed[0] = expected[0] = '\0';
    if (strncmp(test, "S0", 2) != 0 && verdict_failed("S0"))
        suite_not_judged(test, "the server does not start and serve (S0)");
    unended = 0;
    if (strncmp(test, "S1", 2) == 0)
        map_known = 1; /* S1 learns it */
    else if (!map_known && strncmp(test, "S0", 2) != 0 && !verdict_failed("S0"))
        learn_map(test);
    gone_base = echo_clients_gone();
    if ((needs & NEEDS_ECHO) && verdict_failed("S1") && echo_get_map() == EMAP_UPPER)
        suite_not_judged(test, "this test checks echoes byte for byte, and the plain echo "
                               "already fails (S1)");
    if (strncmp(test, "S1", 2) != 0 && strncmp(test, "S0", 2) != 0 &&
        echo_get_map() != EMAP_UPPER) {
        char note[200];
        snprintf(note, sizeof note, "judged against the echo seen: %s%s",
                 echo_map_str(echo_get_map()),
                 echo_get_map() == EMAP_NONE ? " (no byte compared: ends of stream, deaths, "
                                               "leaks, stops and idle closes)" : "");
        verdict_note(test, "S1_echo_exact", note);
    }
    if ((needs & NEEDS_ECHO) && strncmp(test, "S2", 2) != 0 && verdict_failed("S2"))
        suite_not_judged(test, "this test's clients read each echo to its end of stream, and "
                               "the server does not end connections (S2)");
    if ((needs & NEEDS_AT_ONCE) && verdict_test_failed("S3_100_concurrent"))
        suite_not_judged(test, "this test runs 100 connections at once, and the server does not "
                               "serve them at once (S3)");
    if ((needs & NEEDS_ECHO) && verdict_test_failed("S3_stopped_listening"))
        suite_not_judged(test, "the server stops listening after some connections (S3)");
    if (verdict_failed(test) && (cfg.fast || verdict_hung(test))) {
        fprintf(stderr, "  %.2s already failed%s: %s skipped\n", test,
                cfg.fast ? "" : " by a hang", test);
        skip();
    }
}

void suite_feed(const char *f, const char *e)
{
    snprintf(fed, sizeof fed, "%s", f);
    snprintf(expected, sizeof expected, "%s", e);
}

const char *suite_join(const char *const *rules, int n, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " ; " : "", rules[i]);
    return buf;
}

/* "; the last fault injected ...: accept error=EMFILE (process 123)" or "":
 * the server's own process's last fault when it is that process that
 * died, else the last of any. */
static const char *last_fault(char *buf, size_t len)
{
    struct fault_log fl;
    server_fault_log(&srv, &fl);
    buf[0] = '\0';
    if (srv.exited && fl.main_total > 0)
        snprintf(buf, len, "; the last fault injected into the server's process before: %s %s "
                 "(process %d)", fl.main_call, fl.main_fault, (int)srv.pid);
    else if (fl.total > 0)
        snprintf(buf, len, "; the last fault injected before: %s %s (process %d)", fl.last_call,
                 fl.last_fault, (int)fl.last_pid);
    return buf;
}

/* The server's death is S5's condition: it was killed by SIGPIPE, or it
 * died or exited after a client reset or closed with unread data during
 * this test, or right after an injected ECONNRESET or EPIPE in its own
 * process. Then WHAT says which. */
static int death_is_s5(char *what, size_t len)
{
    struct fault_log fl;
    server_fault_log(&srv, &fl);
    if (WIFSIGNALED(srv.status) && WTERMSIG(srv.status) == SIGPIPE) {
        snprintf(what, len, "the server was killed by SIGPIPE: a write to a connection whose "
                 "client had gone raised it (ignore SIGPIPE or send with MSG_NOSIGNAL)");
        return 1;
    }
    if (fl.main_total > 0 && (strstr(fl.main_fault, "ECONNRESET") || strstr(fl.main_fault, "EPIPE"))) {
        snprintf(what, len, "the server %s right after %s %s was injected into its process (a "
                 "connection's error must end that connection alone)", server_was(&srv),
                 fl.main_call, fl.main_fault);
        return 1;
    }
    if (echo_clients_gone() > gone_base) {
        snprintf(what, len, "the server %s after a client reset its connection or closed it with "
                 "data unread (its next read or write there fails with ECONNRESET or EPIPE: "
                 "that connection alone must end)", server_was(&srv));
        return 1;
    }
    return 0;
}

void suite_start(const char *test, const char *rules, const char *const *args)
{
    char why[512], lf[160];
    int r = server_start(&srv, rules, args, NULL, 5000, why, sizeof why);
    if (r < 0 && srv.refused)
        suite_not_judged(test, "faultrun --backend=trace refused to run the server %s%s: %s",
                         rules ? "under " : "", rules ? rules : "", why);
    if (r == 0) {
        if (rules && !srv.shim_loaded && (test[1] == '4' || test[1] == '5'))
            suite_not_judged(test, "the shim was not loaded into the server: LD_PRELOAD does "
                                   "not reach it (statically linked? set-user-ID?), so no fault "
                                   "could reach it");
        return;
    }
    char opts[256] = "";
    size_t used = 0;
    for (int i = 0; args && args[i] && used < sizeof opts; i++)
        used += (size_t)snprintf(opts + used, sizeof opts - used, " %s", args[i]);
    char f[900];
    snprintf(f, sizeof f, "started as `%s %d%s`%s%s", cfg.server, srv.given_port, opts,
             rules ? " under " : "", rules ? rules : "");
    /* Refused only with the row's options (S0 started it without them):
     * that row's failure, not S0's. */
    int plain_ok = !verdict_failed("S0") && verdict_passed_test("S0_listens_within_5s");
    if (strncmp(test, "S0", 2) != 0 && (rules != NULL || (opts[0] && plain_ok))) {
        last_fault(lf, sizeof lf);
        if (rules == NULL || fed[0] == '\0') /* else the test's own feed is shown */
            suite_feed(f, opts[0] ? "it accepts these options and listens within 5 s"
                                  : "a TCP socket listening within 5 s");
        suite_fail(test, test, "the server came up as `%s %d%s`%s%s, then: %s%s", cfg.server,
                   srv.given_port, opts, rules ? " under " : "", rules ? rules : "", why, lf);
    }
    suite_feed(f, "a TCP socket listening within 5 s");
    verdict_fail("S0", test, fed, expected, why);
    if (strncmp(test, "S0", 2) != 0)
        verdict_not_judged(test, test, "the server did not start (S0)");
    end_test_failed("S0");
}

int suite_require_listening(const char *test)
{
    if (!server_alive(&srv) || server_listening(&srv))
        return 1;
    /* A dying process closes its sockets before it can be reaped: give it
     * a moment, a death is charged elsewhere. */
    long long deadline = now_ms() + 300;
    while (ms_left(deadline) > 0) {
        if (!server_alive(&srv))
            return 1;
        poll(NULL, 0, 5);
    }
    if (server_listening(&srv))
        return 1;
    char f[1200];
    snprintf(f, sizeof f, "%s (during %s)", fed[0] ? fed : "-", test);
    verdict_fail("S3", "S3_stopped_listening", f, "it keeps serving new connections",
                 "the server no longer listens: it closed its listening socket");
    if (strncmp(test, "S3", 2) != 0)
        suite_not_judged(test, "the server stopped listening (charged to S3)");
    end_test_failed("S3");
}

int suite_charge_death(const char *test)
{
    char what[400];
    if (server_alive(&srv))
        return 1;
    if (strncmp(test, "S5", 2) != 0 && death_is_s5(what, sizeof what))
        verdict_fail("S5", test, fed[0] ? fed : "-", "the server survives clients that go away",
                     what);
    else
        verdict_fail(test, test, fed[0] ? fed : "-", expected[0] ? expected : "-",
                     server_status_str(&srv));
    return 0;
}

void suite_settle(void)
{
    /* An exiting process has closed its sockets (its clients read end of
     * stream) some time before it can be reaped, longer with threads
     * (exit_group waits for every one): a death is charged, not its echo. */
    long long deadline = now_ms() + 300;
    while (server_alive(&srv) && ms_left(deadline) > 0)
        poll(NULL, 0, 5);
}

void suite_require_alive(const char *test)
{
    if (server_alive(&srv))
        return;
    char lf[200], what[400];
    const char *st = server_was(&srv);
    last_fault(lf, sizeof lf);
    if (death_is_s5(what, sizeof what)) {
        if (strncmp(test, "S5", 2) == 0)
            suite_fail(test, test, "%s%s", what, lf);
        char e[1100];
        snprintf(e, sizeof e, "%s (a peer that is gone must end only its own connection)",
                 expected[0] ? expected : "the server lives on");
        verdict_fail("S5", test, fed[0] ? fed : "-", e, what);
        suite_not_judged(test, "the server died of a client that went away before this test "
                               "could judge (charged to S5)");
    }
    struct fault_log fl;
    server_fault_log(&srv, &fl);
    if (strncmp(test, "S4", 2) != 0 && fl.main_total > 0 && strncmp(fl.main_call, "accept", 6) == 0 &&
        WIFEXITED(srv.status)) {
        verdict_fail("S4", test, fed[0] ? fed : "-",
                     "an accept error (EMFILE, ECONNABORTED, EINTR) is survived", lf + 2);
        suite_not_judged(test, "the server exited after an injected accept error (charged to S4)");
    }
    suite_fail(test, test, "the server %s%s", st, lf);
}

void suite_require_exact(const char *clause, const char *test, struct echo_conn *c, int n)
{
    char why[512];
    for (int i = 0; i < n; i++)
        if (echo_check_exact(&c[i], why, sizeof why) < 0) {
            if (strncmp(clause, "S2", 2) != 0 && c[i].first_bad == (size_t)-1 &&
                c[i].got == c[i].len && c[i].sent == c[i].len && c[i].end == EE_TIMEOUT) {
                unended = 1; /* all of it came back; only the end is missing: S2's */
                continue;
            }
            suite_settle();
            suite_require_alive(test);
            suite_require_listening(test);
            suite_fail(clause, test, "connection %d of %d: %s", i + 1, n, why);
        }
}

void suite_require_new_served(const char *clause, const char *test)
{
    struct echo_conn c;
    char why[512];
    suite_require_alive(test);
    suite_conns(&c, 1, 4096, 4096, 999);
    echo_run(&c, 1, srv.port, 5000);
    if (echo_check_exact(&c, why, sizeof why) < 0) {
        suite_settle();
        suite_require_alive(test);
        suite_fail(clause, test, "a new connection afterwards (4096 bytes): %s", why);
    }
}

/* What a plain start shows of the server, once: whether its connection
 * sockets block, and whether it catches any signal (where the kernel
 * could interrupt a call with EINTR: signal(7)). -2: not probed yet. */
static int blocking_cache = -2, catches_cache = -2;
static unsigned long long caught_mask;

static int probe(struct server *s)
{
    int fd = net_connect(s->port, 2000);
    if (fd < 0)
        return -1;
    char b = 'p';
    size_t got = 0;
    int r = -1;
    /* once the server has it (and, if it forks, its child: the echo) */
    if (server_wait_accepted(s, 2000) == 0) {
        if (net_write_all(fd, &b, 1, 2000) == 1)
            net_read_all(fd, &b, 1, &got, 2000);
        r = server_conn_nonblocking(s);
    }
    /* after one connection served: handlers installed after listen()
     * (a SIGCHLD reaper, say) are in place by now */
    if (proc_caught_signals(s->pid, &caught_mask) == 0) {
        /* glibc's own signals between 31 and SIGRTMIN (SIGCANCEL,
         * SIGSETXID: nptl installs a handler at the first
         * pthread_create, with SA_RESTART) are not the server's */
        for (int sig = 32; sig < SIGRTMIN && sig <= 64; sig++)
            caught_mask &= ~(1ull << (sig - 1));
        catches_cache = caught_mask != 0;
    }
    close(fd);
    return r;
}

int suite_probe_blocking(void)
{
    int r = probe(&srv);
    blocking_cache = r < 0 ? -1 : !r;
    return r;
}

static void probe_plain(void)
{
    struct server s;
    char why[256];
    int r = -1;
    if (server_start(&s, NULL, NULL, NULL, 5000, why, sizeof why) == 0) {
        r = probe(&s);
        server_stop(&s);
    }
    blocking_cache = r < 0 ? -1 : !r;
    if (catches_cache == -2)
        catches_cache = -1;
}

int suite_server_blocking(void)
{
    if (blocking_cache == -2)
        probe_plain();
    return blocking_cache;
}

int suite_server_catches_signals(void)
{
    if (catches_cache == -2)
        probe_plain();
    return catches_cache;
}

int suite_drop_impossible(const char *test, const char *const *rules, int n, const char **out)
{
    int m = 0, eagain = 0, eintr = 0, has_eagain = 0, has_eintr = 0;
    for (int i = 0; i < n; i++) {
        has_eagain |= strstr(rules[i], ":eagain") != NULL;
        has_eintr |= strstr(rules[i], ":eintr") != NULL;
    }
    int blocking = has_eagain && suite_server_blocking() == 1;
    int no_signal = has_eintr && suite_server_catches_signals() == 0;
    for (int i = 0; i < n; i++) {
        if (blocking && strstr(rules[i], ":eagain")) {
            eagain++;
            continue;
        }
        if (no_signal && strstr(rules[i], ":eintr")) {
            eintr++;
            continue;
        }
        out[m++] = rules[i];
    }
    if (eagain)
        verdict_note(test, test, "eagain not injected: every connection socket of the server is "
                                 "blocking, where the kernel never says EAGAIN");
    if (eintr)
        verdict_note(test, test, "EINTR not injected: the server catches no signal (SigCgt 0 in "
                                 "/proc/PID/status), so no signal could interrupt its calls "
                                 "(signal(7)); judged on the other faults");
    return m;
}

static int is_data_rule(const char *rule)
{
    return strncmp(rule, RD, strlen(RD)) == 0 || strncmp(rule, WR, strlen(WR)) == 0;
}

static int is_write_rule(const char *rule)
{
    return strncmp(rule, WR, strlen(WR)) == 0;
}

int suite_require_faults(const char *test, const char *const *rules, int n)
{
    struct fault_log fl;
    char unfired[600] = "";
    size_t used = 0;
    int fired = 0, want_children = 0, unfired_eagain = 0, unfired_eintr = 0;
    if (!harness_can_inject())
        suite_not_judged(test, "no shim (FI_SO): no fault could be injected");
    if (!srv.shim_loaded)
        suite_not_judged(test, "the shim was not loaded into the server: LD_PRELOAD does not "
                               "reach it (statically linked? set-user-ID?), so no fault reached it");
    server_fault_log(&srv, &fl);
    for (int i = 0; i < n && i < FL_RULES; i++) {
        int data = is_data_rule(rules[i]);
        int eagain = strstr(rules[i], ":eagain") != NULL;
        long hits = data ? fl.data_by_rule[i] : fl.by_rule[i];
        if (hits > 0) {
            fired++;
            want_children |= data;
            continue;
        }
        if (eagain && suite_server_blocking() == 1) {
            verdict_note(test, test, "eagain never fired: every connection socket of the server "
                                     "is blocking, where the kernel never says EAGAIN");
            continue;
        }
        if (eagain) {
            /* the shim fires eagain only where the kernel could say it
             * (faultinject.md): never on the read a wait had just shown
             * readable, nor on a write the send queue had room for; a
             * server that reads once per wakeup never meets it there */
            if (used < sizeof unfired)
                used += (size_t)snprintf(unfired + used, sizeof unfired - used, "%s`%s`",
                                         used ? ", " : "", rules[i]);
            unfired_eagain |= is_write_rule(rules[i]) ? 2 : 1;
            continue;
        }
        if (strstr(rules[i], ":eintr")) {
            unfired_eintr = 1;
            /* the shim fires eintr only where a signal could interrupt
             * the call (faultinject.md): SA_RESTART handlers, or calls
             * that never sleep, leave nothing to judge */
            if (used < sizeof unfired)
                used += (size_t)snprintf(unfired + used, sizeof unfired - used, "%s`%s`",
                                         used ? ", " : "", rules[i]);
            continue;
        }
        suite_not_judged(test, "the rule `%s` never fired%s: its faults never reached the "
                               "server (raw system calls, or calls the rule does not name?)",
                         rules[i], data ? " on a data-carrying call" : "");
    }
    if (unfired[0]) {
        char note[1200];
        snprintf(note, sizeof note, "%s never fired (%s): %s%s%s; judged on the other faults",
                 unfired_eintr && unfired_eagain ? "EINTR and EAGAIN"
                 : unfired_eintr ? "EINTR" : "EAGAIN", unfired,
                 unfired_eintr ? "no call named could be interrupted (the server's handlers "
                                 "restart them, SA_RESTART, or they never sleep: non-blocking)"
                               : "",
                 unfired_eintr && unfired_eagain ? "; " : "",
                 unfired_eagain == 1 ? "the kernel could not say EAGAIN where the server "
                                       "read (each read came right after a wait showed the "
                                       "socket readable)"
                 : unfired_eagain == 2 ? "the kernel could not say EAGAIN where the server "
                                         "wrote (each write had room in its send queue)"
                 : unfired_eagain ? "the kernel could not say EAGAIN where the server called "
                                    "(each read came right after a wait showed the socket "
                                    "readable, each write had room in its send queue)"
                                  : "");
        verdict_note(test, test, note);
    }
    if (fl.npids > 1 && want_children) {
        /* A forking server: faults on data calls must reach its children. */
        long in_children = 0;
        for (int k = 0; k < fl.npids && k < FL_PIDS; k++)
            if (fl.pids[k] != srv.pid)
                in_children += fl.data_by_pid[k];
        if (in_children == 0)
            suite_not_judged(test, "no fault reached a data-carrying call in the server's "
                                   "children");
    }
    return fired;
}

void suite_s6_after(const char *test)
{
    char why[256];
    if (unended)
        return; /* connections the server never ended are not leaks to count here */
    if (!suite_charge_death(test))
        return;
    if (cfg.fast && verdict_failed("S6"))
        return;
    if (server_alive(&srv) && !server_listening(&srv))
        suite_require_listening(test);
    int leak = server_check_leaks(&srv, why, sizeof why) < 0;
    if (leak && !suite_charge_death(test))
        return; /* it died meanwhile: not a leak */
    if (leak)
        verdict_fail("S6", test, fed[0] ? fed : "-",
                     "2 s after the last client: no zombies, descriptors and threads as before",
                     why);
    else
        verdict_pass("S6", test);
}

const unsigned char *suite_slice(unsigned i, size_t len)
{
    size_t off = ((size_t)i * 7919u * 4096u) % (POOL - len);
    return pool + off;
}

void suite_conns(struct echo_conn *c, int n, size_t minlen, size_t maxlen, unsigned seed)
{
    unsigned long long x = 0x1234567ull + seed;
    memset(c, 0, (size_t)n * sizeof *c);
    for (int i = 0; i < n; i++) {
        unsigned char r[4];
        net_fill_random(r, sizeof r, &x);
        uint32_t v = (uint32_t)r[0] | (uint32_t)r[1] << 8 | (uint32_t)r[2] << 16;
        c[i].len = minlen + (maxlen > minlen ? v % (maxlen - minlen + 1) : 0);
        c[i].data = suite_slice((unsigned)i + seed, c[i].len);
        c[i].mode = EM_NORMAL;
    }
}

/* WORDS (one rule's CALLS) names only calls of FAMILY, one at least. */
static int words_of_family(const char *words, enum fi_family family, char *err, size_t len)
{
    char rule[128];
    struct fi_ruleset rs;
    snprintf(rule, sizeof rule, "%s:eintr", words);
    if (fi_rules_parse(rule, &rs, err, len) < 0)
        return -1;
    for (int c = 0; c < FI_C_COUNT; c++)
        if ((rs.rule[0].calls & FI_BIT(c)) && fi_call_family((enum fi_call)c) != family) {
            snprintf(err, len, "'%s' names %s, not of its family", words,
                     fi_call_name((enum fi_call)c));
            return -1;
        }
    return 0;
}

int suite_call_words(char *err, size_t len)
{
    return words_of_family(RD, FI_FAM_READ, err, len) < 0 ||
           words_of_family(WR, FI_FAM_WRITE, err, len) < 0 ||
           words_of_family(ACC, FI_FAM_ACCEPT, err, len) < 0 ? -1 : 0;
}

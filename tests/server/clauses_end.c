/* clauses_end.c: S6 no leaks, S7 stop, S8 idle. */
#include "suite.h"
#include "clock.h"
#include "netio.h"
#include "procstat.h"
#include "proc_spawn.h"
#include "traced.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { STOP_MS = 2000, HELD = 20 };

/* ---- S6 no leaks ---- */

/* Clients that end in every ordinary way (no resets: those are S5's):
 * HELD connections held open together, each served once, while the
 * server's descriptors, threads and children are counted (so the counts
 * compared afterwards really see its connections); then they end by
 * half-close, by close() with nothing owed, or silently; then 40 echo
 * clients, some silent. Afterwards all counts are back. */
void S6_no_leaks(void **state)
{
    (void)state;
    int fds[HELD];
    char why[256];
    suite_begin(__func__, 0);
    suite_start(__func__, NULL, NULL);
    suite_feed("20 connections held open at once (each sends \"x\"), ended by "
               "half-close, close() or silently; then 40 echo clients of up to 200000 bytes",
               "descriptors and threads back to what they were before the first client, no "
               "zombie children, within 2 s");
    int bfds = srv.base_fds, bthr = srv.base_threads;
    for (int i = 0; i < HELD; i++)
        fds[i] = net_connect(srv.port, 5000);
    if (server_wait_accepted(&srv, 5000) < 0) {
        for (int k = 0; k < HELD; k++)
            if (fds[k] >= 0)
                close(fds[k]);
        suite_require_alive(__func__);
        suite_not_judged(__func__, "the %d connections held open were not all accept()ed "
                                   "within 5 s, so leaks could not be counted", HELD);
    }
    long long deadline = now_ms() + 2000;
    for (int i = 0; i < HELD; i++)
        if (fds[i] >= 0)
            net_write_all(fds[i], "x", 1, ms_left(deadline));
    for (int i = 0; i < HELD; i++) {
        char b;
        size_t got = 0;
        if (fds[i] >= 0) /* served: its thread or child is there */
            net_read_all(fds[i], &b, 1, &got, ms_left(deadline));
    }
    /* what the server holds with HELD clients: its own fds and threads,
     * and its children (each with its fds) */
    int dfds = proc_count_fds(srv.pid), dthr = proc_count_threads(srv.pid);
    int dkids = server_children(&srv);
    deadline = now_ms() + 2000;
    for (int i = 0; i < HELD; i++) {
        char b;
        size_t got;
        if (i % 3 == 0) {
            shutdown(fds[i], SHUT_WR);
            net_read_all(fds[i], &b, 1, &got, ms_left(deadline));
        }
        close(fds[i]); /* i % 3 == 1: close() with nothing owed; 2: silent then close */
    }
    if (dfds <= bfds && dthr <= bthr && dkids <= 0)
        suite_not_judged(__func__, "with %d clients connected the server showed no more "
                                   "descriptors (%d), threads (%d) or children than before the "
                                   "first: /proc/%d does not show its connections, so a leak "
                                   "could not be seen", HELD, dfds, dthr, (int)srv.pid);
    struct echo_conn c[40];
    suite_conns(c, 40, 1, 200000, 50);
    for (int i = 0; i < 40; i += 8)
        c[i].mode = EM_SILENT;
    if (!verdict_failed("S1") && !verdict_failed("S2")) /* else they would only wait */
        echo_run(c, 40, srv.port, RUN_MS);
    suite_require_alive(__func__);
    suite_require_listening(__func__);
    if (server_check_leaks(&srv, why, sizeof why) < 0)
        suite_fail("S6", __func__, "%s (before the first client: %d fds, %d threads; with %d "
                   "clients: %d fds, %d threads, %d children)",
                   why, bfds, bthr, HELD, dfds, dthr, dkids);
    verdict_pass("S6", __func__);
}

/* ---- S7 stop ---- */

static void stop_with(const char *test, int sig)
{
    struct echo_conn c;
    char why[256], f[160];
    suite_begin(test, 0);
    suite_start(test, NULL, NULL);
    snprintf(f, sizeof f, "one echo client, then (with no client connected) SIG%s",
             sigabbrev_np(sig));
    suite_feed(f, "exit status 0 within 2 s");
    suite_conns(&c, 1, 1000, 1000, 60);
    if (verdict_failed("S1") || verdict_failed("S2"))
        c.mode = EM_SILENT, c.len = 0; /* connect and close: echo and end fail elsewhere */
    echo_run(&c, 1, srv.port, 5000);
    /* "with no client connected": wait for the connection to be gone */
    server_check_leaks(&srv, why, sizeof why);
    suite_require_alive(test);
    int st = 0;
    long long t0 = now_ms();
    int r = server_signal_wait(&srv, sig, STOP_MS, &st);
    if (r != 0)
        suite_fail("S7", test, "still running %d ms after SIG%s (then killed)", STOP_MS,
                   sigabbrev_np(sig));
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        suite_fail("S7", test, "%s after %lld ms%s", server_status_str(&srv), now_ms() - t0,
                   WIFSIGNALED(st) && WTERMSIG(st) == sig
                       ? " (no handler: the signal's default action killed it)" : "");
    verdict_pass("S7", test);
}

void S7_sigterm_exit0(void **state)
{
    (void)state;
    stop_with(__func__, SIGTERM);
}

void S7_sigint_exit0(void **state)
{
    (void)state;
    stop_with(__func__, SIGINT);
}

/* The first lines Valgrind wrote that say something (one log per
 * process), joined into REPORT. */
static void valgrind_report(const char *dir, char *report, size_t len)
{
    char cmd[256];
    report[0] = '\0';
    snprintf(cmd, sizeof cmd, "cat %s/vg.* 2>/dev/null | grep -m6 -E '==[0-9]+== +[^ ]'", dir);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return;
    char raw[1024];
    size_t n = fread(raw, 1, sizeof raw - 1, f);
    raw[n] = '\0';
    pclose(f);
    while (n > 0 && raw[n - 1] == '\n')
        raw[--n] = '\0';
    size_t used = 0;
    for (char *p = raw; *p && used + 24 < len; p++) {
        if (*p == '\n')
            used += (size_t)snprintf(report + used, len - used, "\n                ");
        else
            report[used++] = *p;
        report[used] = '\0';
    }
}

void S7_valgrind_clean(void **state)
{
    (void)state;
    char logpat[160], logdir[128], why[512], report[1200];
    suite_begin(__func__, 0);
    if (!cfg.valgrind) {
        if (cfg.valgrind_off)
            verdict_note("S7", __func__, "Valgrind part not run (--no-valgrind / "
                                         "SERVER_SUITE_NO_VALGRIND)");
        else
            suite_not_judged(__func__, "valgrind is not installed");
        skip();
    }
    if (traced_elf_static(cfg.server) == 1)
        suite_not_judged(__func__, "Valgrind memcheck cannot judge a statically linked server: "
                                   "it cannot replace a malloc linked into the program, and "
                                   "glibc's static start-up (its TLS in the brk segment) reads "
                                   "as uninitialised; judge a dynamic build under it, or give "
                                   "--no-valgrind");
    snprintf(logdir, sizeof logdir, "%s/vg", cfg.tmpdir);
    if (mkdir(logdir, 0700) < 0)
        suite_not_judged(__func__, "mkdir %s: %s", logdir, strerror(errno));
    snprintf(logpat, sizeof logpat, "--log-file=%s/vg.%%p", logdir);
    /* S7 forbids errors and definite or indirect leaks, nothing more: a
     * detached thread still exiting may leave its TLS "possibly lost". */
    const char *const vg[] = { "valgrind", "-q", "--leak-check=full",
                               "--show-leak-kinds=definite,indirect",
                               "--errors-for-leak-kinds=definite,indirect",
                               "--error-exitcode=99", "--trace-children=yes",
                               logpat, NULL };
    suite_feed("under valgrind memcheck: 3 echo clients and a silent one, then (with no client "
               "connected) SIGTERM",
               "exit status 0, no Valgrind error, nothing definitely or indirectly lost");
    /* No shim (nor faultrun) here: only the server's own code is judged. */
    const char *shim = cfg.shim;
    cfg.shim = NULL;
    int r = server_start(&srv, NULL, NULL, vg, 20000, why, sizeof why);
    cfg.shim = shim;
    if (r < 0)
        suite_fail("S7", __func__, "under valgrind: %s", why);

    struct echo_conn c[4];
    suite_conns(c, 4, 1000, 100000, 70);
    c[3].mode = EM_SILENT;
    if (verdict_failed("S1") || verdict_failed("S2"))
        for (int i = 0; i < 3; i++)
            c[i].mode = EM_SILENT, c[i].len = 0; /* echo and end fail elsewhere */
    echo_run(c, 4, srv.port, 20000);
    /* with no client connected: every child gone */
    long long deadline = now_ms() + 10000;
    while (proc_count_descendants(srv.pid) > 0 && ms_left(deadline) > 0)
        poll(NULL, 0, 20);
    suite_require_alive(__func__);
    int st = 0;
    r = server_signal_wait(&srv, SIGTERM, 20000, &st);
    valgrind_report(logdir, report, sizeof report);
    if (r != 0)
        suite_fail("S7", __func__, "under valgrind: still running 20 s after SIGTERM%s%s",
                   report[0] ? "; valgrind: " : "", report);
    if (report[0])
        suite_fail("S7", __func__, "valgrind: %s", report);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        suite_fail("S7", __func__, "under valgrind: %s after SIGTERM%s", server_status_str(&srv),
                   WIFEXITED(st) && WEXITSTATUS(st) == 99 ? " (errors)"
                   : WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM
                       ? " (no handler: the signal's default action killed it)" : "");
    verdict_pass("S7", __func__);
}

/* ---- S8 idle ---- */

void S8_idle_timeout(void **state)
{
    (void)state;
    static const char *const args[] = { "-t", "1", NULL };
    char why[512];
    static const char *const eagain[] = { RD ":eagain:p=0.5", WR ":eagain:p=0.5" };
    const char *kept[2];
    char rules[256];
    suite_begin(__func__, 0);
    /* Spurious EAGAIN everywhere: it must not count as idleness (not
     * injected into a blocking server, where the kernel never says it). */
    int n = harness_can_inject() ? suite_drop_impossible(__func__, eagain, 2, kept) : 0;
    suite_start(__func__, n ? suite_join(kept, n, rules, sizeof rules) : NULL, args);
    suite_feed("started with -t 1: a silent client; one that sends 8 MiB and stops reading; one "
               "sending a byte every 250 ms for 2.5 s (spurious EAGAIN injected)",
               "the first two closed by the server after about 1 s of no traffic; the third "
               "served to its end");
    struct echo_conn c[3];
    suite_conns(c, 3, 10, 10, 40);
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
    /* Still open at the deadline is a verdict even if the server died after
     * (a client closed at the end can kill it by SIGPIPE: that is S5's). */
    if (c[0].end == EE_TIMEOUT || c[0].end == EE_LOCAL) {
        suite_charge_death(__func__);
        suite_fail("S8", __func__, "silent connection still open %lld ms after connecting (%s)",
                   c[0].t_end - c[0].t_start, echo_end_str(c[0].end));
    }
    suite_require_alive(__func__);
    suite_require_listening(__func__);
    if (!(c[0].end == EE_EOF || c[0].end == EE_RESET || c[0].end == EE_CLOSED))
        suite_fail("S8", __func__, "silent connection still open %lld ms after connecting (%s)",
                   c[0].t_end - c[0].t_start, echo_end_str(c[0].end));
    if (c[0].t_end - c[0].t_start < 900)
        suite_fail("S8", __func__, "silent connection closed after %lld ms with -t 1",
                   c[0].t_end - c[0].t_start);
    if (c[1].end == EE_TIMEOUT && c[1].t_end - c[1].t_last_io < 1500)
        /* bytes still moving at the deadline (a slow, loaded machine): not
         * idle, so nothing to judge */
        verdict_note("S8", __func__, "the non-reading connection still moved bytes at the end");
    else if (!(c[1].end == EE_CLOSED || c[1].end == EE_RESET || c[1].end == EE_EOF))
        suite_fail("S8", __func__, "connection that stopped reading still open %lld ms after its "
                   "last byte moved (%s)", c[1].t_end - c[1].t_last_io, echo_end_str(c[1].end));
    /* S8 asks only that the active connection is not cut while it sends;
     * its bytes are S1's and S4's, its end S2's. */
    if (c[2].sent < c[2].len || (c[2].got < c[2].len && c[2].first_bad == (size_t)-1 &&
                                 (c[2].end == EE_EOF || c[2].end == EE_RESET))) {
        echo_check_exact(&c[2], why, sizeof why);
        suite_fail("S8", __func__, "active connection (a byte every 250 ms) cut: %s", why);
    }
    if (echo_check_exact(&c[2], why, sizeof why) < 0)
        verdict_note("S8", __func__, "the active connection's echo was not exact (not S8's "
                                     "concern: see S1, S2, S4)");
    suite_s6_after(__func__);
    verdict_pass("S8", __func__);
}

/* test_servers.c: the end-to-end suite of the echo-server contract
 * (shared/spec/server-contract.md), run against any server binary.
 *
 *   test_servers [--shim LIBFAULTINJECT.SO] [--faultrun FAULTRUN] [--no-valgrind]
 *                [--fast] [--report junit:FILE|tap:FILE] SERVER
 *   (or SERVER=path, FI_SO=path and FAULTRUN=path in the environment; a
 *   statically linked SERVER, which LD_PRELOAD cannot reach, runs under
 *   `FAULTRUN --backend=trace` with the rules the shim would get (traced.h),
 *   and so does any SERVER with SERVER_SUITE_FAULTRUN=1; --fast skips the
 *   remaining tests of a clause once it has failed, as the mutants want;
 *   SERVER_SUITE_ONLY=pattern,... runs (and shows the rows of) only the
 *   matching tests; REPORT=junit:FILE or tap:FILE as --report;
 *   SERVER_SUITE_WARMUP=1 takes the S6 baseline after one exchange, for
 *   TSan-built servers; SERVER_SUITE_NO_NETNS=1 keeps the host's loopback)
 *
 * Each test starts the server as `SERVER PORT` (plus `-t` for S8 only) in
 * a network namespace of its own, under the shim with its own rules, its
 * output to a log; finds the port it listens on from /proc (a server that
 * ignores PORT is judged on its own); drives it from poll()-driven client
 * sockets in this process (which is not under the shim); watches it only
 * from outside (/proc). Every step has a deadline. At the end one row per
 * clause: PASS, FAIL (each failing test with what was fed, expected, got,
 * the server's last output lines and a command rerunning it) or NOT
 * JUDGED (and why); the exit status is nonzero unless every row shown passed.
 */
#include "suite.h"
#include "netio.h"
#include "report.h"
#include "traced.h"

#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { WATCHDOG_S = 600 };

static int teardown(void **state)
{
    (void)state;
    server_stop(&srv);
    return 0;
}

static void on_fatal(int sig)
{
    static const char msg[] = "test_servers: stopped by a signal (or the watchdog); server killed, "
                              "temporary files removed\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    harness_cleanup();
    _exit(sig == SIGALRM ? 3 : 128 + sig);
}

static int valgrind_present(void)
{
    return system("valgrind --version >/dev/null 2>&1") == 0;
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--shim LIBFAULTINJECT.SO] [--faultrun FAULTRUN] [--no-valgrind] "
                    "[--fast] [--report junit:FILE|tap:FILE] SERVER\n", argv0);
}

int main(int argc, char **argv)
{
    int novg = 0;
    const char *report = getenv("REPORT");
    cfg.shim = getenv("FI_SO");
    cfg.server = getenv("SERVER");
    cfg.faultrun = getenv("FAULTRUN");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--shim") == 0 && i + 1 < argc)
            cfg.shim = argv[++i];
        else if (strcmp(argv[i], "--faultrun") == 0 && i + 1 < argc)
            cfg.faultrun = argv[++i];
        else if (strcmp(argv[i], "--report") == 0 && i + 1 < argc)
            report = argv[++i];
        else if (strcmp(argv[i], "--no-valgrind") == 0)
            novg = 1;
        else if (strcmp(argv[i], "--fast") == 0)
            cfg.fast = 1;
        else if (argv[i][0] != '-')
            cfg.server = argv[i];
        else {
            usage(argv[0]);
            return 2;
        }
    }
    char err[300];
    if (suite_call_words(err, sizeof err) < 0) {
        fprintf(stderr, "%s: suite.h: %s\n", argv[0], err);
        return 2;
    }
    if (cfg.server == NULL || access(cfg.server, X_OK) != 0) {
        fprintf(stderr, "%s: no server to test (give a path or SERVER=path): %s\n", argv[0],
                cfg.server ? cfg.server : "none given");
        return 2;
    }
    if (report && *report && report_spec_ok(report) < 0) {
        fprintf(stderr, "%s: REPORT=%s: want junit:FILE or tap:FILE\n", argv[0], report);
        return 2;
    }
    if (cfg.shim && (cfg.shim[0] == '\0' || access(cfg.shim, R_OK) != 0)) {
        fprintf(stderr, "%s: shim %s not found: fault tests cannot judge\n", argv[0], cfg.shim);
        cfg.shim = NULL;
    }
    const char *force = getenv("SERVER_SUITE_FAULTRUN");
    int is_static = traced_elf_static(cfg.server) == 1;
    if ((is_static || (force && strcmp(force, "1") == 0)) && cfg.faultrun &&
        access(cfg.faultrun, X_OK) == 0) {
        cfg.traced = 1;
        fprintf(stderr, "%s: %s: every run under %s --backend=trace (the shim's rules on its "
                "command line)\n", argv[0], is_static ? "a statically linked server" :
                "SERVER_SUITE_FAULTRUN=1", cfg.faultrun);
    } else if (is_static) {
        fprintf(stderr, "%s: a statically linked server, and no faultrun (--faultrun, "
                "FAULTRUN=)%s: LD_PRELOAD cannot reach it, so fault tests cannot judge\n",
                argv[0], cfg.faultrun ? " that runs" : "");
    }
    cfg.warmup = getenv("SERVER_SUITE_WARMUP") != NULL;
    cfg.valgrind_off = novg || getenv("SERVER_SUITE_NO_VALGRIND") != NULL;
    cfg.valgrind = !cfg.valgrind_off && valgrind_present();
    char why[256];
    if (harness_init(why, sizeof why) < 0) {
        fprintf(stderr, "%s: %s\n", argv[0], why);
        return 2;
    }
    atexit(harness_cleanup);
    fprintf(stderr, "test_servers: temporary files in %s (removed at exit)\n", cfg.tmpdir);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_fatal);
    signal(SIGINT, on_fatal);
    signal(SIGTERM, on_fatal);
    signal(SIGHUP, on_fatal);
    alarm(WATCHDOG_S);

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
        cmocka_unit_test_teardown(S3_1000_in_a_row, teardown),
        cmocka_unit_test_teardown(S3_bursts_of_100, teardown),
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
        snprintf(pats, sizeof pats, "%s", only && *only ? only : "*");
        for (char *p = strtok_r(pats, ",", &save); p; p = strtok_r(NULL, ",", &save))
            if (fnmatch(p, tests[i].name, 0) == 0) {
                verdict_select(tests[i].name);
                chosen[nchosen++] = tests[i];
                break;
            }
    }
    if (nchosen == 0) {
        fprintf(stderr, "%s: SERVER_SUITE_ONLY=%s matches no test\n", argv[0], only);
        return 2;
    }
    _cmocka_run_group_tests(cfg.server, chosen, nchosen, NULL, NULL);
    int bad = verdict_table(cfg.server);
    if (report && *report && verdict_report(report, cfg.server) < 0)
        bad++;
    free(pool);
    return bad ? 1 : 0;
}

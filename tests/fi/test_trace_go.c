/* test_trace_go.c: a Go HTTP server and client under the trace backend
 * (faultinject.md, Backends; issue 17's Go rows), built CGO_ENABLED=0 by
 * tests/go.mk (tests/go/httpserver, tests/go/httpclient): static, so
 * faultrun's auto backend must choose trace and say why. Each row runs
 * the server under a rule (and, in a second pass, the client under it
 * too) for two 10 MB GETs and two 10 MB PUTs: the client checks every
 * byte of each GET and the server's length and SHA-256 of each PUT; the
 * row passes only if every transfer is exact, faults were injected on
 * each side under the rule (each a log line, as many as the summary
 * says) and it ended within its bound. rd:eagain strands Go's
 * edge-triggered netpoller unless the EPOLLET re-arm works
 * (tracearm.h), and so does accept4:eagain (the listener, server rows
 * only). Each row prints: rule, side, transfers, exact, faults.
 * Then rd:reset:when=1 on the server (a clean error in the client, the
 * server serves on) and --sweep on a small Go client (every point
 * judged). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"
#include "logparse.h"
#include "proc_spawn.h"

#define GO_SERVER FI_BUILD_DIR "/go/httpserver"
#define GO_CLIENT FI_BUILD_DIR "/go/httpclient"
#define SIZE "10485760"                 /* 10 MB each way */
#define ROUNDS "2"
#define ROW_BOUND_S 10.0

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int have_go(void)
{
    return access(GO_SERVER, X_OK) == 0 && access(GO_CLIENT, X_OK) == 0;
}

/* The server under faultrun (RULE, LOG; no rule: plain), its stderr
 * into ERRPATH; its port, read from its first line within 10 s. */
struct server {
    pid_t pid;
    char port[16];
    char errpath[PATH_MAX];
};

static void server_start(struct server *s, const char *rule, const char *log)
{
    int out[2];
    fr_path(s->errpath, "server.err");
    assert_int_equal(pipe(out), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int err = open(s->errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (err < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        close(out[0]);
        if (rule != NULL)
            execl(FR_FAULTRUN, FR_FAULTRUN, "-l", log, "-e", rule, "--", GO_SERVER, "-life",
                  "30s", (char *)NULL);
        else
            execl(GO_SERVER, GO_SERVER, "-life", "30s", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char line[64];
    size_t len = 0;
    double end = now() + 10;
    while (memchr(line, '\n', len) == NULL && len < sizeof line - 1) {
        struct pollfd p = { .fd = out[0], .events = POLLIN };
        int ms = (int)((end - now()) * 1000);
        if (ms <= 0 || poll(&p, 1, ms) <= 0)
            break;
        ssize_t n = read(out[0], line + len, sizeof line - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(out[0]);
    line[len] = '\0';
    if (sscanf(line, "port %15[0-9]", s->port) != 1) {
        proc_kill(s->pid);
        char err[4096] = "";
        fiu_slurp(s->errpath, err, sizeof err);
        fail_msg("the Go server said '%s', no port; stderr: %s", line, err);
    }
}

/* Waits for the server to end (10 s, then killed): its stderr in ERR. */
static int server_end(struct server *s, char *err, size_t errlen)
{
    int status = -1;
    if (proc_wait(s->pid, 10000, &status) < 0) {
        proc_kill(s->pid);
        status = -1;
    }
    err[0] = '\0';
    fiu_slurp(s->errpath, err, errlen);
    return status;
}

static int count_line(const struct fi_logline *l, void *arg)
{
    (void)l;
    (*(int *)arg)++;
    return 0;
}

/* The faults in LOG: its lines (each parses), more than 0, and exactly
 * the summary's "N faults injected" in ERR (a Go program's exit kills
 * its threads inside calls: a fault whose result is fixed at the call's
 * entry is logged there, so none is lost then). */
#define LOST_AT_EXIT 0
static int faults_of(const char *log, const char *err, const char *who)
{
    static char text[1 << 22];
    char why[256];
    ssize_t len = fiu_slurp(log, text, sizeof text);
    if (len <= 0)
        fail_msg("%s: no fault was injected (no log); stderr: %s", who, err);
    int n = 0;
    if (fi_log_parse(text, (size_t)len, count_line, &n, why, sizeof why) < 0)
        fail_msg("%s: the log does not parse: %s", who, why);
    const char *p = strstr(err, " faults injected");
    while (p != NULL && p > err && p[-1] >= '0' && p[-1] <= '9')
        p--;
    int counted = p != NULL ? atoi(p) : -1;
    if (n <= 0 || counted < n || counted > n + LOST_AT_EXIT)
        fail_msg("%s: %d log lines, summary: %s", who, n, err);
    if (strstr(err, "faultrun: backend trace: statically linked") == NULL)
        fail_msg("%s: the summary does not name the trace backend and why: %s", who, err);
    return n;
}

/* One row: the server under RULE, the client plain or (BOTH) under RULE. */
static void row(const char *rule, int both)
{
    char slog[PATH_MAX], clog[PATH_MAX], serr[16384];
    struct server s;
    fr_path(slog, "server.log");
    fr_path(clog, "client.log");
    double t0 = now();
    server_start(&s, rule, slog);
    if (both)
        FR_RUN(FR_FAULTRUN, "-l", clog, "-e", rule, "--", GO_CLIENT, "-quit", "-timeout", "8s",
               s.port, SIZE, ROUNDS);
    else
        FR_RUN(GO_CLIENT, "-quit", "-timeout", "8s", s.port, SIZE, ROUNDS);
    int status = server_end(&s, serr, sizeof serr);
    double took = now() - t0;
    if (strstr(fr_out, "ok " ROUNDS " gets " ROUNDS " puts 41943040 bytes\n") == NULL)
        fail_msg("'%s'%s: the client says: %s%s; server: %s", rule, both ? " (both)" : "",
                 fr_out, fr_err, serr);
    fr_expect_exit(0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("'%s': the server ended with 0x%x: %s", rule, status, serr);
    int sf = faults_of(slog, serr, "server");
    int cf = both ? faults_of(clog, fr_err, "client") : 0;
    if (took > ROW_BOUND_S)
        fail_msg("'%s'%s took %.1f s", rule, both ? " (both)" : "", took);
    print_message("row | %-20s | %-15s | 2 GET + 2 PUT x 10 MB | exact | faults server %d, "
                  "client %s%d | %.2f s\n", rule, both ? "server+client" : "server",
                  sf, both ? "" : "(plain) ", cf, took);
}

static const char *const rows[] = { "rd:short=100:p=0.3", "rd:eagain:p=0.3",
                                    "wr:short=1000:p=0.3", "wr:eagain:p=0.3",
                                    "wait:eintr:p=0.3" };
#define NROWS (sizeof rows / sizeof *rows)
/* The server's rows alone (the client accepts nothing). Go accepts with
 * accept4 until EAGAIN, then waits for the listener's next edge; the
 * client's one keep-alive connection is the server's 2nd accept4 (the
 * 1st finds the queue empty): when=2's EAGAIN leaves it queued, and
 * without the re-arm the server never accepts it (the client times out).
 * p=0.3 (seed 1) hits the 1st: a re-arm on a listener not ready. */
static const char *const server_rows[] = { "accept4:eagain:when=2", "accept4:eagain:p=0.3" };
#define NSERVER_ROWS (sizeof server_rows / sizeof *server_rows)

static void GO_transfers_are_exact_with_the_server_under_each_rule(void **state)
{
    (void)state;
    if (!have_go())
        fiu_not_run("no Go programs built (golang-go missing: sh scripts/deps.sh go)");
    for (size_t i = 0; i < NROWS; i++)
        row(rows[i], 0);
    for (size_t i = 0; i < NSERVER_ROWS; i++)
        row(server_rows[i], 0);
}

static void GO_transfers_are_exact_with_both_sides_under_each_rule(void **state)
{
    (void)state;
    if (!have_go())
        fiu_not_run("no Go programs built (golang-go missing: sh scripts/deps.sh go)");
    for (size_t i = 0; i < NROWS; i++)
        row(rows[i], 1);
}

/* rd:reset:when=1 on the server (its first read: the first request's
 * head): the client gets a clean error (an "error:"
 * line and exit 1, no panic, within its bound), the server survives and
 * serves a plain client after. */
static void GO_a_reset_gives_the_client_a_clean_error_and_the_server_survives(void **state)
{
    (void)state;
    if (!have_go())
        fiu_not_run("no Go programs built (golang-go missing: sh scripts/deps.sh go)");
    char slog[PATH_MAX], serr[16384];
    struct server s;
    fr_path(slog, "server.log");
    server_start(&s, "rd:reset:when=1", slog);
    double t0 = now();
    FR_RUN(GO_CLIENT, "-timeout", "5s", s.port, "1048576", "1");
    double took = now() - t0;
    fr_expect_exit(1);
    if (strncmp(fr_out, "error: GET", 10) != 0 || strstr(fr_err, "panic") != NULL)
        fail_msg("the client under a reset: %s%s", fr_out, fr_err);
    if (took > 6)
        fail_msg("the client took %.1f s to see the reset", took);
    char said[256];
    snprintf(said, sizeof said, "%.*s", (int)strcspn(fr_out, "\n"), fr_out);
    FR_RUN(GO_CLIENT, "-quit", s.port, "1048576", "1");
    fr_expect_exit(0);
    if (strstr(fr_out, "ok 1 gets 1 puts 2097152 bytes\n") == NULL)
        fail_msg("the server after the reset: %s%s", fr_out, fr_err);
    int status = server_end(&s, serr, sizeof serr);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the server ended with 0x%x: %s", status, serr);
    assert_int_equal(faults_of(slog, serr, "server"), 1);
    print_message("reset | rd:reset:when=1 | server | client: '%s' in %.2f s | the server "
                  "served a client after | 1 fault\n", said, took);
}

/* --sweep on a small Go client (one 64 KiB GET and PUT) under
 * rd:short=7, against a plain server: it terminates, every point judged
 * (one line each with its exit status; exit 0 all: Go reads again after
 * a short read), the last one a run where the rule did not fire. */
static void GO_sweep_on_a_Go_client_judges_every_point(void **state)
{
    (void)state;
    if (!have_go())
        fiu_not_run("no Go programs built (golang-go missing: sh scripts/deps.sh go)");
    char serr[16384], line[64];
    struct server s;
    server_start(&s, NULL, NULL);
    double t0 = now();
    FR_RUN(FR_FAULTRUN, "--sweep", "--sweep-max", "200", "-e", "rd:short=7", "--", GO_CLIENT,
           "-timeout", "5s", s.port, "65536", "1");
    double took = now() - t0;
    int status = fr_status;
    int runs = fr_count(fr_err, "faultrun: sweep point ");
    char out[sizeof fr_out], err[sizeof fr_err];
    memcpy(out, fr_out, sizeof out);
    memcpy(err, fr_err, sizeof err);
    FR_RUN(GO_CLIENT, "-quit", s.port, "0", "0");
    server_end(&s, serr, sizeof serr);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || runs < 3)
        fail_msg("the sweep (status 0x%x) judged %d points: %s", status, runs, err);
    snprintf(line, sizeof line, "faultrun: sweep point %d: exit 0 (rule did not fire", runs);
    if (strstr(err, line) == NULL || strstr(err, "faultrun: sweep: backend trace:") == NULL)
        fail_msg("the sweep did not end on a point where the rule did not fire: %s", err);
    for (int i = 1; i < runs; i++) {
        snprintf(line, sizeof line, "faultrun: sweep point %d: exit 0\n", i);
        if (strstr(err, line) == NULL)
            fail_msg("point %d was not judged exit 0: %s", i, err);
    }
    snprintf(line, sizeof line, "faultrun: sweep: %d runs, 0 failed", runs);
    if (strstr(err, line) == NULL)
        fail_msg("no '%s': %s", line, err);
    /* every run moved every byte, the cut one included */
    if (fr_count(out, "ok 1 gets 1 puts 131072 bytes\n") != runs)
        fail_msg("%d runs, client output: %s", runs, out);
    if (took > 20)
        fail_msg("the sweep took %.1f s", took);
    print_message("sweep | rd:short=7 | Go client, 64 KiB GET + PUT | %d points, all exit 0 | "
                  "%.2f s\n", runs, took);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(GO_transfers_are_exact_with_the_server_under_each_rule),
        cmocka_unit_test(GO_transfers_are_exact_with_both_sides_under_each_rule),
        cmocka_unit_test(GO_sweep_on_a_Go_client_judges_every_point),
        cmocka_unit_test(GO_a_reset_gives_the_client_a_clean_error_and_the_server_survives),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

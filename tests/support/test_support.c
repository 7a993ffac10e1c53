/* test_support.c: the test-support layer's own promises (capture.h,
 * clock.h, report.h): what the suites' verdicts rest on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture.h"
#include "clock.h"
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char out[64], err[64];
static struct capture cap = { out, err, sizeof out, sizeof err, 0, 0 };

static void capture_keeps_stdout_and_stderr_apart(void **state)
{
    (void)state;
    char *argv[] = { "sh", "-c", "printf out; printf err >&2; exit 3", NULL };
    int st = capture_run(argv, NULL, NULL, 10000, &cap);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 3);
    assert_string_equal(out, "out");
    assert_string_equal(err, "err");
}

static void capture_sets_and_removes_environment(void **state)
{
    (void)state;
    setenv("SUPPORT_GONE", "here", 1);
    const char *env[] = { "SUPPORT_SET=yes", "-SUPPORT_GONE", NULL };
    char *argv[] = { "sh", "-c", "printf '%s/%s' \"$SUPPORT_SET\" \"${SUPPORT_GONE-unset}\"", NULL };
    assert_int_equal(capture_run(argv, env, NULL, 10000, &cap), 0);
    assert_string_equal(out, "yes/unset");
}

static void capture_reads_stdin_from_a_file(void **state)
{
    (void)state;
    char path[] = "/tmp/support-in-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
    char *argv[] = { "cat", NULL };
    int st = capture_run(argv, NULL, path, 10000, &cap);
    unlink(path);
    assert_int_equal(st, 0);
    assert_string_equal(out, "abc");
}

/* More output than the buffer: kept up to its size, the rest drained. */
static void capture_truncates_without_blocking(void **state)
{
    (void)state;
    char *argv[] = { "sh", "-c", "yes | head -c 1000000", NULL };
    assert_int_equal(capture_run(argv, NULL, NULL, 10000, &cap), 0);
    assert_int_equal(cap.outlen, sizeof out - 1);
    assert_int_equal(strlen(out), sizeof out - 1);
}

/* 1 while PID runs (a zombie nobody reaps has ended). */
static int running(long pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    char *r = fgets(buf, sizeof buf, f);
    fclose(f);
    const char *st = r ? strrchr(buf, ')') : NULL;
    return st != NULL && st[1] == ' ' && st[2] != 'Z' && st[2] != 'X';
}

/* A command (and the child it forked) still running at the deadline is
 * killed, well before it would have ended. */
static void capture_kills_the_group_at_the_deadline(void **state)
{
    (void)state;
    char *argv[] = { "sh", "-c", "sleep 30 & echo $!; exec sleep 30", NULL };
    long long t0 = now_ms();
    errno = 0;
    assert_int_equal(capture_run(argv, NULL, NULL, 500, &cap), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(now_ms() - t0 < 10000);
    long child = strtol(out, NULL, 10);
    assert_true(child > 0);
    long long deadline = now_ms() + 5000;   /* SIGKILL is delivered at once */
    while (running(child) && ms_left(deadline) > 0)
        ;
    assert_false(running(child));
}

static void capture_reports_a_missing_program(void **state)
{
    (void)state;
    char *argv[] = { "/nonexistent/program", NULL };
    int st = capture_run(argv, NULL, NULL, 10000, NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 127);
}

static void clock_units_agree(void **state)
{
    (void)state;
    long long ms = now_ms(), ns = now_ns();
    double s = now_s();
    assert_true(ns / 1000000 - ms >= 0 && ns / 1000000 - ms < 1000);
    assert_true(s * 1000 - ms >= 0 && s * 1000 - ms < 1000);
    assert_int_equal(ms_left(ms - 5), 0);
    assert_true(ms_left(now_ms() + 60000) > 50000);
}

/* ---- report.h ---- */

static const struct report_row rrows[] = {
    { "S0 start", REPORT_PASS, NULL, NULL },
    { "S1 echo", REPORT_FAIL, "bad <x> & \"y\"", "fed: 3 bytes\ngot: \001\nok 9 - not a test" },
    { "S4 faults", REPORT_NOT_JUDGED, "no fault # reached it", "S4_sweep: the rule never fired" },
};

static char *slurp(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void report_junit_not_judged_is_skipped(void **state)
{
    (void)state;
    char path[64], spec[80];
    snprintf(path, sizeof path, "/tmp/test-support-%d.xml", (int)getpid());
    snprintf(spec, sizeof spec, "junit:%s", path);
    assert_int_equal(report_write(spec, "check-x", rrows, 3, 2), 0);
    const char *x = slurp(path);
    unlink(path);
    assert_non_null(strstr(x, "tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(x, "name=\"S0 start\"></testcase>"));
    assert_non_null(strstr(x, "<failure message=\"FAIL: bad &lt;x&gt; &amp; &quot;y&quot;\">"
                              "fed: 3 bytes\ngot: \\x01\nok 9 - not a test</failure>"));
    assert_non_null(strstr(x, "<skipped message=\"NOT JUDGED: no fault # reached it\">"
                              "S4_sweep: the rule never fired</skipped>"));
    assert_null(strstr(x, "<error"));
}

static void report_tap_not_judged_is_a_skip(void **state)
{
    (void)state;
    char path[64], spec[80];
    snprintf(path, sizeof path, "/tmp/test-support-%d.tap", (int)getpid());
    snprintf(spec, sizeof spec, "tap:%s", path);
    assert_int_equal(report_write(spec, "check-x", rrows, 3, 2), 0);
    const char *t = slurp(path);
    unlink(path);
    assert_string_equal(t, "TAP version 13\n1..3\n"
                           "ok 1 - S0 start\n"
                           "not ok 2 - S1 echo\n"
                           "# FAIL: bad <x> & \"y\"\n"
                           "# fed: 3 bytes\n# got: \\x01\n# ok 9 - not a test\n"
                           "ok 3 - S4 faults # SKIP NOT JUDGED: no fault \\# reached it\n"
                           "# S4_sweep: the rule never fired\n");
}

static void report_refuses_a_bad_spec(void **state)
{
    (void)state;
    assert_int_equal(report_spec_ok("junit:"), -1);
    assert_int_equal(report_spec_ok("xml:/tmp/x"), -1);
    assert_int_equal(report_spec_ok(NULL), -1);
    assert_int_equal(report_spec_ok("tap:/tmp/x"), 0);
    assert_int_equal(report_write("junit:/nonexistent/dir/x.xml", "s", rrows, 1, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capture_keeps_stdout_and_stderr_apart),
        cmocka_unit_test(capture_sets_and_removes_environment),
        cmocka_unit_test(capture_reads_stdin_from_a_file),
        cmocka_unit_test(capture_truncates_without_blocking),
        cmocka_unit_test(capture_kills_the_group_at_the_deadline),
        cmocka_unit_test(capture_reports_a_missing_program),
        cmocka_unit_test(clock_units_agree),
        cmocka_unit_test(report_junit_not_judged_is_skipped),
        cmocka_unit_test(report_tap_not_judged_is_a_skip),
        cmocka_unit_test(report_refuses_a_bad_spec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_trace.c: faultrun's trace backend (faultinject.md, Backends) on a
 * statically linked COMMAND (fr_tstatic), as users run it: TRACE_ names
 * the backend's promises, AUTO_ how it is chosen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"
#include "logparse.h"

#define TSTATIC FI_BUILD_DIR "/tests/fi/fr_tstatic"

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void TRACE_short_read_moves_fewer_bytes_and_every_byte_arrives(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096], err[256];
    fr_path(log, "short.log");
    FR_RUN(FR_FAULTRUN, "-e", "read:short=1:when=2", "-l", log, "--", TSTATIC, "roundtrip", "4");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "ok 4 rounds, 5 reads"));
    assert_int_equal(fr_count(fr_out, "short "), 1);
    assert_non_null(strstr(fr_out, "short 1 at read 2\n"));
    fr_expect_err("faultrun: backend trace: statically linked");
    fr_expect_err("1 faults injected");
    read_file(log, text, sizeof text);
    struct fi_logline l;
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_int_equal(strchr(nl + 1, '\n'), NULL);       /* one line */
    if (fi_logline_parse(text, (size_t)(nl - text), &l, err, sizeof err) != 1)
        fail_msg("log line does not parse: %s: %s", err, text);
    assert_int_equal(l.call, FI_C_READ);
    assert_int_equal(l.fault.fault, FI_F_SHORT);
    assert_int_equal(l.fault.arg, 1);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.callno, 2);
    assert_true(l.data);
    assert_int_equal(l.asked, 8);
    assert_int_equal(l.ret, 1);
    assert_string_equal(l.proc, "0");
}

static void TRACE_eintr_skips_the_call_once(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr:when=1", "--", TSTATIC, "eintr");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EINTR"), 1);
    assert_non_null(strstr(fr_out, "saw EINTR at read 1\n"));
    assert_non_null(strstr(fr_out, "ok 2 rounds, 3 reads"));
    /* no handler caught: nothing could have interrupted the read */
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr:when=1", "--", TSTATIC, "roundtrip", "2");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EINTR"), 0);
    fr_expect_err("1 could not fire (1: no signal caught)");
}

static void TRACE_eagain_never_on_a_blocking_descriptor(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eagain", "--", TSTATIC, "roundtrip", "2");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EAGAIN"), 0);
    fr_expect_err("0 faults injected");
    fr_expect_err("could not fire (2: blocking descriptor)");
    fr_expect_err("faultrun: backend trace: statically linked");
}

/* A dynamically linked program reading a socket through fgets: the reads
 * glibc makes inside stdio are beyond LD_PRELOAD (preload warns), but the
 * trace backend sees the system calls themselves. */
static void TRACE_reaches_the_reads_inside_stdio(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096];
    FR_RUN(FR_FAULTRUN, "--backend=preload", "-e", "read:short=2", "--", FR_PROG2, "stdio");
    fr_expect_exit(0);
    fr_expect_err("0 faults injected");
    fr_expect_err("1 socket was handed to stdio (fdopen)");
    fr_path(log, "stdio.log");
    /* (a sanitizer build's leak checker cannot run under ptrace) */
    char *env[] = { "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL };
    FR_RUN_ENV(env, FR_FAULTRUN, "--backend=trace", "-l", log, "-e", "read:short=2", "--",
               FR_PROG2, "stdio");
    fr_expect_exit(0);                  /* fgets reads on until the newline: "hello\n" */
    fr_expect_err("faultrun: backend trace:");
    assert_null(strstr(fr_err, " 0 faults injected"));
    read_file(log, text, sizeof text);
    assert_non_null(strstr(text, " read "));
    assert_non_null(strstr(text, " short=2 n=1 rule=1 t="));
    assert_non_null(strstr(text, " ret=2 "));
}

/* A program that sets up an io_uring: what the ring carries is no system
 * call the rules reach, and the summary says so. */
static void TRACE_an_io_uring_is_named_in_the_summary(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "--", TSTATIC, "uring");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "io_uring_setup: "));
    fr_expect_err("faultrun: trace: warning: 1 io_uring ring was set up");
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "--", TSTATIC, "roundtrip", "1");
    fr_expect_exit(0);
    assert_null(strstr(fr_err, "io_uring"));
}

static void TRACE_a_forked_child_is_traced_with_its_own_path(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096];
    fr_path(log, "fork.log");
    FR_RUN(FR_FAULTRUN, "-e", "read:short=3:when=1", "-l", log, "--", TSTATIC, "fork");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "parent: got 3\n"));
    assert_non_null(strstr(fr_out, "child: got 3\n"));
    fr_expect_err("2 faults injected");
    read_file(log, text, sizeof text);
    assert_int_equal(fr_count(text, "\n"), 2);
    assert_non_null(strstr(text, " proc=0\n"));
    assert_non_null(strstr(text, " proc=0.1\n"));
}

/* Whether /proc/PID is gone (or a zombie nobody reaps), within MS. */
static int gone_within(pid_t pid, int ms)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        char path[64], st[512] = "";
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            return 1;
        size_t n = fread(st, 1, sizeof st - 1, f);
        st[n] = '\0';
        fclose(f);
        char *paren = strrchr(st, ')');
        if (paren != NULL && (paren[2] == 'Z' || paren[2] == 'X'))
            return 1;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > ms)
            return 0;
        sched_yield();
    }
}

static void TRACE_killing_faultrun_kills_the_tracee(void **state)
{
    (void)state;
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t fr = fork();
    assert_true(fr >= 0);
    if (fr == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl(FR_FAULTRUN, FR_FAULTRUN, "-q", "-e", "read:eintr:when=99", "--", TSTATIC, "spin",
              (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char line[64] = "";
    size_t got = 0;
    while (got < sizeof line - 1 && strchr(line, '\n') == NULL) {
        ssize_t n = read(out[0], line + got, sizeof line - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        line[got] = '\0';
    }
    int tracee = 0;
    if (sscanf(line, "pid %d", &tracee) != 1 || tracee <= 0) {
        kill(fr, SIGKILL);
        fail_msg("the tracee did not say its pid: '%s'", line);
    }
    assert_int_equal(kill(fr, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(fr, &st, 0), fr);
    close(out[0]);
    if (!gone_within(tracee, 5000)) {
        kill(tracee, SIGKILL);
        fail_msg("tracee %d outlived faultrun", tracee);
    }
}

static void AUTO_preload_refuses_a_static_program_and_bad_backends_exit_2(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "--backend=preload", "-e", "read:short=1", "--", TSTATIC, "roundtrip");
    fr_expect_exit(2);
    fr_expect_err("statically linked");
    fr_expect_err("--backend=trace");
    assert_null(strstr(fr_out, "ok "));
    FR_RUN(FR_FAULTRUN, "--backend=strace", "--", TSTATIC);
    fr_expect_exit(2);
    fr_expect_err("--backend 'strace': unknown backend");
    FR_RUN(FR_FAULTRUN, "--backend", "--", TSTATIC);
    fr_expect_exit(2);
    /* What the slice cannot do yet is refused before COMMAND runs. */
    FR_RUN(FR_FAULTRUN, "-e", "read:stall", "--", TSTATIC, "roundtrip");
    fr_expect_exit(2);
    fr_expect_err("cannot do rule 1 'read:stall' yet");
    assert_null(strstr(fr_out, "ok "));
    /* A dynamic program under --backend=trace says why it was traced. */
    FR_RUN(FR_FAULTRUN, "--backend=trace", "-e", "read:eintr", "--", "/bin/sh", "-c", "exit 5");
    fr_expect_exit(5);
    fr_expect_err("faultrun: backend trace: --backend=trace");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TRACE_short_read_moves_fewer_bytes_and_every_byte_arrives),
        cmocka_unit_test(TRACE_eintr_skips_the_call_once),
        cmocka_unit_test(TRACE_eagain_never_on_a_blocking_descriptor),
        cmocka_unit_test(TRACE_reaches_the_reads_inside_stdio),
        cmocka_unit_test(TRACE_an_io_uring_is_named_in_the_summary),
        cmocka_unit_test(TRACE_a_forked_child_is_traced_with_its_own_path),
        cmocka_unit_test(TRACE_killing_faultrun_kills_the_tracee),
        cmocka_unit_test(AUTO_preload_refuses_a_static_program_and_bad_backends_exit_2),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

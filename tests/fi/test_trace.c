/* test_trace.c: faultrun's trace backend (faultinject.md, Backends) on a
 * statically linked COMMAND (fr_tstatic), as users run it: TRACE_ names
 * the backend's promises, AUTO_ how it is chosen. Every probe runs on
 * both static builds (BOTH: NAME_glibc on gcc -static, NAME_musl on
 * musl-gcc -static); each checks the probe's bytes, its view of each
 * call, the summary and the log read back with the common parser. */
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

#define TSTATIC      FI_BUILD_DIR "/tests/fi/fr_tstatic"
#define TSTATIC_MUSL FI_BUILD_DIR "/tests/fi/fr_tstatic_musl"

/* BOTH(NAME) { body using PROG }: NAME_glibc runs the body on the glibc
 * -static build, NAME_musl on the musl-gcc -static one. */
#define BOTH(name)                                                          \
    static void name(const char *prog);                                     \
    static void name##_glibc(void **state) { (void)state; name(TSTATIC); }  \
    static void name##_musl(void **state) { (void)state; name(TSTATIC_MUSL); } \
    static void name(const char *prog)
#define BOTH_TESTS(name) cmocka_unit_test(name##_glibc), cmocka_unit_test(name##_musl)

static void read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

#define MAX_LINES 64
struct logbook {
    struct fi_logline line[MAX_LINES];
    int n;
};

static int collect(const struct fi_logline *l, void *arg)
{
    struct logbook *b = arg;
    if (b->n < MAX_LINES)
        b->line[b->n++] = *l;
    return 0;
}

/* LOG read back with the common parser into B (nothing: no log). */
static void read_log(const char *log, struct logbook *b)
{
    static char text[65536];
    char err[256];
    b->n = 0;
    if (!fr_exists(log))
        return;
    read_file(log, text, sizeof text);
    if (fi_log_parse(text, strlen(text), collect, b, err, sizeof err) < 0)
        fail_msg("log does not parse: %s: %s", err, text);
}

static void expect_out(const char *want)
{
    if (strstr(fr_out, want) == NULL)
        fail_msg("output lacks '%s': %s", want, fr_out);
}

/* The "pid P sock FD" line the probe printed. */
static void probe_said(long *pid, int *fd)
{
    const char *at = strstr(fr_out, "pid ");
    if (at == NULL || sscanf(at, "pid %ld sock %d", pid, fd) != 2)
        fail_msg("the probe did not say its pid and socket: %s", fr_out);
}

BOTH(TRACE_short_read_moves_fewer_bytes_and_every_byte_arrives)
{
    char log[PATH_MAX];
    struct logbook b;
    fr_path(log, "short.log");
    FR_RUN(FR_FAULTRUN, "-e", "read:short=1:when=2", "-l", log, "--", prog, "roundtrip", "4");
    fr_expect_exit(0);
    expect_out("ok 4 rounds, 5 reads");
    assert_int_equal(fr_count(fr_out, "short "), 1);
    expect_out("short 1 at read 2\n");
    fr_expect_err("faultrun: backend trace: statically linked");
    fr_expect_err("1 faults injected");
    read_log(log, &b);
    assert_int_equal(b.n, 1);
    const struct fi_logline *l = &b.line[0];
    assert_int_equal(l->call, FI_C_READ);
    assert_int_equal(l->fault.fault, FI_F_SHORT);
    assert_int_equal(l->fault.arg, 1);
    assert_int_equal(l->n, 2);
    assert_int_equal(l->callno, 2);
    assert_true(l->data);
    assert_int_equal(l->asked, 8);
    assert_int_equal(l->ret, 1);
    assert_string_equal(l->proc, "0");
    /* a short on every read of a 4096-byte stream: 100 at a time, each
     * byte in its place (the probe checks the pattern) */
    fr_path(log, "stream.log");
    FR_RUN(FR_FAULTRUN, "-e", "read:short=100", "-l", log, "--", prog, "stream", "4096");
    fr_expect_exit(0);
    expect_out("ok 4096 bytes in 41 reads\n");
    fr_expect_err("41 calls matched, 41 faults injected, 0 could not fire");
    read_log(log, &b);
    assert_int_equal(b.n, 41);
    long long sum = 0;
    for (int i = 0; i < b.n; i++) {
        assert_int_equal(b.line[i].callno, i + 1);
        assert_int_equal(b.line[i].asked, 4096 - 100 * i < 1000 ? 4096 - 100 * i : 1000);
        assert_int_equal(b.line[i].ret, i < 40 ? 100 : 96);
        sum += b.line[i].ret;
    }
    assert_int_equal(sum, 4096);
}

BOTH(TRACE_eintr_skips_the_call_once)
{
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr:when=1", "--", prog, "eintr");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EINTR"), 1);
    expect_out("saw EINTR at read 1\n");
    expect_out("ok 2 rounds, 3 reads");
    /* no handler caught: nothing could have interrupted the read */
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr:when=1", "--", prog, "roundtrip", "2");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EINTR"), 0);
    fr_expect_err("1 could not fire (1: no signal caught)");
}

BOTH(TRACE_eagain_only_on_a_non_blocking_descriptor)
{
    char log[PATH_MAX];
    struct logbook b;
    FR_RUN(FR_FAULTRUN, "-e", "read:eagain", "--", prog, "roundtrip", "2");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EAGAIN"), 0);
    fr_expect_err("0 faults injected");
    fr_expect_err("could not fire (2: blocking descriptor)");
    fr_expect_err("faultrun: backend trace: statically linked");
    /* the same reads on an O_NONBLOCK socket: it fires, and reads on */
    fr_path(log, "eagain.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:eagain:when=2", "--", prog, "nonblock", "3");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_out, "saw EAGAIN"), 1);
    expect_out("saw EAGAIN at read 2\n");
    expect_out("ok 3 rounds, 4 reads\n");
    fr_expect_err("4 calls matched, 1 faults injected, 0 could not fire");
    long pid;
    int fd;
    probe_said(&pid, &fd);
    read_log(log, &b);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.line[0].fault.fault, FI_F_EAGAIN);
    assert_int_equal(b.line[0].call, FI_C_READ);
    assert_int_equal(b.line[0].fd, fd);
    assert_int_equal(b.line[0].pid, pid);
    assert_int_equal(b.line[0].tid, pid);
    assert_int_equal(b.line[0].callno, 2);
    assert_int_equal(b.line[0].ret, -1);
}

/* error=E skips the call (nothing moves) and sets errno; EPIPE on a
 * write raises SIGPIPE, but not on a send with MSG_NOSIGNAL. */
BOTH(TRACE_error_sets_errno_and_moves_nothing)
{
    char log[PATH_MAX], want[64];
    struct logbook b;
    fr_path(log, "error.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:error=ECONNRESET", "--", prog, "errors");
    fr_expect_exit(0);
    snprintf(want, sizeof want, "read: -1 errno=%d\n", ECONNRESET);
    expect_out(want);
    expect_out("write: 8 errno=0\nsend: 8 errno=0\n");
    expect_out("sigpipe 0\n");
    read_log(log, &b);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.line[0].fault.fault, FI_F_ERROR);
    assert_int_equal(b.line[0].fault.arg, ECONNRESET);
    assert_int_equal(b.line[0].call, FI_C_READ);

    fr_path(log, "error.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "write:error=EPIPE", "--", prog, "errors");
    fr_expect_exit(0);
    snprintf(want, sizeof want, "write: -1 errno=%d\nsend: 8 errno=0\n", EPIPE);
    expect_out(want);
    expect_out("read: 8 errno=0\nbytes ijklmnop\n");     /* the write's bytes never went */
    expect_out("sigpipe 1\n");
    read_log(log, &b);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.line[0].call, FI_C_WRITE);
    assert_int_equal(b.line[0].fault.arg, EPIPE);

    FR_RUN(FR_FAULTRUN, "-e", "send:error=EPIPE", "--", prog, "errors");
    fr_expect_exit(0);
    snprintf(want, sizeof want, "write: 8 errno=0\nsend: -1 errno=%d\n", EPIPE);
    expect_out(want);
    expect_out("read: 8 errno=0\nbytes abcdefgh\n");
    expect_out("sigpipe 0\n");                          /* MSG_NOSIGNAL */
    fr_expect_err("1 faults injected");
}

BOTH(TRACE_when_picks_the_calls_by_number)
{
    char log[PATH_MAX];
    struct logbook b;
    fr_path(log, "when.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1:when=2..6+2", "--", prog, "roundtrip",
           "4");
    fr_expect_exit(0);
    expect_out("short 1 at read 2\nshort 1 at read 4\nshort 1 at read 6\nok 4 rounds, 7 reads\n");
    assert_int_equal(fr_count(fr_out, "short "), 3);
    read_log(log, &b);
    assert_int_equal(b.n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b.line[i].callno, 2 + 2 * i);
        assert_int_equal(b.line[i].n, 2 + 2 * i);
    }
}

/* The "short 1 at read N" lines of one run under SEED, in SET. */
static void faulted_reads(const char *prog, const char *seed, char *set, size_t len)
{
    FR_RUN(FR_FAULTRUN, "-s", seed, "-e", "read:short=1:p=0.3", "--", prog, "roundtrip", "40");
    fr_expect_exit(0);
    expect_out("ok 40 rounds, ");
    set[0] = '\0';
    for (const char *at = fr_out; (at = strstr(at, "short 1 at read ")) != NULL; at++) {
        const char *nl = strchr(at, '\n');
        size_t have = strlen(set), n = (size_t)(nl - at) + 1;
        assert_true(have + n < len);
        memcpy(set + have, at, n);
        set[have + n] = '\0';
    }
}

BOTH(TRACE_p_same_seed_same_calls_another_seed_others)
{
    char a[4096], b[4096], c[4096];
    faulted_reads(prog, "7", a, sizeof a);
    faulted_reads(prog, "7", b, sizeof b);
    faulted_reads(prog, "8", c, sizeof c);
    int n = fr_count(a, "\n");
    if (n < 3 || n > 30)
        fail_msg("p=0.3 over ~50 reads fired %d times: %s", n, a);
    assert_string_equal(a, b);
    if (strcmp(a, c) == 0)
        fail_msg("seeds 7 and 8 faulted the same reads: %s", a);
}

/* Pipes and files are never touched unless fd= names them. */
BOTH(TRACE_fd_names_which_descriptors)
{
    static const struct { const char *rule, *want; } cases[] = {
        { "read:short=1", "pipe: got 8\nfile: got 8\nsock: got 1\n" },
        { "read:short=1:fd=sock", "pipe: got 8\nfile: got 8\nsock: got 1\n" },
        { "read:short=1:fd=pipe", "pipe: got 1\nfile: got 8\nsock: got 8\n" },
        { "read:short=1:fd=20", "pipe: got 8\nfile: got 1\nsock: got 8\n" },
        { "read:short=1:fd=any", "pipe: got 1\nfile: got 1\nsock: got 1\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FR_RUN(FR_FAULTRUN, "-e", cases[i].rule, "--", prog, "kinds");
        fr_expect_exit(0);
        if (strstr(fr_out, cases[i].want) == NULL)
            fail_msg("under '%s': %s", cases[i].rule, fr_out);
    }
}

/* A set-ID program is refused before it runs (the kernel would drop its
 * privileges under ptrace): a copy of the probe, set-user-ID nobody. */
BOTH(TRACE_a_set_id_program_is_refused)
{
    char copy[PATH_MAX], cmd[2 * PATH_MAX];
    fr_path(copy, "setid");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", prog, copy);
    assert_int_equal(system(cmd), 0);
    if (chown(copy, 65534, 65534) < 0 || chmod(copy, 04755) < 0) {
        fiu_say_not_run("TRACE_a_set_id_program_is_refused", "chown to nobody: %s",
                        strerror(errno));
        return;
    }
    const char *backends[] = { "--backend=auto", "--backend=trace" };
    for (int i = 0; i < 2; i++) {
        FR_RUN(FR_FAULTRUN, backends[i], "-e", "read:short=1", "--", copy, "roundtrip", "1");
        fr_expect_exit(2);
        fr_expect_err("is set-user-ID, so neither backend can run it");
        assert_null(strstr(fr_out, "ok "));
    }
    unlink(copy);
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
BOTH(TRACE_an_io_uring_is_named_in_the_summary)
{
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "--", prog, "uring");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "io_uring_setup: "));
    fr_expect_err("faultrun: trace: warning: 1 io_uring ring was set up");
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "--", prog, "roundtrip", "1");
    fr_expect_exit(0);
    assert_null(strstr(fr_err, "io_uring"));
}

BOTH(TRACE_a_forked_child_is_traced_with_its_own_path)
{
    char log[PATH_MAX], text[4096];
    fr_path(log, "fork.log");
    FR_RUN(FR_FAULTRUN, "-e", "read:short=3:when=1", "-l", log, "--", prog, "fork");
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

BOTH(TRACE_killing_faultrun_kills_the_tracee)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t fr = fork();
    assert_true(fr >= 0);
    if (fr == 0) {
        dup2(out[1], 1);
        close(out[0]);
        execl(FR_FAULTRUN, FR_FAULTRUN, "-q", "-e", "read:eintr:when=99", "--", prog, "spin",
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

BOTH(AUTO_preload_refuses_a_static_program_and_bad_backends_exit_2)
{
    FR_RUN(FR_FAULTRUN, "--backend=preload", "-e", "read:short=1", "--", prog, "roundtrip");
    fr_expect_exit(2);
    fr_expect_err("statically linked");
    fr_expect_err("--backend=trace");
    assert_null(strstr(fr_out, "ok "));
    FR_RUN(FR_FAULTRUN, "--backend=strace", "--", prog);
    fr_expect_exit(2);
    fr_expect_err("--backend 'strace': unknown backend");
    FR_RUN(FR_FAULTRUN, "--backend", "--", prog);
    fr_expect_exit(2);
    /* A dynamic program under --backend=trace says why it was traced. */
    FR_RUN(FR_FAULTRUN, "--backend=trace", "-e", "read:eintr", "--", "/bin/sh", "-c", "exit 5");
    fr_expect_exit(5);
    fr_expect_err("faultrun: backend trace: --backend=trace");
}

/* faultinject.md, Backends: "signals reach the program as they would
 * without it". COMMAND starts with the signal dispositions faultrun was
 * given (faultrun itself ignores SIGINT while it waits: COMMAND must not),
 * and with nothing of the shim's (no run counters descriptor, no
 * FAULTINJECT_TALLY variables). */
static void TRACE_command_starts_as_it_would_without_faultrun(void **state)
{
    (void)state;
    static char plain[65536];
    const char *script = "grep SigIgn /proc/self/status; env | grep -c FAULTINJECT_TALLY; "
                         "ls -l /proc/self/fd/ | grep -c memfd:";
    FR_RUN("/bin/sh", "-c", script);
    snprintf(plain, sizeof plain, "%s", fr_out);
    assert_non_null(strstr(plain, "SigIgn:"));
    FR_RUN(FR_FAULTRUN, "--backend=trace", "-q", "-e", "accept:eintr", "--", "/bin/sh", "-c",
           script);
    fr_expect_exit(1);                  /* the last grep counts 0 */
    assert_string_equal(fr_out, plain);
    assert_non_null(strstr(fr_out, "\n0\n0\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH_TESTS(TRACE_short_read_moves_fewer_bytes_and_every_byte_arrives),
        BOTH_TESTS(TRACE_eintr_skips_the_call_once),
        BOTH_TESTS(TRACE_eagain_only_on_a_non_blocking_descriptor),
        BOTH_TESTS(TRACE_error_sets_errno_and_moves_nothing),
        BOTH_TESTS(TRACE_when_picks_the_calls_by_number),
        BOTH_TESTS(TRACE_p_same_seed_same_calls_another_seed_others),
        BOTH_TESTS(TRACE_fd_names_which_descriptors),
        BOTH_TESTS(TRACE_a_set_id_program_is_refused),
        cmocka_unit_test(TRACE_reaches_the_reads_inside_stdio),
        BOTH_TESTS(TRACE_an_io_uring_is_named_in_the_summary),
        BOTH_TESTS(TRACE_a_forked_child_is_traced_with_its_own_path),
        BOTH_TESTS(TRACE_killing_faultrun_kills_the_tracee),
        BOTH_TESTS(AUTO_preload_refuses_a_static_program_and_bad_backends_exit_2),
        cmocka_unit_test(TRACE_command_starts_as_it_would_without_faultrun),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

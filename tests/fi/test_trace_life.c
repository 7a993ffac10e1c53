/* test_trace_life.c: the process lifecycle under faultrun's trace backend
 * (faultinject.md, Backends: "It follows threads, fork, vfork, clone and
 * exec; signals reach the program as they would without it; no traced
 * process outlives faultrun with the filter on"), on fr_tlife built
 * -static by gcc and by musl-gcc (BOTH: NAME_glibc, NAME_musl), and its
 * threads under TSan (fr_tlife_tsan, dynamic: TSan cannot be static).
 * Every test checks the probe's bytes (it says "ok"), the log read back
 * with the common parser (pid, tid, proc= of each fault) and the summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frtest.h"
#include "logparse.h"

#define TLIFE      FI_BUILD_DIR "/tests/fi/fr_tlife"
#define TLIFE_MUSL FI_BUILD_DIR "/tests/fi/fr_tlife_musl"
#define TLIFE_TSAN FI_BUILD_DIR "/tests/fi/fr_tlife_tsan"
#define TSTATIC    FI_BUILD_DIR "/tests/fi/fr_tstatic"
#define TIO        FI_BUILD_DIR "/tests/fi/fr_tio"

#define BOTH(name)                                                          \
    static void name(const char *prog);                                     \
    static void name##_glibc(void **state) { (void)state; name(TLIFE); }    \
    static void name##_musl(void **state) { (void)state; name(TLIFE_MUSL); } \
    static void name(const char *prog)
#define BOTH_TESTS(name) cmocka_unit_test(name##_glibc), cmocka_unit_test(name##_musl)

#define MAX_LINES 1024
struct logbook {
    struct fi_logline line[MAX_LINES];  /* the first MAX_LINES */
    int n, total;
};
static struct logbook book;

static int collect(const struct fi_logline *l, void *arg)
{
    struct logbook *b = arg;
    if (b->n < MAX_LINES)
        b->line[b->n++] = *l;
    b->total++;
    return 0;
}

static void read_log(const char *log, struct logbook *b)
{
    static char text[1 << 21];
    char err[256];
    b->n = b->total = 0;
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (n == sizeof text - 1)
        fail_msg("log '%s' is longer than %zu bytes", log, n);
    if (fi_log_parse(text, n, collect, b, err, sizeof err) < 0)
        fail_msg("log does not parse: %s: %.2000s", err, text);
}

static void expect_out(const char *want)
{
    if (strstr(fr_out, want) == NULL)
        fail_msg("output lacks '%s': %s", want, fr_out);
}

/* The number after PREFIX in the probe's output. */
static long said(const char *prefix)
{
    const char *at = strstr(fr_out, prefix);
    if (at == NULL)
        fail_msg("output lacks '%s': %s", prefix, fr_out);
    return atol(at + strlen(prefix));
}

/* The "N faults injected" of rule 1's summary line. */
static long injected(void)
{
    const char *at = strstr(fr_err, " calls matched, ");
    if (at == NULL)
        fail_msg("no summary: %s", fr_err);
    return atol(at + strlen(" calls matched, "));
}

static int lines_of(const struct logbook *b, long pid, const char *proc)
{
    int n = 0;
    for (int i = 0; i < b->n; i++)
        if (b->line[i].pid == pid && (proc == NULL || strcmp(b->line[i].proc, proc) == 0))
            n++;
    return n;
}

/* The call numbers PID's faults fell on, as "c1 c4 ..." in BUF. */
static void callnos(const struct logbook *b, long pid, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < b->n && at + 24 < len; i++)
        if (b->line[i].pid == pid)
            at += (size_t)snprintf(buf + at, len - at, "c%llu ",
                                   (unsigned long long)b->line[i].callno);
}

BOTH(LIFE_a_forked_child_is_traced_with_its_own_p_stream)
{
    char log[PATH_MAX], par[2][512], kid[2][512];
    for (int run = 0; run < 2; run++) {
        fr_path(log, "fork.log");
        FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1:p=0.5", "--", prog, "fork", "4");
        fr_expect_exit(0);
        long parent = said("parent pid "), child = said("child pid ");
        expect_out(" ok 4 rounds, ");
        read_log(log, &book);
        assert_int_equal(injected(), book.n);
        assert_true(lines_of(&book, parent, "0") >= 1);
        assert_true(lines_of(&book, child, "0.1") >= 1);
        assert_int_equal(lines_of(&book, parent, "0") + lines_of(&book, child, "0.1"), book.n);
        for (int i = 0; i < book.n; i++)
            assert_int_equal(book.line[i].tid, book.line[i].pid);
        callnos(&book, parent, par[run], sizeof par[run]);
        callnos(&book, child, kid[run], sizeof kid[run]);
    }
    /* the same calls, its own stream: the child draws other faults; a
     * rerun draws the same in each */
    if (strcmp(par[0], kid[0]) == 0)
        fail_msg("parent and child drew the same faults: %s", par[0]);
    assert_string_equal(par[0], par[1]);
    assert_string_equal(kid[0], kid[1]);
}

BOTH(LIFE_vfork_exec_of_a_static_and_a_dynamic_program_is_traced)
{
    char log[PATH_MAX];
    fr_path(log, "vfork.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=3", "--", prog, "vfork", TSTATIC,
           "roundtrip", "2");
    fr_expect_exit(0);
    expect_out("ok 2 rounds, 6 reads\nchild exited 0\n");
    long child = said("vforked ");
    read_log(log, &book);
    assert_int_equal(book.n, 6);
    assert_int_equal(lines_of(&book, child, "0.1"), 6);
    for (int i = 0; i < book.n; i++) {
        assert_int_equal(book.line[i].image, 1);
        assert_int_equal(book.line[i].ret, i % 3 == 2 ? 2 : 3);
    }
    /* a dynamically linked program exec'd under trace gets its faults */
    fr_path(log, "vfork.log");
    /* (a sanitizer build's leak checker cannot run under ptrace) */
    char *env[] = { "ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0", NULL };
    FR_RUN_ENV(env, FR_FAULTRUN, "-l", log, "-e", "read:short=30", "--", prog, "vfork", FR_PROG2,
               "raw");
    fr_expect_exit(0);
    expect_out("child exited 0\n");
    child = said("vforked ");
    read_log(log, &book);
    assert_int_equal(book.n, 3);
    assert_int_equal(lines_of(&book, child, "0.1"), 3);
    long long sum = 0;
    for (int i = 0; i < book.n; i++) {
        assert_int_equal(book.line[i].image, 1);
        assert_int_equal(book.line[i].asked, 64);
        sum += book.line[i].ret;
    }
    assert_int_equal(sum, 64);
}

/* Every read of 4 threads cut to one byte: each thread's 64 faults are
 * logged with its own tid, under the process's pid. */
static void threads_on(const char *prog, char *const env[])
{
    char log[PATH_MAX];
    fr_path(log, "threads.log");
    FR_RUN_ENV(env, FR_FAULTRUN, "--backend=trace", "-l", log, "-e", "read:short=1", "--", prog,
               "threads", "4", "8");
    fr_expect_exit(0);
    expect_out("ok 4 threads\n");
    assert_int_equal(fr_count(fr_out, " ok 8 rounds, 64 reads\n"), 4);
    read_log(log, &book);
    assert_int_equal(book.n, 256);
    assert_int_equal(injected(), 256);
    long pid = book.line[0].pid;
    for (const char *at = fr_out; (at = strstr(at, "thread ")) != NULL; at++) {
        long tid = atol(at + strlen("thread "));
        int n = 0;
        for (int i = 0; i < book.n; i++)
            n += book.line[i].tid == tid;
        if (n != 64)
            fail_msg("thread %ld: %d faults logged, not 64", tid, n);
        assert_true(tid != pid);
    }
    assert_int_equal(lines_of(&book, pid, "0"), 256);
}

BOTH(LIFE_threads_are_each_logged_with_their_tid)
{
    threads_on(prog, NULL);
}

static void TSAN_threads_under_trace(void **state)
{
    (void)state;
    char *env[] = { "TSAN_OPTIONS=halt_on_error=1:exitcode=66", NULL };
    threads_on(TLIFE_TSAN, env);
    fr_expect_no_err("ThreadSanitizer");
}

/* A thread killed in a traced call (exit_group from another thread):
 * faultrun neither hangs nor loses the exit status. */
BOTH(LIFE_a_thread_exiting_mid_call)
{
    FR_RUN(FR_FAULTRUN, "-e", "read:short=1", "--", prog, "midcall");
    fr_expect_exit(7);
    expect_out("blocked tid ");
    fr_expect_err("1 calls matched");
}

/* exec from a second thread: the kernel ends the others and the exec'd
 * image takes the process's pid; its faults are logged under it. */
BOTH(LIFE_exec_from_a_non_main_thread)
{
    char log[PATH_MAX];
    fr_path(log, "execthread.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1", "--", prog, "execthread", TSTATIC,
           "roundtrip", "3");
    fr_expect_exit(0);
    expect_out("ok 3 rounds, 24 reads\n");
    long pid = said("pid ");
    read_log(log, &book);
    assert_int_equal(book.n, 24);
    for (int i = 0; i < book.n; i++) {
        assert_int_equal(book.line[i].pid, pid);
        assert_int_equal(book.line[i].tid, pid);
        assert_int_equal(book.line[i].image, 1);
        assert_int_equal(book.line[i].callno, i + 1);
        assert_int_equal(book.line[i].ret, 1);
    }
    /* the main thread's cut read died with the old image: nothing of it
     * is finished in the new one, whose first traced stop is a poll */
    fr_path(log, "execthread.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1", "--", prog, "execthread", TIO,
           "wait", "poll");
    fr_expect_exit(0);
    expect_out("poll -> 1\n");
    expect_out("ok 16 bytes\n");
    pid = said("pid ");
    read_log(log, &book);
    assert_int_equal(book.n, 16);
    for (int i = 0; i < book.n; i++) {
        if (book.line[i].callno != (uint64_t)i + 1 || book.line[i].fd != book.line[0].fd ||
            book.line[i].ret != 1 || book.line[i].image != 1 || book.line[i].pid != pid)
            fail_msg("fault %d is not the new image's read %d: %.*s", i + 1, i + 1,
                     (int)book.line[i].textlen, book.line[i].text);
    }
}

/* 5000 SIGURGs, each sent once the last was caught, to a process looping
 * on traced reads that are cut: every one is delivered. */
BOTH(LIFE_a_sigurg_storm_is_delivered_whole)
{
    char log[PATH_MAX];
    fr_path(log, "urg.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=7:p=0.3", "--", prog, "urg", "5000");
    fr_expect_exit(0);
    expect_out("urg 5000 sent, 5000 caught, 32000 bytes ok in ");
    /* a read the kernel restarts after the handler is one call */
    char want[64];
    snprintf(want, sizeof want, " %ld calls matched, ", said(" bytes ok in "));
    fr_expect_err(want);
    read_log(log, &book);
    assert_true(book.n > 0);
    assert_int_equal(injected(), book.total);
    for (int i = 0; i < book.n; i++)
        assert_int_equal(book.line[i].ret, 7);
}

/* ---- faultrun ended from outside ------------------------------------- */

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* faultrun -q -e read:short=1:p=0.5 -- PROG WHAT, its stdout into *OUT. */
static pid_t start_faultrun(int *out, const char *prog, const char *what)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t fr = fork();
    assert_true(fr >= 0);
    if (fr == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(FR_FAULTRUN, FR_FAULTRUN, "-q", "-e", "read:short=1:p=0.5", "--", prog, what,
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *out = p[0];
    return fr;
}

/* Reads FD until N lines starting with PREFIX came (5 s); their numbers
 * into PIDS. */
static void read_pids(int fd, pid_t fr, const char *prefix, int n, long *pids)
{
    static char buf[4096];
    size_t got = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    buf[0] = '\0';
    while (fr_count(buf, prefix) < n && ms_since(&t0) < 5000) {
        ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
        buf[got] = '\0';
    }
    const char *at = buf;
    for (int i = 0; i < n; i++) {
        at = strstr(at, prefix);
        if (at == NULL || strchr(at, '\n') == NULL) {
            kill(fr, SIGKILL);
            fail_msg("the probe did not say %d pids: '%s'", n, buf);
        }
        at += strlen(prefix);
        pids[i] = atol(at);
    }
}

/* What /proc says of thread TID of PID: 0 gone (or a zombie), 1 alive
 * and traced or dying (SIGKILL pending, or PF_EXITING: EXITKILL's SIGKILL
 * taken), -1 alive with the filter and no tracer, or stopped with none. */
static int task_state(long pid, long tid, char *why, size_t len)
{
    char path[64], text[4096], stat[1024] = "";
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", pid, tid);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        stat[n] = '\0';
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/status", pid, tid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *st = strstr(text, "State:\t"), *tp = strstr(text, "TracerPid:\t"),
               *sc = strstr(text, "Seccomp:\t"), *pnd = strstr(text, "ShdPnd:\t"),
               *own = strstr(text, "SigPnd:\t");
    if (st == NULL || st[7] == 'Z' || st[7] == 'X')
        return 0;
    long tracer = tp ? atol(tp + 11) : -1;
    unsigned long long shd = pnd ? strtoull(pnd + 8, NULL, 16) : 0,
                       mine = own ? strtoull(own + 8, NULL, 16) : 0, flags = 0;
    const char *paren = strrchr(stat, ')');
    /* stat's fields after "(comm)": state ppid pgrp session tty tpgid flags */
    if (paren != NULL)
        sscanf(paren + 2, "%*c %*d %*d %*d %*d %*d %llu", &flags);
    int dying = (((shd | mine) >> (SIGKILL - 1)) & 1) || (flags & 0x4 /* PF_EXITING */);
    if (tracer == 0 && !dying && ((sc && atol(sc + 9) == 2) || st[7] == 't' || st[7] == 'T')) {
        snprintf(why, len, "pid %ld tid %ld untraced: State %c, Seccomp %ld", pid, tid, st[7],
                 sc ? atol(sc + 9) : -1L);
        return -1;
    }
    return 1;
}

/* The worst of PID's threads: -1 if one is untraced with the filter, else
 * 1 if one is alive, else 0. */
static int proc_state(long pid, char *why, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    int worst = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && worst >= 0) {
        if (e->d_name[0] == '.')
            continue;
        int s = task_state(pid, atol(e->d_name), why, len);
        worst = s < 0 ? -1 : s > worst ? s : worst;
    }
    closedir(d);
    return worst;
}

/* Polls PIDS until every one is gone (5 s), failing on one seen with the
 * filter and no tracer (or stopped with none) twice 100 ms apart: a thread
 * that has just taken EXITKILL's SIGKILL and not yet set PF_EXITING looks
 * so for an instant (6 of 200 runs failed when this was strict). */
static void expect_all_gone(const long *pids, int n)
{
    struct timespec t0, bad[8];
    char why[128];
    int seen[8] = { 0 };
    assert_true(n <= 8);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int alive = 0;
        for (int i = 0; i < n; i++) {
            int s = proc_state(pids[i], why, sizeof why);
            if (s < 0 && !seen[i]) {
                seen[i] = 1;
                clock_gettime(CLOCK_MONOTONIC, &bad[i]);
            } else if (s < 0 && ms_since(&bad[i]) > 100) {
                for (int j = 0; j < n; j++)
                    kill((pid_t)pids[j], SIGKILL);
                fail_msg("%s", why);
            } else if (s >= 0) {
                seen[i] = 0;
            }
            alive += s != 0;
        }
        if (alive == 0)
            return;
        if (ms_since(&t0) > 5000) {
            for (int j = 0; j < n; j++)
                kill((pid_t)pids[j], SIGKILL);
            fail_msg("%d tracees outlived faultrun", alive);
        }
        sched_yield();
    }
}

static int wait_within(pid_t pid, int ms, int *status)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ms_since(&t0) < ms) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        sched_yield();
    }
    kill(pid, SIGKILL);
    waitpid(pid, status, 0);
    return -1;
}

/* SIGTERM to faultrun goes to COMMAND; faultrun ends as it did: killed
 * by SIGTERM, or the exit status of COMMAND's handler. */
BOTH(LIFE_sigterm_to_faultrun_ends_the_tracee)
{
    int out, st;
    long pid;
    pid_t fr = start_faultrun(&out, prog, "spin");
    read_pids(out, fr, "pid ", 1, &pid);
    assert_int_equal(kill(fr, SIGTERM), 0);
    if (wait_within(fr, 5000, &st) < 0)
        fail_msg("faultrun did not end on SIGTERM");
    close(out);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
        fail_msg("faultrun ended with status 0x%x, not as its COMMAND (SIGTERM)", st);
    expect_all_gone(&pid, 1);

    fr = start_faultrun(&out, prog, "spinterm");
    read_pids(out, fr, "pid ", 1, &pid);
    assert_int_equal(kill(fr, SIGTERM), 0);
    if (wait_within(fr, 5000, &st) < 0)
        fail_msg("faultrun did not end on SIGTERM");
    char rest[256] = "";
    ssize_t n = read(out, rest, sizeof rest - 1);
    close(out);
    if (n < 0 || strstr(rest, "got SIGTERM\n") == NULL)
        fail_msg("COMMAND's handler never ran: '%s'", n > 0 ? rest : "");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 5)
        fail_msg("faultrun ended with status 0x%x, not COMMAND's exit 5", st);
    expect_all_gone(&pid, 1);
}

/* kill -9 of faultrun while two processes of two threads each loop on
 * faulted reads: within 5 s none is left, and none is ever seen running
 * or stopped with the filter on and no tracer. */
BOTH(LIFE_kill_9_of_faultrun_leaves_no_tracee)
{
    int out, st;
    long pids[2];
    pid_t fr = start_faultrun(&out, prog, "spinall");
    read_pids(out, fr, "proc ", 2, pids);
    assert_int_equal(kill(fr, SIGKILL), 0);
    assert_int_equal(waitpid(fr, &st, 0), fr);
    expect_all_gone(pids, 2);
    close(out);
}

/* A child orphaned by COMMAND is still traced until it ends; faultrun
 * waits for it and exits with COMMAND's status. */
BOTH(LIFE_a_traced_child_outlives_its_parent)
{
    char log[PATH_MAX];
    fr_path(log, "orphan.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1:p=0.5", "--", prog, "orphan");
    fr_expect_exit(3);
    long child = said(" child ");
    expect_out("orphan pid ");
    assert_int_equal(said("orphan pid "), child);
    expect_out(" ok 5 rounds, ");
    read_log(log, &book);
    assert_true(book.n >= 1);
    assert_int_equal(lines_of(&book, child, "0.1"), book.n);
    assert_int_equal(injected(), book.n);
    expect_all_gone(&child, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH_TESTS(LIFE_a_forked_child_is_traced_with_its_own_p_stream),
        BOTH_TESTS(LIFE_vfork_exec_of_a_static_and_a_dynamic_program_is_traced),
        BOTH_TESTS(LIFE_threads_are_each_logged_with_their_tid),
        cmocka_unit_test(TSAN_threads_under_trace),
        BOTH_TESTS(LIFE_a_thread_exiting_mid_call),
        BOTH_TESTS(LIFE_exec_from_a_non_main_thread),
        BOTH_TESTS(LIFE_a_sigurg_storm_is_delivered_whole),
        BOTH_TESTS(LIFE_sigterm_to_faultrun_ends_the_tracee),
        BOTH_TESTS(LIFE_kill_9_of_faultrun_leaves_no_tracee),
        BOTH_TESTS(LIFE_a_traced_child_outlives_its_parent),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

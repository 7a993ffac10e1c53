/* test_shrink.c: faultrun --shrink LOG (faultinject.md, Shrink): a known
 * two-fault bug among 200+ logged faults shrinks to exactly those two in
 * at most 10 x log2(n) runs, the printed --replay command fails and fails
 * no more with either line gone; -j 4 finds what -j 1 finds; a flaky
 * program shrinks right with --shrink-runs 3; a hanging candidate is
 * killed at the timeout with its whole process group; a log that does
 * not fail replayed whole exits 3; bad input exits 2 naming it
 * (SHRINK_*). COMMAND is fr_twofault (its read(2) calls do not depend on
 * what is injected, so today's replay points hold under deletion:
 * SHRINK_replay_of_half_the_log_is_faithful checks that first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"

#define TWOFAULT FI_BUILD_DIR "/tests/fi/fr_twofault"
/* Seed 11 over 300 messages logs 210 faults, among them the bug's pair:
 * the header's short read (read c=1) and the trailer's EINTR (c=300).
 * Seed 3 over 20 messages: 15 faults, the pair at c=1 and c=20. */
#define RULE_SHORT "read:short=3:p=0.4"
#define RULE_EINTR "read:eintr:p=0.5"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The fault lines of TEXT (no '#' or blank lines) into OUT; how many. */
static int fault_lines(const char *text, char *out, size_t len)
{
    static char copy[65536];
    snprintf(copy, sizeof copy, "%s", text);
    size_t have = 0;
    int n = 0;
    out[0] = '\0';
    for (char *l = strtok(copy, "\n"); l; l = strtok(NULL, "\n"))
        if (l[0] != '#') {
            have += (size_t)snprintf(out + have, len - have, "%s\n", l);
            n++;
        }
    return n;
}

/* Records LOG: fr_twofault MSGS [EXTRA...] under both rules with SEED;
 * it must fail (the bug) and log at least MIN faults. Their number. */
static int record(const char *log, const char *seed, const char *msgs, int min)
{
    static char text[65536], lines[65536];
    FR_RUN(FR_FAULTRUN, "-q", "-s", seed, "-l", log, "-e", RULE_SHORT, "-e", RULE_EINTR, "--",
           TWOFAULT, msgs);
    fr_expect_exit(1);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    int n = fault_lines(text, lines, sizeof lines);
    if (n < min)
        fail_msg("want at least %d faults logged, got %d", min, n);
    return n;
}

/* The minimal log at PATH is exactly the bug's pair: the header's short
 * read made short=1 (toward 1 from short=3) and the trailer's EINTR. */
static void expect_the_pair(const char *path, const char *trailer_c)
{
    static char text[65536], lines[65536];
    char want_c[32];
    assert_true(fiu_slurp(path, text, sizeof text) > 0);
    if (fault_lines(text, lines, sizeof lines) != 2)
        fail_msg("want exactly the two faults, got: %s", text);
    char *second = strchr(lines, '\n') + 1;
    char first[1024];
    snprintf(first, sizeof first, "%.*s ", (int)(second - 1 - lines), lines);
    snprintf(want_c, sizeof want_c, " c=%s proc=0 ", trailer_c);
    char rest[1024];
    snprintf(rest, sizeof rest, "%.*s ", (int)strcspn(second, "\n"), second);
    /* (the replay point's fields o= q= off= may follow proc=) */
    if (strstr(first, " read ") == NULL || strstr(first, " short=1 ") == NULL ||
        strstr(first, " c=1 proc=0 ") == NULL ||
        strstr(rest, " eintr ") == NULL || strstr(rest, want_c) == NULL)
        fail_msg("want read c=1 short=1 then read c=%s eintr, got: %s", trailer_c, lines);
}

/* The N of "faultrun: shrink: A faults -> B in N runs" in fr_err. */
static long runs_taken(void)
{
    const char *p = strstr(fr_err, " runs (");
    assert_non_null(p);
    while (p > fr_err && p[-1] != ' ')
        p--;
    return strtol(p, NULL, 10);
}

static void SHRINK_replay_of_half_the_log_is_faithful(void **state)
{
    (void)state;
    char full[PATH_MAX], half[PATH_MAX], again[PATH_MAX];
    static char text[65536], keep[65536], got[65536], a[65536], b[65536];
    fr_path(full, "faithful.log");
    fr_path(half, "faithful-half.log");
    fr_path(again, "faithful-again.log");
    record(full, "11", "300", 200);
    assert_true(fiu_slurp(full, text, sizeof text) > 0);
    /* Every other line from the second: the pair's short read goes. */
    size_t have = 0;
    int n = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), n++)
        if (n % 2 == 1)
            have += (size_t)snprintf(keep + have, sizeof keep - have, "%s\n", l);
    write_file(half, keep);
    FR_RUN(FR_FAULTRUN, "--replay", half, "-l", again, "--", TWOFAULT, "300");
    fr_expect_exit(0);
    assert_true(fiu_slurp(again, got, sizeof got) > 0);
    /* The same calls, numbers and faults (pids and times differ). */
    int kept = fault_lines(keep, a, sizeof a);
    assert_int_equal(fault_lines(got, b, sizeof b), kept);
    for (char *x = strtok(a, "\n"), *y = b; x; x = strtok(NULL, "\n")) {
        char *ny = strchr(y, '\n');
        *ny = '\0';
        const char *fx = strchr(strchr(x, ' ') + 1, ' '), *fy = strchr(strchr(y, ' ') + 1, ' ');
        const char *tx = strstr(x, " t="), *ty = strstr(y, " t=");
        if ((tx - fx) != (ty - fy) || memcmp(fx, fy, (size_t)(tx - fx)) != 0 ||
            strcmp(strstr(x, " c="), strstr(y, " c=")) != 0)
            fail_msg("replayed '%s' as '%s'", x, y);
        y = ny + 1;
    }
}

static void SHRINK_two_fault_bug_to_exactly_its_two_faults(void **state)
{
    (void)state;
    char log[PATH_MAX], min[PATH_MAX], one[PATH_MAX], cmd[PATH_MAX * 3];
    static char text[65536], lines[65536];
    fr_path(log, "two.log");
    fr_path(min, "two.log.min");
    int n = record(log, "11", "300", 200);
    FR_RUN(FR_FAULTRUN, "--shrink", log, "--", TWOFAULT, "300");
    fr_expect_exit(0);
    expect_the_pair(min, "300");
    long runs = runs_taken(), budget = (long)(10 * log2((double)n));
    if (runs < 2 || runs > budget)
        fail_msg("%d faults shrunk in %ld runs, want at most 10 x log2(n) = %ld", n, runs,
                 budget);
    print_message("      shrink: %d faults -> 2 in %ld runs (budget %ld)\n", n, runs, budget);
    /* Progress: a line per round in a pipe, never a live \r line. */
    assert_true(fr_count(fr_err, "faultrun: shrink: round ") >= 2);
    assert_null(strchr(fr_err, '\r'));
    /* The printed command reproduces the failure. */
    snprintf(cmd, sizeof cmd, "faultrun: shrink: reproduce: %s --replay %s -- %s 300\n",
             FR_FAULTRUN, min, TWOFAULT);
    fr_expect_err(cmd);
    FR_RUN(FR_FAULTRUN, "--replay", min, "--", TWOFAULT, "300");
    fr_expect_exit(1);
    fr_expect_err("faultrun: replay: 2 of 2 recorded faults found their point");
    /* Either line alone passes. */
    assert_true(fiu_slurp(min, text, sizeof text) > 0);
    assert_int_equal(fault_lines(text, lines, sizeof lines), 2);
    char *second = strchr(lines, '\n') + 1;
    fr_path(one, "two-first.log");
    write_file(one, second);
    FR_RUN(FR_FAULTRUN, "--replay", one, "--", TWOFAULT, "300");
    fr_expect_exit(0);
    second[0] = '\0';
    fr_path(one, "two-second.log");
    write_file(one, lines);
    FR_RUN(FR_FAULTRUN, "--replay", one, "--", TWOFAULT, "300");
    fr_expect_exit(0);
}

/* fr_twofault any: every EINTR after the short header is the bug, so
 * the log holds dozens of minimal pairs; -j 4 must end on the one -j 1
 * ends on (the first failing candidate in order, not the first to end). */
static void SHRINK_jobs_4_finds_what_jobs_1_finds(void **state)
{
    (void)state;
    char log[PATH_MAX], m1[PATH_MAX], m4[PATH_MAX];
    static char a[65536], b[65536], la[65536], lb[65536];
    fr_path(log, "jobs.log");
    fr_path(m1, "jobs-1.min");
    fr_path(m4, "jobs-4.min");
    record(log, "11", "300", 200);
    FR_RUN(FR_FAULTRUN, "--shrink", log, "--shrink-out", m1, "-j", "1", "--", TWOFAULT, "300",
           "any", "1");
    fr_expect_exit(0);
    FR_RUN(FR_FAULTRUN, "--shrink", log, "--shrink-out", m4, "--jobs", "4", "--", TWOFAULT,
           "300", "any", "1");
    fr_expect_exit(0);
    assert_true(fiu_slurp(m1, a, sizeof a) > 0);
    assert_true(fiu_slurp(m4, b, sizeof b) > 0);
    assert_int_equal(fault_lines(a, la, sizeof la), 2);
    assert_int_equal(fault_lines(b, lb, sizeof lb), 2);
    assert_string_equal(la, lb);
    assert_non_null(strstr(la, " short=1 "));
    assert_non_null(strstr(la, " eintr "));
}

/* fr_twofault flaky fails every third run whatever is injected: one
 * replay per candidate would take such a failure for the bug. */
static void SHRINK_flaky_program_with_shrink_runs_3(void **state)
{
    (void)state;
    char log[PATH_MAX], min[PATH_MAX], counter[PATH_MAX];
    fr_path(log, "flaky.log");
    fr_path(min, "flaky.min");
    fr_path(counter, "flaky.count");
    FR_RUN(FR_FAULTRUN, "-q", "-s", "11", "-l", log, "-e", RULE_SHORT, "-e", RULE_EINTR, "--",
           TWOFAULT, "300", "flaky", counter);
    fr_expect_exit(1);              /* run 1 of the counter: the bug itself */
    FR_RUN(FR_FAULTRUN, "--shrink", log, "--shrink-runs", "3", "--shrink-out", min, "--",
           TWOFAULT, "300", "flaky", counter);
    fr_expect_exit(0);
    expect_the_pair(min, "300");
}

static int pid_gone(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld", pid);
    return access(path, F_OK) != 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* fr_twofault hang: the bug hangs in the program and in a child in its
 * process group; each such candidate is killed at --shrink-timeout,
 * counts as failing, and leaves no process behind. */
static void SHRINK_hanging_candidate_killed_with_its_group(void **state)
{
    (void)state;
    char log[PATH_MAX], min[PATH_MAX], pids[PATH_MAX], text[4096];
    fr_path(log, "hang.log");
    fr_path(min, "hang.min");
    fr_path(pids, "hang.pids");
    record(log, "3", "20", 10);
    FR_RUN(FR_FAULTRUN, "--shrink", log, "--shrink-timeout", "0.5", "--shrink-out", min, "--",
           TWOFAULT, "20", "hang", pids);
    fr_expect_exit(0);
    expect_the_pair(min, "20");
    assert_true(fiu_slurp(pids, text, sizeof text) > 0);
    int n = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"), n++)
        if (!pid_gone(strtol(l, NULL, 10)))
            fail_msg("process %s of a timed-out run is still there", l);
    assert_true(n >= 4);            /* at least the whole log and the pair hung */
    assert_true(n % 2 == 0);
}

static void SHRINK_whole_log_that_passes_exits_3(void **state)
{
    (void)state;
    char log[PATH_MAX], cut[PATH_MAX];
    static char text[65536], keep[65536];
    fr_path(log, "pass.log");
    fr_path(cut, "pass-cut.log");
    record(log, "11", "300", 200);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    size_t have = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (strstr(l, " c=300 ") == NULL)           /* no trailer EINTR: no bug */
            have += (size_t)snprintf(keep + have, sizeof keep - have, "%s\n", l);
    write_file(cut, keep);
    FR_RUN(FR_FAULTRUN, "--shrink", cut, "--", TWOFAULT, "300");
    fr_expect_exit(3);
    fr_expect_err("COMMAND does not fail when the 209 faults of");
    fr_expect_err("replayed whole (exit 0): nothing to shrink");
}

static void SHRINK_bad_input_exits_2_naming_it(void **state)
{
    (void)state;
    char log[PATH_MAX], bad[PATH_MAX], missing[PATH_MAX];
    fr_path(log, "good.log");
    fr_path(bad, "bad.log");
    fr_path(missing, "missing.log");
    write_file(log, "4242 4242 read 3 eintr n=1 rule=1 t=1.000000000 c=1 proc=0\n");
    write_file(bad, "4242 4242 read 3 eintr n=1 rule=1 t=1.000000000 c=1 proc=0\n"
                    "4242 4242 read 3 shrt n=2 rule=1 t=1.000000000 c=2 proc=0\n");
    static const struct {
        const char *a1, *a2, *a3, *a4, *says;
    } cases[] = {
        { "--shrink", NULL, NULL, NULL, "No such file or directory" },
        { "--shrink", "/", NULL, NULL, "'/': cannot read it" },
        { "--shrink", NULL, NULL, NULL, "line 2: fault 'shrt'" },
        { "--shrink-timeout", "abc", NULL, NULL, "--shrink-timeout 'abc': want SECONDS" },
        { "--shrink-timeout", "0", NULL, NULL, "--shrink-timeout '0'" },
        { "--shrink-timeout", "1.5s", NULL, NULL, "--shrink-timeout '1.5s'" },
        { "--shrink-runs", "0", NULL, NULL, "--shrink-runs '0'" },
        { "--shrink-runs", "x", NULL, NULL, "--shrink-runs 'x'" },
        { "-j", "0", NULL, NULL, "--jobs '0'" },
        { "-e", "read:eintr", NULL, NULL, "drop the -e rules" },
        { "--replay", NULL, NULL, NULL, "--shrink and --replay do not go together" },
        { "--shrink-out", "/nonexistent-dir/x", NULL, NULL, "--shrink-out '/nonexistent-dir/x'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *shrink = i == 0 ? missing : i == 2 ? bad : log;
        const char *a2 = cases[i].a2 ? cases[i].a2 : log;
        if (i < 3)
            FR_RUN(FR_FAULTRUN, "--shrink", i == 1 ? "/" : shrink, "--", TWOFAULT, "3");
        else
            FR_RUN(FR_FAULTRUN, "--shrink", shrink, cases[i].a1, a2, "--", TWOFAULT, "3");
        fr_expect_exit(2);
        fr_expect_err(cases[i].says);
    }
    FR_RUN(FR_FAULTRUN, "--shrink-runs", "3", "--", TWOFAULT, "3");
    fr_expect_exit(2);
    fr_expect_err("need --shrink LOG");
    FR_RUN(FR_FAULTRUN, "-j", "2", "--", TWOFAULT, "3");
    fr_expect_exit(2);
    fr_expect_err("give --sweep or --shrink");
    FR_RUN(FR_FAULTRUN, "--help");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "--shrink LOG"));
    assert_non_null(strstr(fr_out, "--shrink-timeout SECONDS"));
    assert_non_null(strstr(fr_out, "--shrink-runs N"));
    assert_non_null(strstr(fr_out, "--shrink-out FILE"));
}

/* faultinject.md, Backends: shrink works through either backend. The
 * same two-fault bug in a static build (glibc, musl): recorded, shrunk
 * and replayed under the trace backend, to the same pair. */
static void SHRINK_under_trace_finds_the_pair_in_a_static_build(void **state)
{
    (void)state;
    static const char *const progs[] = { FI_BUILD_DIR "/tests/fi/fr_twofault_static",
                                         FI_BUILD_DIR "/tests/fi/fr_twofault_musl" };
    static char text[65536], lines[65536];
    for (int i = 0; i < 2; i++) {
        char log[PATH_MAX], out[PATH_MAX];
        fr_path(log, "trace.log");
        fr_path(out, "trace.min");
        FR_RUN(FR_FAULTRUN, "-q", "-s", "11", "-l", log, "-e", RULE_SHORT, "-e", RULE_EINTR,
               "--", progs[i], "300");
        fr_expect_exit(1);
        assert_true(fiu_slurp(log, text, sizeof text) > 0);
        if (fault_lines(text, lines, sizeof lines) < 100)
            fail_msg("%s: want at least 100 faults logged under trace: %s", progs[i], text);
        FR_RUN(FR_FAULTRUN, "--backend=trace", "--shrink", log, "--shrink-out", out, "--",
               progs[i], "300");
        fr_expect_exit(0);
        fr_expect_err("faultrun: shrink: backend trace: statically linked\n");
        fr_expect_err(" --backend=trace --replay ");
        expect_the_pair(out, "300");
        FR_RUN(FR_FAULTRUN, "--backend=trace", "--replay", out, "--", progs[i], "300");
        fr_expect_exit(1);
        fr_expect_err("fr_twofault: trailer interrupted after a short header");
        fr_expect_err("faultrun: replay: 2 of 2 recorded faults found their point");
    }
}

/* faultinject.md, Backends: one engine. The same rules and seed give the
 * same faults at the same calls under either backend (fr_twofault's
 * read(2) calls are the same in its static and dynamic builds), and a log
 * the trace backend wrote replays under the shim, every fault found. */
static void ENGINE_same_faults_under_both_backends_and_trace_log_replays_under_shim(void **state)
{
    (void)state;
    char tlog[PATH_MAX], plog[PATH_MAX];
    static char ttext[65536], ptext[65536], tl[65536], pl[65536];
    fr_path(tlog, "both-trace.log");
    fr_path(plog, "both-shim.log");
    FR_RUN(FR_FAULTRUN, "-q", "-s", "11", "-l", tlog, "-e", RULE_SHORT, "-e", RULE_EINTR, "--",
           FI_BUILD_DIR "/tests/fi/fr_twofault_static", "300");
    fr_expect_exit(1);
    FR_RUN(FR_FAULTRUN, "-q", "-s", "11", "-l", plog, "-e", RULE_SHORT, "-e", RULE_EINTR, "--",
           TWOFAULT, "300");
    fr_expect_exit(1);
    assert_true(fiu_slurp(tlog, ttext, sizeof ttext) > 0);
    assert_true(fiu_slurp(plog, ptext, sizeof ptext) > 0);
    /* call, fd, fault, n= and rule= of each line, then c= (the shim's
     * lines go on with their replay point) */
    size_t nt = 0, np = 0;
    for (char *l = strtok(ttext, "\n"); l; l = strtok(NULL, "\n")) {
        const char *f = strchr(strchr(l, ' ') + 1, ' ') + 1, *c = strstr(l, " c=");
        nt += (size_t)snprintf(tl + nt, sizeof tl - nt, "%.*s%.*s\n", (int)(strstr(f, " t=") - f),
                               f, (int)strcspn(c, "p") - 1, c);
    }
    for (char *l = strtok(ptext, "\n"); l; l = strtok(NULL, "\n")) {
        const char *f = strchr(strchr(l, ' ') + 1, ' ') + 1, *c = strstr(l, " c=");
        np += (size_t)snprintf(pl + np, sizeof pl - np, "%.*s%.*s\n", (int)(strstr(f, " t=") - f),
                               f, (int)strcspn(c, "p") - 1, c);
    }
    assert_true(fr_count(tl, "\n") >= 100);
    assert_string_equal(tl, pl);
    FR_RUN(FR_FAULTRUN, "--backend=preload", "--replay", tlog, "--", TWOFAULT, "300");
    fr_expect_exit(1);
    char want[128];
    snprintf(want, sizeof want, "faultrun: replay: %d of %d recorded faults found their point",
             fr_count(tl, "\n"), fr_count(tl, "\n"));
    fr_expect_err(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(SHRINK_replay_of_half_the_log_is_faithful),
        cmocka_unit_test(SHRINK_two_fault_bug_to_exactly_its_two_faults),
        cmocka_unit_test(SHRINK_jobs_4_finds_what_jobs_1_finds),
        cmocka_unit_test(SHRINK_flaky_program_with_shrink_runs_3),
        cmocka_unit_test(SHRINK_hanging_candidate_killed_with_its_group),
        cmocka_unit_test(SHRINK_whole_log_that_passes_exits_3),
        cmocka_unit_test(SHRINK_bad_input_exits_2_naming_it),
        cmocka_unit_test(SHRINK_under_trace_finds_the_pair_in_a_static_build),
        cmocka_unit_test(ENGINE_same_faults_under_both_backends_and_trace_log_replays_under_shim),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

/* test_replay.c: faultrun --replay LOG (faultinject.md, Replay): exactly
 * the recorded faults, at their points, a deleted line not injected, and
 * a bad log refused before anything runs (REPLAY_*). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"

/* The point and fault of every line of TEXT, one per line, into OUT
 * ("call fd fault o=O q=Q off=B proc=P x=E" for a line with a replay
 * point, else "call fd fault c=C proc=P x=E"); how many. With ANCHOR 0,
 * off= is left out (a data fault that fires past its offset). */
static int points_of_at(const char *text, char *out, size_t len, int anchor);
static int points_of(const char *text, char *out, size_t len)
{
    return points_of_at(text, out, len, 1);
}

static long field(const char *line, const char *key, long none)
{
    const char *f = strstr(line, key);
    return f != NULL ? strtol(f + strlen(key), NULL, 10) : none;
}

static int points_of_at(const char *text, char *out, size_t len, int anchor)
{
    static char copy[1 << 20];
    snprintf(copy, sizeof copy, "%s", text);
    size_t have = 0;
    int n = 0;
    out[0] = '\0';
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        char call[32], fault[64], proc[48];
        int fd;
        char *pr = strstr(line, " proc=");
        assert_non_null(pr);
        assert_int_equal(sscanf(line, "%*d %*d %31s %d %63s", call, &fd, fault), 3);
        assert_int_equal(sscanf(pr, " proc=%47s", proc), 1);
        if (strstr(line, " o=") != NULL)
            have += (size_t)snprintf(out + have, len - have,
                                     "%s %d %s o=%ld q=%ld off=%ld proc=%s x=%ld\n", call, fd,
                                     fault, field(line, " o=", -1),
                                     anchor ? field(line, " q=", -1) : 0,
                                     anchor ? field(line, " off=", -1) : 0, proc,
                                     field(line, " x=", 0));
        else
            have += (size_t)snprintf(out + have, len - have, "%s %d %s c=%ld proc=%s x=%ld\n",
                                     call, fd, fault, field(line, " c=", -1), proc,
                                     field(line, " x=", 0));
        n++;
    }
    return n;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void REPLAY_every_other_line_deleted_injects_exactly_the_kept(void **state)
{
    (void)state;
    char full[PATH_MAX], kept[PATH_MAX], again[PATH_MAX], msg[128];
    static char text[65536], keep[65536], got[65536], want_pts[65536], got_pts[65536];
    fr_path(full, "full.log");
    fr_path(kept, "kept.log");
    fr_path(again, "again.log");
    /* 120 one-byte writes, errors not retried: the same calls whatever
     * is injected, so every kept point is reached again. */
    FR_RUN(FR_FAULTRUN, "-s", "4", "-l", full, "-e", "write:eintr:p=0.2", "--", FR_PROG,
           "writes", "120");
    fr_expect_exit(0);
    assert_true(fiu_slurp(full, text, sizeof text) > 0);
    /* Keep lines 1, 3, 5, ... */
    size_t have = 0;
    int n = 0, kept_n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), n++)
        if (n % 2 == 0) {
            have += (size_t)snprintf(keep + have, sizeof keep - have, "%s\n", line);
            kept_n++;
        }
    assert_true(n >= 10);
    write_file(kept, keep);
    FR_RUN(FR_FAULTRUN, "--replay", kept, "-l", again, "--", FR_PROG, "writes", "120");
    fr_expect_exit(0);
    assert_true(fiu_slurp(again, got, sizeof got) > 0);
    assert_int_equal(points_of(keep, want_pts, sizeof want_pts), kept_n);
    assert_int_equal(points_of(got, got_pts, sizeof got_pts), kept_n);
    assert_string_equal(got_pts, want_pts);
    snprintf(msg, sizeof msg, "faultrun: replay: %d of %d recorded faults found their point",
             kept_n, kept_n);
    fr_expect_err(msg);
}

static void REPLAY_points_in_forked_children(void **state)
{
    (void)state;
    char full[PATH_MAX], again[PATH_MAX];
    static char a[65536], b[65536], pa[65536], pb[65536];
    fr_path(full, "forks.log");
    fr_path(again, "forks-again.log");
    FR_RUN(FR_FAULTRUN, "-s", "2", "-l", full, "-e", "read:eintr:p=0.3", "--", FR_PROG2,
           "forks", "4");
    fr_expect_exit(0);
    /* The same log replayed into a different seed's world: same points. */
    FR_RUN(FR_FAULTRUN, "--replay", full, "-l", again, "--", FR_PROG2, "forks", "4");
    fr_expect_exit(0);
    assert_true(fiu_slurp(full, a, sizeof a) > 0);
    assert_true(fiu_slurp(again, b, sizeof b) > 0);
    int n = points_of(a, pa, sizeof pa);
    assert_true(n >= 8);
    assert_int_equal(points_of(b, pb, sizeof pb), n);
    assert_string_equal(pa, pb);
    assert_non_null(strstr(pa, " proc=0.4 x=0\n"));
}

/* A point is one call: descriptor numbers reused round after round, and
 * the same program again after an exec (its call numbers start anew), must
 * not make a recorded fault land on an earlier round or image. The program
 * prints which reads were interrupted; the replay must print the same. */
static void REPLAY_a_point_is_one_call_across_reuse_and_exec(void **state)
{
    (void)state;
    char full[PATH_MAX], second[PATH_MAX], msg[128];
    static char text[65536], keep[65536], first[sizeof fr_out];
    fr_path(full, "reuse.log");
    fr_path(second, "reuse-x1.log");
    FR_RUN(FR_FAULTRUN, "-s", "7", "-l", full, "-e", "read:eintr:p=0.15", "--", FR_PROG2,
           "reuse", "6", "exec");
    fr_expect_exit(0);
    memcpy(first, fr_out, sizeof first);
    char *nl = strchr(first, '\n');          /* one line per image */
    assert_non_null(nl);
    assert_non_null(memchr(first, 'x', (size_t)(nl - first)));
    assert_true(fiu_slurp(full, text, sizeof text) > 0);
    assert_non_null(strstr(text, " proc=0 o="));          /* the first image */
    assert_non_null(strstr(text, " proc=0 x=1 o="));      /* the exec'd one */
    /* The whole log: the same interrupted reads, round for round. */
    FR_RUN(FR_FAULTRUN, "--replay", full, "--", FR_PROG2, "reuse", "6", "exec");
    fr_expect_exit(0);
    assert_string_equal(fr_out, first);
    int n = fr_count(text, "\n");
    snprintf(msg, sizeof msg, "faultrun: replay: %d of %d recorded faults found their point", n,
             n);
    fr_expect_err(msg);
    /* Only the exec'd image's lines: the first image reads undisturbed. */
    size_t have = 0;
    int kept = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, " x=1") != NULL) {
            have += (size_t)snprintf(keep + have, sizeof keep - have, "%s\n", line);
            kept++;
        }
    write_file(second, keep);
    FR_RUN(FR_FAULTRUN, "--replay", second, "--", FR_PROG2, "reuse", "6", "exec");
    fr_expect_exit(0);
    nl = strchr(fr_out, '\n');
    assert_non_null(nl);
    assert_null(memchr(fr_out, 'x', (size_t)(nl - fr_out)));
    assert_string_equal(nl + 1, strchr(first, '\n') + 1);
    snprintf(msg, sizeof msg, "faultrun: replay: %d of %d recorded faults found their point",
             kept, kept);
    fr_expect_err(msg);
}

/* Children started without fork handlers (posix_spawn, as system() and
 * many runtimes do) take their numbers from their parent when they load. */
static void REPLAY_spawned_children_numbered_in_order(void **state)
{
    (void)state;
    char log[PATH_MAX], text[65536];
    fr_path(log, "spawn.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:eintr:when=1", "--", FR_PROG2, "spawn", "3");
    fr_expect_exit(0);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_int_equal(fr_count(text, "\n"), 3);
    assert_int_equal(fr_count(text, " proc=0.1 o="), 1);
    assert_int_equal(fr_count(text, " proc=0.2 o="), 1);
    assert_int_equal(fr_count(text, " proc=0.3 o="), 1);
}

static const char good[] =
    "4242 4242 read 5 short=100 n=1 rule=1 t=5821.000123456 asked=512 ret=100 c=1 proc=0\n";

static const struct { const char *line, *says; } bad_lines[] = {
    { "hello world", "pid 'hello'" },
    { "4242 4242 reed 5 eintr n=1 rule=1 t=1.000000000 c=1 proc=0", "call 'reed'" },
    { "4242 4242 read x eintr n=1 rule=1 t=1.000000000 c=1 proc=0", "fd 'x'" },
    { "4242 4242 read 5 shrt n=1 rule=1 t=1.000000000 c=1 proc=0", "fault 'shrt'" },
    { "4242 4242 accept 5 short=3 n=1 rule=1 t=1.000000000 c=1 proc=0", "fault 'short=3'" },
    { "4242 4242 read 5 eintr n=0 rule=1 t=1.000000000 c=1 proc=0", "n= '0'" },
    { "4242 4242 read 5 eintr n=1 rule=17 t=1.000000000 c=1 proc=0", "rule= '17'" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.5 c=1 proc=0", "t= '1.5'" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 c=0 proc=0", "c= '0'" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 c=1 proc=1.2", "proc= '1.2'" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 c=1 proc=0.01", "proc= '0.01'" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 proc=0", "field 'c=': missing" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 c=1", "field 'proc=': missing" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 asked=3 c=1 proc=0", "field 'ret=': missing" },
    { "4242 4242 read 5 eintr n=1 n=2 rule=1 t=1.000000000 c=1 proc=0", "field 'n': given twice" },
    { "99999999 1 read 5 eintr n=1 rule=1 t=1.000000000 c=1 proc=0", "pid '99999999'" },
    { "1 1 read 5 eintr n=99999999999999999999 rule=1 t=1.000000000 c=1 proc=0",
      "n= '99999999999999999999'" },
};

static void REPLAY_bad_log_exits_2_naming_the_line(void **state)
{
    (void)state;
    char log[PATH_MAX], mark[PATH_MAX], text[1024], says[256];
    fr_path(log, "bad.log");
    fr_path(mark, "started");
    for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
        snprintf(text, sizeof text, "%s\n# a comment\n%s\n", good, bad_lines[i].line);
        write_file(log, text);
        FR_RUN(FR_FAULTRUN, "--replay", log, "--", FR_PROG, "touch", mark);
        fr_expect_exit(2);
        snprintf(says, sizeof says, "line 4: %s", bad_lines[i].says);
        fr_expect_err(says);
        assert_false(fr_exists(mark));
        /* Under bare LD_PRELOAD: the same, at load. */
        char env1[PATH_MAX + 32];
        snprintf(env1, sizeof env1, "FAULTINJECT_REPLAY=%s", log);
        char *env[] = { "LD_PRELOAD=" FR_SHIM, env1, NULL };
        FR_RUN_ENV(env, FR_PROG, "touch", mark);
        fr_expect_exit(2);
        fr_expect_err(says);
        assert_false(fr_exists(mark));
    }
    FR_RUN(FR_FAULTRUN, "--replay", "/nonexistent/log", "--", FR_PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("--replay '/nonexistent/log'");
    write_file(log, good);
    FR_RUN(FR_FAULTRUN, "--replay", log, "-e", "rd:eintr", "--", FR_PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("drop the -e rules");
    FR_RUN(FR_FAULTRUN, "--replay", log, "--sweep", "--", FR_PROG, "touch", mark);
    fr_expect_exit(2);
    assert_false(fr_exists(mark));
    /* A good log with its comments and blank lines runs. */
    snprintf(text, sizeof text, "# shrunk by hand\n\n%s", good);
    write_file(log, text);
    FR_RUN(FR_FAULTRUN, "--replay", log, "--", FR_PROG, "touch", mark);
    fr_expect_exit(0);
    fr_expect_err("replay: 0 of 1 recorded faults found their point");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(REPLAY_every_other_line_deleted_injects_exactly_the_kept),
        cmocka_unit_test(REPLAY_points_in_forked_children),
        cmocka_unit_test(REPLAY_a_point_is_one_call_across_reuse_and_exec),
        cmocka_unit_test(REPLAY_spawned_children_numbered_in_order),
        cmocka_unit_test(REPLAY_bad_log_exits_2_naming_the_line),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

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

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of BUF in sorted order (processes interleave in a log as they
 * run: the points, not their order across streams, are what is compared). */
static void sort_lines(char *buf, size_t len)
{
    static char copy[1 << 20];
    static char *lines[8192];
    int n = 0;
    snprintf(copy, sizeof copy, "%s", buf);
    for (char *line = strtok(copy, "\n"); line && n < 8192; line = strtok(NULL, "\n"))
        lines[n++] = line;
    qsort(lines, (size_t)n, sizeof lines[0], by_text);
    size_t have = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++)
        have += (size_t)snprintf(buf + have, len - have, "%s\n", lines[i]);
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

/* Lines of TEXT kept by HOW: 0 every other (1st, 3rd ...), 1 the first
 * half, 2 a random half (a fixed seed). Into OUT; how many. */
static int keep_half(const char *text, int how, char *out, size_t len)
{
    static char copy[1 << 20];
    static char *lines[8192];
    static int pick[8192];
    snprintf(copy, sizeof copy, "%s", text);
    int n = 0;
    for (char *line = strtok(copy, "\n"); line && n < 8192; line = strtok(NULL, "\n"))
        lines[n++] = line;
    for (int i = 0; i < n; i++)
        pick[i] = how == 0 ? i % 2 == 0 : how == 1 ? i < n / 2 : 0;
    if (how == 2) {
        uint64_t x = 18;                /* the seed */
        for (int chosen = 0; chosen < n / 2;) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            int i = (int)((x >> 33) % (uint64_t)n);
            if (!pick[i]) {
                pick[i] = 1;
                chosen++;
            }
        }
    }
    size_t have = 0;
    int kept = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        if (pick[i]) {
            have += (size_t)snprintf(out + have, len - have, "%s\n", lines[i]);
            kept++;
        }
    return kept;
}

/* One scenario of deletion stability: COMMAND (up to 4 words) under RULE
 * logs at least MIN faults; each half of the log replayed finds every kept
 * fault ("K of K"), and the replay's own log lists exactly the kept faults
 * at their points (EXACT: the same o=, q=, off=; else the same descriptor,
 * call and fault in the same order: a short removed before a data fault
 * lets it fire past its offset). */
static void deletion_case(const char *rule, int exact, int min, const char *a0, const char *a1,
                          const char *a2, const char *a3)
{
    char full[PATH_MAX], kept[PATH_MAX], again[PATH_MAX], msg[160];
    static char text[1 << 20], keep[1 << 20], got[1 << 20], want_pts[1 << 20],
        got_pts[1 << 20];
    fr_path(full, "half-full.log");
    FR_RUN(FR_FAULTRUN, "-s", "18", "-l", full, "-e", rule, "--", a0, a1, a2, a3);
    fr_expect_exit(0);
    assert_true(fiu_slurp(full, text, sizeof text) > 0);
    int n = fr_count(text, "\n");
    if (n < min)
        fail_msg("%s: %d faults logged, want %d or more", rule, n, min);
    for (int how = 0; how < 3; how++) {
        fr_path(kept, "half-kept.log");
        fr_path(again, "half-again.log");
        int k = keep_half(text, how, keep, sizeof keep);
        write_file(kept, keep);
        FR_RUN(FR_FAULTRUN, "--replay", kept, "-l", again, "--", a0, a1, a2, a3);
        fr_expect_exit(0);
        snprintf(msg, sizeof msg, "faultrun: replay: %d of %d recorded faults found their point",
                 k, k);
        if (strstr(fr_err, msg) == NULL)
            fail_msg("%s, half %d: want '%s', got: %s", rule, how, msg, fr_err);
        got[0] = '\0';
        assert_true(fiu_slurp(again, got, sizeof got) >= 0);
        assert_int_equal(points_of_at(keep, want_pts, sizeof want_pts, exact), k);
        assert_int_equal(points_of_at(got, got_pts, sizeof got_pts, exact), k);
        sort_lines(want_pts, sizeof want_pts);
        sort_lines(got_pts, sizeof got_pts);
        if (strcmp(got_pts, want_pts) != 0)
            fail_msg("%s, half %d: replayed points differ:\n%s\nkept:\n%s", rule, how, got_pts,
                     want_pts);
    }
}

static void REPLAY_halves_on_a_pipeline(void **state)
{
    (void)state;
    char f[PATH_MAX], cmd[3 * PATH_MAX];
    static char data[1 << 20];
    fr_path(f, "pipe-in");
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)('a' + (i * 7 + i / 91) % 26);
    FILE *out = fopen(f, "w");
    assert_non_null(out);
    for (int i = 0; i < 8; i++)       /* 8 MiB: the faults' region ends well before it */
        assert_int_equal(fwrite(data, 1, sizeof data, out), sizeof data);
    assert_int_equal(fclose(out), 0);
    snprintf(cmd, sizeof cmd, "cat %s | cat > %s.out", f, f);
    deletion_case("read:short=100:fd=any:p=0.6:when=1..30", 0, 10, "/bin/sh", "-c", cmd, NULL);
    deletion_case("read:delay=1:fd=any:p=0.5:when=1..30", 0, 6, "/bin/sh", "-c", cmd, NULL);
}

static void REPLAY_halves_in_forked_children(void **state)
{
    (void)state;
    deletion_case("read:eintr:p=0.3", 1, 20, FR_PROG2, "forks", "4", NULL);
    deletion_case("read:short=1:p=0.4", 1, 20, FR_PROG2, "forks", "4", NULL);
    deletion_case("read:delay=1:p=0.2", 1, 10, FR_PROG2, "forks", "4", NULL);
}

static void REPLAY_halves_on_a_socket_server(void **state)
{
    (void)state;
    deletion_case("read:eagain:p=0.5", 1, 10, FR_PROG2, "echo", "40", NULL);
    deletion_case("read:eintr:p=0.3", 1, 6, FR_PROG2, "echo", "40", NULL);
    deletion_case("read:short=7:p=0.5:when=1..40", 0, 20, FR_PROG2, "echo", "40", NULL);
    /* (faults kept off the last calls, whose count at the final offset
     * depends on timing: a point there may never be reached again) */
    deletion_case("read:delay=1:p=0.3:when=1..40", 0, 8, FR_PROG2, "echo", "40", NULL);
}

/* A log from before replay points (no o=, q=, off=): replayed by c=, as
 * it always was: the same calls by number. */
static void REPLAY_an_older_log_replays_by_call_number(void **state)
{
    (void)state;
    char full[PATH_MAX], old[PATH_MAX], again[PATH_MAX], msg[128];
    static char text[65536], stripped[65536], got[65536];
    fr_path(full, "old-full.log");
    fr_path(old, "old.log");
    fr_path(again, "old-again.log");
    FR_RUN(FR_FAULTRUN, "-s", "5", "-l", full, "-e", "read:eintr:p=0.3", "--", FR_PROG2,
           "forks", "3");
    fr_expect_exit(0);
    assert_true(fiu_slurp(full, text, sizeof text) > 0);
    size_t have = 0;
    int n = 0;
    char want[65536] = "", seen[65536] = "";
    size_t wl = 0, sl = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), n++) {
        char *o = strstr(line, " o=");
        assert_non_null(o);
        have += (size_t)snprintf(stripped + have, sizeof stripped - have, "%.*s\n",
                                 (int)(o - line), line);
        *o = '\0';
        wl += (size_t)snprintf(want + wl, sizeof want - wl, "c=%ld %s\n", field(line, " c=", -1),
                               strstr(line, " proc="));
    }
    assert_true(n >= 5);
    write_file(old, stripped);
    FR_RUN(FR_FAULTRUN, "--replay", old, "-l", again, "--", FR_PROG2, "forks", "3");
    fr_expect_exit(0);
    snprintf(msg, sizeof msg, "faultrun: replay: %d of %d recorded faults found their point", n,
             n);
    fr_expect_err(msg);
    assert_true(fiu_slurp(again, got, sizeof got) > 0);
    for (char *line = strtok(got, "\n"); line; line = strtok(NULL, "\n")) {
        char *o = strstr(line, " o=");
        assert_non_null(o);
        *o = '\0';
        sl += (size_t)snprintf(seen + sl, sizeof seen - sl, "c=%ld %s\n", field(line, " c=", -1),
                               strstr(line, " proc="));
    }
    assert_string_equal(seen, want);
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
    { "4242 4242 accept 5 eintr n=1 rule=1 t=1.000000000 c=1 proc=0 o=2",
      "field 'q=': missing (o= and q= come together)" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 asked=5 ret=-1 c=1 proc=0 o=2 q=1",
      "field 'off=': missing" },
    { "4242 4242 accept 5 eintr n=1 rule=1 t=1.000000000 c=1 proc=0 o=2 q=1 off=0",
      "field 'off=': only on a data call's line" },
    { "4242 4242 poll -1 eintr n=1 rule=1 t=1.000000000 c=1 proc=0 o=1 q=1",
      "field 'o=': not on a wait" },
    { "4242 4242 read 5 eintr n=1 rule=1 t=1.000000000 asked=5 ret=-1 c=1 proc=0 o=2 q=0 off=0",
      "q= '0'" },
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

/* faultinject.md, Backends and Replay, under the trace backend: a log the
 * trace backend wrote replays there, each fault at its process, call
 * number and descriptor (a fork's child by its path: the same lines, the
 * same output); a log with the shim's points (o=, q=, off=) is refused
 * with the reason, exit 2, nothing run. (A subset replays by call number:
 * test_shrink's SHRINK_under_trace.) */
static void TRACE_replay_injects_the_recorded_faults_again(void **state)
{
    (void)state;
    static const char *const progs[] = { FI_BUILD_DIR "/tests/fi/fr_tstatic",
                                         FI_BUILD_DIR "/tests/fi/fr_tstatic_musl" };
    static char text[65536], again[65536], out1[65536];
    for (int i = 0; i < 2; i++) {
        char log[PATH_MAX], log2[PATH_MAX];
        fr_path(log, "tr.log");
        fr_path(log2, "tr2.log");
        FR_RUN(FR_FAULTRUN, "-s", "5", "-l", log, "-e", "read:short=1:p=0.4:fd=sock", "--",
               progs[i], "roundtrip", "40");
        fr_expect_exit(0);
        snprintf(out1, sizeof out1, "%s", fr_out);
        fiu_slurp(log, text, sizeof text);
        int lines = fr_count(text, "\n");
        assert_true(lines >= 5);
        assert_int_equal(fr_count(text, " o="), 0);
        FR_RUN(FR_FAULTRUN, "--replay", log, "-l", log2, "--", progs[i], "roundtrip", "40");
        fr_expect_exit(0);
        assert_string_equal(fr_out, out1);          /* the same reads, each as short */
        char want[128];
        snprintf(want, sizeof want, "faultrun: replay: %d of %d recorded faults found their "
                 "point", lines, lines);
        fr_expect_err(want);
        fiu_slurp(log2, again, sizeof again);
        assert_int_equal(fr_count(again, "\n"), lines);
    }
    /* a forked child's fault by its path */
    char log[PATH_MAX], log2[PATH_MAX];
    fr_path(log, "fork.log");
    fr_path(log2, "fork2.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1:fd=sock", "--", progs[0], "fork");
    fr_expect_exit(0);
    fiu_slurp(log, text, sizeof text);
    assert_int_equal(fr_count(text, " proc=0.1"), 1);
    FR_RUN(FR_FAULTRUN, "--replay", log, "-l", log2, "--", progs[0], "fork");
    fr_expect_exit(0);
    fr_expect_err("faultrun: replay: 2 of 2 recorded faults found their point");
    fiu_slurp(log2, again, sizeof again);
    assert_int_equal(fr_count(again, " proc=0.1"), 1);
    assert_int_equal(fr_count(again, " proc=0\n"), 1);
    /* the shim's log under trace: refused, naming the line */
    FR_RUN(FR_FAULTRUN, "-l", log2, "-e", "read:short=1:when=1:fd=sock", "--",
           FI_BUILD_DIR "/tests/fi/fr_trestart_dyn", "restart");
    fr_expect_exit(0);
    FR_RUN(FR_FAULTRUN, "--backend=trace", "--replay", log2, "--", progs[0], "roundtrip", "2");
    fr_expect_exit(2);
    fr_expect_err("has a point (o=, q=, off=: written by the preload backend)");
    assert_int_equal(fr_count(fr_out, "ok "), 0);       /* nothing ran */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(REPLAY_every_other_line_deleted_injects_exactly_the_kept),
        cmocka_unit_test(REPLAY_points_in_forked_children),
        cmocka_unit_test(REPLAY_a_point_is_one_call_across_reuse_and_exec),
        cmocka_unit_test(REPLAY_spawned_children_numbered_in_order),
        cmocka_unit_test(REPLAY_bad_log_exits_2_naming_the_line),
        cmocka_unit_test(TRACE_replay_injects_the_recorded_faults_again),
        cmocka_unit_test(REPLAY_halves_on_a_pipeline),
        cmocka_unit_test(REPLAY_halves_in_forked_children),
        cmocka_unit_test(REPLAY_halves_on_a_socket_server),
        cmocka_unit_test(REPLAY_an_older_log_replays_by_call_number),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

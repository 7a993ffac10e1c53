/* test_sweep.c: faultrun --sweep as users see it (faultinject.md, Sweep):
 * one run per injection point, exit 0/1/3, a reproduce line per failing
 * point, the per-point rule composed from the parsed rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"

#define FAULTRUN FR_FAULTRUN
#define PROG     FR_PROG

/* ---- sweep ------------------------------------------------------------------ */

static void SWEEP_visits_every_injection_point(void **state)
{
    (void)state;
    char log[PATH_MAX], text[65536], line[64];
    fr_path(log, "sweep.log");
    FR_RUN(FAULTRUN, "--sweep", "-l", log, "-e", "rd:eintr", "--", PROG, "solo", "1500");
    fr_expect_exit(0);
    int runs = fr_count(fr_err, "faultrun: sweep point ");
    assert_true(runs >= 4);
    fr_expect_err("(rule did not fire");
    assert_int_equal(fr_count(fr_err, ": exit 0"), runs);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_int_equal(fr_count(text, "\n"), runs - 1);   /* one injection per point */
    for (int i = 1; i < runs; i++) {
        snprintf(line, sizeof line, "sweep point %d: exit 0\n", i);
        fr_expect_err(line);
        snprintf(line, sizeof line, " eintr n=%d rule=1 t=", i);
        if (strstr(text, line) == NULL)
            fail_msg("no injection at point %d in %s", i, text);
    }
}

static void SWEEP_reports_the_failing_point(void **state)
{
    (void)state;
    FR_RUN(FAULTRUN, "--sweep", "-e", "read:short=5", "--", PROG, "oneread");
    assert_true(WIFEXITED(fr_status) && WEXITSTATUS(fr_status) != 0);
    fr_expect_err("faultrun: sweep point 1: exit 1\n");
    fr_expect_err("faultrun: sweep point 2: exit 0 (rule did not fire");
    FR_RUN(FAULTRUN, "--sweep", "-e", "wr:reset", "--", PROG, "writes", "3");
    assert_true(WIFEXITED(fr_status) && WEXITSTATUS(fr_status) != 0);
    fr_expect_err("faultrun: sweep point 1: killed by SIGPIPE");
    fr_expect_err("faultrun: sweep point 4: exit 0 (rule did not fire");
}

static void SWEEP_stops_at_sweep_max(void **state)
{
    (void)state;
    FR_RUN(FAULTRUN, "--sweep", "--sweep-max", "2", "-e", "rd:eintr", "--", PROG, "solo", "1500");
    fr_expect_exit(0);
    assert_int_equal(fr_count(fr_err, "faultrun: sweep point "), 2);
    fr_expect_err("--sweep-max 2");
}

static void SWEEP_needs_one_rule_without_when(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    fr_path(mark, "started");
    FR_RUN(FAULTRUN, "--sweep", "-e", "rd:eintr", "-e", "wr:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("exactly one rule");
    FR_RUN(FAULTRUN, "--sweep", "-e", "rd:eintr;wr:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "--sweep", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "--sweep", "-e", "rd:eintr:when=3", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("when=");
    FR_RUN(FAULTRUN, "--sweep", "-e", "rd:eintr:p=0.5", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("p=");
    assert_false(fr_exists(mark));
}


static void SWEEP_exit_3_when_the_rule_never_fired(void **state)
{
    (void)state;
    /* Raw system calls: the rule matches nothing, so nothing was tested. */
    FR_RUN(FAULTRUN, "--sweep", "-e", "read:eintr:fd=any", "--", FR_PROG2, "raw");
    fr_expect_exit(3);
    fr_expect_err("faultrun: sweep point 1: exit 0 (rule did not fire");
    fr_expect_err("rule 'read:eintr:fd=any' never fired: the sweep tested nothing");
    fr_expect_err("raw system calls");
    fr_expect_no_err("every point covered\nfaultrun: sweep: ");
    /* Calls matched but it could not fire there: the reasons, not the
     * causes of a rule that matched nothing. */
    FR_RUN(FAULTRUN, "--sweep", "-e", "read:eagain", "--", PROG, "solo", "1024");
    fr_expect_exit(3);
    fr_expect_err("rule 'read:eagain' never fired: the sweep tested nothing; ");
    fr_expect_err("calls matched, but at point 1 it could not fire (1: blocking descriptor)");
    fr_expect_no_err("raw system calls");
    /* Even when COMMAND fails without the fault. */
    FR_RUN(FAULTRUN, "--sweep", "-e", "accept:eintr", "--", PROG, "exit", "1");
    fr_expect_exit(3);
    fr_expect_err("never fired");
}

/* The line after "reproduce point K: " in fr_err, into BUF. */
static void reproduce_line(int point, char *buf, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "faultrun: reproduce point %d: ", point);
    const char *p = strstr(fr_err, key);
    if (p == NULL)
        fail_msg("no reproduce line for point %d: %s", point, fr_err);
    p += strlen(key);
    snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
}

static void SWEEP_reproduce_line_per_failing_point(void **state)
{
    (void)state;
    char line[4096], want[4096];
    /* writes 3: a reset at write 1 or 2 makes the next write raise
     * SIGPIPE; at write 3 nothing follows, so point 3 passes. */
    FR_RUN(FAULTRUN, "--sweep", "--only", "fi_prog", "-e", "wr:reset", "--", PROG, "writes",
           "3");
    fr_expect_exit(1);
    for (int k = 1; k <= 2; k++) {
        reproduce_line(k, line, sizeof line);
        snprintf(want, sizeof want, FAULTRUN " --only fi_prog -e 'wr:reset:when=%d' -- "
                 PROG " writes 3", k);
        assert_string_equal(line, want);
    }
    fr_expect_err("faultrun: sweep point 3: exit 0\n");
    fr_expect_no_err("reproduce point 3:");            /* passed */
    fr_expect_no_err("reproduce point 4:");            /* did not fire: not a point */
    /* The line, given to a shell, fails alone the same way. */
    reproduce_line(2, line, sizeof line);
    FR_RUN("sh", "-c", line);       /* a shell that forks reports 128 + SIGPIPE */
    if (!(WIFSIGNALED(fr_status) && WTERMSIG(fr_status) == SIGPIPE) &&
        !(WIFEXITED(fr_status) && WEXITSTATUS(fr_status) == 128 + SIGPIPE))
        fail_msg("'%s' ended with 0x%x, not SIGPIPE: %s", line, fr_status, fr_err);
    /* Words the shell would split are quoted. */
    char odd[PATH_MAX], cmd[PATH_MAX + sizeof PROG + 16];
    fr_path(odd, "it's here");
    snprintf(cmd, sizeof cmd, "cp %s \"%s\"", PROG, odd);
    assert_int_equal(system(cmd), 0);
    FR_RUN(FAULTRUN, "--sweep", "-e", "read:short=5", "--", odd, "oneread");
    fr_expect_exit(1);
    reproduce_line(1, line, sizeof line);
    FR_RUN("sh", "-c", line);
    fr_expect_exit(1);
    assert_non_null(strstr(line, "'\\''s here' oneread"));
}

static void SWEEP_rule_composed_from_its_parsed_form(void **state)
{
    (void)state;
    /* A trailing space (and spaces around the text) is fine for -e; the
     * per-point rule is written from the parsed rule, so every run gets a
     * valid one. */
    FR_RUN(FAULTRUN, "--sweep", "-e", " read:short=5 ", "--", PROG, "oneread");
    fr_expect_exit(1);
    fr_expect_err("faultrun: sweep point 1: exit 1\n");
    fr_expect_err("-e 'read:short=5:when=1' --");
    fr_expect_err("faultrun: sweep point 2: exit 0 (rule did not fire");
    fr_expect_no_err("faultinject: rule");
    FR_RUN(FAULTRUN, "--sweep", "-e", "rd:eintr:fd=any:per=fd", "--", PROG, "solo", "600");
    fr_expect_exit(0);
    fr_expect_no_err("faultinject: rule");
    assert_true(fr_count(fr_err, "faultrun: sweep point ") >= 3);
}

/* ---- -j N and --shard K/N ------------------------------------------------------ */

/* LOG's lines without what differs between runs (pid, tid, t=, and the
 * descriptor ordinal o=: the points that wait for each other under -j open
 * a FIFO first), into OUT. */
static void log_points(const char *log, char *out, size_t len)
{
    char text[65536];
    size_t n = 0;
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *rest = strchr(line, ' ');
        rest = rest != NULL ? strchr(rest + 1, ' ') : NULL;     /* past pid and tid */
        assert_non_null(rest);
        char *t = strstr(rest, " t=");
        int keep = t != NULL ? (int)(t - rest) : (int)strlen(rest);
        char after[512];
        snprintf(after, sizeof after, "%s", t != NULL ? t + strcspn(t + 1, " ") + 1 : "");
        char *o = strstr(after, " o=");
        if (o != NULL)
            memmove(o, o + 1 + strcspn(o + 1, " "), strlen(o + 1 + strcspn(o + 1, " ")) + 1);
        n += (size_t)snprintf(out + n, len - n, "%.*s%s\n", keep, rest, after);
        assert_true(n < len);
    }
}

static void SWEEP_jobs_print_what_one_at_a_time_prints(void **state)
{
    (void)state;
    char fifo[PATH_MAX], env[PATH_MAX + 32], log1[PATH_MAX], log2[PATH_MAX];
    static char out1[65536], err1[65536], pts1[65536], pts2[65536];
    fr_path(fifo, "order");
    fr_path(log1, "j1.log");
    fr_path(log2, "j2.log");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* picky 6 1: six points, point 1 fails (with a reproduce line). */
    FR_RUN(FAULTRUN, "--sweep", "-l", log1, "-e", "wr:error=EIO", "--", PROG, "picky", "6",
           "1");
    fr_expect_exit(1);
    int status1 = fr_status;
    memcpy(out1, fr_out, sizeof out1);
    memcpy(err1, fr_err, sizeof err1);
    assert_int_equal(fr_count(err1, "faultrun: sweep point "), 7);
    assert_int_equal(fr_count(err1, "faultrun: reproduce point 1: "), 1);
    /* -j 2, with point 2 made to end before point 1: the same lines, in
     * the same order, the same status, the same log. */
    snprintf(env, sizeof env, "FI_PROG_ORDER_FIFO=%s", fifo);
    char *const order[] = { env, NULL };
    FR_RUN_ENV(order, FAULTRUN, "--sweep", "-j", "2", "-l", log2, "-e", "wr:error=EIO", "--",
               PROG, "picky", "6", "1");
    assert_int_equal(fr_status, status1);
    assert_string_equal(fr_err, err1);
    assert_string_equal(fr_out, out1);
    log_points(log1, pts1, sizeof pts1);
    log_points(log2, pts2, sizeof pts2);
    assert_string_equal(pts2, pts1);
    assert_int_equal(fr_count(pts2, "\n"), 6);
    /* More jobs than points, and --jobs spelled out. */
    FR_RUN(FAULTRUN, "--sweep", "--jobs", "8", "-e", "wr:error=EIO", "--", PROG, "picky", "6",
           "1");
    assert_int_equal(fr_status, status1);
    assert_string_equal(fr_err, err1);
    /* Not a terminal: no live line. */
    assert_null(strchr(fr_err, '\r'));
}

static void SWEEP_jobs_kill_a_hanging_run_past_the_end(void **state)
{
    (void)state;
    char fifo[PATH_MAX], hold[PATH_MAX];
    fr_path(fifo, "meet");
    fr_path(hold, "hold");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(mkfifo(hold, 0600), 0);
    int h = open(hold, O_RDONLY | O_NONBLOCK);
    assert_true(h >= 0);
    /* Point 3 is the end (2 writes); it ends only once point 4, started
     * beside it, hangs with a child; the sweep must kill both and print
     * what -j 1 prints. */
    FR_RUN(FAULTRUN, "--sweep", "-j", "2", "-e", "wr:error=EIO", "--", PROG, "hangpast", "2",
           fifo, hold);
    fr_expect_exit(0);
    fr_expect_err("faultrun: sweep point 3: exit 0 (rule did not fire: every point covered)\n"
                  "faultrun: sweep: 3 runs, 0 failed\n");
    fr_expect_no_err("sweep point 4");
    /* Point 4's whole group is gone: HOLD's last writer closed. */
    struct pollfd p = { .fd = h, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 10000), 1);
    assert_true(p.revents & POLLHUP);
    close(h);
}

/* The lines of fr_err that a shard adds to the whole sweep's: the point
 * and reproduce lines, and what COMMAND printed on stderr. */
static int shard_lines(char lines[][256], int max)
{
    int n = 0;
    char copy[65536];
    snprintf(copy, sizeof copy, "%s", fr_err);
    for (char *l = strtok(copy, "\n"); l != NULL; l = strtok(NULL, "\n"))
        if (strncmp(l, "faultrun: sweep point ", 22) == 0 ||
            strncmp(l, "faultrun: reproduce point ", 26) == 0 || strncmp(l, "fi_prog: ", 9) == 0) {
            assert_true(n < max);
            snprintf(lines[n++], 256, "%s", l);
        }
    return n;
}

static void SWEEP_shards_split_the_whole_sweep(void **state)
{
    (void)state;
    static char whole[64][256], part[64][256];
    /* picky 6 3: points 1..6 fire (3 fails), point 7 ends the sweep. */
    FR_RUN(FAULTRUN, "--sweep", "-e", "wr:error=EIO", "--", PROG, "picky", "6", "3");
    fr_expect_exit(1);
    int nwhole = shard_lines(whole, 64);
    assert_int_equal(nwhole, 7 + 6 + 1);      /* 7 points, 6 fi_prog lines, 1 reproduce */
    int seen[64] = { 0 }, total = 0;
    static const char *const shards[] = { "0/3", "1/3", "2/3" };
    static const int want_exit[] = { 1, 0, 0 };     /* point 3 is shard 0's */
    for (int s = 0; s < 3; s++) {
        FR_RUN(FAULTRUN, "--sweep", "--shard", shards[s], "-j", s == 1 ? "2" : "1", "-e",
               "wr:error=EIO", "--", PROG, "picky", "6", "3");
        fr_expect_exit(want_exit[s]);
        int n = shard_lines(part, 64);
        total += n;
        for (int i = 0; i < n; i++) {
            int found = 0;
            for (int k = 0; k < nwhole; k++)
                if (strcmp(part[i], whole[k]) == 0) {
                    seen[k]++;
                    found = 1;
                }
            if (!found)
                fail_msg("shard %s: line '%s' is not the whole sweep's", shards[s], part[i]);
        }
    }
    assert_int_equal(total, nwhole);
    for (int k = 0; k < nwhole; k++)
        if (seen[k] != 1)
            fail_msg("'%s' in %d shards", whole[k], seen[k]);
    /* Shard 1/3 runs 1, 4, 7 and reports 7, the end. */
    FR_RUN(FAULTRUN, "--sweep", "--shard", "1/3", "-e", "wr:error=EIO", "--", PROG, "picky",
           "6", "3");
    fr_expect_err("faultrun: sweep point 1: exit 0\n");
    fr_expect_err("faultrun: sweep point 4: exit 0\n");
    fr_expect_err("faultrun: sweep point 7: exit 0 (rule did not fire");
    fr_expect_err("faultrun: sweep shard 1/3: 3 runs, 0 failed\n");
    /* Every point of shard 0/10 is past the end: nothing to report. */
    FR_RUN(FAULTRUN, "--sweep", "--shard", "0/10", "-e", "wr:error=EIO", "--", PROG, "picky",
           "6", "3");
    fr_expect_exit(0);
    fr_expect_no_err("sweep point");
    fr_expect_err("shard 0/10: 0 runs");
    /* A rule that never fires: every shard says so. */
    FR_RUN(FAULTRUN, "--sweep", "--shard", "2/3", "-e", "read:eintr:fd=any", "--", FR_PROG2,
           "raw");
    fr_expect_exit(3);
    fr_expect_err("never fired: the sweep tested nothing");
    fr_expect_no_err("sweep point");
}

static void SWEEP_bad_jobs_and_shard_exit_2_naming_the_value(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    fr_path(mark, "started");
    static const char *const bad[][3] = {
        { "--shard", "3/3", "'3/3'" }, { "--shard", "1/0", "'1/0'" },
        { "--shard", "x", "'x'" },     { "--shard", "1/", "'1/'" },
        { "--shard", "-1/3", "'-1/3'" }, { "-j", "0", "'0'" },
        { "-j", "abc", "'abc'" },      { "--jobs", "65", "'65'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FR_RUN(FAULTRUN, "--sweep", bad[i][0], bad[i][1], "-e", "rd:eintr", "--", PROG, "touch",
               mark);
        fr_expect_exit(2);
        fr_expect_err(bad[i][2]);
    }
    /* Without --sweep (-j will serve --shrink too: not yet). */
    FR_RUN(FAULTRUN, "-j", "2", "-e", "rd:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("-j/--jobs '2' is only meaningful with --sweep");
    FR_RUN(FAULTRUN, "--shard", "1/2", "-e", "rd:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("--shard '1/2' is only meaningful with --sweep");
    assert_false(fr_exists(mark));
}

/* The sweep's lines without the backend's own ("sweep: backend trace:
 * WHY") and with COMMAND's path made PROG, into OUT. */
static void sweep_lines(const char *err, const char *prog, char *out, size_t len)
{
    static char text[65536];
    size_t n = 0, plen = strlen(prog);
    snprintf(text, sizeof text, "%s", err);
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        if (strstr(line, "faultrun: sweep: backend trace: ") == line)
            continue;
        char *at = strstr(line, prog);
        if (at != NULL)
            n += (size_t)snprintf(out + n, len - n, "%.*sPROG%s\n", (int)(at - line), line,
                                  at + plen);
        else
            n += (size_t)snprintf(out + n, len - n, "%s\n", line);
        assert_true(n < len);
    }
}

/* faultinject.md, Backends: the same sweep through either backend. A
 * static build (glibc, musl: the trace backend) sweeps the points its
 * dynamic build sweeps under the shim, with the same lines, exits,
 * reproduce lines and logged faults, one at a time and -j 2. */
static void SWEEP_under_trace_sweeps_the_points_the_shim_sweeps(void **state)
{
    (void)state;
    static const char *const dyn = FI_BUILD_DIR "/tests/fi/fr_trestart_dyn";
    static const char *const stat[] = { FI_BUILD_DIR "/tests/fi/fr_trestart",
                                        FI_BUILD_DIR "/tests/fi/fr_trestart_musl" };
    static char want[65536], got[65536], pts_want[65536], pts_got[65536];
    char log[PATH_MAX];
    fr_path(log, "shim.log");
    FR_RUN(FAULTRUN, "--sweep", "-l", log, "-e", "read:error=EIO:fd=sock", "--", dyn,
           "norestart");
    fr_expect_exit(1);
    sweep_lines(fr_err, dyn, want, sizeof want);
    assert_int_equal(fr_count(want, "faultrun: sweep point "), 4);
    assert_int_equal(fr_count(want, "faultrun: reproduce point "), 3);
    log_points(log, pts_want, sizeof pts_want);
    assert_int_equal(fr_count(pts_want, " error=EIO "), 3);
    for (int i = 0; i < 2; i++)
        for (int jobs = 1; jobs <= 2; jobs++) {
            fr_path(log, "trace.log");
            FR_RUN(FAULTRUN, "--backend=trace", "--sweep", "-j", jobs == 1 ? "1" : "2", "-l",
                   log, "-e", "read:error=EIO:fd=sock", "--", stat[i], "norestart");
            fr_expect_exit(1);
            fr_expect_err("faultrun: sweep: backend trace: statically linked\n");
            sweep_lines(fr_err, stat[i], got, sizeof got);
            /* the reproduce lines name the backend asked for */
            char *b;
            while ((b = strstr(got, " --backend=trace")) != NULL)
                memmove(b, b + 16, strlen(b + 16) + 1);
            assert_string_equal(got, want);
            log_points(log, pts_got, sizeof pts_got);
            /* c= counts libc's own reads too under trace: compare up to it */
            for (char *c; (c = strstr(pts_got, " c=")) != NULL;)
                memmove(c, c + strcspn(c + 1, "\n") + 1, strlen(c + strcspn(c + 1, "\n") + 1) + 1);
            static char w[65536];
            snprintf(w, sizeof w, "%s", pts_want);
            for (char *c; (c = strstr(w, " c=")) != NULL;)
                memmove(c, c + strcspn(c + 1, "\n") + 1, strlen(c + strcspn(c + 1, "\n") + 1) + 1);
            assert_string_equal(pts_got, w);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(SWEEP_visits_every_injection_point),
        cmocka_unit_test(SWEEP_reports_the_failing_point),
        cmocka_unit_test(SWEEP_stops_at_sweep_max),
        cmocka_unit_test(SWEEP_needs_one_rule_without_when),
        cmocka_unit_test(SWEEP_exit_3_when_the_rule_never_fired),
        cmocka_unit_test(SWEEP_reproduce_line_per_failing_point),
        cmocka_unit_test(SWEEP_rule_composed_from_its_parsed_form),
        cmocka_unit_test(SWEEP_jobs_print_what_one_at_a_time_prints),
        cmocka_unit_test(SWEEP_jobs_kill_a_hanging_run_past_the_end),
        cmocka_unit_test(SWEEP_shards_split_the_whole_sweep),
        cmocka_unit_test(SWEEP_bad_jobs_and_shard_exit_2_naming_the_value),
        cmocka_unit_test(SWEEP_under_trace_sweeps_the_points_the_shim_sweeps),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

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
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

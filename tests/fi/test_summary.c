/* test_summary.c: faultinject.md, Never silent: the summary faultrun
 * prints at the end (NEVER_*), and the programs it refuses to run
 * (NEVER_refuses_*). */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"

/* The numbers of rule I's summary line; fails if there is none. */
static void rule_line(int i, long *matched, long *injected, long *blocked)
{
    char key[32];
    snprintf(key, sizeof key, "faultrun: rule %d '", i);
    const char *p = strstr(fr_err, key);
    if (p == NULL)
        fail_msg("no summary line for rule %d: %s", i, fr_err);
    p = strstr(p, "': ");
    assert_non_null(p);
    if (sscanf(p, "': %ld calls matched, %ld faults injected, %ld could not fire", matched,
               injected, blocked) != 3)
        fail_msg("summary line for rule %d unreadable: %s", i, fr_err);
}

static void NEVER_summary_line_per_rule(void **state)
{
    (void)state;
    long m, inj, blk;
    FR_RUN(FR_FAULTRUN, "-e", "read:short=100:when=1..3", "-e", "write:eintr:when=2", "-e",
           "accept:eintr", "--", FR_PROG, "solo", "1024");
    fr_expect_exit(0);
    rule_line(1, &m, &inj, &blk);
    assert_int_equal(inj, 3);
    assert_true(m >= 5);                 /* 3 short reads, 212, and the rest */
    assert_int_equal(blk, 0);
    rule_line(2, &m, &inj, &blk);
    assert_int_equal(inj, 1);
    assert_true(m >= 3);
    rule_line(3, &m, &inj, &blk);
    assert_int_equal(m, 0);
    fr_expect_err("faultrun: rule 1 'read:short=100:when=1..3': ");
    /* A rule that matched: no warning; one that did not: warned. */
    fr_expect_no_err("warning: rule 1");
    fr_expect_no_err("warning: rule 2");
    fr_expect_err("warning: rule 3 'accept:eintr' matched no call");
}

static void NEVER_could_not_fire_counted(void **state)
{
    (void)state;
    long m, inj, blk;
    /* eagain on a blocking socketpair: counted, never fired (two chunks
     * of 512 bytes: two reads). */
    FR_RUN(FR_FAULTRUN, "-e", "read:eagain:when=1..2", "--", FR_PROG, "solo", "1024");
    fr_expect_exit(0);
    rule_line(1, &m, &inj, &blk);
    assert_int_equal(inj, 0);
    assert_int_equal(blk, 2);
    /* ... per reason, and a rule that injected nothing is warned about. */
    fr_expect_err("2 could not fire (2: blocking descriptor)\n");
    fr_expect_err("warning: rule 1 'read:eagain:when=1..2' injected nothing: nothing was "
                  "tested; ");
    fr_expect_err(", 2 could not fire (2: blocking descriptor)\n");
    fr_expect_no_err("is past the last call");
}

/* when=N past every call the rule counted: warned, with the count reached. */
static void NEVER_when_past_the_last_call_warned(void **state)
{
    (void)state;
    long m, inj, blk;
    FR_RUN(FR_FAULTRUN, "-e", "read:short=1:when=1000", "-e", "read:short=1:when=2", "--",
           FR_PROG, "solo", "1024");
    fr_expect_exit(0);
    rule_line(1, &m, &inj, &blk);
    assert_int_equal(inj, 0);
    assert_true(m > 0 && m < 1000);
    fr_expect_err("warning: rule 1 'read:short=1:when=1000' injected nothing");
    fr_expect_err("warning: rule 1 'read:short=1:when=1000': when=1000 is past the last call "
                  "it counted (");
    rule_line(2, &m, &inj, &blk);
    assert_int_equal(inj, 1);
    fr_expect_no_err("warning: rule 2");
}

static void NEVER_raw_syscalls_warned_naming_the_rule(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr:fd=any", "--", FR_PROG2, "raw");
    fr_expect_exit(0);
    fr_expect_err("faultrun: rule 1 'read:eintr:fd=any': 0 calls matched, 0 faults injected");
    fr_expect_err("warning: rule 1 'read:eintr:fd=any' matched no call");
    fr_expect_err("raw system calls (Go programs");
    fr_expect_err("stdio");
    fr_expect_err("sendfile");
}

/* Under the trace backend raw calls and stdio's are seen: the warning
 * names what the backend cannot see, not what it can. */
static void NEVER_under_trace_the_warning_names_what_trace_cannot_see(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "--backend=trace", "-e", "accept:eintr", "--",
           FI_BUILD_DIR "/tests/fi/fr_trestart", "restart");
    fr_expect_exit(0);
    fr_expect_err("faultrun: backend trace: statically linked");
    fr_expect_err("warning: rule 1 'accept:eintr' matched no call");
    fr_expect_err("32-bit (i386 or x32) calls");
    fr_expect_no_err("raw system calls");
    fr_expect_no_err("through stdio");
}

static void NEVER_stdio_on_a_socket_named(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "rd:eintr", "--", FR_PROG2, "stdio");
    fr_expect_exit(0);
    fr_expect_err("1 socket was handed to stdio (fdopen)");
    FR_RUN(FR_FAULTRUN, "--", FR_PROG2, "stdio");       /* no rule: nothing to say */
    fr_expect_exit(0);
    fr_expect_no_err("stdio");
}

/* Lines of the file at PATH. */
static int lines_in(const char *path)
{
    char text[65536];
    ssize_t n = fiu_slurp(path, text, sizeof text);
    assert_true(n >= 0);
    return fr_count(text, "\n");
}

static void NEVER_counts_every_process_of_a_pipeline(void **state)
{
    (void)state;
    char log[PATH_MAX], cmd[1024], text[65536];
    long m1, inj1, b1, m2, inj2, b2;
    fr_path(log, "pipe.log");
    snprintf(cmd, sizeof cmd, "%s solo 12000 | %s solo 12000 | %s solo 12000", FR_PROG, FR_PROG,
             FR_PROG);
    FR_RUN(FR_FAULTRUN, "-s", "3", "-l", log, "-e", "rd:eintr:p=0.3", "-e",
           "wr:short=7:p=0.3", "--", "sh", "-c", cmd);
    fr_expect_exit(0);
    rule_line(1, &m1, &inj1, &b1);
    rule_line(2, &m2, &inj2, &b2);
    int lines = lines_in(log);
    assert_true(lines > 10);
    assert_int_equal(inj1 + inj2, lines);
    /* All three processes injected (by fork order from sh: 0.1 0.2 0.3),
     * each in the image it exec'd after sh forked it (x=1). */
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_non_null(strstr(text, " proc=0.1 x=1 o="));
    assert_non_null(strstr(text, " proc=0.2 x=1 o="));
    assert_non_null(strstr(text, " proc=0.3 x=1 o="));
    assert_null(strstr(text, " proc=0.1 o="));
}

static void NEVER_quiet_prints_nothing(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-q", "-e", "accept:eintr", "--", FR_PROG, "solo", "100");
    fr_expect_exit(0);
    assert_string_equal(fr_err, "");
    FR_RUN(FR_FAULTRUN, "--quiet", "--only", "nosuch", "-e", "rd:eintr", "--", FR_PROG,
           "exit", "3");
    fr_expect_exit(3);
    assert_string_equal(fr_err, "");
}

static void NEVER_only_naming_no_process_warned(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "--only", "fi_prgo", "-e", "read:short=5", "--", FR_PROG, "oneread");
    fr_expect_exit(0);
    fr_expect_err("warning: --only 'fi_prgo' named no process that ran");
    FR_RUN(FR_FAULTRUN, "--only", "fi_prog", "-e", "read:short=5", "--", "sh", "-c",
           FR_PROG " oneread");
    fr_expect_exit(1);
    fr_expect_no_err("warning: --only");
}

static void NEVER_exit_status_and_signal_passed_on(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "rd:eintr:when=1", "--", FR_PROG, "exit", "7");
    fr_expect_exit(7);
    fr_expect_err("faultrun: rule 1");
    /* The reset fails write 1; write 2 meets EPIPE and its SIGPIPE. */
    FR_RUN(FR_FAULTRUN, "-e", "wr:reset", "--", FR_PROG, "writes", "2");
    assert_true(WIFSIGNALED(fr_status) && WTERMSIG(fr_status) == SIGPIPE);
    fr_expect_err("faultrun: rule 1 'wr:reset': 2 calls matched, 1 faults injected");
}

static void NEVER_bare_preload_silent_unless_asked(void **state)
{
    (void)state;
    char *quiet[] = { "LD_PRELOAD=" FR_SHIM, "FAULTINJECT_RULES=accept:eintr", NULL };
    FR_RUN_ENV(quiet, FR_PROG, "solo", "100");
    fr_expect_exit(0);
    assert_string_equal(fr_err, "");
    char *asked[] = { "LD_PRELOAD=" FR_SHIM, "FAULTINJECT_RULES=read:short=9:when=1;accept:eintr",
                      "FAULTINJECT_SUMMARY=1", NULL };
    FR_RUN_ENV(asked, FR_PROG, "solo", "100");
    fr_expect_exit(0);
    fr_expect_err("faultinject: rule 1 'read:short=9:when=1': ");
    fr_expect_err(" 1 faults injected");
    fr_expect_err("faultinject: warning: rule 2 'accept:eintr' matched no call");
}

/* A program that closes its stderr before it exits (coreutils' close_stdout
 * does) still gets the summary it asked for: on stderr as it was at load. */
static void NEVER_bare_preload_summary_survives_a_closed_stderr(void **state)
{
    (void)state;
    char *asked[] = { "LD_PRELOAD=" FR_SHIM, "FAULTINJECT_RULES=read:short=9:when=1",
                      "FAULTINJECT_SUMMARY=1", NULL };
    FR_RUN_ENV(asked, FR_PROG2, "closeerr");
    fr_expect_exit(0);
    fr_expect_err("faultinject: rule 1 'read:short=9:when=1': ");
    fr_expect_err(" 1 faults injected");
}

/* ... but never into a file the program opened at the number of that
 * copy: then the summary is not printed rather than written there. */
static void NEVER_bare_preload_summary_never_lands_in_the_programs_file(void **state)
{
    (void)state;
    char file[PATH_MAX], text[4096];
    fr_path(file, "taken");
    char *asked[] = { "LD_PRELOAD=" FR_SHIM, "FAULTINJECT_RULES=read:short=9:when=1",
                      "FAULTINJECT_SUMMARY=1", NULL };
    FR_RUN_ENV(asked, FR_PROG2, "takefd", file);
    fr_expect_exit(0);
    text[0] = '\0';
    fiu_slurp(file, text, sizeof text);
    assert_null(strstr(text, "faultinject"));
}

static void NEVER_refuses_a_static_program_under_preload(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    fr_path(mark, "static-ran");
    FR_RUN(FR_FAULTRUN, "--backend=preload", "-e", "rd:eintr", "--", FR_STATIC, mark);
    fr_expect_exit(2);
    fr_expect_err("statically linked");
    fr_expect_err("build it dynamically linked");
    fr_expect_err("Go program");
    assert_false(fr_exists(mark));
    /* Found through PATH as execvp finds it, and behind a #! line. */
    char script[PATH_MAX], cmd[PATH_MAX * 3 + 64];
    fr_path(script, "static.sh");
    snprintf(cmd, sizeof cmd, "printf '#!%s\\n' > %s && chmod +x %s", FR_STATIC, script,
             script);
    assert_int_equal(system(cmd), 0);
    FR_RUN(FR_FAULTRUN, "--backend=preload", "--", script, mark);
    fr_expect_exit(2);
    fr_expect_err("statically linked");
    char *path[] = { "PATH=" FI_BUILD_DIR "/tests/fi:/usr/bin:/bin", NULL };
    FR_RUN_ENV(path, FR_FAULTRUN, "--backend=preload", "--", "fr_static", mark);
    fr_expect_exit(2);
    assert_false(fr_exists(mark));
    /* Under auto (the default) the trace backend runs it, and says why. */
    FR_RUN_ENV(path, FR_FAULTRUN, "-e", "rd:eintr", "--", "fr_static", mark);
    fr_expect_exit(0);
    fr_expect_err("faultrun: backend trace: statically linked");
    assert_true(fr_exists(mark));
    /* Dynamic programs and scripts of dynamic interpreters run. */
    FR_RUN(FR_FAULTRUN, "-q", "--", "sh", "-c", "exit 4");
    fr_expect_exit(4);
}

static void NEVER_refuses_a_set_id_program(void **state)
{
    (void)state;
    if (geteuid() != 0)
        fiu_not_run("only root can make a file set-user-ID for another user");
    char copy[PATH_MAX], mark[PATH_MAX];
    fr_path(copy, "setuid_prog");
    fr_path(mark, "setuid-ran");
    char cmd[PATH_MAX * 4 + 64];
    snprintf(cmd, sizeof cmd, "cp %s %s && chown 65534 %s && chmod 4755 %s", FR_PROG, copy,
             copy, copy);
    assert_int_equal(system(cmd), 0);
    FR_RUN(FR_FAULTRUN, "-e", "rd:eintr", "--", copy, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("set-user-ID");
    fr_expect_err("chmod u-s");
    assert_false(fr_exists(mark));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(NEVER_summary_line_per_rule),
        cmocka_unit_test(NEVER_could_not_fire_counted),
        cmocka_unit_test(NEVER_when_past_the_last_call_warned),
        cmocka_unit_test(NEVER_raw_syscalls_warned_naming_the_rule),
        cmocka_unit_test(NEVER_under_trace_the_warning_names_what_trace_cannot_see),
        cmocka_unit_test(NEVER_stdio_on_a_socket_named),
        cmocka_unit_test(NEVER_counts_every_process_of_a_pipeline),
        cmocka_unit_test(NEVER_quiet_prints_nothing),
        cmocka_unit_test(NEVER_only_naming_no_process_warned),
        cmocka_unit_test(NEVER_exit_status_and_signal_passed_on),
        cmocka_unit_test(NEVER_bare_preload_silent_unless_asked),
        cmocka_unit_test(NEVER_bare_preload_summary_survives_a_closed_stderr),
        cmocka_unit_test(NEVER_bare_preload_summary_never_lands_in_the_programs_file),
        cmocka_unit_test(NEVER_refuses_a_static_program_under_preload),
        cmocka_unit_test(NEVER_refuses_a_set_id_program),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

/* test_faultrun.c: faultrun and the bare LD_PRELOAD interface, as users
 * see them (faultinject.md: "Command line", LOUD = loud on bad input,
 * LOG, ONLY, SWEEP, PROM = deterministic). Runs fi_prog as COMMAND. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fiutil.h"

#ifndef FI_BUILD_DIR
#error "FI_BUILD_DIR: the build directory (absolute)"
#endif
#define FAULTRUN FI_BUILD_DIR "/faultinject/faultrun"
#define SHIM     FI_BUILD_DIR "/faultinject/libfaultinject.so"
#define PROG     FI_BUILD_DIR "/tests/fi/fi_prog"

static char tmpdir[256];
static char out[65536], err[65536];
static int status;

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/fi-test-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in_tmp(char *buf, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", tmpdir, name);
    unlink(buf);
}

/* Runs ARGV (NULL-ended list) with ENV; sets status, out, err. */
static void run_env(char *const env[], ...)
{
    char *argv[64];
    int n = 0;
    va_list ap;
    va_start(ap, env);
    while ((argv[n] = va_arg(ap, char *)) != NULL && n < 63)
        n++;
    va_end(ap);
    argv[n] = NULL;
    status = fiu_run(argv, env, out, sizeof out, err, sizeof err, 30);
    if (status == -1)
        fail_msg("%s timed out", argv[0]);
}

#define RUN(...) run_env(NULL, __VA_ARGS__, (char *)NULL)
#define RUN_ENV(env, ...) run_env(env, __VA_ARGS__, (char *)NULL)

static void expect_exit(int code)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
        fail_msg("want exit %d, got status 0x%x; stderr: %s", code, status, err);
}

static void expect_err(const char *text)
{
    if (strstr(err, text) == NULL)
        fail_msg("stderr lacks '%s': %s", text, err);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- command line ------------------------------------------------------ */

static void CLI_exit_status_is_commands(void **state)
{
    (void)state;
    RUN(FAULTRUN, "--", PROG, "exit", "7");
    expect_exit(7);
    RUN(FAULTRUN, "-e", "read:eintr", PROG, "exit", "0");   /* -- is optional */
    expect_exit(0);
    RUN(FAULTRUN, "--", "/nonexistent/program");
    expect_exit(127);
    expect_err("cannot run '/nonexistent/program'");
}

static void CLI_help_lists_every_rule_word_with_examples(void **state)
{
    (void)state;
    static const char *const words[] = { "--inject", "--seed", "--log", "--only",
        "--sweep", "--sweep-max", "--help", "--version", "read", "readv", "recv",
        "recvfrom", "recvmsg", "write", "writev", "send", "sendto", "sendmsg", "accept",
        "accept4", "connect", "close", "rd", "wr", "short", "eintr", "eagain", "reset",
        "eof", "error=", "delay=", "when=", "p=", "after=", "fd=", "per=fd",
        "e.g. read,recv:short=1", "when=2..6+2" };
    RUN(FAULTRUN, "--help");
    expect_exit(0);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(out, words[i]) == NULL)
            fail_msg("--help lacks '%s'", words[i]);
    RUN(FAULTRUN, "-h");
    expect_exit(0);
    assert_non_null(strstr(out, "usage: faultrun"));
    RUN(FAULTRUN, "--version");
    expect_exit(0);
    assert_non_null(strstr(out, "faultrun "));
}

static void CLI_rules_seed_log_only_reach_the_shim(void **state)
{
    (void)state;
    char log[PATH_MAX];
    path_in_tmp(log, "env.log");
    RUN(FAULTRUN, "-e", "read:eintr", "--inject", "accept:eagain ; close:eintr", "-s", "42",
        "-l", log, "--only", "fi_prog", "--", PROG, "env");
    expect_exit(0);
    assert_non_null(strstr(out, "FAULTINJECT_RULES=read:eintr;accept:eagain ; close:eintr\n"));
    assert_non_null(strstr(out, "FAULTINJECT_SEED=42\n"));
    assert_non_null(strstr(out, "FAULTINJECT_ONLY=fi_prog\n"));
    assert_non_null(strstr(out, "FAULTINJECT_LOG="));
    assert_non_null(strstr(out, "LD_PRELOAD=/"));
    assert_non_null(strstr(out, "libfaultinject.so"));
    RUN(FAULTRUN, "--", PROG, "env");
    assert_non_null(strstr(out, "FAULTINJECT_SEED=1\n"));       /* default seed */
}

static void CLI_without_a_shim_exits_2(void **state)
{
    (void)state;
    char cmd[PATH_MAX * 2], alone[PATH_MAX], mark[PATH_MAX];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/alone && cp %s %s/alone/", tmpdir, FAULTRUN, tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(alone, sizeof alone, "%s/alone/faultrun", tmpdir);
    path_in_tmp(mark, "started");
    RUN(alone, "--version");
    expect_exit(0);
    char *fallback = strstr(out, "shim fallback: ");
    assert_non_null(fallback);
    fallback += strlen("shim fallback: ");
    fallback[strcspn(fallback, ")")] = '\0';
    int installed = exists(fallback);
    char *unset[] = { "-FAULTINJECT_SO", NULL };
    RUN_ENV(unset, alone, "--", PROG, "touch", mark);
    if (installed) {
        expect_exit(0);
    } else {
        expect_exit(2);
        expect_err("cannot find libfaultinject.so");
        assert_false(exists(mark));
    }
}

static void CLI_finds_the_shim_via_env_or_lib(void **state)
{
    (void)state;
    char env1[PATH_MAX + 32];
    char *env[] = { env1, NULL };
    snprintf(env1, sizeof env1, "FAULTINJECT_SO=%s/none.so", tmpdir);
    RUN_ENV(env, FAULTRUN, "--", PROG, "exit", "0");
    expect_exit(2);
    expect_err("FAULTINJECT_SO");
    /* An installed layout: bin/faultrun and lib/libfaultinject.so. */
    char cmd[PATH_MAX * 4], bin[PATH_MAX];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/inst/bin %s/inst/lib && cp %s %s/inst/bin/ && "
             "cp %s %s/inst/lib/", tmpdir, tmpdir, FAULTRUN, tmpdir, SHIM, tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(bin, sizeof bin, "%s/inst/bin/faultrun", tmpdir);
    char *unset[] = { "-FAULTINJECT_SO", NULL };
    RUN_ENV(unset, bin, "-e", "read:short=5", "--", PROG, "oneread");
    expect_exit(1);     /* the shim was found and injected */
}

/* ---- loud on bad input --------------------------------------------------- */

static const char *const bad_rules[] = {
    "reed:eintr", "read", "read:", "read:shrt", "read:eintr=1", "read:short=0",
    "read:short=x", "read:error=EFOO", "read:error", "read:delay=-1",
    "read:eintr:when=0", "read:eintr:when=4..2", "read:eintr:when=1+0",
    "read:eintr:p=1.5", "read:eintr:p=x", "read:eintr:after=-1", "read:eintr:fd=file",
    "read:eintr:per=call", "read:eintr:often=2", "read:eintr:when=1:when=2",
    "accept:eof", "connect:short", "close:reset", "read:eintr;;write:eintr",
};

static void LOUD_bad_rule_exits_2_before_command_starts(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    path_in_tmp(mark, "started");
    for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
        RUN(FAULTRUN, "-e", "rd:eintr", "-e", bad_rules[i], "--", PROG, "touch", mark);
        expect_exit(2);
        expect_err("rule '");
        if (strstr(err, bad_rules[i]) == NULL && strstr(bad_rules[i], ";;") == NULL)
            fail_msg("message does not name '%s': %s", bad_rules[i], err);
        assert_false(exists(mark));
    }
    RUN(FAULTRUN, "-e", "", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("empty rule");
    static char huge[10000];
    strcpy(huge, "read");
    while (strlen(huge) < 9000)
        strcat(huge, ",read");
    strcat(huge, ":eintr");
    RUN(FAULTRUN, "-e", huge, "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("rules too long");
    char *many[40] = { FAULTRUN };
    int n = 1;
    for (int i = 0; i < 17; i++) {
        many[n++] = "-e";
        many[n++] = "rd:eintr:when=99";
    }
    many[n++] = PROG;
    many[n++] = "touch";
    many[n++] = mark;
    many[n] = NULL;
    status = fiu_run(many, NULL, out, sizeof out, err, sizeof err, 30);
    expect_exit(2);
    expect_err("too many rules (at most 16)");
    assert_false(exists(mark));
}

static void LOUD_bare_preload_prints_the_same_and_exits_2(void **state)
{
    (void)state;
    char mark[PATH_MAX], rules[256];
    static char faultrun_err[sizeof err];
    char *env[] = { "LD_PRELOAD=" SHIM, rules, NULL };
    path_in_tmp(mark, "started");
    for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
        RUN(FAULTRUN, "-e", bad_rules[i], "--", PROG, "touch", mark);
        memcpy(faultrun_err, err, sizeof err);
        snprintf(rules, sizeof rules, "FAULTINJECT_RULES=%s", bad_rules[i]);
        RUN_ENV(env, PROG, "touch", mark);
        expect_exit(2);
        assert_false(exists(mark));
        assert_string_equal(err, faultrun_err);
    }
}

static void LOUD_bad_environment(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    path_in_tmp(mark, "started");
    char *seed[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_SEED=12x", NULL };
    RUN_ENV(seed, PROG, "touch", mark);
    expect_exit(2);
    expect_err("seed '12x'");
    char *log[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_LOG=/nonexistent/dir/log", NULL };
    RUN_ENV(log, PROG, "touch", mark);
    expect_exit(2);
    expect_err("log '/nonexistent/dir/log'");
    static char longlog[PATH_MAX + 64];
    memset(longlog, 'a', sizeof longlog - 1);
    memcpy(longlog, "FAULTINJECT_LOG=/", 17);
    char *toolong[] = { "LD_PRELOAD=" SHIM, longlog, NULL };
    RUN_ENV(toolong, PROG, "touch", mark);
    expect_exit(2);
    expect_err("path too long");
    char *only[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_ONLY=", NULL };
    RUN_ENV(only, PROG, "touch", mark);
    expect_exit(2);
    expect_err("only");
    assert_false(exists(mark));
}

static void LOUD_bad_options_and_numbers(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    path_in_tmp(mark, "started");
    RUN(FAULTRUN, "--seed", "x", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("seed 'x'");
    RUN(FAULTRUN, "-s", "-1", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "-s", "99999999999999999999", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "--sweep", "--sweep-max", "0", "-e", "rd:eintr", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("--sweep-max '0'");
    RUN(FAULTRUN, "--sweep", "--sweep-max", "5x", "-e", "rd:eintr", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "--sweep-max", "5", "-e", "rd:eintr", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("--sweep-max");
    RUN(FAULTRUN, "--bogus", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("unknown option '--bogus'");
    expect_err("usage: faultrun");
    RUN(FAULTRUN, "-x", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "-e");
    expect_exit(2);
    expect_err("needs a value");
    RUN(FAULTRUN, "-e", "rd:eintr");
    expect_exit(2);
    expect_err("no COMMAND");
    RUN(FAULTRUN, "--only", "", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "-l", "/nonexistent/dir/log", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("log '/nonexistent/dir/log'");
    assert_false(exists(mark));
}

/* ---- log, determinism, --only -------------------------------------------- */

/* The log without its pid and tid columns; number of lines. */
static int strip_log(const char *path, char *buf, size_t len)
{
    char raw[65536];
    assert_true(fiu_slurp(path, raw, sizeof raw) >= 0);
    size_t have = 0;
    int lines = 0;
    buf[0] = '\0';
    for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n")) {
        char *p = strchr(line, ' ');
        p = p ? strchr(p + 1, ' ') : NULL;
        assert_non_null(p);
        have += (size_t)snprintf(buf + have, len - have, "%s\n", p + 1);
        lines++;
    }
    return lines;
}

static void LOG_one_line_per_injection(void **state)
{
    (void)state;
    char log[PATH_MAX], text[65536];
    path_in_tmp(log, "one.log");
    FILE *f = fopen(log, "w");
    fputs("earlier line\n", f);
    fclose(f);
    RUN(FAULTRUN, "-l", log, "-e", "read:short=100:when=1..3", "-e", "write:eintr:when=2",
        "--", PROG, "solo", "1024");
    expect_exit(0);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_memory_equal(text, "earlier line\n", 13);       /* appended */
    int pid = -1, tid = -1, fd, n = 0;
    char call[32], fault[64];
    long k;
    char *p = text + 13;
    /* write 512 (call 1), reads of 100, 100, 100 (calls 1-3), read 212,
     * then the next write (call 2) fails with EINTR. */
    const char *want_call[] = { "read", "read", "read", "write" };
    const char *want_fault[] = { "short=100", "short=100", "short=100", "eintr" };
    long want_k[] = { 1, 2, 3, 2 };
    int used;
    while (sscanf(p, "%d %d %31s %d %63s n=%ld\n%n", &pid, &tid, call, &fd, fault, &k,
                  &used) == 6) {
        assert_true(n < 4);
        assert_int_equal(pid, tid);                 /* single-threaded */
        assert_string_equal(call, want_call[n]);
        assert_string_equal(fault, want_fault[n]);
        assert_int_equal(k, want_k[n]);
        assert_true(fd >= 3);
        p += used;
        n++;
    }
    assert_int_equal(n, 4);
    assert_int_equal(*p, '\0');
}

static void LOG_relative_path_and_error_names(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096];
    path_in_tmp(log, "rel.log");
    /* A relative FILE names it in the directory COMMAND starts in. */
    char *env[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_RULES=write:error=ENOBUFS:when=1",
                    "FAULTINJECT_LOG=rel.log", NULL };
    char here[PATH_MAX];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(tmpdir), 0);
    RUN_ENV(env, PROG, "solo", "10");
    assert_int_equal(chdir(here), 0);
    expect_exit(1);                       /* solo does not retry ENOBUFS */
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_non_null(strstr(text, " write "));
    assert_non_null(strstr(text, " error=ENOBUFS n=1\n"));
}

static void PROM_same_seed_same_log(void **state)
{
    (void)state;
    char log[PATH_MAX], a[65536], b[65536], c[65536];
    const char *rule = "rd,wr:eintr:p=0.3";
    path_in_tmp(log, "seed.log");
    RUN(FAULTRUN, "-s", "5", "-l", log, "-e", rule, "--", PROG, "solo", "4000");
    expect_exit(0);
    int na = strip_log(log, a, sizeof a);
    unlink(log);
    RUN(FAULTRUN, "--seed", "5", "-l", log, "-e", rule, "--", PROG, "solo", "4000");
    expect_exit(0);
    strip_log(log, b, sizeof b);
    unlink(log);
    assert_true(na > 5);
    assert_string_equal(a, b);
    char *env[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_RULES=rd,wr:eintr:p=0.3",
                    "FAULTINJECT_SEED=5", log, NULL };
    char logenv[PATH_MAX + 32];
    snprintf(logenv, sizeof logenv, "FAULTINJECT_LOG=%s", log);
    env[3] = logenv;
    RUN_ENV(env, PROG, "solo", "4000");          /* bare preload: the same */
    expect_exit(0);
    strip_log(log, c, sizeof c);
    unlink(log);
    assert_string_equal(a, c);
    RUN(FAULTRUN, "-s", "6", "-l", log, "-e", rule, "--", PROG, "solo", "4000");
    expect_exit(0);
    strip_log(log, c, sizeof c);
    assert_string_not_equal(a, c);
}

static void ONLY_spares_other_programs(void **state)
{
    (void)state;
    RUN(FAULTRUN, "--only", "fi_prog", "-e", "read:short=5", "--", PROG, "oneread");
    expect_exit(1);
    RUN(FAULTRUN, "--only", "cat", "-e", "read:short=5", "--", PROG, "oneread");
    expect_exit(0);
    RUN(FAULTRUN, "-e", "read:short=5", "--", PROG, "oneread");
    expect_exit(1);
    /* A program that execs another: only the named one is injected. */
    RUN(FAULTRUN, "--only", "fi_prog", "-e", "rd:eintr:fd=any", "--", "sh", "-c",
        PROG " oneread; echo sh=$?");
    assert_non_null(strstr(out, "sh=1"));
}

/* ---- sweep ------------------------------------------------------------------ */

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void SWEEP_visits_every_injection_point(void **state)
{
    (void)state;
    char log[PATH_MAX], text[65536], line[64];
    path_in_tmp(log, "sweep.log");
    RUN(FAULTRUN, "--sweep", "-l", log, "-e", "rd:eintr", "--", PROG, "solo", "1500");
    expect_exit(0);
    int runs = count(err, "faultrun: sweep point ");
    assert_true(runs >= 4);
    expect_err("(rule did not fire");
    assert_int_equal(count(err, ": exit 0"), runs);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_int_equal(count(text, "\n"), runs - 1);   /* one injection per point */
    for (int i = 1; i < runs; i++) {
        snprintf(line, sizeof line, "sweep point %d: exit 0\n", i);
        expect_err(line);
        snprintf(line, sizeof line, " eintr n=%d\n", i);
        if (strstr(text, line) == NULL)
            fail_msg("no injection at point %d in %s", i, text);
    }
}

static void SWEEP_reports_the_failing_point(void **state)
{
    (void)state;
    RUN(FAULTRUN, "--sweep", "-e", "read:short=5", "--", PROG, "oneread");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    expect_err("faultrun: sweep point 1: exit 1\n");
    expect_err("faultrun: sweep point 2: exit 0 (rule did not fire");
    RUN(FAULTRUN, "--sweep", "-e", "wr:reset", "--", PROG, "writes", "3");
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    expect_err("faultrun: sweep point 1: killed by SIGPIPE");
    expect_err("faultrun: sweep point 4: exit 0 (rule did not fire");
}

static void SWEEP_stops_at_sweep_max(void **state)
{
    (void)state;
    char *env[] = { "TMPDIR=/nonexistent", NULL };      /* falls back to /tmp */
    RUN_ENV(env, FAULTRUN, "--sweep", "--sweep-max", "2", "-e", "rd:eintr", "--", PROG, "solo", "1500");
    expect_exit(0);
    assert_int_equal(count(err, "faultrun: sweep point "), 2);
    expect_err("--sweep-max 2");
}

static void SWEEP_needs_one_rule_without_when(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    path_in_tmp(mark, "started");
    RUN(FAULTRUN, "--sweep", "-e", "rd:eintr", "-e", "wr:eintr", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("exactly one rule");
    RUN(FAULTRUN, "--sweep", "-e", "rd:eintr;wr:eintr", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "--sweep", "--", PROG, "touch", mark);
    expect_exit(2);
    RUN(FAULTRUN, "--sweep", "-e", "rd:eintr:when=3", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("when=");
    RUN(FAULTRUN, "--sweep", "-e", "rd:eintr:p=0.5", "--", PROG, "touch", mark);
    expect_exit(2);
    expect_err("p=");
    assert_false(exists(mark));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(CLI_exit_status_is_commands),
        cmocka_unit_test(CLI_help_lists_every_rule_word_with_examples),
        cmocka_unit_test(CLI_rules_seed_log_only_reach_the_shim),
        cmocka_unit_test(CLI_finds_the_shim_via_env_or_lib),
        cmocka_unit_test(CLI_without_a_shim_exits_2),
        cmocka_unit_test(LOUD_bad_rule_exits_2_before_command_starts),
        cmocka_unit_test(LOUD_bare_preload_prints_the_same_and_exits_2),
        cmocka_unit_test(LOUD_bad_environment),
        cmocka_unit_test(LOUD_bad_options_and_numbers),
        cmocka_unit_test(LOG_one_line_per_injection),
        cmocka_unit_test(LOG_relative_path_and_error_names),
        cmocka_unit_test(PROM_same_seed_same_log),
        cmocka_unit_test(ONLY_spares_other_programs),
        cmocka_unit_test(SWEEP_visits_every_injection_point),
        cmocka_unit_test(SWEEP_reports_the_failing_point),
        cmocka_unit_test(SWEEP_stops_at_sweep_max),
        cmocka_unit_test(SWEEP_needs_one_rule_without_when),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

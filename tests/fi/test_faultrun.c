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
#include "frtest.h"

#define FAULTRUN FR_FAULTRUN
#define SHIM     FR_SHIM
#define PROG     FR_PROG

/* ---- command line ------------------------------------------------------ */

static void CLI_exit_status_is_commands(void **state)
{
    (void)state;
    FR_RUN(FAULTRUN, "--", PROG, "exit", "7");
    fr_expect_exit(7);
    FR_RUN(FAULTRUN, "-e", "read:eintr", PROG, "exit", "0");   /* -- is optional */
    fr_expect_exit(0);
    FR_RUN(FAULTRUN, "--", "/nonexistent/program");
    fr_expect_exit(127);
    fr_expect_err("cannot run '/nonexistent/program'");
}

static void CLI_help_lists_every_rule_word_with_examples(void **state)
{
    (void)state;
    static const char *const words[] = { "--inject", "--seed", "--log", "--only",
        "--sweep", "--sweep-max", "--help", "--version", "read", "readv", "recv",
        "recvfrom", "recvmsg", "write", "writev", "send", "sendto", "sendmsg", "accept",
        "accept4", "connect", "close", "rd", "wr", "short", "eintr", "eagain", "reset",
        "eof", "error=", "delay=", "when=", "p=", "after=", "fd=", "per=fd",
        "e.g. read,recv:short=1", "when=2..6+2", "--replay", "--quiet", "-q",
        "rule=I t=SECONDS[ asked=N ret=R] c=C proc=PATH", "stall", "peer=", "local=",
        "sendfile", "exit 0 all passed, 1 some run failed, 3 RULE never fired", "--backend" };
    FR_RUN(FAULTRUN, "--help");
    fr_expect_exit(0);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(fr_out, words[i]) == NULL)
            fail_msg("--help lacks '%s'", words[i]);
    FR_RUN(FAULTRUN, "-h");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "usage: faultrun"));
    FR_RUN(FAULTRUN, "--version");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "faultrun "));
}

static void CLI_rules_seed_log_only_reach_the_shim(void **state)
{
    (void)state;
    char log[PATH_MAX];
    fr_path(log, "env.log");
    FR_RUN(FAULTRUN, "-e", "read:eintr", "--inject", "accept:eagain ; close:eintr", "-s", "42",
        "-l", log, "--only", "fi_prog", "--", PROG, "env");
    fr_expect_exit(0);
    assert_non_null(strstr(fr_out, "FAULTINJECT_RULES=read:eintr;accept:eagain ; close:eintr\n"));
    assert_non_null(strstr(fr_out, "FAULTINJECT_SEED=42\n"));
    assert_non_null(strstr(fr_out, "FAULTINJECT_ONLY=fi_prog\n"));
    assert_non_null(strstr(fr_out, "FAULTINJECT_LOG="));
    assert_non_null(strstr(fr_out, "LD_PRELOAD=/"));
    assert_non_null(strstr(fr_out, "libfaultinject.so"));
    FR_RUN(FAULTRUN, "--", PROG, "env");
    assert_non_null(strstr(fr_out, "FAULTINJECT_SEED=1\n"));       /* default seed */
}

static void CLI_without_a_shim_exits_2(void **state)
{
    (void)state;
    char cmd[PATH_MAX * 2], alone[PATH_MAX], mark[PATH_MAX];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/alone && cp %s %s/alone/", fr_tmpdir, FAULTRUN, fr_tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(alone, sizeof alone, "%s/alone/faultrun", fr_tmpdir);
    fr_path(mark, "started");
    char *unset[] = { "-FAULTINJECT_SO", NULL };
    FR_RUN_ENV(unset, alone, "--version");
    fr_expect_exit(0);
    /* --version names the shim this faultrun will load, or none. */
    char *named = strstr(fr_out, "(shim: ");
    assert_non_null(named);
    named += strlen("(shim: ");
    named[strcspn(named, ")")] = '\0';
    int installed = strncmp(named, "none: ", 6) != 0;
    if (installed)
        assert_true(fr_exists(named));
    else
        assert_non_null(strstr(named, "cannot find libfaultinject.so"));
    FR_RUN_ENV(unset, alone, "--", PROG, "touch", mark);
    if (installed) {
        fr_expect_exit(0);
    } else {
        fr_expect_exit(2);
        fr_expect_err("cannot find libfaultinject.so");
        assert_false(fr_exists(mark));
    }
}

static void CLI_finds_the_shim_via_env_or_lib(void **state)
{
    (void)state;
    char env1[PATH_MAX + 32];
    char *env[] = { env1, NULL };
    snprintf(env1, sizeof env1, "FAULTINJECT_SO=%s/none.so", fr_tmpdir);
    FR_RUN_ENV(env, FAULTRUN, "--", PROG, "exit", "0");
    fr_expect_exit(2);
    fr_expect_err("FAULTINJECT_SO");
    FR_RUN(FAULTRUN, "--version");      /* this build's own shim, next to it */
    fr_expect_exit(0);
    if (strstr(fr_out, "(shim: " FI_BUILD_DIR "/faultinject/libfaultinject.so)\n") == NULL)
        fail_msg("--version does not name the shim next to faultrun: %s", fr_out);
    /* A file the loader would not preload is no shim: named as none, refused. */
    char *notso[] = { "FAULTINJECT_SO=/etc/passwd", NULL };
    FR_RUN_ENV(notso, FAULTRUN, "--version");
    fr_expect_exit(0);
    if (strstr(fr_out, "(shim: none: FAULTINJECT_SO '/etc/passwd': not a shared object") == NULL)
        fail_msg("--version names a shim that will not load: %s", fr_out);
    FR_RUN_ENV(notso, FAULTRUN, "--", PROG, "exit", "0");
    fr_expect_exit(2);
    fr_expect_err("FAULTINJECT_SO '/etc/passwd': not a shared object");
    /* An installed layout: bin/faultrun and lib/libfaultinject.so. */
    char cmd[PATH_MAX * 4], bin[PATH_MAX];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/inst/bin %s/inst/lib && cp %s %s/inst/bin/ && "
             "cp %s %s/inst/lib/", fr_tmpdir, fr_tmpdir, FAULTRUN, fr_tmpdir, SHIM, fr_tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(bin, sizeof bin, "%s/inst/bin/faultrun", fr_tmpdir);
    char *unset[] = { "-FAULTINJECT_SO", NULL };
    FR_RUN_ENV(unset, bin, "-e", "read:short=5", "--", PROG, "oneread");
    fr_expect_exit(1);     /* the shim was found and injected */
}

/* ---- loud on bad input --------------------------------------------------- */

static const char *const bad_rules[] = {
    "reed:eintr", "read", "read:", "read:shrt", "read:eintr=1", "read:short=0",
    "read:short=x", "read:error=EFOO", "read:error", "read:delay=-1",
    "read:eintr:when=0", "read:eintr:when=4..2", "read:eintr:when=1+0",
    "read:eintr:p=1.5", "read:eintr:p=x", "read:eintr:after=-1", "read:eintr:fd=file",
    "read:eintr:per=call", "read:eintr:often=2", "read:eintr:when=1:when=2",
    "accept:eof", "connect:short", "close:reset", "read:eintr;;write:eintr",
    "read:eintr:peer=:0", "read:eintr:local=:0",
};

static void LOUD_bad_rule_exits_2_before_command_starts(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    fr_path(mark, "started");
    for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
        FR_RUN(FAULTRUN, "-e", "rd:eintr", "-e", bad_rules[i], "--", PROG, "touch", mark);
        fr_expect_exit(2);
        fr_expect_err("rule '");
        if (strstr(fr_err, bad_rules[i]) == NULL && strstr(bad_rules[i], ";;") == NULL)
            fail_msg("message does not name '%s': %s", bad_rules[i], fr_err);
        assert_false(fr_exists(mark));
    }
    FR_RUN(FAULTRUN, "-e", "", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("empty rule");
    static char huge[10000];
    strcpy(huge, "read");
    while (strlen(huge) < 9000)
        strcat(huge, ",read");
    strcat(huge, ":eintr");
    FR_RUN(FAULTRUN, "-e", huge, "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("rules too long");
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
    fr_status = fiu_run(many, NULL, fr_out, sizeof fr_out, fr_err, sizeof fr_err, 30);
    fr_expect_exit(2);
    fr_expect_err("too many rules (at most 16)");
    assert_false(fr_exists(mark));
}

static void LOUD_bare_preload_prints_the_same_and_exits_2(void **state)
{
    (void)state;
    char mark[PATH_MAX], rules[256];
    static char faultrun_err[sizeof fr_err];
    char *env[] = { "LD_PRELOAD=" SHIM, rules, NULL };
    fr_path(mark, "started");
    for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
        FR_RUN(FAULTRUN, "-e", bad_rules[i], "--", PROG, "touch", mark);
        memcpy(faultrun_err, fr_err, sizeof fr_err);
        snprintf(rules, sizeof rules, "FAULTINJECT_RULES=%s", bad_rules[i]);
        FR_RUN_ENV(env, PROG, "touch", mark);
        fr_expect_exit(2);
        assert_false(fr_exists(mark));
        assert_string_equal(fr_err, faultrun_err);
    }
}

static void LOUD_bad_environment(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    fr_path(mark, "started");
    char *seed[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_SEED=12x", NULL };
    FR_RUN_ENV(seed, PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("seed '12x'");
    char *log[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_LOG=/nonexistent/dir/log", NULL };
    FR_RUN_ENV(log, PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("log '/nonexistent/dir/log'");
    static char longlog[PATH_MAX + 64];
    memset(longlog, 'a', sizeof longlog - 1);
    memcpy(longlog, "FAULTINJECT_LOG=/", 17);
    char *toolong[] = { "LD_PRELOAD=" SHIM, longlog, NULL };
    FR_RUN_ENV(toolong, PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("path too long");
    char *only[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_ONLY=", NULL };
    FR_RUN_ENV(only, PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("only");
    assert_false(fr_exists(mark));
}

static void LOUD_bad_options_and_numbers(void **state)
{
    (void)state;
    char mark[PATH_MAX];
    fr_path(mark, "started");
    FR_RUN(FAULTRUN, "--seed", "x", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("seed 'x'");
    FR_RUN(FAULTRUN, "-s", "-1", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "-s", "99999999999999999999", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "--sweep", "--sweep-max", "0", "-e", "rd:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("--sweep-max '0'");
    FR_RUN(FAULTRUN, "--sweep", "--sweep-max", "5x", "-e", "rd:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "--sweep-max", "5", "-e", "rd:eintr", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("--sweep-max");
    FR_RUN(FAULTRUN, "--bogus", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("unknown option '--bogus'");
    fr_expect_err("usage: faultrun");
    FR_RUN(FAULTRUN, "-x", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "-e");
    fr_expect_exit(2);
    fr_expect_err("needs a value");
    FR_RUN(FAULTRUN, "-e", "rd:eintr");
    fr_expect_exit(2);
    fr_expect_err("no COMMAND");
    FR_RUN(FAULTRUN, "--only", "", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    FR_RUN(FAULTRUN, "-l", "/nonexistent/dir/log", "--", PROG, "touch", mark);
    fr_expect_exit(2);
    fr_expect_err("log '/nonexistent/dir/log'");
    assert_false(fr_exists(mark));
}

/* ---- log, determinism, --only -------------------------------------------- */

/* The log without its pid, tid and t= fields (they differ between runs);
 * the number of lines. */
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
        char *t = strstr(p, " t=");
        assert_non_null(t);
        char *after = strchr(t + 1, ' ');
        have += (size_t)snprintf(buf + have, len - have, "%.*s%s\n", (int)(t - p - 1), p + 1,
                                 after ? after : "");
        lines++;
    }
    return lines;
}

/* One log line, every field of faultinject.md's Log. */
struct logline {
    int pid, tid, fd, rule;
    char call[32], fault[64], frac[16], proc[48];
    long k, sec, asked, ret, c, o, q, off;
};

/* Parses the line at *P (advancing it): 1, or 0 at the end. */
static int next_line(const char **p, struct logline *l)
{
    int used = 0;
    if (**p == '\0')
        return 0;
    int got = sscanf(*p, "%d %d %31s %d %63s n=%ld rule=%d t=%ld.%15[0-9] asked=%ld ret=%ld "
                     "c=%ld proc=%47s o=%ld q=%ld off=%ld\n%n", &l->pid, &l->tid, l->call,
                     &l->fd, l->fault, &l->k, &l->rule, &l->sec, l->frac, &l->asked, &l->ret,
                     &l->c, l->proc, &l->o, &l->q, &l->off, &used);
    if (got != 16 || used == 0)
        fail_msg("not a log line with every field: %.200s", *p);
    *p += used;
    return 1;
}

static void LOG_one_line_per_injection(void **state)
{
    (void)state;
    char log[PATH_MAX], text[65536];
    fr_path(log, "one.log");
    FILE *f = fopen(log, "w");
    fputs("earlier line\n", f);
    fclose(f);
    FR_RUN(FAULTRUN, "-l", log, "-e", "read:short=100:when=1..3", "-e", "write:eintr:when=2",
           "--", PROG, "solo", "1024");
    fr_expect_exit(0);
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_memory_equal(text, "earlier line\n", 13);       /* appended */
    /* write 512 (call 1), reads of 100, 100, 100 (calls 1-3, asking for
     * what is left of 512), read 212, then the next write (call 2) fails
     * with EINTR. */
    static const struct { const char *call, *fault; long k, asked, ret, c; int rule; } want[] = {
        { "read", "short=100", 1, 512, 100, 1, 1 },
        { "read", "short=100", 2, 412, 100, 2, 1 },
        { "read", "short=100", 3, 312, 100, 3, 1 },
        { "write", "eintr", 2, 512, -1, 2, 2 },
    };
    const char *p = text + 13;
    struct logline l;
    int n = 0, read_fd = -1;
    long prev_sec = -1;
    while (next_line(&p, &l)) {
        assert_true(n < 4);
        assert_int_equal(l.pid, l.tid);                 /* single-threaded */
        assert_string_equal(l.call, want[n].call);
        assert_string_equal(l.fault, want[n].fault);
        assert_int_equal(l.k, want[n].k);
        assert_int_equal(l.rule, want[n].rule);
        assert_int_equal(l.asked, want[n].asked);
        assert_int_equal(l.ret, want[n].ret);
        assert_int_equal(l.c, want[n].c);
        assert_string_equal(l.proc, "0");
        assert_int_equal(strlen(l.frac), 9);            /* nanoseconds */
        assert_true(l.sec >= prev_sec);
        prev_sec = l.sec;
        assert_true(l.fd >= 3);
        if (n == 0)
            read_fd = l.fd;
        else if (n < 3)
            assert_int_equal(l.fd, read_fd);
        else
            assert_int_not_equal(l.fd, read_fd);        /* the other end */
        n++;
    }
    assert_int_equal(n, 4);
}

/* A read stall with bytes already queued delivers them first: the log's
 * ret= says what the program got (the spec: "what the program got back"). */
static void LOG_a_stall_that_delivers_queued_bytes_logs_them(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096];
    fr_path(log, "stall.log");
    FR_RUN(FAULTRUN, "-l", log, "-e", "read:stall:when=1", "--", PROG, "solo", "10");
    fr_expect_exit(0);                   /* the 10 bytes written were queued */
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_non_null(strstr(text, " read "));
    assert_non_null(strstr(text, " stall n=1 rule=1 t="));
    assert_non_null(strstr(text, " asked=10 ret=10 c=1 proc=0 o="));
}

/* faultrun -l with a relative path: one file for the whole run, also for
 * a process that changed directory before it exec'd (sshd re-execs itself
 * from /). */
static void LOG_a_relative_path_holds_after_the_program_changes_directory(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096], here[PATH_MAX], elsewhere[PATH_MAX + 16];
    fr_path(log, "moved.log");
    snprintf(elsewhere, sizeof elsewhere, "%s/sub", fr_tmpdir);
    assert_int_equal(mkdir(elsewhere, 0700) == 0 || errno == EEXIST, 1);
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(fr_tmpdir), 0);
    FR_RUN(FAULTRUN, "-l", "moved.log", "-e", "write:error=ENOBUFS:when=1", "--", "/bin/sh", "-c",
           "cd sub && exec \"$0\" solo 10", PROG);
    assert_int_equal(chdir(here), 0);
    fr_expect_exit(1);                       /* solo does not retry ENOBUFS */
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_non_null(strstr(text, " error=ENOBUFS n=1 rule=1 t="));
    char stray[PATH_MAX + 32];
    snprintf(stray, sizeof stray, "%s/moved.log", elsewhere);
    assert_int_equal(access(stray, F_OK), -1);   /* no second log where it moved */
}

static void LOG_relative_path_and_error_names(void **state)
{
    (void)state;
    char log[PATH_MAX], text[4096];
    fr_path(log, "rel.log");
    /* A relative FILE names it in the directory COMMAND starts in. */
    char *env[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_RULES=write:error=ENOBUFS:when=1",
                    "FAULTINJECT_LOG=rel.log", NULL };
    char here[PATH_MAX];
    assert_non_null(getcwd(here, sizeof here));
    assert_int_equal(chdir(fr_tmpdir), 0);
    FR_RUN_ENV(env, PROG, "solo", "10");
    assert_int_equal(chdir(here), 0);
    fr_expect_exit(1);                       /* solo does not retry ENOBUFS */
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_non_null(strstr(text, " write "));
    assert_non_null(strstr(text, " error=ENOBUFS n=1 rule=1 t="));
    assert_non_null(strstr(text, " asked=10 ret=-1 c=1 proc=0 o="));
}

static void PROM_same_seed_same_log(void **state)
{
    (void)state;
    char log[PATH_MAX], a[65536], b[65536], c[65536];
    const char *rule = "rd,wr:eintr:p=0.3";
    fr_path(log, "seed.log");
    FR_RUN(FAULTRUN, "-s", "5", "-l", log, "-e", rule, "--", PROG, "solo", "12000");
    fr_expect_exit(0);
    int na = strip_log(log, a, sizeof a);
    unlink(log);
    FR_RUN(FAULTRUN, "--seed", "5", "-l", log, "-e", rule, "--", PROG, "solo", "12000");
    fr_expect_exit(0);
    strip_log(log, b, sizeof b);
    unlink(log);
    assert_true(na > 5);
    assert_string_equal(a, b);
    char *env[] = { "LD_PRELOAD=" SHIM, "FAULTINJECT_RULES=rd,wr:eintr:p=0.3",
                    "FAULTINJECT_SEED=5", log, NULL };
    char logenv[PATH_MAX + 32];
    snprintf(logenv, sizeof logenv, "FAULTINJECT_LOG=%s", log);
    env[3] = logenv;
    FR_RUN_ENV(env, PROG, "solo", "12000");          /* bare preload: the same */
    fr_expect_exit(0);
    strip_log(log, c, sizeof c);
    unlink(log);
    assert_string_equal(a, c);
    FR_RUN(FAULTRUN, "-s", "6", "-l", log, "-e", rule, "--", PROG, "solo", "12000");
    fr_expect_exit(0);
    strip_log(log, c, sizeof c);
    assert_string_not_equal(a, c);
}

/* Each child's faults, in fork order: "proc=0.1 n=3 n=7 ...\n" lines
 * sorted by proc (children run one after another). */
static int child_sequences(const char *path, char seq[][512], int max)
{
    char text[65536];
    assert_true(fiu_slurp(path, text, sizeof text) > 0);
    int n = 0;
    for (int i = 0; i < max; i++)
        seq[i][0] = '\0';
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *proc = strstr(line, " proc=0.");
        char *k = strstr(line, " n=");
        assert_non_null(proc);
        assert_non_null(k);
        int child = atoi(proc + 8);
        assert_true(child >= 1 && child <= max);
        size_t have = strlen(seq[child - 1]);
        snprintf(seq[child - 1] + have, 512 - have, "%.*s", (int)strcspn(k + 1, " ") + 1, k);
        if (child > n)
            n = child;
    }
    return n;
}

static void PROM_forked_children_draw_their_own_streams(void **state)
{
    (void)state;
    char log1[PATH_MAX], log2[PATH_MAX];
    static char a[8][512], b[8][512];
    fr_path(log1, "children1.log");
    fr_path(log2, "children2.log");
    FR_RUN(FAULTRUN, "-q", "-s", "9", "-l", log1, "-e", "read:eintr:p=0.5", "--",
           FR_PROG2, "forks", "8");
    fr_expect_exit(0);
    FR_RUN(FAULTRUN, "-q", "-s", "9", "-l", log2, "-e", "read:eintr:p=0.5", "--",
           FR_PROG2, "forks", "8");
    fr_expect_exit(0);
    assert_int_equal(child_sequences(log1, a, 8), 8);
    assert_int_equal(child_sequences(log2, b, 8), 8);
    int distinct = 0;
    for (int i = 0; i < 8; i++) {
        assert_string_equal(a[i], b[i]);               /* a rerun draws alike */
        int seen = 0;
        for (int j = 0; j < i; j++)
            seen |= strcmp(a[i], a[j]) == 0;
        distinct += !seen;
    }
    if (distinct < 4)
        fail_msg("8 children drew only %d distinct fault sequences", distinct);
}

static void ONLY_spares_other_programs(void **state)
{
    (void)state;
    FR_RUN(FAULTRUN, "--only", "fi_prog", "-e", "read:short=5", "--", PROG, "oneread");
    fr_expect_exit(1);
    FR_RUN(FAULTRUN, "--only", "cat", "-e", "read:short=5", "--", PROG, "oneread");
    fr_expect_exit(0);
    FR_RUN(FAULTRUN, "-e", "read:short=5", "--", PROG, "oneread");
    fr_expect_exit(1);
    /* A program that execs another: only the named one is injected. */
    FR_RUN(FAULTRUN, "--only", "fi_prog", "-e", "rd:eintr:fd=any", "--", "sh", "-c",
        PROG " oneread; echo sh=$?");
    assert_non_null(strstr(fr_out, "sh=1"));
}

/* ---- man faultrun ----------------------------------------------------- */

#define MANPAGE FI_SRC_DIR "/man/faultrun.1"
#define FR_LIFE FI_BUILD_DIR "/tests/fi/fr_life"

/* The command lines of man faultrun's EXAMPLES, as printed: a ".Dl $ "
 * line and the ".Dl \ \ \ \ " lines that continue one ending in "\e".
 * Returns how many, into CMDS. */
static int man_examples(char cmds[][1024], int max)
{
    static char text[65536];
    assert_true(fiu_slurp(MANPAGE, text, sizeof text) > 0);
    char *p = strstr(text, "\n.Sh EXAMPLES\n");
    assert_non_null(p);
    char *end = strstr(p + 1, "\n.Sh ");
    if (end != NULL)
        *end = '\0';
    int n = 0, going = 0;
    for (char *line = strtok(p, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *body = NULL;
        if (strncmp(line, ".Dl $ ", 6) == 0 && n < max) {
            body = line + 6;
            cmds[n++][0] = '\0';
        } else if (going && strncmp(line, ".Dl ", 4) == 0) {
            body = line + 4;
            while (strncmp(body, "\\ ", 2) == 0)
                body += 2;
        } else {
            going = 0;
            continue;
        }
        size_t len = strlen(body);
        going = len >= 3 && strcmp(body + len - 3, " \\e") == 0;
        if (going)
            body[len - 3] = '\0';
        strncat(cmds[n - 1], body, 1023 - strlen(cmds[n - 1]));
        if (going)
            strncat(cmds[n - 1], " ", 1023 - strlen(cmds[n - 1]));
    }
    return n;
}

/* CMD split into words as the shell would ('...' quoted), into ARGV. */
static int shell_words(char *cmd, char **argv, int max)
{
    int n = 0;
    char *out = cmd;
    for (char *p = cmd; *p != '\0' && n < max - 1;) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        argv[n++] = out;
        while (*p != '\0' && *p != ' ') {
            if (*p == '\'') {
                for (p++; *p != '\0' && *p != '\''; )
                    *out++ = *p++;
                if (*p == '\'')
                    p++;
            } else {
                *out++ = *p++;
            }
        }
        if (*p == ' ')
            p++;
        *out++ = '\0';
    }
    argv[n] = NULL;
    return n;
}

/* Every example of man faultrun runs as printed (in a folder where its
 * programs are fr_life's stand-ins), and does what its sentence says:
 * the short reads and the refused accepts are injected, the sweep's
 * write faults fire on a file (so it reports failing points, never "tested
 * nothing"), the replay finds every recorded fault, and the shrink takes
 * the copy's failing log down to its one EIO. */
static void MAN_every_example_runs_as_printed(void **state)
{
    (void)state;
    static char cmds[16][1024];
    int n = man_examples(cmds, 16);
    assert_true(n >= 5);
    char dir[PATH_MAX], cmd[PATH_MAX * 4];
    snprintf(dir, sizeof dir, "%s/man", fr_tmpdir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cd %s && for p in client server copy "
             "redis-benchmark; do ln -sf %s $p; done && head -c 40 /dev/zero > in", dir, dir,
             FR_LIFE);
    assert_int_equal(system(cmd), 0);
    char path[PATH_MAX + 64], here[PATH_MAX];
    snprintf(path, sizeof path, "PATH=%s:%s", dir, getenv("PATH") ? getenv("PATH") : "/bin");
    char *env[] = { path, NULL };
    assert_non_null(getcwd(here, sizeof here));
    int sweeps = 0, replays = 0, shrinks = 0;
    for (int i = 0; i < n; i++) {
        char *argv[64], shown[1024];
        memcpy(shown, cmds[i], sizeof shown);
        shell_words(cmds[i], argv, 64);
        assert_string_equal(argv[0], "faultrun");
        argv[0] = FAULTRUN;
        assert_int_equal(chdir(dir), 0);
        fr_status = fiu_run(argv, env, fr_out, sizeof fr_out, fr_err, sizeof fr_err, 60);
        assert_int_equal(chdir(here), 0);
        if (!WIFEXITED(fr_status) || WEXITSTATUS(fr_status) == 2 || WEXITSTATUS(fr_status) == 3)
            fail_msg("man faultrun example '%s': status 0x%x\n%s", shown, fr_status, fr_err);
        if (strstr(shown, "--sweep") != NULL) {
            sweeps++;
            fr_expect_exit(1);                  /* copy fails at each injected write */
            fr_expect_err("faultrun: sweep point 1: exit 1\n");
            fr_expect_err("faultrun: reproduce point 1: ");
            fr_expect_no_err("tested nothing");
        } else if (strstr(shown, "--replay") != NULL) {
            replays++;
            fr_expect_exit(0);
            unsigned long found = 0, total = 0;
            const char *r = strstr(fr_err, "faultrun: replay: ");
            assert_non_null(r);
            assert_int_equal(sscanf(r, "faultrun: replay: %lu of %lu", &found, &total), 2);
            assert_true(total >= 3);            /* the 3 refused accepts at least */
            assert_int_equal(found, total);
        } else if (strstr(shown, "--shrink") != NULL) {
            shrinks++;
            fr_expect_exit(0);
            fr_expect_err(" -> 1 in ");
            fr_expect_err("faultrun: shrink: reproduce: ");
        } else if (strstr(shown, "-l copy.log") != NULL) {
            fr_expect_exit(1);                  /* the failing run to shrink */
        } else {
            fr_expect_exit(0);
        }
        if (strstr(shown, "rd:short=1") != NULL)
            fr_expect_err("faultrun: rule 1 'rd:short=1': ");
        if (strstr(shown, "ECONNABORTED") != NULL)
            fr_expect_err(", 3 faults injected, 0 could not fire\n");
    }
    assert_int_equal(sweeps, 1);
    assert_int_equal(replays, 1);
    assert_int_equal(shrinks, 1);
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
        cmocka_unit_test(LOG_a_stall_that_delivers_queued_bytes_logs_them),
        cmocka_unit_test(LOG_a_relative_path_holds_after_the_program_changes_directory),
        cmocka_unit_test(LOG_relative_path_and_error_names),
        cmocka_unit_test(PROM_same_seed_same_log),
        cmocka_unit_test(PROM_forked_children_draw_their_own_streams),
        cmocka_unit_test(ONLY_spares_other_programs),
        cmocka_unit_test(MAN_every_example_runs_as_printed),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

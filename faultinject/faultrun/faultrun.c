/* faultrun: runs a program under libfaultinject.so (faultinject.md,
 * "Command line"). Every rule, number and option is checked before
 * COMMAND starts; anything wrong exits 2 with a message naming it. */
#include "faultrun.h"

#include "elfcheck.h"
#include "launch.h"
#include "logparse.h"
#include "rules.h"
#include "runblock.h"
#include "shrink.h"
#include "summary.h"
#include "sweep.h"
#include "trace.h"
#include "traceinner.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FI_LIBDIR
#define FI_LIBDIR "/usr/local/lib"
#endif
#ifndef FI_SHIM_RELDIR
#define FI_SHIM_RELDIR "lib"        /* FI_LIBDIR relative to PREFIX */
#endif
#define SO_NAME "libfaultinject.so"
#define VERSION "1.0"

static const char usage_text[] =
"usage: faultrun [OPTIONS] -- COMMAND [ARG...]\n"
"  -e, --inject RULE    add a rule (repeatable; rules are tried in order, the first that fires wins)\n"
"  -s, --seed N         seed for probabilistic rules (default 1)\n"
"  -l, --log FILE       append one line per injected fault:\n"
"                         pid tid call fd fault n=K rule=I t=SECONDS[ asked=N ret=R] c=C proc=PATH[ x=E]\n"
"                       e.g. 4242 4242 read 5 short=100 n=1 rule=1 t=5821.000123456 asked=512 ret=100 c=1 proc=0\n"
"                       (n: the call's number for its rule; t: CLOCK_MONOTONIC; asked/ret:\n"
"                       bytes asked for and what the program got; c: the call's number among\n"
"                       the process's calls of that name; proc: the process by fork order,\n"
"                       0, 0.1, 0.1.2 ...; x: the program image after an exec, when not the first)\n"
"      --only NAME      inject only in processes whose program name is NAME\n"
"      --sweep          run COMMAND once per injection point (one -e RULE without when=);\n"
"                       exit 0 all passed, 1 some run failed, 3 RULE never fired\n"
"      --sweep-max N    stop a sweep after N runs (default 1000)\n"
"  -j, --jobs N         sweep N points (or run N of a shrink's candidates) at a time (1 to 64;\n"
"                       default 1), each in its own process\n"
"                       group; what each prints and logs (-l) is kept apart and written out\n"
"                       in point order, so the lines and exit status are those of -j 1\n"
"                       (with N > 1, COMMAND's stdin is /dev/null), e.g.\n"
"                         faultrun --sweep -j 4 -e rd:eintr -- ./client\n"
"      --shard K/N      sweep only the points P with P modulo N = K (points count from 1,\n"
"                       K from 0 to N-1): N machines, one per K, split a sweep and the union\n"
"                       of their lines is the whole sweep's, e.g. shard 1/3 runs 1, 4, 7 ...\n"
"                         faultrun --sweep --shard \"$CI_INDEX/3\" -e wr:reset -- ./server-test\n"
"      --replay LOG     inject exactly the faults recorded in LOG (a -l log of an earlier\n"
"                       run; delete lines to shrink a failing run), no -e\n"
"      --backend B      auto (default), preload or trace: preload is the LD_PRELOAD shim;\n"
"                       trace follows the program's system calls (ptrace + seccomp), for\n"
"                       statically linked and Go programs, which auto sends there\n"
"      --shrink LOG     find a smallest subset of LOG's faults that still makes COMMAND\n"
"                       fail (delta debugging, --replay as the test); writes it to\n"
"                       --shrink-out and prints its --replay command; exit 0 found,\n"
"                       3 LOG replayed whole does not fail, 2 bad input\n"
"      --shrink-timeout SECONDS  a run past it is killed with its process group and\n"
"                       counts as failing (default 30)\n"
"      --shrink-runs N  a subset fails only if it fails in each of N replays (default 1;\n"
"                       raise it for a flaky COMMAND)\n"
"      --shrink-out FILE  where the minimal log goes (default LOG.min)\n"
"  -q, --quiet          no summary at the end\n"
"  -h, --help           this help\n"
"      --version        print the version\n"
"At the end faultrun prints to stderr, per rule, the calls it matched, the faults it\n"
"injected and the calls where it could not fire, and warns about a rule that matched\n"
"nothing, and under the trace backend which backend ran and why. Set-ID programs are\n"
"refused (exit 2); so are statically linked and Go programs under --backend=preload.\n"
"Example: faultrun -l f.log -e 'rd:short=100:p=0.3' -- ./server  (fails), then\n"
"  faultrun --shrink f.log -- ./server  writes f.log.min, the few faults that matter.\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "faultrun: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    exit(2);
}

static void print_version(void);

/* The ELF machine faultrun itself was built for (e_machine). */
static uint16_t fr_own_machine(void)
{
#if defined(__x86_64__)
    return 62;
#elif defined(__aarch64__)
    return 183;
#elif defined(__i386__)
    return 3;
#elif defined(__arm__)
    return 40;
#elif defined(__riscv)
    return 243;
#else
    return 0xffff;      /* unknown here: nothing passes, so --version says none */
#endif
}

static void die(const char *prefix, const char *msg)
{
    fprintf(stderr, "%s: %s\n", prefix, msg);
    exit(2);
}

/* Parses RULE once: its rules join O->rs, its text O->rules (for the shim). */
static void add_rule(struct fr_opts *o, const char *rule)
{
    struct fi_ruleset rs;
    char err[512];
    if (fi_rules_parse(rule, &rs, err, sizeof err) < 0)
        die("faultinject", err);
    if (rs.n == 0) {
        snprintf(err, sizeof err, "rule '%s': empty rule", rule);
        die("faultinject", err);
    }
    size_t have = strlen(o->rules), add = strlen(rule);
    if (have + add + 2 > sizeof o->rules)
        die("faultrun", "rules too long");
    if (o->rs.n + rs.n > FI_MAX_RULES) {
        fprintf(stderr, "faultinject: rule '%.160s%s': too many rules (at most %d)\n", rule,
                strlen(rule) > 160 ? "..." : "", FI_MAX_RULES);
        exit(2);
    }
    if (have > 0)
        o->rules[have++] = ';';
    memcpy(o->rules + have, rule, add + 1);
    for (int i = 0; i < rs.n; i++)
        o->rs.rule[o->rs.n++] = rs.rule[i];
}

/* PATH made absolute against the directory faultrun starts in: every
 * process of the run writes the same file, even one that changed
 * directory before it exec'd (sshd re-execs itself from /). Static
 * storage; PATH itself when absolute or when the directory is unknown. */
static const char *absolute(const char *path)
{
    static char buf[PATH_MAX * 2];
    char cwd[PATH_MAX];
    if (path[0] == '/' || path[0] == '\0' || getcwd(cwd, sizeof cwd) == NULL)
        return path;
    if ((size_t)snprintf(buf, sizeof buf, "%s/%s", cwd, path) >= sizeof buf)
        return path;
    return buf;
}

static void parse_args(int argc, char **argv, struct fr_opts *o)
{
    enum { OPT_ONLY = 256, OPT_SWEEP, OPT_SWEEP_MAX, OPT_REPLAY, OPT_VERSION, OPT_SHARD,
           OPT_BACKEND, OPT_SHRINK, OPT_SHRINK_TIMEOUT, OPT_SHRINK_RUNS, OPT_SHRINK_OUT,
           OPT_FROM_ENV };
    static const struct option longs[] = {
        { "inject", required_argument, NULL, 'e' },
        { "seed", required_argument, NULL, 's' },
        { "log", required_argument, NULL, 'l' },
        { "only", required_argument, NULL, OPT_ONLY },
        { "sweep", no_argument, NULL, OPT_SWEEP },
        { "sweep-max", required_argument, NULL, OPT_SWEEP_MAX },
        { "jobs", required_argument, NULL, 'j' },
        { "shard", required_argument, NULL, OPT_SHARD },
        { "replay", required_argument, NULL, OPT_REPLAY },
        { "shrink", required_argument, NULL, OPT_SHRINK },
        { "shrink-timeout", required_argument, NULL, OPT_SHRINK_TIMEOUT },
        { "shrink-runs", required_argument, NULL, OPT_SHRINK_RUNS },
        { "shrink-out", required_argument, NULL, OPT_SHRINK_OUT },
        { "quiet", no_argument, NULL, 'q' },
        { "backend", required_argument, NULL, OPT_BACKEND },
        { FR_FROM_ENV_OPTION, no_argument, NULL, OPT_FROM_ENV },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    char err[512];
    int c;
    int sweep_max_given = 0;
    const char *jobs = NULL;
    uint64_t num;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:e:s:l:j:qh", longs, NULL)) != -1) {
        switch (c) {
        case 'e':
            add_rule(o, optarg);
            break;
        case 's':
            if (fi_seed_parse(optarg, &o->seed, err, sizeof err) < 0)
                die("faultrun", err);
            break;
        case 'l':
            o->log = absolute(optarg);
            break;
        case OPT_ONLY:
            if (optarg[0] == '\0')
                die("faultrun", "--only: empty program name");
            o->only = optarg;
            break;
        case OPT_SWEEP:
            o->sweep = 1;
            break;
        case OPT_SWEEP_MAX:
            if (fi_number_parse("--sweep-max", optarg, 1, 1000000, &o->sweep_max, err,
                                sizeof err) < 0)
                die("faultrun", err);
            sweep_max_given = 1;
            break;
        case 'j': {
            uint64_t n;
            if (fi_number_parse("-j/--jobs", optarg, 1, FR_JOBS_MAX, &n, err, sizeof err) < 0)
                die("faultrun", err);
            o->jobs = (unsigned)n;
            o->jobs_given = 1;
            jobs = optarg;
            break;
        }
        case OPT_SHARD:
            o->shard = optarg;      /* parsed by fr_sweep_check */
            break;
        case OPT_REPLAY:
            o->replay = optarg;
            break;
        case OPT_SHRINK:
            o->shrink = optarg;
            break;
        case OPT_SHRINK_TIMEOUT:
            if (fr_shrink_timeout_parse(optarg, &o->shrink_timeout_ms, err, sizeof err) < 0)
                die("faultrun", err);
            o->shrink_opts = 1;
            break;
        case OPT_SHRINK_RUNS:
            if (fi_number_parse("--shrink-runs", optarg, 1, 1000, &num, err, sizeof err) < 0)
                die("faultrun", err);
            o->shrink_runs = (unsigned)num;
            o->shrink_opts = 1;
            break;
        case OPT_SHRINK_OUT:
            if (optarg[0] == '\0')
                die("faultrun", "--shrink-out: empty file name");
            o->shrink_out = optarg;
            o->shrink_opts = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_BACKEND:
            if (strcmp(optarg, "auto") != 0 && strcmp(optarg, "preload") != 0 &&
                strcmp(optarg, "trace") != 0) {
                fprintf(stderr, "faultrun: --backend '%s': unknown backend (want auto, "
                        "preload or trace)\n", optarg);
                exit(2);
            }
            o->backend = optarg;
            break;
        case OPT_FROM_ENV:
            o->from_env = 1;
            break;
        case 'h': {
            char help[8192];
            fi_rules_help_text(help, sizeof help);
            printf("%s\n%s", usage_text, help);
            exit(0);
        }
        case OPT_VERSION:
            print_version();
            exit(0);
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        usage_error("no COMMAND given%s", "");
    if (sweep_max_given && !o->sweep)
        die("faultrun", "--sweep-max is only meaningful with --sweep");
    /* -j runs several at a time: sweep points or shrink candidates. */
    if (jobs != NULL && !o->sweep && o->shrink == NULL)
        usage_error("-j/--jobs '%s' is only meaningful with --sweep (give --sweep or --shrink)",
                    jobs);
    if (o->shard != NULL && !o->sweep)
        usage_error("--shard '%s' is only meaningful with --sweep", o->shard);
    if (o->replay != NULL && o->rs.n > 0)
        die("faultrun", "--replay injects exactly the faults in LOG: drop the -e rules");
    if (o->replay != NULL && o->sweep)
        die("faultrun", "--replay and --sweep do not go together");
    o->self = argv[0];
    o->argv = argv + optind;
}

/* FILE is a shared object the loader could preload here (an ELF
 * ET_DYN of faultrun's own class and machine): copy its absolute path to
 * OUT. Anything else LD_PRELOAD would skip with a message, injecting
 * nothing. */
static int usable(const char *file, char *out)
{
    unsigned char h[20];
    FILE *f = fopen(file, "rb");
    if (f == NULL)
        return 0;
    size_t n = fread(h, 1, sizeof h, f);
    fclose(f);
    uint16_t type, machine;
    if (n < sizeof h || memcmp(h, "\177ELF", 4) != 0 || h[4] != (sizeof(void *) == 8 ? 2 : 1)) {
        errno = ENOEXEC;
        return 0;
    }
    memcpy(&type, h + 16, 2);
    memcpy(&machine, h + 18, 2);
    if (type != 3 /* ET_DYN */ || machine != fr_own_machine()) {
        errno = ENOEXEC;
        return 0;
    }
    return realpath(file, out) != NULL;
}

/* libfaultinject.so: $FAULTINJECT_SO, next to faultrun, ../FI_SHIM_RELDIR,
 * FI_LIBDIR (the FI_SHIMDIR it was installed with).
 * 0 with its path in OUT, or -1 with why in WHY. */
static int find_shim(char *out, char *why, size_t whylen)
{
    char exe[PATH_MAX], try[PATH_MAX + sizeof FI_SHIM_RELDIR + 32];
    const char *env = getenv("FAULTINJECT_SO");
    if (env != NULL) {
        if (usable(env, out))
            return 0;
        snprintf(why, whylen, "FAULTINJECT_SO '%s': %s", env,
                 errno == ENOEXEC ? "not a shared object this faultrun can preload"
                                  : strerror(errno));
        return -1;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL)
            *slash = '\0';
        snprintf(try, sizeof try, "%s/%s", exe, SO_NAME);
        if (usable(try, out))
            return 0;
        snprintf(try, sizeof try, "%s/../" FI_SHIM_RELDIR "/%s", exe, SO_NAME);
        if (usable(try, out))
            return 0;
    }
    if (usable(FI_LIBDIR "/" SO_NAME, out))
        return 0;
    snprintf(why, whylen, "cannot find " SO_NAME " (next to faultrun, in ../" FI_SHIM_RELDIR ", in "
             FI_LIBDIR "); set FAULTINJECT_SO");
    return -1;
}

static void locate_shim(char *out)
{
    char why[PATH_MAX + 128];
    if (find_shim(out, why, sizeof why) < 0)
        die("faultrun", why);
}

/* --version: this faultrun and the shim it would load now, or none. */
static void print_version(void)
{
    char so[PATH_MAX], why[PATH_MAX + 128];
    if (find_shim(so, why, sizeof why) == 0)
        printf("faultrun %s (shim: %s)\n", VERSION, so);
    else
        printf("faultrun %s (shim: none: %s)\n", VERSION, why);
}

/* The environment the shim reads, for every run (SO NULL: no shim, the
 * settings alone, for a traced sweep's runs: traceinner.h). */
static void set_env(const struct fr_opts *o, const char *so)
{
    char seed[32], preload[PATH_MAX * 2 + 2];
    const char *old = getenv("LD_PRELOAD");
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    snprintf(preload, sizeof preload, "%s%s%s", so, old && *old ? ":" : "", old ? old : "");
    if (so != NULL)
        setenv("LD_PRELOAD", preload, 1);
    setenv("FAULTINJECT_RULES", o->rules, 1);
    setenv("FAULTINJECT_SEED", seed, 1);
    if (o->log != NULL)
        setenv("FAULTINJECT_LOG", o->log, 1);
    else
        unsetenv("FAULTINJECT_LOG");
    if (o->only != NULL)
        setenv("FAULTINJECT_ONLY", o->only, 1);
    else
        unsetenv("FAULTINJECT_ONLY");
}

/* The log must be writable before COMMAND starts (loud on bad input). */
static void check_log(const char *log)
{
    FILE *f = fopen(log, "a");
    if (f == NULL) {
        fprintf(stderr, "faultrun: log '%s': %s\n", log, strerror(errno));
        exit(2);
    }
    fclose(f);
}

/* --replay LOG: the whole log is checked before anything runs, then
 * handed to the shim as a private copy (a memfd), so that a -l log of
 * this run, even into the same file, cannot change what is replayed. */
static void load_replay(struct fr_opts *o)
{
    FILE *f = fopen(o->replay, "r");
    if (f == NULL) {
        fprintf(stderr, "faultrun: --replay '%s': %s\n", o->replay, strerror(errno));
        exit(2);
    }
    size_t cap = 65536, len = 0;
    char *text = malloc(cap);
    size_t n;
    while (text != NULL && (n = fread(text + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap)
            text = realloc(text, cap *= 2);
    }
    int bad = ferror(f);
    fclose(f);
    if (text == NULL || bad) {
        fprintf(stderr, "faultrun: --replay '%s': cannot read it\n", o->replay);
        exit(2);
    }
    char err[512];
    long faults = fi_log_parse(text, len, NULL, NULL, err, sizeof err);
    if (faults < 0) {
        fprintf(stderr, "faultrun: --replay '%s': %s (not a faultrun -l log?)\n",
                o->replay, err);
        exit(2);
    }
    o->replay_faults = (unsigned long)faults;
    int fd = (int)syscall(SYS_memfd_create, "faultrun-replay", 0);
    int high = fd >= 0 ? fcntl(fd, F_DUPFD, 100) : -1;
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
        fprintf(stderr, "faultrun: --replay: cannot copy the log: %s\n", strerror(errno));
        exit(2);
    }
    free(text);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    setenv("FAULTINJECT_REPLAY", path, 1);
}

/* The backend for COMMAND (faultinject.md, Backends): NULL for preload,
 * else why trace. Set-ID: refused under both; static or Go: refused
 * under --backend=preload. */
static const char *choose_backend(const struct fr_opts *o)
{
    static struct fi_elf_verdict v;
    int r = fi_elf_check(o->argv[0], &v);
    if (r < 0 || (r > 0 && strcmp(o->backend, "preload") == 0)) {
        fprintf(stderr, "faultrun: refusing to run %s\n", v.why);
        exit(2);
    }
    if (strcmp(o->backend, "trace") == 0)
        return r > 0 ? v.reason : "--backend=trace";
    return r > 0 ? v.reason : NULL;
}

/* The counters every process of the run adds to. */
static void make_run(struct fr_opts *o)
{
    int fd;
    o->run = fi_run_create(&fd);
    if (o->run == NULL) {
        fprintf(stderr, "faultrun: cannot make the run's counters (memfd): %s\n",
                strerror(errno));
        exit(2);
    }
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    setenv(FI_RUN_ENV, num, 1);
    snprintf(num, sizeof num, "%d", (int)getpid());
    setenv(FI_RUN_PID_ENV, num, 1);        /* for a program that closed FD */
}

int main(int argc, char **argv)
{
    static struct fr_opts o = { .seed = 1, .sweep_max = 1000, .backend = "auto",
                                .shrink_timeout_ms = 30000, .shrink_runs = 1, .jobs = 1 };
    char so[PATH_MAX];
    parse_args(argc, argv, &o);
    if (o.from_env) {                   /* one run of a traced sweep */
        fr_trace_inner_opts(&o);
        fr_exit_like(fr_trace_run(&o, fr_trace_inner_reason()));
    }
    if (o.sweep)
        fr_sweep_check(&o);
    fr_shrink_check(&o);
    unsetenv("FAULTINJECT_REPLAY");
    if (o.replay != NULL)
        load_replay(&o);
    const char *traced = choose_backend(&o);
    if (traced != NULL)
        fr_trace_check(&o, traced);
    if (o.log != NULL)
        check_log(o.log);
    if (traced != NULL && o.shrink != NULL) {   /* each candidate: faultrun, traced */
        set_env(&o, NULL);
        o.run_argv = fr_trace_inner_argv(&o, traced);
        if (!o.quiet)
            fprintf(stderr, "faultrun: shrink: backend trace: %s\n", traced);
        return fr_shrink(&o);
    }
    if (traced != NULL && o.sweep) {    /* each run: faultrun itself, traced */
        set_env(&o, NULL);
        make_run(&o);
        o.run_argv = fr_trace_inner_argv(&o, traced);
        if (!o.quiet)
            fprintf(stderr, "faultrun: sweep: backend trace: %s\n", traced);
        return fr_sweep(&o);
    }
    if (traced != NULL) {
        make_run(&o);
        fr_exit_like(fr_trace_run(&o, traced));
    }
    locate_shim(so);
    set_env(&o, so);
    if (o.shrink != NULL)
        return fr_shrink(&o);
    make_run(&o);
    if (o.sweep)
        return fr_sweep(&o);
    if (o.quiet)
        fr_exec(o.argv);
    int status = fr_launch(o.argv, NULL);
    const struct fi_run_counts *c = &o.run->c;
    int not_started = atomic_load(&c->procs) == 0 && WIFEXITED(status) &&
                      (WEXITSTATUS(status) == 126 || WEXITSTATUS(status) == 127);
    if (!not_started)
        fi_summary_print(stderr, &(struct fi_summary){
            .prefix = "faultrun", .rs = &o.rs, .c = c, .run = o.run, .only = o.only,
            .replay = o.replay != NULL, .replay_total = o.replay_faults });
    fr_exit_like(status);
}

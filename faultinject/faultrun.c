/* faultrun: runs a program under libfaultinject.so (faultinject.md,
 * "Command line"). Every rule, number and option is checked before
 * COMMAND starts; anything wrong exits 2 with a message naming it. */
#include "faultrun.h"

#include "rules.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FI_LIBDIR
#define FI_LIBDIR "/usr/local/lib"
#endif
#define SO_NAME "libfaultinject.so"
#define VERSION "1.0"

static const char usage_text[] =
"usage: faultrun [OPTIONS] -- COMMAND [ARG...]\n"
"  -e, --inject RULE    add a rule (repeatable; rules are tried in order, the first that fires wins)\n"
"  -s, --seed N         seed for probabilistic rules (default 1)\n"
"  -l, --log FILE       append one line per injected fault: pid tid call fd fault n=K\n"
"      --only NAME      inject only in processes whose program name is NAME\n"
"      --sweep          run COMMAND once per injection point (one -e RULE without when=)\n"
"      --sweep-max N    stop a sweep after N runs (default 1000)\n"
"  -h, --help           this help\n"
"      --version        print the version\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "faultrun: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    exit(2);
}

static void die(const char *prefix, const char *msg)
{
    fprintf(stderr, "%s: %s\n", prefix, msg);
    exit(2);
}

/* Appends RULE to the ';'-separated list in O->rules. */
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
    if (have > 0)
        o->rules[have++] = ';';
    memcpy(o->rules + have, rule, add + 1);
    o->nrules += rs.n;
    o->last_rule = rule;
}

static void parse_args(int argc, char **argv, struct fr_opts *o)
{
    enum { OPT_ONLY = 256, OPT_SWEEP, OPT_SWEEP_MAX, OPT_VERSION };
    static const struct option longs[] = {
        { "inject", required_argument, NULL, 'e' },
        { "seed", required_argument, NULL, 's' },
        { "log", required_argument, NULL, 'l' },
        { "only", required_argument, NULL, OPT_ONLY },
        { "sweep", no_argument, NULL, OPT_SWEEP },
        { "sweep-max", required_argument, NULL, OPT_SWEEP_MAX },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 },
    };
    char err[512];
    int c;
    int sweep_max_given = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:e:s:l:h", longs, NULL)) != -1) {
        switch (c) {
        case 'e':
            add_rule(o, optarg);
            break;
        case 's':
            if (fi_seed_parse(optarg, &o->seed, err, sizeof err) < 0)
                die("faultrun", err);
            break;
        case 'l':
            o->log = optarg;
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
        case 'h':
            printf("%s\n%s", usage_text, fi_rules_help);
            exit(0);
        case OPT_VERSION:
            printf("faultrun %s (shim fallback: %s/%s)\n", VERSION, FI_LIBDIR, SO_NAME);
            exit(0);
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    struct fi_ruleset all;
    if (fi_rules_parse(o->rules, &all, err, sizeof err) < 0)   /* e.g. too many */
        die("faultinject", err);
    if (optind >= argc)
        usage_error("no COMMAND given%s", "");
    if (sweep_max_given && !o->sweep)
        die("faultrun", "--sweep-max is only meaningful with --sweep");
    o->argv = argv + optind;
}

/* FILE names a readable file: copy its absolute path to OUT. */
static int usable(const char *file, char *out)
{
    return access(file, R_OK) == 0 && realpath(file, out) != NULL;
}

/* libfaultinject.so: $FAULTINJECT_SO, next to faultrun, ../lib, PREFIX/lib. */
static void locate_shim(char *out)
{
    char exe[PATH_MAX], try[PATH_MAX + 32];
    const char *env = getenv("FAULTINJECT_SO");
    if (env != NULL) {
        if (!usable(env, out)) {
            fprintf(stderr, "faultrun: FAULTINJECT_SO '%s': %s\n", env, strerror(errno));
            exit(2);
        }
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL)
            *slash = '\0';
        snprintf(try, sizeof try, "%s/%s", exe, SO_NAME);
        if (usable(try, out))
            return;
        snprintf(try, sizeof try, "%s/../lib/%s", exe, SO_NAME);
        if (usable(try, out))
            return;
    }
    if (usable(FI_LIBDIR "/" SO_NAME, out))
        return;
    die("faultrun", "cannot find " SO_NAME " (next to faultrun, in ../lib, in "
        FI_LIBDIR "); set FAULTINJECT_SO");
}

/* The environment the shim reads, for every run. */
static void set_env(const struct fr_opts *o, const char *so)
{
    char seed[32], preload[PATH_MAX * 2 + 2];
    const char *old = getenv("LD_PRELOAD");
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    snprintf(preload, sizeof preload, "%s%s%s", so, old && *old ? ":" : "", old ? old : "");
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

#ifdef FI_COVERAGE
void __gcov_dump(void);
#endif

void fr_exec(char **argv)
{
#ifdef FI_COVERAGE
    __gcov_dump();          /* exec would lose this process's counts */
#endif
    execvp(argv[0], argv);
    int e = errno;
    fprintf(stderr, "faultrun: cannot run '%s': %s\n", argv[0], strerror(e));
    exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv)
{
    static struct fr_opts o = { .seed = 1, .sweep_max = 1000 };
    char so[PATH_MAX];
    parse_args(argc, argv, &o);
    if (o.sweep)
        fr_sweep_check(&o);
    if (o.log != NULL)
        check_log(o.log);
    locate_shim(so);
    set_env(&o, so);
    if (o.sweep)
        return fr_sweep(&o);
    fr_exec(o.argv);
    return 127;
}

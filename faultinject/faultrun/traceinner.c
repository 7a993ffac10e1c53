/* traceinner.c: one traced run of a sweep (see traceinner.h). */
#include "traceinner.h"

#include "rules.h"
#include "runblock.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REASON_ENV "FAULTRUN_TRACE_REASON"

static void die(const char *what)
{
    fprintf(stderr, "faultrun: --" FR_FROM_ENV_OPTION ": %s\n", what);
    exit(2);
}

char **fr_trace_inner_argv(const struct fr_opts *o, const char *reason)
{
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("cannot find faultrun's own executable (/proc/self/exe)");
    self[n] = '\0';
    size_t argc = 0;
    while (o->argv[argc] != NULL)
        argc++;
    char **v = calloc(argc + 4, sizeof *v);
    if (v == NULL)
        die("out of memory");
    v[0] = self;
    v[1] = "--" FR_FROM_ENV_OPTION;
    v[2] = "--";
    memcpy(v + 3, o->argv, (argc + 1) * sizeof *v);
    setenv(REASON_ENV, reason, 1);
    return v;
}

const char *fr_trace_inner_reason(void)
{
    const char *r = getenv(REASON_ENV);
    return r != NULL ? r : "--backend=trace";
}

void fr_trace_inner_opts(struct fr_opts *o)
{
    char err[512];
    const char *rules = getenv("FAULTINJECT_RULES"), *seed = getenv("FAULTINJECT_SEED");
    const char *run = getenv(FI_RUN_ENV), *replay = getenv("FAULTINJECT_REPLAY");
    if ((rules == NULL && replay == NULL) || run == NULL)
        die("for the runs of a sweep or a shrink only (FAULTINJECT_RULES or "
            "FAULTINJECT_REPLAY, and the run's counters, unset)");
    if (rules == NULL)
        rules = "";
    if (replay != NULL && replay[0] != '\0')
        o->replay = replay;
    if (fi_rules_parse(rules, &o->rs, err, sizeof err) < 0)
        die(err);
    snprintf(o->rules, sizeof o->rules, "%s", rules);
    if (seed != NULL && fi_seed_parse(seed, &o->seed, err, sizeof err) < 0)
        die(err);
    o->log = getenv("FAULTINJECT_LOG");
    o->only = getenv("FAULTINJECT_ONLY");
    o->backend = "trace";
    o->quiet = 1;
    o->run = fi_run_map(atoi(run));
    if (o->run == NULL)
        die("the run's counters cannot be mapped");
}

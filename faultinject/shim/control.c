/* control.c: loading the shim (FAULTINJECT_* environment) and the exported
 * in-process control of faultinject.h (faultinject_set/_clear/_fired/_error).
 *
 * Loud on bad input: a bad FAULTINJECT_RULES, _SEED, _LOG or _ONLY makes
 * the process print "faultinject: <what is wrong>" and exit 2 at load.
 */
#include "engine.h"
#include "filog.h"
#include "proc.h"
#include "replay.h"
#include "rules.h"
#include "run.h"
#include "sandbox.h"
#include "seccomp.h"
#include "xfer.h"
#include "shim.h"
#include "fdlife.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static char set_error[512];

#ifdef FI_COVERAGE
void __gcov_dump(void);
#endif

/* At load, before the program's main: print one line and exit 2. */
static void die(const char *msg)
{
    fprintf(stderr, "faultinject: %s\n", msg);
#ifdef FI_COVERAGE
    __gcov_dump();          /* no destructor runs this early */
#endif
    exit(2);
}

/* --only NAME: the program name (argv[0]'s basename) or the executable's. */
static int program_is(const char *name)
{
    if (strcmp(program_invocation_short_name, name) == 0)
        return 1;
    char exe[PATH_MAX] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *slash = strrchr(exe, '/');   /* the link is an absolute path */
    return slash != NULL && strcmp(slash + 1, name) == 0;
}

/* In the child of a fork: its own p= stream, no other thread deciding. */
static void after_fork(void)
{
    fi_sandbox_after_fork();
    fi_engine_after_fork();
    fi_proc_after_fork();
}

__attribute__((constructor))
static void fi_load(void)
{
    char err[512];
    struct fi_ruleset rs;
    uint64_t seed = 1;
    const char *s;

    fi_shim_resolve();
    fi_xfer_resolve();
    fi_seccomp_resolve();
    /* the only fork handlers of the shim: fork paths, streams, pid cache */
    pthread_atfork(fi_proc_before_fork, fi_proc_parent_after_fork, after_fork);
    if (fi_run_init(err, sizeof err) < 0)     /* run counters, fork path, replay */
        die(err);
    if ((s = getenv("FAULTINJECT_SEED")) != NULL && fi_seed_parse(s, &seed, err, sizeof err) < 0)
        die(err);
    fi_engine_seed(seed);
    if (fi_log_init(getenv("FAULTINJECT_LOG"), err, sizeof err) < 0)
        die(err);
    /* Replay points cost something only where a log or a replay needs them. */
    fi_fd_points_track(fi_log_active() || fi_replay_active());
    if (fi_sandboxed()) {               /* a filter came with the exec (sandbox.h) */
        fi_log_hold();
        fi_proc_sandboxed();
    }
    if (fi_rules_parse(getenv("FAULTINJECT_RULES"), &rs, err, sizeof err) < 0)
        die(err);
    const char *only = getenv("FAULTINJECT_ONLY");
    if (only != NULL && only[0] == '\0')
        die("only '': empty program name");
    if (only != NULL && !program_is(only))
        return;                         /* spared: no rule in this process */
    if (only != NULL)
        fi_run_only_matched();          /* for faultrun's --only warning */
    if (fi_replay_active())
        fi_engine_set(&(struct fi_ruleset){ .n = 0 });  /* the mask: the recorded calls */
    else if (rs.n > 0)
        fi_engine_set(&rs);
}

EXPORT int faultinject_set(const char *rules)
{
    struct fi_ruleset rs;
    char err[sizeof set_error];
    if (fi_rules_parse(rules, &rs, err, sizeof err) < 0) {
        memcpy(set_error, err, sizeof set_error);
        errno = EINVAL;
        return -1;
    }
    fi_engine_set(&rs);
    return 0;
}

EXPORT int faultinject_clear(void)
{
    static const struct fi_ruleset none;
    fi_engine_set(&none);
    return 0;
}

EXPORT long faultinject_fired(void)
{
    return fi_engine_fired();
}

EXPORT const char *faultinject_error(void)
{
    return set_error;
}

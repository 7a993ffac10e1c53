/* run.c: this process's part in the run, set up when the shim loads
 * (see run.h). */
#include "run.h"
#include "tally.h"

#include "proc.h"
#include "replay.h"
#include "sandbox.h"
#include "summary.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* FAULTINJECT_SUMMARY=1 without faultrun: stderr as it was at load (a
 * program may close its stderr at exit before this handler runs, as
 * coreutils' close_stdout does), or -1. */
static int summary_fd = -1;
static struct stat summary_st;          /* what it was: a number the program reused is not */

/* SUMMARY_FD still the copy taken at load (the program may have closed it
 * and opened a file of its own at that number: never write there). */
static int summary_fd_ours(void)
{
    struct stat st;
    return summary_fd >= 0 && fstat(summary_fd, &st) == 0 && st.st_dev == summary_st.st_dev &&
           st.st_ino == summary_st.st_ino;
}

/* FAULTINJECT_SUMMARY=1 without faultrun: this process's own counts. */
static void summary_at_exit(void)
{
    struct fi_ruleset rs;
    char err[512];
    if (fi_rules_parse(getenv("FAULTINJECT_RULES"), &rs, err, sizeof err) < 0)
        rs.n = 0;
    fflush(stdout);
    /* the copy taken at load, if it is still ours (not closed by a
     * closefrom, say), else whatever fd 2 is now */
    FILE *out = summary_fd_ours() ? fdopen(summary_fd, "w") : NULL;
    fi_summary_print(out != NULL ? out : stderr, &(struct fi_summary){
        .prefix = "faultinject", .rs = &rs, .c = fi_run_counts(),
        .only = getenv("FAULTINJECT_ONLY"), .replay = fi_replay_active(),
        .replay_total = fi_replay_count() });
    if (out != NULL)
        fclose(out);
}

int fi_run_init(char *err, size_t errlen)
{
    fi_sandbox_init();                  /* before any look at /proc */
    struct fi_run *run = fi_run_attach();
    fi_proc_init();
    atomic_fetch_add(&fi_run_counts()->procs, 1);
    if (fi_replay_init(getenv("FAULTINJECT_REPLAY"), getenv("FAULTINJECT_RULES"), err,
                       errlen) < 0)
        return -1;
    const char *s = getenv("FAULTINJECT_SUMMARY");
    if (run == NULL && s != NULL && strcmp(s, "1") == 0) {
        summary_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);    /* high: the program's numbers stay */
        if (summary_fd >= 0 && fstat(summary_fd, &summary_st) < 0)
            summary_fd = -1;
        atexit(summary_at_exit);
    }
    return 0;
}

void fi_run_only_matched(void)
{
    atomic_fetch_add(&fi_run_counts()->only_matched, 1);
}

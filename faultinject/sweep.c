/* sweep.c: faultrun --sweep, the exhaustive fault loop (faultinject.md,
 * "Sweep"): RULE fires only at matching call 1, then only at call 2, ...
 * A private log tells whether the rule fired in a run; its lines are also
 * appended to the user's --log. */
#include "faultrun.h"

#include "rules.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void fr_sweep_check(const struct fr_opts *o)
{
    struct fi_ruleset rs;
    char err[512];
    if (o->nrules != 1) {
        fprintf(stderr, "faultrun: --sweep needs exactly one rule (-e RULE), got %d\n",
                o->nrules);
        exit(2);
    }
    fi_rules_parse(o->rules, &rs, err, sizeof err);   /* checked by -e already */
    if (rs.rule[0].has_when || rs.rule[0].has_p) {
        fprintf(stderr, "faultrun: rule '%s': --sweep chooses the call itself; "
                "drop %s\n", o->rules, rs.rule[0].has_when ? "when=" : "p=");
        exit(2);
    }
}

/* Copies what the run logged into the user's log; 1 if it logged anything. */
static int drain_log(int tmp, const char *user_log)
{
    struct stat st;
    if (fstat(tmp, &st) < 0 || st.st_size == 0)
        return 0;
    if (user_log != NULL) {
        int out = open(user_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        char buf[8192];
        ssize_t n;
        lseek(tmp, 0, SEEK_SET);
        while (out >= 0 && (n = read(tmp, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                break;
        if (out >= 0)
            close(out);
    }
    if (ftruncate(tmp, 0) < 0)
        return 1;
    return 1;
}

/* One run with the rule firing at call POINT; its wait status. */
static int run_once(const struct fr_opts *o, uint64_t point, const char *tmp_path)
{
    char rules[sizeof o->rules + 32];
    snprintf(rules, sizeof rules, "%s:when=%llu", o->rules, (unsigned long long)point);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "faultrun: fork: %s\n", strerror(errno));
        exit(2);
    }
    if (pid == 0) {
        setenv("FAULTINJECT_RULES", rules, 1);
        setenv("FAULTINJECT_LOG", tmp_path, 1);
        fr_exec(o->argv);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "faultrun: waitpid: %s\n", strerror(errno));
            exit(2);
        }
    return status;
}

int fr_sweep(const struct fr_opts *o)
{
    char tmp_path[] = "/tmp/faultrun-sweep-XXXXXX";
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/faultrun-sweep-XXXXXX", dir && *dir ? dir : "/tmp");
    int tmp = mkstemp(path);
    if (tmp < 0 && (tmp = mkstemp(tmp_path)) >= 0)
        snprintf(path, sizeof path, "%s", tmp_path);
    if (tmp < 0) {
        fprintf(stderr, "faultrun: --sweep: cannot make a temporary log: %s\n",
                strerror(errno));
        return 2;
    }
    int failed = 0;
    uint64_t point;
    int fired = 1;
    for (point = 1; point <= o->sweep_max && fired; point++) {
        int status = run_once(o, point, path);
        fired = drain_log(tmp, o->log);
        const char *note = fired ? "" : " (rule did not fire: every point covered)";
        if (WIFSIGNALED(status)) {
            fprintf(stderr, "faultrun: sweep point %llu: killed by SIG%s%s\n",
                    (unsigned long long)point, sigabbrev_np(WTERMSIG(status)), note);
            failed++;
        } else {
            fprintf(stderr, "faultrun: sweep point %llu: exit %d%s\n",
                    (unsigned long long)point, WEXITSTATUS(status), note);
            failed += WEXITSTATUS(status) != 0;
        }
    }
    close(tmp);
    unlink(path);
    if (fired)
        fprintf(stderr, "faultrun: sweep stopped after --sweep-max %llu runs\n",
                (unsigned long long)o->sweep_max);
    fprintf(stderr, "faultrun: sweep: %llu runs, %d failed\n",
            (unsigned long long)(point - 1), failed);
    return failed ? 1 : 0;
}

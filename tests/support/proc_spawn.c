/* proc_spawn.c: fork/exec with the shim's environment; bounded waits.
 * Waiting uses a pidfd (Linux >= 5.3) polled with the timeout, else a
 * WNOHANG loop with short polls. */
#include "proc_spawn.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void child_env(const struct spawn_opts *o)
{
    char num[32];
    if (o->shim == NULL)
        return;
    setenv("LD_PRELOAD", o->shim, 1);
    /* A sanitized program loads its runtime after the preloaded shim. */
    const char *asan = getenv("ASAN_OPTIONS");
    if (asan == NULL || strstr(asan, "verify_asan_link_order") == NULL) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s%sverify_asan_link_order=0", asan ? asan : "",
                 asan && *asan ? ":" : "");
        setenv("ASAN_OPTIONS", buf, 1);
    }
    if (o->rules)
        setenv("FAULTINJECT_RULES", o->rules, 1);
    else
        unsetenv("FAULTINJECT_RULES");
    if (o->seed) {
        snprintf(num, sizeof num, "%lu", o->seed);
        setenv("FAULTINJECT_SEED", num, 1);
    }
    if (o->log)
        setenv("FAULTINJECT_LOG", o->log, 1);
    else
        unsetenv("FAULTINJECT_LOG");
}

pid_t spawn_program(char *const argv[], const struct spawn_opts *o)
{
    static const struct spawn_opts none;
    if (o == NULL)
        o = &none;
    int nwrap = 0, nargs = 0;
    while (o->wrapper && o->wrapper[nwrap])
        nwrap++;
    while (argv[nargs])
        nargs++;
    char **full = calloc((size_t)(nwrap + nargs + 1), sizeof *full);
    if (full == NULL)
        return -1;
    for (int i = 0; i < nwrap; i++)
        full[i] = (char *)o->wrapper[i];
    for (int i = 0; i < nargs; i++)
        full[nwrap + i] = argv[i];

    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (o->out) {
            int fd = open(o->out, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
            }
        }
        /* The program under test starts with 0-2 only: a test's own
         * descriptors must not count as the server's (S6, EMFILE). */
        close_range(3, ~0U, 0);
        signal(SIGPIPE, SIG_DFL);
        child_env(o);
        execvp(full[0], full);
        fprintf(stderr, "spawn: cannot run %s: %s\n", full[0], strerror(errno));
        _exit(127);
    }
    int saved = errno;
    free(full);
    errno = saved;
    return pid;
}

int proc_wait(pid_t pid, int timeout_ms, int *status)
{
    long long deadline = now_ms() + timeout_ms;
    int st = 0;
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            if (pfd >= 0)
                close(pfd);
            if (r < 0)
                return -1;
            if (status)
                *status = st;
            return 0;
        }
        int left = ms_left(deadline);
        if (left == 0)
            break;
        if (pfd >= 0) {
            struct pollfd p = { .fd = pfd, .events = POLLIN };
            poll(&p, 1, left);
        } else {
            poll(NULL, 0, left < 5 ? left : 5); /* no pidfd: poll the status */
        }
    }
    if (pfd >= 0)
        close(pfd);
    errno = ETIMEDOUT;
    return -1;
}

int proc_stop(pid_t pid, int sig, int timeout_ms, int *status)
{
    kill(pid, sig);
    if (proc_wait(pid, timeout_ms, status) == 0)
        return 0;
    proc_kill(pid);
    errno = ETIMEDOUT;
    return -1;
}

void proc_kill(pid_t pid)
{
    if (pid <= 0)
        return;
    if (kill(pid, SIGKILL) == 0 || errno != ESRCH)
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    else
        waitpid(pid, NULL, WNOHANG);
}

const char *proc_status_str(int status, char *buf, int len)
{
    if (WIFEXITED(status))
        snprintf(buf, (size_t)len, "exited %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, (size_t)len, "killed by SIG%s", sigabbrev_np(WTERMSIG(status))
                 ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(buf, (size_t)len, "status 0x%x", status);
    return buf;
}

/* capture.c: run a command under a deadline, capturing its output (see capture.h). */
#include "capture.h"
#include "clock.h"
#include "proc_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: its own group, stdin, stdout/stderr to the pipes, ENV. */
static void child(char *const argv[], const char *const env[], const char *in, int out, int err)
{
    setpgid(0, 0);
    int fd = open(in ? in : "/dev/null", O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        _exit(126);
    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');
        char name[256];
        if (env[i][0] == '-') {
            unsetenv(env[i] + 1);
        } else if (eq != NULL && (size_t)(eq - env[i]) < sizeof name) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - env[i]), env[i]);
            setenv(name, eq + 1, 1);
        }
    }
    execvp(argv[0], argv);
    _exit(127);
}

/* Reads what FD has into BUF (keeps up to CAP - 1 bytes); 0 at end of stream. */
static int take(int fd, char *buf, size_t cap, size_t *len)
{
    char drop[4096];
    char *dst = cap > *len + 1 ? buf + *len : drop;
    size_t room = cap > *len + 1 ? cap - 1 - *len : sizeof drop;
    ssize_t n = read(fd, dst, room);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n > 0 && dst != drop) {
        *len += (size_t)n;
        buf[*len] = '\0';
    }
    return n > 0;
}

int capture_run(char *const argv[], const char *const env[], const char *in,
                int timeout_ms, struct capture *c)
{
    struct capture none = { 0 };
    int po[2], pe[2], status, timed_out = 0;
    if (c == NULL)
        c = &none;
    c->outlen = c->errlen = 0;
    if (c->outcap)
        c->out[0] = '\0';
    if (c->errcap)
        c->err[0] = '\0';
    if (pipe2(po, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(pe, O_CLOEXEC) < 0) {
        int e = errno;
        close(po[0]);
        close(po[1]);
        errno = e;
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(argv, env, in, po[1], pe[1]);
    int e = errno;
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        errno = e;
        return -1;
    }
    setpgid(pid, pid);          /* also here: no race with the kill below */
    fcntl(po[0], F_SETFL, O_NONBLOCK);  /* a read never outlasts the deadline */
    fcntl(pe[0], F_SETFL, O_NONBLOCK);
    long long deadline = now_ms() + timeout_ms;
    int open_o = 1, open_e = 1;
    while ((open_o || open_e) && !timed_out) {
        struct pollfd p[2] = { { open_o ? po[0] : -1, POLLIN, 0 },
                               { open_e ? pe[0] : -1, POLLIN, 0 } };
        int r = poll(p, 2, ms_left(deadline));
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0 && p[0].revents)
            open_o = take(po[0], c->out, c->outcap, &c->outlen);
        if (r > 0 && p[1].revents)
            open_e = take(pe[0], c->err, c->errcap, &c->errlen);
        timed_out = now_ms() >= deadline;
    }
    close(po[0]);
    close(pe[0]);
    /* The output is closed; the command may still run (it closed its
     * stdout, or a child of it holds the pipes no longer): wait under the
     * same deadline. */
    if (!timed_out && proc_wait(pid, ms_left(deadline), &status) < 0)
        timed_out = 1;
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        errno = ETIMEDOUT;
        return -1;
    }
    return status;
}

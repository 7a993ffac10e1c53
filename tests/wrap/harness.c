/* harness.c: see harness.h. One forked child per test, its stdout and
 * stderr captured through a pipe, a time limit enforced both by alarm() in
 * the child and by the parent (which kills the child's process group). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX 65536

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : dflt;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The failure message of OUT (fail_msg's "ERROR: ..." line, or cmocka's
 * "[  ERROR   ] --- ..." for an assert_*) and its file:line, as one line. */
static void reason_of(const char *out, char *reason, size_t size)
{
    const char *msg = strstr(out, "\nERROR: ");
    const char *err = strstr(out, "[  ERROR   ] --- ");
    const char *line = strstr(out, "[   LINE   ] --- ");
    const char *exc = strstr(out, "Test failed with exception: ");
    const char *san = strstr(out, "SUMMARY: ");
    char m[512] = "", where[256] = "";

    if (san)                    /* a sanitizer's report comes first */
        msg = san;
    else if (msg)
        msg += 8;
    else if (err && strncmp(err + 17, "[   LINE", 8) != 0)
        msg = err + 17;
    else if (exc)
        msg = exc;
    if (msg)
        snprintf(m, sizeof m, "%.*s", (int)strcspn(msg, "\n"), msg);
    if (line) {
        const char *p;
        line += 17;
        snprintf(where, sizeof where, "%.*s", (int)strcspn(line, "\n"), line);
        if ((p = strstr(where, ": error: Failure!")) != NULL)
            where[p - where] = '\0';
    }
    snprintf(reason, size, "%s%s%s", where, *where && *m ? ": " : "", m);
    for (char *c = reason; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
}

/* Present only in --coverage builds (gcc's and clang's gcov runtimes). */
extern void __gcov_dump(void) __attribute__((weak));

void wrap_exit(int status)
{
    fflush(NULL);
    if (__gcov_dump)
        __gcov_dump();
    _exit(status);
}

static void run_child(const struct CMUnitTest *t, int outfd, int timeout)
{
    struct CMUnitTest one = *t;

    setpgid(0, 0);
    dup2(outfd, 1);
    dup2(outfd, 2);
    close(outfd);
    signal(SIGPIPE, SIG_IGN);   /* EPIPE tests; the library leaves it alone */
    alarm((unsigned)timeout);
    wrap_exit(_cmocka_run_group_tests(t->name, &one, 1, NULL, NULL) == 0 ? 0 : 1);
}

/* Reads the child's output until EOF or the deadline; returns 0, or -1 on
 * timeout. */
static int collect(int fd, char *out, size_t *len, double deadline)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)((deadline - now()) * 1000);
        ssize_t r;
        char tmp[4096];

        if (left <= 0)
            return -1;
        if (poll(&p, 1, left) <= 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        r = read(fd, tmp, sizeof tmp);
        if (r <= 0)
            return 0;
        if (*len + (size_t)r < OUT_MAX - 1) {
            memcpy(out + *len, tmp, (size_t)r);
            *len += (size_t)r;
        }
    }
}

static int run_one(const struct CMUnitTest *t, int timeout, int results)
{
    static char out[OUT_MAX];
    size_t len = 0;
    int fds[2], status = 0, timed_out;
    char reason[1024] = "";
    pid_t pid;
    double t0 = now();

    if (pipe(fds) < 0) {
        perror("pipe");
        exit(2);
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(2);
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(t, fds[1], timeout);
    }
    close(fds[1]);
    timed_out = collect(fds[0], out, &len, t0 + timeout + 2) < 0;
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    out[len] = '\0';

    if (timed_out || (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)) {
        snprintf(reason, sizeof reason, "timed out after %d s (hung?)", timeout);
    } else if (WIFSIGNALED(status)) {
        snprintf(reason, sizeof reason, "test process killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else if (WEXITSTATUS(status) != 0) {
        reason_of(out, reason, sizeof reason);
        if (strstr(out, "Test failed with exception")) {
            char more[sizeof reason];
            memcpy(more, reason, sizeof more);
            snprintf(reason, sizeof reason, "crashed: %.1000s", more);
        }
        if (!*reason)
            snprintf(reason, sizeof reason, "exit status %d", WEXITSTATUS(status));
    }
    if (*reason) {
        printf("[ FAIL ] %s: %s\n", t->name, reason);
        if (getenv("WRAP_VERBOSE"))
            printf("%s\n", out);
    } else {
        printf("[  OK  ] %s (%.2f s)\n", t->name, now() - t0);
    }
    fflush(stdout);
    if (results >= 0)
        dprintf(results, "%s %s%s%s\n", t->name, *reason ? "FAIL" : "PASS",
                *reason ? " " : "", reason);
    return *reason ? 1 : 0;
}

int wrap_run_tests(const char *file, const struct CMUnitTest *tests, size_t n)
{
    const char *only = getenv("WRAP_ONLY");
    const char *rpath = getenv("WRAP_RESULTS");
    int timeout = env_int("WRAP_TIMEOUT", 60), failed = 0;
    int results = -1;   /* a bare descriptor: no heap block for the
                           children to inherit (Valgrind counts those) */

    if (rpath && *rpath &&
        (results = open(rpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        perror(rpath);
        return 2;
    }
    printf("== %s\n", file);
    for (size_t i = 0; i < n; i++) {
        if (only && strncmp(tests[i].name, only, strlen(only)) != 0)
            continue;
        failed += run_one(&tests[i], timeout, results);
    }
    if (results >= 0)
        close(results);
    return failed;
}

/* tracedelay.c: threads held for delay= (see tracedelay.h). */
#include "tracedelay.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

struct held {
    pid_t tid;
    struct timespec due;        /* CLOCK_MONOTONIC */
};

static struct held *held;
static int nheld, capheld;
static sigset_t chld;

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

void td_hold(pid_t tid, long ms)
{
    if (nheld == capheld) {
        int n = capheld ? capheld * 2 : 16;
        struct held *m = realloc(held, (size_t)n * sizeof *m);
        if (m == NULL) {                /* cannot hold it: it runs now */
            ptrace(PTRACE_SYSCALL, tid, NULL, NULL);
            return;
        }
        held = m;
        capheld = n;
    }
    if (sigismember(&chld, SIGCHLD) != 1) {
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, NULL);
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long due = ns_of(&now) + (long long)ms * 1000000LL;
    held[nheld++] = (struct held){ tid, { (time_t)(due / 1000000000LL), (long)(due % 1000000000LL) } };
}

/* Resumes the threads that are due; the nanoseconds to the next, or -1. */
static long long resume_due(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long t = ns_of(&now), next = -1;
    for (int i = 0; i < nheld;) {
        long long left = ns_of(&held[i].due) - t;
        if (left <= 0) {
            ptrace(PTRACE_SYSCALL, held[i].tid, NULL, NULL);    /* ESRCH: it died meanwhile */
            held[i] = held[--nheld];
            continue;
        }
        if (next < 0 || left < next)
            next = left;
        i++;
    }
    return next;
}

pid_t td_wait(int *status)
{
    for (;;) {
        long long left = nheld > 0 ? resume_due() : -1;
        if (left < 0)
            return waitpid(-1, status, __WALL);
        pid_t tid = waitpid(-1, status, __WALL | WNOHANG);
        if (tid != 0)
            return tid;
        /* a tracee's stop or end raises SIGCHLD, blocked: it stays pending */
        struct timespec ts = { (time_t)(left / 1000000000LL), (long)(left % 1000000000LL) };
        if (sigtimedwait(&chld, NULL, &ts) < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
    }
}

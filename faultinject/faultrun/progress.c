/* progress.c: the sweep's live line (see progress.h). */
#include "progress.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int on;
static size_t shown;            /* characters of the line on the screen */
static struct timespec began;

static void tick(int sig)
{
    (void)sig;                  /* only to interrupt the wait */
}

int fr_progress_begin(void)
{
    on = isatty(2);
    if (!on)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &began);
    struct sigaction sa = { .sa_handler = tick };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval every = { { 1, 0 }, { 1, 0 } };
    setitimer(ITIMER_REAL, &every, NULL);
    return 1;
}

void fr_progress_show(uint64_t done, uint64_t failing, long long left)
{
    if (!on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long s = (long long)(now.tv_sec - began.tv_sec);
    char line[160], rest[32];
    if (left < 0)
        snprintf(rest, sizeof rest, "?");
    else
        snprintf(rest, sizeof rest, "%lld", left);
    int n = snprintf(line, sizeof line, "\rfaultrun: sweep: %llu done, %llu failing, %s left, "
                     "%lld:%02lld elapsed", (unsigned long long)done,
                     (unsigned long long)failing, rest, s / 60, s % 60);
    if (n < 0)
        return;
    size_t len = strlen(line) - 1;
    fputs(line, stderr);
    for (size_t i = len; i < shown; i++)     /* over a longer line drawn before */
        fputc(' ', stderr);
    fflush(stderr);
    shown = len > shown ? len : shown;
}

void fr_progress_clear(void)
{
    if (!on || shown == 0)
        return;
    fputc('\r', stderr);
    for (size_t i = 0; i < shown; i++)
        fputc(' ', stderr);
    fputc('\r', stderr);
    fflush(stderr);
    shown = 0;
}

void fr_progress_end(void)
{
    if (!on)
        return;
    fr_progress_clear();
    struct itimerval none = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &none, NULL);
    signal(SIGALRM, SIG_DFL);
    on = 0;
}

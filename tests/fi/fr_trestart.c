/* fr_trestart.c: a read interrupted by a signal while it sleeps, for
 * test_trace_restart (faultinject.md, Backends: one call of the program is
 * one call to the rules, whichever backend runs it).
 *
 *   fr_trestart restart|norestart
 *
 * The main thread reads a stream socketpair (8 bytes asked) until it has
 * 8 bytes, retrying after EINTR; a
 * helper thread waits until the first read sleeps, sends SIGUSR1 (its
 * handler installed with SA_RESTART or without), waits until the read
 * sleeps again (restarted by the kernel, or retried by the program after
 * EINTR), writes "abcd", waits until those are read and a read sleeps, writes
 * "efgh". Prints each read's result ("read N: ret R errno E data D"),
 * then "signals S". Every wait is bounded: 10 s, then exit 3.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int sv[2];
static pid_t main_tid;
static atomic_int signals, consumed;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&signals, 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whether the main thread sleeps in read (0) now: /proc's syscall file. */
static int sleeps_in_read(void)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)main_tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strncmp(buf, "0 ", 2) == 0;
}

static void await(int (*cond)(void), const char *what)
{
    double end = now() + 10;
    while (!cond()) {
        if (now() > end) {
            fprintf(stderr, "fr_trestart: timed out waiting for %s\n", what);
            exit(3);
        }
        struct timespec ts = { 0, 200000 };
        nanosleep(&ts, NULL);
    }
}

static int signalled(void)
{
    return atomic_load(&signals) > 0;
}

static int took_abcd(void)
{
    return atomic_load(&consumed) >= 4;
}

static void *helper(void *arg)
{
    (void)arg;
    await(sleeps_in_read, "the first read to sleep");
    syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
    await(signalled, "the handler");
    await(sleeps_in_read, "the read to sleep again");
    if (write(sv[1], "abcd", 4) != 4)
        exit(4);
    await(took_abcd, "abcd to be read");
    await(sleeps_in_read, "the next read to sleep");
    if (write(sv[1], "efgh", 4) != 4)
        exit(4);
    return NULL;
}

static void report(int n, ssize_t ret, int err, const char *buf)
{
    printf("read %d: ret %zd errno %d data %.*s\n", n, ret, err, ret > 0 ? (int)ret : 0, buf);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "restart") != 0 && strcmp(argv[1], "norestart") != 0)) {
        fprintf(stderr, "usage: fr_trestart restart|norestart\n");
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_usr1 };
    sa.sa_flags = strcmp(argv[1], "restart") == 0 ? SA_RESTART : 0;
    if (sigaction(SIGUSR1, &sa, NULL) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    main_tid = (pid_t)syscall(SYS_gettid);
    pthread_t th;
    if (pthread_create(&th, NULL, helper, NULL) != 0)
        return 2;
    char buf[8];
    for (int n = 1, total = 0; total < 8; n++) {
        ssize_t r = read(sv[0], buf, sizeof buf);
        report(n, r, r < 0 ? errno : 0, buf);
        if (r < 0 && errno != EINTR)
            return 1;
        if (r == 0)
            return 1;
        if (r > 0)
            atomic_store(&consumed, total += (int)r);
    }
    pthread_join(th, NULL);
    printf("signals %d\n", atomic_load(&signals));
    return 0;
}

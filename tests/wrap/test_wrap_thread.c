/* test_wrap_thread.c: T1. Several threads at once, each on its own
 * descriptors, call Readline, Readn, Writen, Read, Write and Close (so that
 * descriptors come and go while others are read), with short reads from
 * the shim to make the refills many; every byte is checked. */
#include "wtest.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 4

struct worker {
    int id, rounds;
    char err[256];
};

static int check_round(struct worker *w, int round)
{
    int p[2];
    char line[256], exp[256], big[3000], got[3000];
    int lines = 40;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0) {
        snprintf(w->err, sizeof w->err, "socketpair failed");
        return -1;
    }
    rcv_timeout(p[0], 5000);
    for (int i = 0; i < lines; i++) {
        int n = snprintf(line, sizeof line, "thread %d round %d line %d %.*s\n",
                         w->id, round, i, (i * 7 + w->id) % 60,
                         "................................................................");
        if (Writen(p[1], line, (size_t)n) != n) {
            snprintf(w->err, sizeof w->err, "Writen failed: %s", strerror(errno));
            return -1;
        }
    }
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(w->id * 31 + round + (int)i);
    if (Write(p[1], big, sizeof big) != (ssize_t)sizeof big) {
        snprintf(w->err, sizeof w->err, "Write failed");
        return -1;
    }
    for (int i = 0; i < lines; i++) {
        int n = snprintf(exp, sizeof exp, "thread %d round %d line %d %.*s\n",
                         w->id, round, i, (i * 7 + w->id) % 60,
                         "................................................................");
        ssize_t r = Readline(p[0], line, sizeof line);
        if (r != n || memcmp(line, exp, (size_t)n) != 0) {
            snprintf(w->err, sizeof w->err,
                     "thread %d round %d line %d: got %zd bytes '%.60s'",
                     w->id, round, i, r, r > 0 ? line : "");
            return -1;
        }
    }
    if (Readn(p[0], got, sizeof got) != (ssize_t)sizeof got ||
        memcmp(got, big, sizeof big) != 0) {
        snprintf(w->err, sizeof w->err, "thread %d round %d: Readn bytes differ",
                 w->id, round);
        return -1;
    }
    if (Close(p[0]) != 0 || Close(p[1]) != 0) {
        snprintf(w->err, sizeof w->err, "Close failed: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int r = 0; r < w->rounds; r++)
        if (check_round(w, r) < 0)
            break;
    return NULL;
}

static void run_workers(int rounds)
{
    pthread_t th[THREADS];
    struct worker w[THREADS];

    for (int i = 0; i < THREADS; i++) {
        w[i].id = i;
        w[i].rounds = rounds;
        w[i].err[0] = '\0';
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (w[i].err[0])
            fail_msg("%s", w[i].err);
}

static void T1_threads_on_their_own_descriptors(void **state)
{
    (void)state;
    run_workers(slow_mode() ? 20 : 300);
}

static void T1_threads_with_short_reads(void **state)
{
    (void)state;
    fi("rd:short=7:fd=sock");
    run_workers(slow_mode() ? 10 : 150);
    fi_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(T1_threads_on_their_own_descriptors),
        cmocka_unit_test(T1_threads_with_short_reads),
    };
    return WRAP_RUN(tests);
}

/* test_wrap_thread.c: T1. Several threads at once, each on its own
 * descriptors, call Readline, Readn, Writen, Read, Write and Close (so that
 * descriptors come and go while others are read), with short reads from
 * the shim to make the refills many; every byte is checked. The same work
 * is done in one thread first: if that fails already, the functions are
 * wrong whatever the threads (their own rows say how) and T1 is not judged.
 * Lines and raw bytes go over separate pairs: Readn after Readline on one
 * descriptor is L10's question, not T1's. */
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
    int p[2], q[2];
    char line[256], exp[256], big[3000], got[3000];
    int lines = 40;

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM, 0, q) < 0) {
        snprintf(w->err, sizeof w->err, "socketpair failed");
        return -1;
    }
    fi_t_rcv_timeout(p[0], 5000);
    fi_t_rcv_timeout(q[0], 5000);
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
    if (Write(q[1], big, sizeof big) != (ssize_t)sizeof big) {
        snprintf(w->err, sizeof w->err, "Write failed");
        return -1;
    }
    for (int i = 0; i < lines; i++) {
        int n = snprintf(exp, sizeof exp, "thread %d round %d line %d %.*s\n",
                         w->id, round, i, (i * 7 + w->id) % 60,
                         "................................................................");
        ssize_t r = Readline(p[0], line, sizeof line);
        if (r != n || memcmp(line, exp, (size_t)n) != 0) {
            fi_t_note("expected", "line %d of thread %d: \"%s\"", i, w->id,
                      fi_t_esc(exp, (size_t)n));
            fi_t_note("got", "returned %zd, \"%s\"", r,
                      fi_t_esc(line, r > 0 ? (size_t)r : 0));
            snprintf(w->err, sizeof w->err,
                     "thread %d round %d line %d: Readline returned %zd bytes, "
                     "not the thread's own line", w->id, round, i, r);
            return -1;
        }
    }
    if (Readn(q[0], got, sizeof got) != (ssize_t)sizeof got ||
        memcmp(got, big, sizeof big) != 0) {
        snprintf(w->err, sizeof w->err, "thread %d round %d: Readn bytes differ",
                 w->id, round);
        return -1;
    }
    if (Close(p[0]) != 0 || Close(p[1]) != 0 || Close(q[0]) != 0 ||
        Close(q[1]) != 0) {
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

static void run_workers(int threads, int rounds)
{
    pthread_t th[THREADS];
    struct worker w[THREADS];

    for (int i = 0; i < threads; i++) {
        w[i].id = i;
        w[i].rounds = rounds;
        w[i].err[0] = '\0';
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < threads; i++)
        if (w[i].err[0]) {
            if (threads == 1)
                not_judged("fails in one thread already (%s): see the rows "
                           "of the function named", w[i].err);
            fail_msg("%s", w[i].err);
        }
}

static void T1_threads_on_their_own_descriptors(void **state)
{
    (void)state;
    run_workers(1, 2);
    run_workers(THREADS, fi_t_slow_mode() ? 20 : 100);
}

static void T1_threads_with_short_reads(void **state)
{
    (void)state;
    fi_t_faults("rd:short=7:fd=sock");
    run_workers(1, 2);
    run_workers(THREADS, fi_t_slow_mode() ? 10 : 50);
    fi_t_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(T1_threads_on_their_own_descriptors),
        cmocka_unit_test(T1_threads_with_short_reads),
    };
    return WRAP_RUN(tests);
}

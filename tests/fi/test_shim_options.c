/* test_shim_options.c: libfaultinject.so's rule options in process (run
 * under $(SHIM_ENV)). Clause ids of faultinject.md: OPT_ (when, p, after,
 * fd, per), CTL_ (in-process control: fi_set, fi_clear, fi_fired). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <netinet/in.h>

#include "clock.h"
#include "faultinject.h"
#include "fiutil.h"
#include "shimtest.h"

/* ---- OPT --------------------------------------------------------------- */

/* A receive timeout on FD: both eintr (never restarted) and eagain (the
 * timeout ran out) can fire on its reads (faultinject.md, eintr, eagain). */
static void timed(int fd)
{
    struct timeval tv = { 5, 0 };
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
}

static void OPT_when_range_with_step(void **state)
{
    (void)state;
    int sv[2], got[7];
    char pat[10];
    fiu_pair(sv);
    timed(sv[0]);
    queue10(sv, pat);
    set_rule("%s:eintr:when=2..4+2", "read");
    read_calls(sv[0], 7, got);
    int want[7] = { 1, -EINTR, 1, -EINTR, 1, 1, 1 };
    assert_memory_equal(got, want, sizeof want);
    set_rule("%s:eagain:when=3+", "read");
    read_calls(sv[0], 4, got);
    int want2[4] = { 1, 1, -EAGAIN, -EAGAIN };
    assert_memory_equal(got, want2, sizeof want2);
    set_rule("%s:eagain:when=1", "read");
    read_calls(sv[0], 2, got);
    int want3[2] = { -EAGAIN, 1 };
    assert_memory_equal(got, want3, sizeof want3);
    close_pair(sv);
}

static void OPT_rules_never_shift_each_other(void **state)
{
    (void)state;
    int sv[2], got[5];
    char pat[10];
    fiu_pair(sv);
    timed(sv[0]);
    queue10(sv, pat);
    assert_int_equal(fi_set("read:eintr:when=2 ; read:eagain:when=2..3"), 0);
    read_calls(sv[0], 5, got);
    int want[5] = { 1, -EINTR, -EAGAIN, 1, 1 };
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(fi_fired(), 2);
    assert_int_equal(fi_set("read:eagain;read:eintr"), 0);    /* first wins */
    read_calls(sv[0], 1, got);
    assert_int_equal(got[0], -EAGAIN);
    close_pair(sv);
}

static void OPT_fd_default_spares_files_and_pipes(void **state)
{
    (void)state;
    int sv[2], p[2];
    char b[4];
    fiu_pair(sv);
    assert_int_equal(pipe(p), 0);
    int z = open("/dev/zero", O_RDONLY);
    set_rule("%s:eintr", "rd,wr,close");
    assert_int_equal(write(p[1], "ab", 2), 2);
    assert_int_equal(read(p[0], b, 2), 2);
    assert_int_equal(read(z, b, 4), 4);
    assert_int_equal(write(sv[1], "ab", 2), -1);
    assert_int_equal(close(p[1]), 0);
    set_rule("%s:eintr:fd=pipe", "rd,wr");
    assert_int_equal(read(p[0], b, 2), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(write(sv[1], "ab", 2), 2);
    assert_int_equal(read(z, b, 4), 4);
    set_rule("%s:eintr:fd=any", "read");
    assert_int_equal(read(z, b, 4), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(read(sv[0], b, 2), -1);
    char rule[64];
    snprintf(rule, sizeof rule, "read:eintr:fd=%d", z);
    assert_int_equal(fi_set(rule), 0);
    assert_int_equal(read(sv[0], b, 2), 2);
    assert_int_equal(read(z, b, 4), -1);
    assert_int_equal(errno, EINTR);
    close(z);
    close(p[0]);
    close_pair(sv);
}

static void OPT_fd_counts_only_selected_descriptors(void **state)
{
    (void)state;
    int sv[2], p[2];
    char b[4];
    fiu_pair(sv);
    assert_int_equal(pipe(p), 0);
    set_rule("%s:eintr:when=2", "read");
    assert_int_equal(write(p[1], "ab", 2), 2);
    assert_int_equal(read(p[0], b, 1), 1);      /* pipe: not counted */
    assert_int_equal(write(sv[1], "ab", 2), 2);
    assert_int_equal(read(sv[0], b, 1), 1);     /* call 1 */
    assert_int_equal(read(p[0], b, 1), 1);
    assert_int_equal(read(sv[0], b, 1), -1);    /* call 2 */
    close(p[0]);
    close(p[1]);
    close_pair(sv);
}

static void OPT_after_bytes_through_the_descriptor(void **state)
{
    (void)state;
    int sv[2];
    char pat[20], b[20];
    fiu_pair(sv);
    fill(pat, 20, 7);
    assert_int_equal(write(sv[1], pat, 20), 20);
    set_rule("%s:eintr:after=10", "read");
    assert_int_equal(read(sv[0], b, 4), 4);
    assert_int_equal(read(sv[0], b + 4, 4), 4);
    assert_int_equal(read(sv[0], b + 8, 4), 4);      /* 12 moved */
    assert_int_equal(read(sv[0], b + 12, 8), -1);
    assert_int_equal(errno, EINTR);
    fi_clear();
    assert_int_equal(read(sv[0], b + 12, 8), 8);
    assert_memory_equal(b, pat, 20);
    /* Writes and reads both count: 3 written + 3 read = 6. */
    close_pair(sv);
    fiu_pair(sv);
    set_rule("%s:eintr:after=6", "write");
    assert_int_equal(write(sv[0], "abc", 3), 3);
    assert_int_equal(write(sv[1], "xyz", 3), 3);
    assert_int_equal(read(sv[0], b, 3), 3);
    assert_int_equal(write(sv[0], "d", 1), -1);
    assert_int_equal(errno, EINTR);
    close_pair(sv);
}

static void OPT_per_fd_counts_each_descriptor(void **state)
{
    (void)state;
    int a[2], b[2];
    char buf[4];
    fiu_pair(a);
    fiu_pair(b);
    assert_int_equal(write(a[1], "1234", 4), 4);
    assert_int_equal(write(b[1], "1234", 4), 4);
    set_rule("%s:eintr:when=2:per=fd", "read");
    assert_int_equal(read(a[0], buf, 1), 1);
    assert_int_equal(read(b[0], buf, 1), 1);
    assert_int_equal(read(a[0], buf, 1), -1);
    assert_int_equal(read(b[0], buf, 1), -1);
    assert_int_equal(read(a[0], buf, 1), 1);
    set_rule("%s:eintr:when=2:per=fd", "read");  /* new rules: counts restart */
    assert_int_equal(read(a[0], buf, 1), 1);
    assert_int_equal(read(a[0], buf, 1), -1);
    set_rule("%s:eintr:when=2", "read");         /* per process */
    assert_int_equal(read(b[0], buf, 1), 1);
    assert_int_equal(read(a[0], buf, 1), -1);
    assert_int_equal(read(b[0], buf, 1), 1);
    close_pair(a);
    close_pair(b);
}

/* ---- CTL: fi_set while other threads call ------------------------------
 * Each rule set gives each call family its own errno, so a failed call
 * names the one rule set (and family) whose fault it is; a real call on a
 * non-blocking socketpair either moves bytes or says EAGAIN. */
struct churn_set {
    const char *rules;
    int send_err, recv_err;             /* 0: the set names no such call */
};

static const struct churn_set churn_sets[] = {
    { "send:error=ENETDOWN:p=0.5;recv:error=EHOSTDOWN:p=0.5", ENETDOWN, EHOSTDOWN },
    { "send:error=ENETUNREACH:when=2+3;recv:error=EHOSTUNREACH:when=1+2", ENETUNREACH,
      EHOSTUNREACH },
    { "recv:error=EPROTO:when=2+2:per=fd", 0, EPROTO },
    { "", 0, 0 },
};
enum { NSETS = sizeof churn_sets / sizeof churn_sets[0] };

/* Rule set J (churn_sets[J % NSETS]) is installed between set_started
 * reaching J and set_done reaching J, so a call that starts once set_done
 * is D0 and ends before set_started passes S1 decided under a set in
 * D0..S1. */
static _Atomic long set_started, set_done;

struct churn {
    int sv[2];
    long limit;                 /* calls to make; 0: until stop */
    _Atomic int stop;
    _Atomic long seen;          /* set_done at the start of the last call made */
    long faults;                /* calls that failed with a rule's errno */
    long narrow;                /* of those, decided while not every set could be in force */
    char bad[200];              /* the first result no rule set in force explains */
};

/* Whether rule set F was in force for some J in D0..S1. */
static int in_window(int f, long d0, long s1)
{
    for (long j = d0; j <= s1; j++)
        if (j % NSETS == f)
            return 1;
    return 0;
}

static void judge(struct churn *c, int reading, int e, long d0, long s1)
{
    int f = -1;
    for (int i = 0; i < NSETS; i++)
        if (e == (reading ? churn_sets[i].recv_err : churn_sets[i].send_err))
            f = i;
    c->faults++;
    c->narrow += s1 - d0 < NSETS - 1;
    if (c->bad[0] != '\0')
        return;
    if (f < 0)
        snprintf(c->bad, sizeof c->bad, "%s failed with %s: not a fault any rule set gives it",
                 reading ? "recv" : "send", strerrorname_np(e));
    else if (!in_window(f, d0, s1))
        snprintf(c->bad, sizeof c->bad,
                 "%s failed with %s of '%s', but only sets %ld..%ld were in force",
                 reading ? "recv" : "send", strerrorname_np(e), churn_sets[f].rules, d0 % NSETS,
                 s1 % NSETS);
}

/* Sends and receives 64 bytes in turn on its own socketpair, judging
 * every result. */
static void *churner(void *arg)
{
    struct churn *c = arg;
    char b[64] = { 0 };
    for (long i = 0; c->limit ? i < c->limit : !atomic_load(&c->stop); i++) {
        int reading = i % 2;
        long d0 = atomic_load(&set_done);
        ssize_t r = reading ? recv(c->sv[1], b, sizeof b, MSG_DONTWAIT)
                            : send(c->sv[0], b, sizeof b, MSG_DONTWAIT | MSG_NOSIGNAL);
        int e = errno;
        long s1 = atomic_load(&set_started);
        atomic_store(&c->seen, d0);
        if (r < 0 && e != EAGAIN)
            judge(c, reading, e, d0, s1);
    }
    return NULL;
}

static void start_churn(struct churn *c, pthread_t *t, int n, long limit)
{
    for (int i = 0; i < n; i++) {
        c[i].limit = limit;
        atomic_store(&c[i].stop, 0);
        atomic_store(&c[i].seen, -1);
        c[i].faults = c[i].narrow = 0;
        c[i].bad[0] = '\0';
        assert_int_equal(pthread_create(&t[i], NULL, churner, &c[i]), 0);
    }
}

/* Joins the threads; the faults they saw, failing on any unexplained result. */
static long stop_churn(struct churn *c, pthread_t *t, int n, long *narrow)
{
    long faults = 0;
    for (int i = 0; i < n; i++)
        atomic_store(&c[i].stop, 1);
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < n; i++) {
        if (c[i].bad[0] != '\0')
            fail_msg("thread %d: %s", i, c[i].bad);
        faults += c[i].faults;
        *narrow += c[i].narrow;
    }
    return faults;
}

/* The rules change under calls in four threads: every call either gets
 * the kernel's answer or exactly the fault of a rule set that was in
 * force while it ran (never an older set's after fi_set returned, never
 * one family's fault on the other, never anything during ""); then, with
 * the threads' calls all made under one set, fi_fired() is the number of
 * faults they saw, which when=2+3 and when=1+2 fix exactly. */
static void CTL_fi_set_while_other_threads_call(void **state)
{
    (void)state;
    enum { N = 4, ROUNDS = 100, CALLS = 1000 };
    pthread_t t[N];
    struct churn c[N];
    for (int i = 0; i < N; i++)
        fiu_pair(c[i].sv);
    atomic_store(&set_started, 0);
    assert_int_equal(fi_set(churn_sets[0].rules), 0);
    atomic_store(&set_done, 0);
    start_churn(c, t, N, 0);
    long stuck = -1, refused = -1;
    for (long j = 1; j <= ROUNDS && stuck < 0 && refused < 0; j++) {
        atomic_store(&set_started, j);
        if (fi_set(churn_sets[j % NSETS].rules) != 0)
            refused = j;
        atomic_store(&set_done, j);
        /* The next change once some thread has made a call under this set
         * (thread j % N, so that each sees sets change under it). */
        long long deadline = now_ms() + 10000;
        while (atomic_load(&c[j % N].seen) < j && stuck < 0)
            if (now_ms() > deadline)
                stuck = j;
            else
                sched_yield();
    }
    long narrow = 0;
    long faults = stop_churn(c, t, N, &narrow);
    if (refused >= 0)
        fail_msg("fi_set(%s): %s", churn_sets[refused % NSETS].rules, fi_error());
    if (stuck >= 0)
        fail_msg("thread %ld made no call under rule set %ld in 10 s", stuck % N, stuck);
    /* Not judged unless faults fired and some were pinned to fewer sets
     * than all. */
    assert_true(faults > 0);
    assert_true(narrow > 0);

    /* One set throughout: CALLS calls per thread, half sends, half recvs. */
    long last = (ROUNDS / NSETS + 1) * NSETS + 1;     /* after ROUNDS, set 1 again */
    atomic_store(&set_started, last);
    assert_int_equal(fi_set(churn_sets[last % NSETS].rules), 0);
    atomic_store(&set_done, last);
    start_churn(c, t, N, CALLS);
    faults = stop_churn(c, t, N, &narrow);
    long sends = N * CALLS / 2, recvs = N * CALLS / 2;
    long want = (sends - 2) / 3 + 1 + (recvs - 1) / 2 + 1;     /* when=2+3, when=1+2 */
    assert_int_equal(faults, want);
    assert_int_equal(fi_fired(), want);
    for (int i = 0; i < N; i++)
        close_pair(c[i].sv);
}

static void CTL_fi_set_bad_rule_keeps_the_old_ones(void **state)
{
    (void)state;
    int sv[2];
    char b[4];
    fiu_pair(sv);
    assert_true(fi_active());
    assert_int_equal(fi_set("read:eintr"), 0);
    errno = 0;
    assert_int_equal(fi_set("read:bogus"), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(fi_error(), "rule 'read:bogus'"));
    assert_non_null(strstr(fi_error(), "unknown fault 'bogus'"));
    assert_int_equal(read(sv[0], b, 4), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(fi_fired(), 1);
    assert_int_equal(fi_set("read:eintr"), 0);       /* counters start again */
    assert_int_equal(fi_fired(), 0);
    assert_int_equal(fi_clear(), 0);
    assert_int_equal(write(sv[1], "ab", 2), 2);
    assert_int_equal(read(sv[0], b, 4), 2);
    assert_int_equal(fi_fired(), 0);
    close_pair(sv);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(OPT_when_range_with_step),
        T(OPT_rules_never_shift_each_other),
        T(OPT_fd_default_spares_files_and_pipes),
        T(OPT_fd_counts_only_selected_descriptors),
        T(OPT_after_bytes_through_the_descriptor),
        T(OPT_per_fd_counts_each_descriptor),
        T(CTL_fi_set_while_other_threads_call),
        T(CTL_fi_set_bad_rule_keeps_the_old_ones),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_shim_options: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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

#include "faultinject.h"
#include "fiutil.h"
#include "shimtest.h"

/* ---- OPT --------------------------------------------------------------- */


static void OPT_when_range_with_step(void **state)
{
    (void)state;
    int sv[2], got[7];
    char pat[10];
    fiu_pair(sv);
    nonblocking(sv[0]);
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
    nonblocking(sv[0]);
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

/* Fires pattern of `read:eintr:p=P` over N calls on a full socket. */
struct churn {
    int fd;
    _Atomic int stop;
    _Atomic long calls;
};

static void *churner(void *arg)
{
    struct churn *c = arg;
    char b[64] = { 0 };
    while (!atomic_load(&c->stop)) {
        ssize_t w = send(c->fd, b, sizeof b, MSG_DONTWAIT | MSG_NOSIGNAL);
        ssize_t r = recv(c->fd, b, sizeof b, MSG_DONTWAIT);
        (void)w;
        (void)r;
        c->calls++;
    }
    return NULL;
}

static void CTL_fi_set_while_other_threads_call(void **state)
{
    (void)state;
    enum { N = 4 };
    int sv[N][2];
    pthread_t t[N];
    struct churn c[N];
    for (int i = 0; i < N; i++) {
        fiu_pair(sv[i]);
        c[i] = (struct churn){ .fd = sv[i][i % 2] };
        assert_int_equal(pthread_create(&t[i], NULL, churner, &c[i]), 0);
    }
    static const char *const sets[] = { "rd:short=3;wr:eagain:p=0.5", "send:eintr:when=2+3",
                                        "recv:short=1:per=fd", "" };
    /* Until every thread has made many calls under changing rules. */
    for (int i = 0, busy = 0; i < 2000 || !busy; i++) {
        assert_int_equal(fi_set(sets[i % 4]), 0);
        busy = 1;
        for (int j = 0; j < N; j++)
            busy &= atomic_load(&c[j].calls) > 200;
    }
    for (int i = 0; i < N; i++) {
        atomic_store(&c[i].stop, 1);
        pthread_join(t[i], NULL);
        assert_true(c[i].calls > 0);
        close_pair(sv[i]);
    }
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

/* test_shim_promises.c: libfaultinject.so's promises in process (run
 * under $(SHIM_ENV)). Clause ids of faultinject.md: PROM_ (invisible when
 * idle, deterministic, threads, fork, signal handlers). */
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

/* ---- PROM: invisible when idle (runs first, before any descriptor state) -- */

static void PROM_idle_every_call_gives_libcs_result(void **state)
{
    (void)state;
    int sv[2], p[2];
    char b[16] = { 0 };
    struct sockaddr_in addr;
    fiu_pair(sv);
    fi_clear();
    struct iovec v = { b, 4 };
    struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1 };
    assert_int_equal(writev(sv[1], &v, 1), 4);
    assert_int_equal(readv(sv[0], &v, 1), 4);
    assert_int_equal(send(sv[1], "abcd", 4, 0), 4);
    assert_int_equal(recvfrom(sv[0], b, 4, 0, NULL, NULL), 4);
    assert_int_equal(sendto(sv[1], "abcd", 4, 0, NULL, 0), 4);
    assert_int_equal(recv(sv[0], b, 4, 0), 4);
    assert_int_equal(sendmsg(sv[1], &m, 0), 4);
    assert_int_equal(recvmsg(sv[0], &m, 0), 4);
    int l = fiu_listen(&addr);
    int c1 = fiu_connect(&addr), c2 = fiu_connect(&addr);
    int a1 = accept(l, NULL, NULL), a2 = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    assert_true(a1 >= 0 && a2 >= 0);
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    int d1 = dup(p[0]), d2 = dup3(p[1], 100, O_CLOEXEC);
    assert_true(d1 >= 0);
    assert_int_equal(d2, 100);
    assert_int_equal(write(d2, "z", 1), 1);
    assert_int_equal(read(d1, b, 1), 1);
    int fds[] = { d1, d2, p[0], p[1], a1, a2, c1, c2, l, sv[0], sv[1] };
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        assert_int_equal(close(fds[i]), 0);
    assert_int_equal(close(fds[0]), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(fi_fired(), 0);
}

static void p_pattern(const char *rule, int n, int *out)
{
    int sv[2];
    char big[256] = { 0 };
    fiu_pair(sv);
    assert_int_equal(write(sv[1], big, sizeof big), (ssize_t)sizeof big);
    assert_int_equal(fi_set(rule), 0);
    read_calls(sv[0], n, out);
    fi_clear();
    close_pair(sv);
}

static void PROM_deterministic_p(void **state)
{
    (void)state;
    int a[200], b[200], c[200];
    p_pattern("read:eintr:p=0.5", 200, a);
    p_pattern("read:eintr:p=0.5", 200, b);
    assert_memory_equal(a, b, sizeof a);
    int fired = 0;
    for (int i = 0; i < 200; i++)
        fired += a[i] == -EINTR;
    assert_true(fired > 60 && fired < 140);
    p_pattern("read:eagain:p=0; read:eintr:p=0.5", 200, c);   /* rule 2 draws anew */
    int same = 1;
    for (int i = 0; i < 200; i++)
        same &= (a[i] == -EINTR) == (c[i] == -EINTR);
    assert_false(same);
    p_pattern("read:eintr:p=0", 50, a);
    for (int i = 0; i < 50; i++)
        assert_int_equal(a[i], 1);
    p_pattern("read:eintr:p=1", 50, a);
    for (int i = 0; i < 50; i++)
        assert_int_equal(a[i], -EINTR);
}

static void PROM_fork_child_carries_on_counters(void **state)
{
    (void)state;
    int sv[2], got[2];
    char pat[10];
    fiu_pair(sv);
    queue10(sv, pat);
    set_rule("%s:eintr:when=3", "read");
    read_calls(sv[0], 2, got);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 1);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        read_calls(sv[0], 2, got);     /* its calls 3 and 4 */
        _exit(got[0] == -EINTR && got[1] == 1 ? 0 : 1);
    }
    int status = fiu_wait(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    read_calls(sv[0], 2, got);         /* the parent's own calls 3 and 4 */
    assert_int_equal(got[0], -EINTR);
    assert_int_equal(got[1], 1);
    close_pair(sv);
}

/* ---- PROM: threads ------------------------------------------------------ */

struct stream {
    int fd;
    size_t len;
    unsigned seed;
    int ok;
};

static void *writer(void *arg)
{
    struct stream *s = arg;
    char buf[1000];
    size_t off = 0;
    while (off < s->len) {
        size_t n = s->len - off < sizeof buf ? s->len - off : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)fiu_byte(s->seed, off + i);
        size_t done = 0;
        while (done < n) {
            ssize_t r = write(s->fd, buf + done, n - done);
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0)
                return NULL;
            done += (size_t)r;
        }
        off += n;
    }
    shutdown(s->fd, SHUT_WR);
    s->ok = 1;
    return NULL;
}

static void *reader(void *arg)
{
    struct stream *s = arg;
    char buf[777];
    size_t off = 0;
    for (;;) {
        ssize_t r = recv(s->fd, buf, sizeof buf, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r < 0)
            return NULL;
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if ((unsigned char)buf[i] != fiu_byte(s->seed, off + (size_t)i))
                return NULL;
        off += (size_t)r;
    }
    s->ok = off == s->len;
    return NULL;
}

static void PROM_threads_lose_no_byte(void **state)
{
    (void)state;
    enum { PAIRS = 4 };
    size_t len = getenv("FI_UNDER_VALGRIND") ? 20000 : 200000;
    int sv[PAIRS][2];
    struct stream w[PAIRS], r[PAIRS];
    pthread_t tw[PAIRS], tr[PAIRS];
    assert_int_equal(fi_set("rd:short=7:p=0.3;wr:short=5:p=0.3;rd,wr:eintr:p=0.3;"
                            "rd,wr:eagain:p=0.2"), 0);
    for (int i = 0; i < PAIRS; i++) {
        fiu_pair(sv[i]);
        /* A timeout lets eagain fire on these blocking sockets. */
        struct timeval tv = { 30, 0 };
        assert_int_equal(setsockopt(sv[i][0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
        assert_int_equal(setsockopt(sv[i][1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
        w[i] = (struct stream){ sv[i][1], len, (unsigned)i + 10, 0 };
        r[i] = (struct stream){ sv[i][0], len, (unsigned)i + 10, 0 };
        assert_int_equal(pthread_create(&tw[i], NULL, writer, &w[i]), 0);
        assert_int_equal(pthread_create(&tr[i], NULL, reader, &r[i]), 0);
    }
    for (int i = 0; i < PAIRS; i++) {
        pthread_join(tw[i], NULL);
        pthread_join(tr[i], NULL);
    }
    /* Writes that fit the room are not cut (faultinject.md): fewer fire. */
    long fired = fi_fired();
    print_message("threads: %ld faults over %zu bytes x %d\n", fired, len, PAIRS);
    assert_true(fired > (long)(len / 1000));
    fi_clear();
    for (int i = 0; i < PAIRS; i++) {
        assert_true(w[i].ok);
        assert_true(r[i].ok);
        close_pair(sv[i]);
    }
}

/* ---- PROM: signal handlers ----------------------------------------------- */

static int handler_fd = -1;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(handler_fd, "s", 1) == 1)
        handled++;
    errno = saved;
}

static void *signaller(void *arg)
{
    pthread_t main_thread = *(pthread_t *)arg;
    for (int i = 0; i < 200; i++) {
        pthread_kill(main_thread, SIGUSR1);
        sched_yield();
    }
    return NULL;
}

static void PROM_calls_from_signal_handlers(void **state)
{
    (void)state;
    int sv[2], hs[2];
    fiu_pair(sv);
    fiu_pair(hs);
    handler_fd = hs[1];
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    assert_int_equal(fi_set("wr:short=1:p=0.5;rd:eintr:p=0.2"), 0);
    pthread_t self = pthread_self(), t;
    assert_int_equal(pthread_create(&t, NULL, signaller, &self), 0);
    size_t moved = 0;
    char b[64] = { 0 };
    for (int i = 0; i < 3000; i++) {
        ssize_t w = write(sv[1], b, sizeof b);
        if (w > 0) {
            ssize_t done = 0;
            while (done < w) {
                ssize_t r = read(sv[0], b, (size_t)(w - done));
                if (r > 0)
                    done += r;
            }
            moved += (size_t)w;
        }
    }
    pthread_join(t, NULL);
    fi_clear();
    signal(SIGUSR1, SIG_DFL);
    assert_true(moved > 0);
    assert_true(handled > 0);
    assert_int_equal(fiu_pending(hs[0]), (int)handled);
    close_pair(sv);
    close_pair(hs);
}

/* ---- PROM: idle, CTL ------------------------------------------------------ */

static void PROM_idle_calls_go_straight_to_libc(void **state)
{
    (void)state;
    int sv[2];
    char b[4];
    fiu_pair(sv);
    assert_int_equal(fi_set("accept:eintr"), 0);     /* matches nothing here */
    assert_int_equal(write(sv[1], "abcd", 4), 4);
    assert_int_equal(read(sv[0], b, 4), 4);
    assert_int_equal(read(-1, b, 4), -1);
    assert_int_equal(errno, EBADF);
    set_rule("%s:eintr", "rd");                      /* bad fd: libc's answer */
    assert_int_equal(read(12345, b, 4), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(fi_fired(), 0);
    close_pair(sv);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(PROM_idle_every_call_gives_libcs_result),
        T(PROM_deterministic_p),
        T(PROM_fork_child_carries_on_counters),
        T(PROM_threads_lose_no_byte),
        T(PROM_calls_from_signal_handlers),
        T(PROM_idle_calls_go_straight_to_libc),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_shim_promises: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_shim_faults.c: libfaultinject.so in process (run under $(SHIM_ENV)),
 * rules changed between tests with faultinject.h. Clause ids of
 * faultinject.md: FAULT_ (each fault on each call family, and on accept,
 * connect, close), STATE_ (reset/eof belong to the descriptor). */
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

#include "clock.h"
#include "faultinject.h"
#include "fiutil.h"
#include "shimtest.h"

/* ---- FAULT: short ------------------------------------------------------- */

static void FAULT_short_read_leaves_the_rest_in_the_kernel(void **state)
{
    (void)state;
    int sv[2];
    char pat[100], buf[128];
    fiu_pair(sv);
    fill(pat, 100, 2);
    assert_int_equal(write(sv[1], pat, 100), 100);
    set_rule("%s:short=1", "read");
    assert_int_equal(read(sv[0], buf, 100), 1);
    assert_int_equal(buf[0], pat[0]);
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_int_equal(read(sv[0], buf + 1, 127), 99);
    assert_memory_equal(buf, pat, 100);
    close_pair(sv);
}

static void FAULT_short_on_every_data_call(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFAMS; f++) {
        int sv[2];
        char pat[10], buf[16] = { 0 };
        fiu_pair(sv);
        set_rule("%s:short=3", fams[f].name);
        if (fams[f].reads) {
            queue10(sv, pat);
            assert_int_equal(fams[f].op(sv[0], buf, 10, 0), 3);
            fi_clear();
            assert_int_equal(read(sv[0], buf + 3, 10), 7);
            assert_memory_equal(buf, pat, 10);
        } else {
            /* A write larger than the room the queue surely has: cut, but
             * never below that room (faultinject.md, the write-side rule). */
            static char big[65536], got[65536];
            fill(big, sizeof big, 3);
            ssize_t r = fams[f].op(sv[0], big, sizeof big, 0);
            fi_clear();
            assert_true(r >= 3 && r < (ssize_t)sizeof big);
            assert_int_equal(drain(sv[1], got, sizeof got), r);
            assert_memory_equal(got, big, (size_t)r);
        }
        close_pair(sv);
    }
}

static void FAULT_short_larger_than_request_moves_all(void **state)
{
    (void)state;
    int sv[2];
    char pat[10], buf[10];
    fiu_pair(sv);
    queue10(sv, pat);
    set_rule("%s:short=64", "rd");
    assert_int_equal(read(sv[0], buf, 10), 10);
    assert_memory_equal(buf, pat, 10);
    close_pair(sv);
}

static void FAULT_short_leaves_bad_arguments_to_the_kernel(void **state)
{
    (void)state;
    int sv[2];
    char b[8] = { 0 };
    static struct iovec v[IOV_MAX + 1];
    volatile int negative = -1, too_many = IOV_MAX + 1;
    for (int i = 0; i <= IOV_MAX; i++)
        v[i] = (struct iovec){ b, sizeof b };
    fiu_pair(sv);
    assert_int_equal(fi_set("rd,wr:short=1"), 0);
    assert_int_equal(readv(sv[0], v, negative), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(writev(sv[0], v, too_many), -1);
    assert_int_equal(errno, EINVAL);
    struct msghdr m = { .msg_iov = v, .msg_iovlen = IOV_MAX + 1 };
    assert_int_equal(recvmsg(sv[0], &m, MSG_DONTWAIT), -1);
    assert_int_equal(errno, EMSGSIZE);
    assert_int_equal(sendmsg(sv[0], &m, 0), -1);
    assert_int_equal(errno, EMSGSIZE);
    close_pair(sv);
}

static void FAULT_short_beyond_the_descriptor_table(void **state)
{
    (void)state;
    /* Descriptors past the shim's per-fd arrays still get their faults. */
    struct rlimit rl;
    int sv[2], high = 70000;
    char b[8];
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur <= (rlim_t)high) {
        rl.rlim_cur = (rlim_t)high + 1;
        if (rl.rlim_max < rl.rlim_cur)
            rl.rlim_max = rl.rlim_cur;          /* root may raise it */
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fiu_not_run("needs descriptor %d past the shim's table, but RLIMIT_NOFILE "
                        "cannot be raised past %d here (setrlimit: %s)", high, high,
                        strerror(errno));
    }
    fiu_pair(sv);
    assert_int_equal(dup2(sv[0], high), high);
    assert_int_equal(write(sv[1], "abcdef", 6), 6);
    assert_int_equal(fi_set("read:short=1:per=fd:when=1"), 0);
    assert_int_equal(read(high, b, 6), 1);
    assert_int_equal(fi_set("read:eintr:fd=70000"), 0);
    assert_int_equal(read(high, b, 6), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(read(sv[0], b, 2), 2);
    fi_clear();
    assert_int_equal(read(high, b, 6), 3);
    close(high);
    close_pair(sv);
}

/* ---- FAULT: eintr, eagain, error= ---------------------------------------- */

static void fault_fails_without_call(const char *fault, int want)
{
    for (size_t f = 0; f < NFAMS; f++) {
        int sv[2];
        char pat[10], buf[16];
        fiu_pair(sv);
        char rule[64];
        snprintf(rule, sizeof rule, "%s:%s", fams[f].name, fault);
        /* A write's eagain stands for a send queue out of room. */
        size_t queued = want == EAGAIN && !fams[f].reads ? fill_send_queue(sv[0]) : 0;
        assert_int_equal(fi_set(rule), 0);
        if (want == EAGAIN)
            nonblocking(sv[0]);
        if (fams[f].reads) {
            queue10(sv, pat);
            errno = 0;
            assert_int_equal(fams[f].op(sv[0], buf, 10, 0), -1);
            assert_int_equal(errno, want);
            fi_clear();
            assert_int_equal(fiu_pending(sv[0]), 10);  /* no byte moved */
            assert_int_equal(read(sv[0], buf, 10), 10);
            assert_memory_equal(buf, pat, 10);
        } else {
            fill(pat, 10, 4);
            errno = 0;
            assert_int_equal(fams[f].op(sv[0], pat, 10, 0), -1);
            assert_int_equal(errno, want);
            fi_clear();
            assert_int_equal(fiu_pending(sv[1]), (int)queued);   /* nothing sent */
        }
        assert_int_equal(sigpipes, 0);
        close_pair(sv);
    }
}

static void FAULT_eintr_on_every_data_call(void **state)
{
    (void)state;
    fault_fails_without_call("eintr", EINTR);
}

static void FAULT_eagain_on_every_data_call(void **state)
{
    (void)state;
    fault_fails_without_call("eagain", EAGAIN);
}

static void FAULT_error_on_every_data_call(void **state)
{
    (void)state;
    fault_fails_without_call("error=EHOSTUNREACH", EHOSTUNREACH);
    fault_fails_without_call("error=ENOBUFS", ENOBUFS);
}

static void FAULT_error_epipe_raises_sigpipe(void **state)
{
    (void)state;
    int sv[2];
    char b[4] = "abc";
    fiu_pair(sv);
    signal(SIGPIPE, on_sigpipe);
    set_rule("%s:error=EPIPE", "wr");
    assert_int_equal(write(sv[0], b, 3), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(sigpipes, 1);
    assert_int_equal(send(sv[0], b, 3, MSG_NOSIGNAL), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(sigpipes, 1);
    assert_int_equal(sendmsg(sv[0], &(struct msghdr){ 0 }, 0), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(sigpipes, 2);
    set_rule("%s:error=EPIPE", "rd");     /* reads do not raise it */
    assert_int_equal(read(sv[0], b, 3), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(sigpipes, 2);
    signal(SIGPIPE, SIG_DFL);
    close_pair(sv);
}

/* ---- FAULT/STATE: reset and eof ------------------------------------------ */

/* After reset: every read-like call 0, every write-like call EPIPE with
 * SIGPIPE (none with MSG_NOSIGNAL), whatever rules are active. */
static void expect_reset_state(int fd)
{
    char buf[16] = "0123456789";
    for (size_t g = 0; g < NFAMS; g++) {
        sig_atomic_t before = sigpipes;
        if (fams[g].reads) {
            assert_int_equal(fams[g].op(fd, buf, 10, 0), 0);
        } else {
            errno = 0;
            assert_int_equal(fams[g].op(fd, buf, 10, 0), -1);
            assert_int_equal(errno, EPIPE);
            assert_int_equal(sigpipes, before + 1);
            if (strncmp(fams[g].name, "send", 4) == 0) {
                assert_int_equal(fams[g].op(fd, buf, 10, MSG_NOSIGNAL), -1);
                assert_int_equal(errno, EPIPE);
                assert_int_equal(sigpipes, before + 1);
            }
        }
    }
}

static void FAULT_reset_on_every_data_call(void **state)
{
    (void)state;
    signal(SIGPIPE, on_sigpipe);
    for (size_t f = 0; f < NFAMS; f++) {
        int sv[2];
        char pat[10], buf[16];
        fiu_pair(sv);
        queue10(sv, pat);
        set_rule("%s:reset", fams[f].name);
        errno = 0;
        assert_int_equal(fams[f].op(sv[0], fams[f].reads ? buf : pat, 10, 0), -1);
        assert_int_equal(errno, ECONNRESET);
        assert_int_equal(sigpipes, 0);
        fi_clear();
        expect_reset_state(sv[0]);
        assert_int_equal(fi_set("rd:eagain;wr:short=1"), 0);   /* the kernel decides */
        expect_reset_state(sv[0]);
        fi_clear();
        assert_int_equal(fiu_pending(sv[1]), 0);   /* nothing went out */
        sigpipes = 0;
        close_pair(sv);
    }
    signal(SIGPIPE, SIG_DFL);
}

static void FAULT_reset_sigpipe_kills_by_default(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int sv[2];
        char b[4] = "abc";
        socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
        fi_set("read:reset");
        ssize_t r = read(sv[0], b, 3);
        fi_clear();
        r = write(sv[0], b, 3);
        (void)r;
        _exit(0);
    }
    int status = fiu_wait(pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGPIPE);
}

static void FAULT_eof_on_every_read_call(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFAMS; f++) {
        if (!fams[f].reads)
            continue;
        int sv[2];
        char pat[10], buf[16];
        fiu_pair(sv);
        queue10(sv, pat);
        set_rule("%s:eof", fams[f].name);
        assert_int_equal(fams[f].op(sv[0], buf, 10, 0), 0);
        fi_clear();
        for (size_t g = 0; g < NFAMS; g++)   /* every read-like call: 0 */
            if (fams[g].reads)
                assert_int_equal(fams[g].op(sv[0], buf, 10, 0), 0);
        /* recvmsg at end of stream: no control data, no flags. */
        char ctl[64];
        struct iovec v = { buf, 10 };
        struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl,
                            .msg_controllen = sizeof ctl, .msg_flags = MSG_TRUNC };
        assert_int_equal(recvmsg(sv[0], &m, 0), 0);
        assert_int_equal(m.msg_controllen, 0);
        assert_int_equal(m.msg_flags, 0);
        assert_int_equal(fiu_pending(sv[0]), 10);  /* left in the kernel */
        assert_int_equal(write(sv[0], "hey", 3), 3);  /* writes still go */
        assert_int_equal(take(sv[1], buf, sizeof buf), 3);
        close_pair(sv);
    }
}

static void FAULT_eof_on_a_write_call_ends_later_reads(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFAMS; f++) {
        if (fams[f].reads)
            continue;
        int sv[2];
        char pat[10], buf[16];
        fiu_pair(sv);
        fill(pat, 10, 5);
        set_rule("%s:eof", fams[f].name);
        assert_int_equal(fams[f].op(sv[0], pat, 10, 0), 10);
        assert_int_equal(fi_fired(), 1);
        fi_clear();
        assert_int_equal(take(sv[1], buf, sizeof buf), 10);
        assert_memory_equal(buf, pat, 10);
        assert_int_equal(write(sv[1], "x", 1), 1);
        assert_int_equal(recv(sv[0], buf, 10, 0), 0);
        close_pair(sv);
    }
}

static void STATE_belongs_to_the_descriptor_not_the_number(void **state)
{
    (void)state;
    int sv[2];
    char b[8];
    fiu_pair(sv);
    int fd = sv[0];
    set_rule("%s:eof", "read");
    assert_int_equal(read(fd, b, 8), 0);
    fi_clear();
    close_pair(sv);                 /* closed: the state goes */
    fiu_pair(sv);
    assert_int_equal(sv[0], fd);
    assert_int_equal(write(sv[1], "ab", 2), 2);
    assert_int_equal(read(sv[0], b, 8), 2);
    /* Closed behind the shim's back (as fclose does), number reused by a
     * file: the file reads normally. */
    set_rule("%s:eof", "read");
    assert_int_equal(read(sv[0], b, 8), 0);
    fi_clear();
    syscall(SYS_close, sv[0]);
    int z = (int)syscall(SYS_openat, AT_FDCWD, "/dev/zero", O_RDONLY);
    assert_int_equal(z, fd);
    assert_int_equal(read(z, b, 8), 8);
    close(z);
    close(sv[1]);
}

static void STATE_follows_dup_as_new_descriptor(void **state)
{
    (void)state;
    int sv[2], other[2];
    char b[8];
    fiu_pair(sv);
    fiu_pair(other);
    set_rule("%s:eof", "read");
    assert_int_equal(read(other[0], b, 8), 0);
    fi_clear();
    /* dup2 replaces other[0] with sv[0]: a new descriptor, no eof state. */
    assert_int_equal(dup2(sv[0], other[0]), other[0]);
    assert_int_equal(write(sv[1], "xy", 2), 2);
    assert_int_equal(read(other[0], b, 8), 2);
    close_pair(sv);
    close_pair(other);
}

/* dup2(fd, fd) does nothing (dup(2): "If oldfd is a valid file descriptor,
 * and newfd has the same value as oldfd, then dup2() does nothing"): fd keeps
 * its eof state. */
static void STATE_dup2_onto_itself_keeps_the_state(void **state)
{
    (void)state;
    int sv[2];
    char b[8];
    fiu_pair(sv);
    set_rule("%s:eof", "read");
    assert_int_equal(read(sv[0], b, 8), 0);
    fi_clear();
    assert_int_equal(dup2(sv[0], sv[0]), sv[0]);
    assert_int_equal(write(sv[1], "xy", 2), 2);
    assert_int_equal(read(sv[0], b, 8), 0);          /* still at its end */
    assert_int_equal(fiu_pending(sv[0]), 2);         /* the bytes stay queued */
    close_pair(sv);
}

/* A socket at number FD, closed by CLOSE_IT, then a pipe at the same
 * number: the shim must not take the pipe for the socket it saw there. */
static void reused_as_pipe(void (*close_it)(int fd))
{
    int sv[2], p[2];
    char b[4];
    fiu_pair(sv);
    assert_int_equal(dup2(sv[0], 900), 900);        /* above every other descriptor */
    close(sv[0]);
    sv[0] = 900;
    set_rule("%s:eintr:when=1", "read");            /* the shim looks at sv[0] */
    assert_int_equal(read(sv[0], b, 1), -1);
    fi_clear();
    int fd = sv[0];
    close_it(fd);
    /* The pipe comes from raw system calls the shim does not see: only
     * the close path can have dropped what it knew of FD. */
    assert_int_equal(syscall(SYS_pipe2, p, O_CLOEXEC), 0);
    assert_int_equal(syscall(SYS_dup3, p[0], fd, O_CLOEXEC), fd);
    close(p[0]);
    p[0] = fd;
    assert_int_equal(write(p[1], "ab", 2), 2);
    set_rule("%s:eintr", "read");                    /* fd=sock: never a pipe */
    assert_int_equal(read(p[0], b, 2), 2);
    assert_int_equal(fi_fired(), 0);
    fi_clear();
    close(sv[1]);
    close_pair(p);
}

static void close_by_close(int fd)
{
    assert_int_equal(close(fd), 0);     /* no rule names close: the fast path */
}

static void close_by_fclose(int fd)
{
    FILE *f = fdopen(fd, "r");
    assert_non_null(f);
    assert_int_equal(fclose(f), 0);
}

static void close_by_close_range(int fd)
{
    assert_int_equal(close_range((unsigned)fd, (unsigned)fd, 0), 0);
}

static void close_by_closefrom(int fd)
{
    closefrom(fd);                  /* fd is the highest open descriptor */
}

static void STATE_every_close_path_drops_what_the_shim_knew(void **state)
{
    (void)state;
    reused_as_pipe(close_by_close);
    reused_as_pipe(close_by_fclose);
    reused_as_pipe(close_by_close_range);
    reused_as_pipe(close_by_closefrom);
}

/* ---- FAULT: delay ---------------------------------------------------- */

static void FAULT_delay_then_the_real_call(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFAMS; f++) {
        int sv[2];
        char pat[10], buf[16];
        fiu_pair(sv);
        set_rule("%s:delay=20", fams[f].name);
        long long t0 = now_ms();
        if (fams[f].reads) {
            queue10(sv, pat);
            assert_int_equal(fams[f].op(sv[0], buf, 10, 0), 10);
        } else {
            fill(pat, 10, 6);
            assert_int_equal(fams[f].op(sv[0], pat, 10, 0), 10);
            assert_int_equal(take(sv[1], buf, sizeof buf), 10);
        }
        assert_true(now_ms() - t0 >= 19);     /* whole milliseconds */
        assert_memory_equal(buf, pat, 10);
        close_pair(sv);
    }
}

static volatile sig_atomic_t in_read, ticks_in_read;

static void on_tick(int sig)
{
    (void)sig;
    ticks_in_read += in_read;
}

/* A signal arrives while the delay sleeps (sent once this thread is seen
 * asleep): the read still waits its whole delay, then reads. A longer
 * delay is tried when the signal came too late (a loaded machine). */
static void FAULT_delay_is_not_cut_short_by_a_signal(void **state)
{
    (void)state;
    static const int delays[] = { 300, 1000, 3000 };
    struct sigaction sa = { .sa_handler = on_tick }, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, &old);
    ticks_in_read = 0;
    for (size_t i = 0; i < sizeof delays / sizeof delays[0] && ticks_in_read == 0; i++) {
        int sv[2];
        char b[4], rule[32];
        fiu_pair(sv);
        assert_int_equal(write(sv[1], "abc", 3), 3);
        snprintf(rule, sizeof rule, "read:delay=%d", delays[i]);
        set_rules(rule);
        pthread_t nudge = nudge_when_asleep(SIGUSR2, 10000);
        long long t0 = now_ms();
        in_read = 1;
        ssize_t r = read(sv[0], b, 3);
        in_read = 0;
        long long spent = now_ms() - t0;
        assert_true(nudge_join(nudge));
        assert_int_equal(r, 3);
        assert_true(spent >= delays[i] - 1);        /* whole milliseconds */
        assert_memory_equal(b, "abc", 3);
        close_pair(sv);
    }
    sigaction(SIGUSR2, &old, NULL);
    assert_int_equal(ticks_in_read, 1);     /* not judged unless it came during a read */
}

/* ---- FAULT on accept, accept4, connect, close ------------------------- */

static void FAULT_accept_error_when_keeps_connections(void **state)
{
    (void)state;
    struct sockaddr_in addr;
    int l = fiu_listen(&addr);
    int c1 = fiu_connect(&addr), c2 = fiu_connect(&addr);
    set_rule("%s:error=ECONNABORTED:when=2..4", "accept");
    int a1 = accept(l, NULL, NULL);
    assert_true(a1 >= 0);
    for (int i = 2; i <= 4; i++) {
        assert_int_equal(accept(l, NULL, NULL), -1);
        assert_int_equal(errno, ECONNABORTED);
    }
    int a2 = accept(l, NULL, NULL);           /* call 5: the queued one */
    assert_true(a2 >= 0);
    assert_int_equal(fi_fired(), 3);
    assert_int_equal(write(c2, "z", 1), 1);
    char b;
    assert_int_equal(read(a2, &b, 1), 1);
    assert_int_equal(b, 'z');
    close(a1);
    close(a2);
    close(c1);
    close(c2);
    close(l);
}

static void FAULT_accept4_eintr_eagain_delay(void **state)
{
    (void)state;
    struct sockaddr_in addr, peer;
    socklen_t plen = sizeof peer;
    int l = fiu_listen(&addr);
    int c = fiu_connect(&addr);
    set_rule("%s:eintr", "accept4");
    assert_int_equal(accept4(l, NULL, NULL, SOCK_CLOEXEC), -1);
    assert_int_equal(errno, EINTR);
    set_rule("%s:eagain", "accept,accept4");
    nonblocking(l);
    assert_int_equal(accept4(l, NULL, NULL, SOCK_CLOEXEC), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(accept(l, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    set_rule("%s:delay=10", "accept4");
    int a = accept4(l, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    assert_true(a >= 0);
    assert_int_equal(plen, sizeof peer);
    assert_int_equal(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(a);
    close(c);
    close(l);
}

static void FAULT_connect_eintr_connection_goes_on(void **state)
{
    (void)state;
    struct sockaddr_in addr;
    int l = fiu_listen(&addr);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    set_rule("%s:eintr", "connect");
    assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof addr), -1);
    assert_int_equal(errno, EINTR);
    fi_clear();
    assert_int_equal(fcntl(c, F_GETFL) & O_NONBLOCK, 0);   /* still blocking */
    struct pollfd p = { c, POLLOUT, 0 };
    assert_int_equal(poll(&p, 1, 5000), 1);
    int soerr = -1;
    socklen_t len = sizeof soerr;
    assert_int_equal(getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &len), 0);
    assert_int_equal(soerr, 0);
    /* Linux: the first connect after the attempt completed may still say
     * 0 (it notes the completion); from then on EISCONN. */
    int r = connect(c, (struct sockaddr *)&addr, sizeof addr);
    assert_true(r == 0 || errno == EISCONN);
    assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof addr), -1);
    assert_int_equal(errno, EISCONN);
    int a = accept(l, NULL, NULL);
    assert_true(a >= 0);
    assert_int_equal(write(c, "hi", 2), 2);
    char b[2];
    assert_int_equal(read(a, b, 2), 2);
    assert_memory_equal(b, "hi", 2);
    close(a);
    close(c);
    close(l);
}

/* A non-blocking connect never sleeps, so no signal interrupts it
 * (faultinject.md, eintr): the rule does not fire, the attempt is made. */
static void FAULT_connect_eintr_never_on_a_nonblocking_socket(void **state)
{
    (void)state;
    struct sockaddr_in addr;
    int l = fiu_listen(&addr);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    set_rule("%s:eintr", "connect");
    int r = connect(c, (struct sockaddr *)&addr, sizeof addr);
    assert_true(r == 0 || errno == EINPROGRESS);
    assert_int_equal(fi_fired(), 0);
    fi_clear();
    assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
    struct pollfd p = { c, POLLOUT, 0 };
    assert_int_equal(poll(&p, 1, 5000), 1);
    int a = accept(l, NULL, NULL);
    assert_true(a >= 0);
    close(a);
    close(c);
    close(l);
}

static void FAULT_connect_eintr_reports_an_immediate_failure(void **state)
{
    (void)state;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    set_rule("%s:eintr", "connect");
    assert_int_equal(connect(c, (struct sockaddr *)&addr, 3), -1);   /* bad length */
    assert_int_equal(errno, EINVAL);
    close(c);
}

static void FAULT_connect_error_makes_no_attempt(void **state)
{
    (void)state;
    struct sockaddr_in addr;
    int l = fiu_listen(&addr);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    set_rule("%s:error=ECONNREFUSED", "connect");
    assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof addr), -1);
    assert_int_equal(errno, ECONNREFUSED);
    struct pollfd p = { l, POLLIN, 0 };
    assert_int_equal(poll(&p, 1, 50), 0);     /* nobody knocked */
    set_rule("%s:delay=5", "connect");
    assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof addr), 0);
    close(c);
    close(l);
}

static void FAULT_close_eintr_really_closes(void **state)
{
    (void)state;
    static const char *const faults[] = { "eintr", "eagain", "error=EIO" };
    static const int errs[] = { EINTR, EAGAIN, EIO };
    for (int i = 0; i < 3; i++) {
        int sv[2];
        fiu_pair(sv);
        set_rule(i == 0 ? "close:%s" : i == 1 ? "close:%s" : "close:%s", faults[i]);
        nonblocking(sv[0]);             /* eagain: only where possible */
        assert_int_equal(close(sv[0]), -1);
        assert_int_equal(errno, errs[i]);
        assert_int_equal(fcntl(sv[0], F_GETFD), -1);
        assert_int_equal(errno, EBADF);
        fi_clear();
        char b;
        assert_int_equal(read(sv[1], &b, 1), 0);    /* the peer saw it close */
        close(sv[1]);
    }
    int sv[2];
    fiu_pair(sv);
    set_rule("%s:delay=5", "close");
    assert_int_equal(close(sv[0]), 0);
    assert_int_equal(close(sv[0]), -1);
    assert_int_equal(errno, EBADF);
    close(sv[1]);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(FAULT_short_read_leaves_the_rest_in_the_kernel),
        T(FAULT_short_leaves_bad_arguments_to_the_kernel),
        T(FAULT_short_beyond_the_descriptor_table),
        T(FAULT_short_on_every_data_call),
        T(FAULT_short_larger_than_request_moves_all),
        T(FAULT_eintr_on_every_data_call),
        T(FAULT_eagain_on_every_data_call),
        T(FAULT_error_on_every_data_call),
        T(FAULT_error_epipe_raises_sigpipe),
        T(FAULT_reset_on_every_data_call),
        T(FAULT_reset_sigpipe_kills_by_default),
        T(FAULT_eof_on_every_read_call),
        T(FAULT_eof_on_a_write_call_ends_later_reads),
        T(STATE_belongs_to_the_descriptor_not_the_number),
        T(STATE_follows_dup_as_new_descriptor),
        T(STATE_dup2_onto_itself_keeps_the_state),
        T(STATE_every_close_path_drops_what_the_shim_knew),
        T(FAULT_delay_then_the_real_call),
        T(FAULT_delay_is_not_cut_short_by_a_signal),
        T(FAULT_accept_error_when_keeps_connections),
        T(FAULT_accept4_eintr_eagain_delay),
        T(FAULT_connect_eintr_connection_goes_on),
        T(FAULT_connect_eintr_never_on_a_nonblocking_socket),
        T(FAULT_connect_eintr_reports_an_immediate_failure),
        T(FAULT_connect_error_makes_no_attempt),
        T(FAULT_close_eintr_really_closes),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_shim_faults: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_shim.c: libfaultinject.so in process (run under $(SHIM_ENV)), rules
 * changed between tests with faultinject.h. Clause ids of faultinject.md:
 * FAULT_ (each fault on each call family), OPT_ (when, p, after, fd, per),
 * STATE_ (reset/eof belong to the descriptor), PROM_ (promises: faithful,
 * deterministic, idle, threads/fork/signals), CTL_ (in-process control). */
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

/* ---- one table entry per data call family ----------------------------- */

struct fam {
    const char *name;
    int reads;
    ssize_t (*op)(int fd, void *buf, size_t n, int flags);
};

static ssize_t op_read(int fd, void *b, size_t n, int fl)
{
    (void)fl;
    return read(fd, b, n);
}

static ssize_t op_readv(int fd, void *b, size_t n, int fl)
{
    (void)fl;
    struct iovec v[3] = { { b, n / 3 }, { (char *)b + n / 3, 0 }, { (char *)b + n / 3, n - n / 3 } };
    return readv(fd, v, 3);
}

static ssize_t op_recv(int fd, void *b, size_t n, int fl)
{
    return recv(fd, b, n, fl);
}

static ssize_t op_recvfrom(int fd, void *b, size_t n, int fl)
{
    return recvfrom(fd, b, n, fl, NULL, NULL);
}

static ssize_t op_recvmsg(int fd, void *b, size_t n, int fl)
{
    struct iovec v[2] = { { b, n / 2 }, { (char *)b + n / 2, n - n / 2 } };
    struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
    return recvmsg(fd, &m, fl);
}

static ssize_t op_write(int fd, void *b, size_t n, int fl)
{
    (void)fl;
    return write(fd, b, n);
}

static ssize_t op_writev(int fd, void *b, size_t n, int fl)
{
    (void)fl;
    struct iovec v[2] = { { b, 2 < n ? 2 : n }, { (char *)b + (2 < n ? 2 : n), n - (2 < n ? 2 : n) } };
    return writev(fd, v, 2);
}

static ssize_t op_send(int fd, void *b, size_t n, int fl)
{
    return send(fd, b, n, fl);
}

static ssize_t op_sendto(int fd, void *b, size_t n, int fl)
{
    return sendto(fd, b, n, fl, NULL, 0);
}

static ssize_t op_sendmsg(int fd, void *b, size_t n, int fl)
{
    struct iovec v[3] = { { b, 1 }, { (char *)b + 1, 1 }, { (char *)b + 2, n - 2 } };
    struct msghdr m = { .msg_iov = v, .msg_iovlen = 3 };
    return sendmsg(fd, &m, fl);
}

static const struct fam fams[] = {
    { "read", 1, op_read }, { "readv", 1, op_readv }, { "recv", 1, op_recv },
    { "recvfrom", 1, op_recvfrom }, { "recvmsg", 1, op_recvmsg },
    { "write", 0, op_write }, { "writev", 0, op_writev }, { "send", 0, op_send },
    { "sendto", 0, op_sendto }, { "sendmsg", 0, op_sendmsg },
};
#define NFAMS (sizeof fams / sizeof fams[0])

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static int setup(void **state)
{
    (void)state;
    alarm(20);          /* a hang fails this test fast */
    fi_clear();
    sigpipes = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fi_clear();
    alarm(0);
    return 0;
}

static void set_rule(const char *fmt, const char *name)
{
    char rule[256];
    snprintf(rule, sizeof rule, fmt, name);
    if (fi_set(rule) != 0)
        fail_msg("fi_set(%s): %s", rule, fi_error());
}

static void fill(char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)fiu_byte(seed, i);
}

/* Puts the 10-byte pattern into SV[0]'s receive queue. */
static void queue10(int sv[2], char *pat)
{
    fill(pat, 10, 1);
    assert_int_equal(write(sv[1], pat, 10), 10);
}

/* Whatever is waiting on FD, without blocking. */
static ssize_t take(int fd, char *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    return r < 0 && errno == EAGAIN ? 0 : r;
}

/* eagain fires only where the kernel could say it: non-blocking mode. */
static void nonblocking(int fd)
{
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

static void close_pair(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

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
            fill(pat, 10, 3);
            assert_int_equal(fams[f].op(sv[0], pat, 10, 0), 3);
            fi_clear();
            assert_int_equal(take(sv[1], buf, sizeof buf), 3);
            assert_memory_equal(buf, pat, 3);
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
            skip();
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
            assert_int_equal(fiu_pending(sv[1]), 0);   /* nothing sent */
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
        read(sv[0], b, 3);
        fi_clear();
        write(sv[0], b, 3);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
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

/* ---- FAULT: delay ---------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void FAULT_delay_then_the_real_call(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFAMS; f++) {
        int sv[2];
        char pat[10], buf[16];
        fiu_pair(sv);
        set_rule("%s:delay=20", fams[f].name);
        double t0 = now_ms();
        if (fams[f].reads) {
            queue10(sv, pat);
            assert_int_equal(fams[f].op(sv[0], buf, 10, 0), 10);
        } else {
            fill(pat, 10, 6);
            assert_int_equal(fams[f].op(sv[0], pat, 10, 0), 10);
            assert_int_equal(take(sv[1], buf, sizeof buf), 10);
        }
        assert_true(now_ms() - t0 >= 19.5);
        assert_memory_equal(buf, pat, 10);
        close_pair(sv);
    }
}

static void on_alarm_tick(int sig)
{
    (void)sig;
}

static void FAULT_delay_is_not_cut_short_by_a_signal(void **state)
{
    (void)state;
    int sv[2];
    char b[4];
    fiu_pair(sv);
    assert_int_equal(write(sv[1], "abc", 3), 3);
    struct sigaction sa = { .sa_handler = on_alarm_tick }, old;
    sigaction(SIGPROF, &sa, &old);
    struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_PROF, &it, NULL);
    set_rule("%s:delay=60", "read");
    double t0 = now_ms();
    ssize_t r = read(sv[0], b, 3);
    double spent = now_ms() - t0;
    setitimer(ITIMER_PROF, &off, NULL);
    sigaction(SIGPROF, &old, NULL);
    assert_int_equal(r, 3);
    assert_true(spent >= 59.5);
    close_pair(sv);
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

static void FAULT_connect_eintr_on_a_nonblocking_socket(void **state)
{
    (void)state;
    struct sockaddr_in addr;
    int l = fiu_listen(&addr);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    set_rule("%s:eintr", "connect");
    assert_int_equal(connect(c, (struct sockaddr *)&addr, sizeof addr), -1);
    assert_int_equal(errno, EINTR);
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

/* ---- OPT --------------------------------------------------------------- */

/* Reads 1 byte NCALLS times; result[i] is 1 or -errno. */
static void read_calls(int fd, int ncalls, int *result)
{
    for (int i = 0; i < ncalls; i++) {
        char b;
        ssize_t r = read(fd, &b, 1);
        result[i] = r == 1 ? 1 : r == 0 ? 0 : -errno;
    }
}

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
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
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
    assert_true(fi_fired() > (long)(len / 100));
    fi_clear();
    for (int i = 0; i < PAIRS; i++) {
        assert_true(w[i].ok);
        assert_true(r[i].ok);
        close_pair(sv[i]);
    }
}

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
        T(PROM_idle_every_call_gives_libcs_result),
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
        T(FAULT_delay_then_the_real_call),
        T(FAULT_delay_is_not_cut_short_by_a_signal),
        T(FAULT_accept_error_when_keeps_connections),
        T(FAULT_accept4_eintr_eagain_delay),
        T(FAULT_connect_eintr_connection_goes_on),
        T(FAULT_connect_eintr_on_a_nonblocking_socket),
        T(FAULT_connect_eintr_reports_an_immediate_failure),
        T(FAULT_connect_error_makes_no_attempt),
        T(FAULT_close_eintr_really_closes),
        T(OPT_when_range_with_step),
        T(OPT_rules_never_shift_each_other),
        T(OPT_fd_default_spares_files_and_pipes),
        T(OPT_fd_counts_only_selected_descriptors),
        T(OPT_after_bytes_through_the_descriptor),
        T(OPT_per_fd_counts_each_descriptor),
        T(PROM_deterministic_p),
        T(PROM_fork_child_carries_on_counters),
        T(PROM_threads_lose_no_byte),
        T(PROM_calls_from_signal_handlers),
        T(CTL_fi_set_while_other_threads_call),
        T(PROM_idle_calls_go_straight_to_libc),
        T(CTL_fi_set_bad_rule_keeps_the_old_ones),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_shim: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

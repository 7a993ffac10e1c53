/* shimtest.c: what the in-process shim tests share (see shimtest.h). */
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
/* ---- one table entry per data call family ----------------------------- */


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

const struct fam fams[] = {
    { "read", 1, op_read }, { "readv", 1, op_readv }, { "recv", 1, op_recv },
    { "recvfrom", 1, op_recvfrom }, { "recvmsg", 1, op_recvmsg },
    { "write", 0, op_write }, { "writev", 0, op_writev }, { "send", 0, op_send },
    { "sendto", 0, op_sendto }, { "sendmsg", 0, op_sendmsg },
};
const size_t NFAMS = sizeof fams / sizeof fams[0];

volatile sig_atomic_t sigpipes;

void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static void on_winch(int sig)
{
    (void)sig;
}

void catch_a_signal(void)
{
    struct sigaction sa = { .sa_handler = on_winch };  /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGWINCH, &sa, NULL), 0);
}

int setup(void **state)
{
    (void)state;
    alarm(30);          /* a hang fails this test fast */
    catch_a_signal();
    fi_clear();
    sigpipes = 0;
    return 0;
}

int teardown(void **state)
{
    (void)state;
    fi_clear();
    alarm(0);
    return 0;
}

void set_rules(const char *rules)
{
    if (fi_set(rules) != 0)
        fail_msg("fi_set(%s): %s", rules, fi_error());
}

void set_rule(const char *fmt, const char *name)
{
    char rule[256];
    snprintf(rule, sizeof rule, fmt, name);
    set_rules(rule);
}

void fill(char *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)fiu_byte(seed, i);
}

/* Puts the 10-byte pattern into SV[0]'s receive queue. */
void queue10(int sv[2], char *pat)
{
    fill(pat, 10, 1);
    assert_int_equal(write(sv[1], pat, 10), 10);
}

/* Whatever is waiting on FD, without blocking. */
ssize_t take(int fd, char *buf, size_t n)
{
    ssize_t r = recv(fd, buf, n, MSG_DONTWAIT);
    return r < 0 && errno == EAGAIN ? 0 : r;
}

size_t fill_send_queue(int fd)
{
    static char junk[65536];
    size_t total = 0;
    ssize_t r;
    while ((r = send(fd, junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
        total += (size_t)r;
    assert_int_equal(errno, EAGAIN);
    return total;
}

size_t drain(int fd, char *buf, size_t n)
{
    size_t got = 0;
    ssize_t r;
    while (got < n && (r = take(fd, buf + got, n - got)) > 0)
        got += (size_t)r;
    return got;
}

/* eagain fires only where the kernel could say it: non-blocking mode. */
void nonblocking(int fd)
{
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

void close_pair(int sv[2])
{
    close(sv[0]);
    close(sv[1]);
}

/* Reads 1 byte NCALLS times; result[i] is 1 or -errno. */
void read_calls(int fd, int ncalls, int *result)
{
    for (int i = 0; i < ncalls; i++) {
        char b;
        ssize_t r = read(fd, &b, 1);
        result[i] = r == 1 ? 1 : r == 0 ? 0 : -errno;
    }
}

/* ---- a signal to a sleeping thread --------------------------------------- */

struct nudge {
    pthread_t target;
    pid_t tid;
    int sig, sig2;              /* sig2 0: one signal only */
    volatile sig_atomic_t *ran;
    long long deadline;
};

/* Thread TID's state letter (R, S, D, ...), or 0. */
static char thread_state(pid_t tid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0)
        return 0;
    line[n] = '\0';
    const char *end = strrchr(line, ')');       /* the name may hold spaces */
    return end != NULL && end[1] == ' ' ? end[2] : 0;
}

/* Sends SIG to N's thread once it sleeps (and, when RAN, once *RAN
 * shows a handler ran); 1 if sent before the deadline. */
static int send_when_asleep(const struct nudge *n, int sig, volatile sig_atomic_t *ran)
{
    struct timespec tick = { 0, 200000 };     /* polled, under the deadline */
    while (now_ms() < n->deadline) {
        if ((ran == NULL || *ran > 0) && thread_state(n->tid) == 'S')
            return pthread_kill(n->target, sig) == 0;
        nanosleep(&tick, NULL);
    }
    return 0;
}

static void *nudger(void *arg)
{
    struct nudge *n = arg;
    intptr_t sent = send_when_asleep(n, n->sig, NULL);
    if (sent && n->sig2 != 0)
        sent = send_when_asleep(n, n->sig2, n->ran);
    free(n);
    return (void *)sent;
}

pthread_t nudge_when_asleep(int sig, int timeout_ms)
{
    struct nudge *n = malloc(sizeof *n);
    assert_non_null(n);
    *n = (struct nudge){ pthread_self(), gettid(), sig, 0, NULL, now_ms() + timeout_ms };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, nudger, n), 0);
    return t;
}

pthread_t nudge_twice_when_asleep(int sig1, int sig2, volatile sig_atomic_t *ran,
                                  int timeout_ms)
{
    struct nudge *n = malloc(sizeof *n);
    assert_non_null(n);
    *n = (struct nudge){ pthread_self(), gettid(), sig1, sig2, ran, now_ms() + timeout_ms };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, nudger, n), 0);
    return t;
}

int nudge_join(pthread_t t)
{
    void *sent;
    assert_int_equal(pthread_join(t, &sent), 0);
    return sent != NULL;
}

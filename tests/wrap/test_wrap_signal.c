/* test_wrap_signal.c: EINTR from the kernel itself (R2, L5, N3, WN2, A1,
 * C2). A thread blocks in the library; once /proc shows it asleep in the
 * expected system call, it gets SIGUSR1, whose handler is installed without
 * SA_RESTART, so the kernel fails that call with EINTR (or, for a write that
 * moved some bytes, returns a short count). Readiness is polled in /proc,
 * never slept for. */
#include "clock.h"
#include "wtest.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Handler runs counted; lock-free atomics are async-signal-safe and tell
 * the other thread (and TSan) that the handler ran. */
static int hits;

static void on_usr1(int sig)
{
    (void)sig;
    __atomic_fetch_add(&hits, 1, __ATOMIC_SEQ_CST);
}

static int hit_count(void)
{
    return __atomic_load_n(&hits, __ATOMIC_SEQ_CST);
}

static int setup_signal(void **state)
{
    struct sigaction sa;
    (void)state;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;        /* no SA_RESTART: calls fail with EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    __atomic_store_n(&hits, 0, __ATOMIC_SEQ_CST);
    return 0;
}

/* The job a thread runs: CALL, with its result kept. */
struct job {
    int kind, fd, tid;
    void *buf;
    size_t n;
    ssize_t ret;
    int err, done;
    struct sockaddr_storage sa;
    socklen_t salen;
};

enum { J_READ, J_READLINE, J_READN, J_WRITEN, J_ACCEPT, J_CONNECT };

static void *run_job(void *p)
{
    struct job *j = p;
    __atomic_store_n(&j->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
    switch (j->kind) {
    case J_READ: j->ret = Read(j->fd, j->buf, j->n); break;
    case J_READLINE: j->ret = Readline(j->fd, j->buf, j->n); break;
    case J_READN: j->ret = Readn(j->fd, j->buf, j->n); break;
    case J_WRITEN: j->ret = Writen(j->fd, j->buf, j->n); break;
    case J_ACCEPT: j->ret = Accept(j->fd, NULL, NULL); break;
    case J_CONNECT:
        j->ret = Connect(j->fd, (struct sockaddr *)&j->sa, j->salen);
        break;
    }
    j->err = errno;
    __atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* The system call thread TID sleeps in, -1 if running or gone. */
static long blocked_in(int tid)
{
    char path[64], buf[128];
    FILE *f;
    long nr = -1;

    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    if (fgets(buf, sizeof buf, f) && buf[0] >= '0' && buf[0] <= '9')
        nr = strtol(buf, NULL, 10);
    fclose(f);
    return nr;
}

/* Waits (5 s at most) until J's thread sleeps in one of the calls NRS;
 * returns the call, or -1 if the job ended or the time ran out. */
static long wait_blocked(struct job *j, const long *nrs, int k)
{
    double end = now_s() + 5;
    int tid;

    while ((tid = __atomic_load_n(&j->tid, __ATOMIC_ACQUIRE)) == 0)
        sched_yield();
    while (now_s() < end && !__atomic_load_n(&j->done, __ATOMIC_ACQUIRE)) {
        long nr = blocked_in(tid);
        for (int i = 0; i < k; i++)
            if (nr == nrs[i])
                return nr;
        sched_yield();
    }
    return -1;
}

static const long READS[] = { SYS_read, SYS_readv, SYS_recvfrom, SYS_recvmsg };
static const long WRITES[] = { SYS_write, SYS_writev, SYS_sendto, SYS_sendmsg };

/* Starts J; once it sleeps in one of NRS, interrupts it (ROUNDS times,
 * each time waiting for it to sleep again: the retry). */
static pthread_t start_and_interrupt(struct job *j, const long *nrs, int k,
                                     int rounds)
{
    pthread_t th;

    pthread_create(&th, NULL, run_job, j);
    for (int r = 0; r < rounds; r++) {
        if (wait_blocked(j, nrs, k) < 0) {
            if (__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
                fail_msg("after %d signal(s) the call returned %zd (errno %s) "
                         "instead of retrying", r, j->ret, strerror(j->err));
            fail_msg("the thread never slept in the expected system call");
        }
        int before = hit_count();
        pthread_kill(th, SIGUSR1);
        while (hit_count() == before)
            sched_yield();
    }
    return th;
}

static void finish(pthread_t th, struct job *j)
{
    double end = now_s() + 10;
    while (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE) && now_s() < end)
        sched_yield();
    if (!__atomic_load_n(&j->done, __ATOMIC_ACQUIRE))
        fail_msg("the call did not return once its data was there");
    pthread_join(th, NULL);
}

static void R2_real_signal_during_read(void **state)
{
    (void)state;
    int p[2];
    char buf[16];
    struct job j = { .kind = J_READ, .buf = buf, .n = 4 };  /* looping: R1 */

    fi_t_pair_unix(p);
    j.fd = p[0];
    pthread_t th = start_and_interrupt(&j, READS, 4, 2);
    if (wait_blocked(&j, READS, 4) < 0)
        fail_msg("Read did not go back to read() after EINTR (returned %zd "
                 "errno %s)", j.ret, strerror(j.err));
    fi_t_write_all(p[1], "data", 4);
    finish(th, &j);
    if (j.ret != 4 || memcmp(buf, "data", 4) != 0)
        fail_msg("Read after two real EINTRs returned %zd (errno %s)", j.ret,
                 strerror(j.err));
    close(p[0]);
    close(p[1]);
}

static void L5_real_signal_mid_line(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    int p[2];
    char buf[64];
    struct job j = { .kind = J_READLINE, .buf = buf, .n = sizeof buf };

    fi_t_pair_unix(p);
    j.fd = p[0];
    fi_t_write_all(p[1], "half a ", 7);
    pthread_t th = start_and_interrupt(&j, READS, 4, 2);
    if (wait_blocked(&j, READS, 4) < 0)
        fail_msg("Readline did not retry after EINTR (returned %zd errno %s)",
                 j.ret, strerror(j.err));
    fi_t_write_all(p[1], "line\n", 5);
    finish(th, &j);
    if (j.ret != 12 || memcmp(buf, "half a line\n", 12) != 0)
        fail_msg("Readline after real EINTRs returned %zd '%s'", j.ret,
                 j.ret > 0 ? buf : "");
    Close(p[0]);
    close(p[1]);
}

static void N3_real_signal_mid_readn(void **state)
{
    (void)state;
    fi_t_need_readn();
    int p[2];
    char buf[10];
    struct job j = { .kind = J_READN, .buf = buf, .n = sizeof buf };

    fi_t_pair_unix(p);
    j.fd = p[0];
    fi_t_write_all(p[1], "0123", 4);
    pthread_t th = start_and_interrupt(&j, READS, 4, 2);
    if (wait_blocked(&j, READS, 4) < 0)
        fail_msg("Readn did not retry after EINTR (returned %zd errno %s)",
                 j.ret, strerror(j.err));
    fi_t_write_all(p[1], "456789", 6);
    finish(th, &j);
    if (j.ret != 10 || memcmp(buf, "0123456789", 10) != 0)
        fail_msg("Readn after real EINTRs returned %zd", j.ret);
    Close(p[0]);
    close(p[1]);
}

static void WN2_real_signal_while_buffer_full(void **state)
{
    (void)state;
    fi_t_need_writen();
    size_t n = 8u << 20;
    char *in = malloc(n), *out = malloc(n);
    int p[2];
    struct job j = { .kind = J_WRITEN, .buf = in, .n = n };

    for (size_t i = 0; i < n; i++)
        in[i] = (char)(i * 13 + (i >> 12));
    fi_t_pair_unix(p);
    j.fd = p[1];
    pthread_t th = start_and_interrupt(&j, WRITES, 4, 3);
    fi_t_read_all(p[0], out, n);             /* drain: Writen must go on */
    finish(th, &j);
    if (j.ret != (ssize_t)n)
        fail_msg("Writen under real signals returned %zd (errno %s)", j.ret,
                 strerror(j.err));
    expect_bytes(out, in, n);
    free(in);
    free(out);
    close(p[0]);
    close(p[1]);
}

static void A1_real_signal_during_accept(void **state)
{
    (void)state;
    struct sockaddr_storage sa;
    socklen_t len;
    const long nrs[] = { SYS_accept, SYS_accept4 };
    int l = fi_t_tcp_listener(&sa, &len);
    struct job j = { .kind = J_ACCEPT, .fd = l };

    pthread_t th = start_and_interrupt(&j, nrs, 2, 2);
    if (wait_blocked(&j, nrs, 2) < 0)
        fail_msg("Accept did not retry after EINTR (returned %zd errno %s)",
                 j.ret, strerror(j.err));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&sa, len) < 0)
        fail_msg("connect: %s", strerror(errno));
    finish(th, &j);
    if (j.ret < 0)
        fail_msg("Accept after real EINTRs returned -1 errno %s",
                 strerror(j.err));
    fi_t_write_all(c, "x", 1);
    char b;
    fi_t_read_all((int)j.ret, &b, 1);
    close((int)j.ret);
    close(c);
    close(l);
}

static void C2_real_signal_during_connect(void **state)
{
    (void)state;
    struct sockaddr_storage sa;
    socklen_t len;
    const long in_connect[] = { SYS_connect };
    int l = fi_t_tcp_listener(&sa, &len), c1;
    struct job j = { .kind = J_CONNECT, .sa = sa, .salen = len };

    /* backlog 0 with one connection queued: Linux drops the next SYN, so
     * that connect() blocks until the queue has room and the SYN is sent
     * again (about 1 s later) */
    listen(l, 0);
    c1 = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c1, (struct sockaddr *)&sa, len) < 0)
        fail_msg("connect: %s", strerror(errno));
    j.fd = socket(AF_INET, SOCK_STREAM, 0);
    pthread_t th = start_and_interrupt(&j, in_connect, 1, 1);
    /* connect() failed with EINTR: the attempt goes on; Connect must wait
     * for it (poll & co), not call connect() again (Linux would let a
     * blocking one wait too, hiding the breach) */
    const long either[] = { SYS_connect, SYS_poll, SYS_ppoll, SYS_select,
                            SYS_pselect6, SYS_epoll_wait, SYS_epoll_pwait };
    long nr = wait_blocked(&j, either, 7);
    if (nr == SYS_connect)
        fail_msg("Connect called connect() again after EINTR");
    if (nr >= 0) {
        int before = hit_count();
        pthread_kill(th, SIGUSR1);      /* and its wait is interrupted too */
        while (hit_count() == before)
            sched_yield();
        if (wait_blocked(&j, either, 7) == SYS_connect)
            fail_msg("Connect called connect() after its wait was interrupted");
    }
    if (__atomic_load_n(&j.done, __ATOMIC_ACQUIRE))
        fail_msg("Connect returned %zd (errno %s) while the connection was "
                 "still pending", j.ret, strerror(j.err));
    int s1 = accept(l, NULL, NULL);     /* room in the queue */
    int s2 = accept(l, NULL, NULL);     /* blocks until the SYN came again */
    finish(th, &j);
    if (j.ret != 0)
        fail_msg("Connect after a real EINTR returned %zd errno %s", j.ret,
                 strerror(j.err));
    fi_t_write_all(j.fd, "y", 1);
    char b;
    fi_t_read_all(s2, &b, 1);
    close(s1);
    close(s2);
    close(c1);
    close(j.fd);
    close(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(R2_real_signal_during_read, setup_signal),
        cmocka_unit_test_setup(L5_real_signal_mid_line, setup_signal),
        cmocka_unit_test_setup(N3_real_signal_mid_readn, setup_signal),
        cmocka_unit_test_setup(WN2_real_signal_while_buffer_full, setup_signal),
        cmocka_unit_test_setup(A1_real_signal_during_accept, setup_signal),
        cmocka_unit_test_setup(C2_real_signal_during_connect, setup_signal),
    };
    return WRAP_RUN(tests);
}

/* test_readiness.c: libfaultinject.so's promise "Readiness agrees" and
 * the wait rules (faultinject.md), in process under $(SHIM_ENV).
 * Clause ids: READY_ (after short/eagain, waits report what is left),
 * STATE_ (after reset/eof, waits report what the kernel reports after a
 * RST or FIN), WAIT_ (eintr, error=, delay= on poll/select/epoll_wait and
 * their variants), PROM_ (threads: an edge-triggered echo under faults).
 * Every wait is bounded (a timeout, and alarm() per test).
 */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "faultinject.h"
#include "clock.h"
#include "fiutil.h"
#include "shimtest.h"

/* Long enough for a loaded machine; a missing event fails after it. */
#define WAIT_MS 3000

static int epoll_with(int fd, uint32_t events, uint64_t data)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    assert_true(ep >= 0);
    struct epoll_event ev = { .events = events };
    ev.data.u64 = data;
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
    return ep;
}

/* One epoll_wait of at most MS: the event count, the event in *EV. */
static int wait_one(int ep, struct epoll_event *ev, int ms)
{
    int r;
    while ((r = epoll_wait(ep, ev, 1, ms)) < 0 && errno == EINTR)
        ;
    return r;
}

/* ---- READY: short and eagain leave the descriptor ready ------------- */

static void READY_et_reader_stopping_at_a_short_read_gets_its_next_edge(void **state)
{
    (void)state;
    enum { LEN = 20000, CHUNK = 512 };
    static unsigned char got[LEN];
    int sv[2];
    fiu_pair(sv);
    nonblocking(sv[0]);
    int ep = epoll_with(sv[0], EPOLLIN | EPOLLET, 0xabcdef);
    for (size_t off = 0; off < LEN; off += 1000) {
        unsigned char buf[1000];
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = fiu_byte(8, off + i);
        assert_int_equal(write(sv[1], buf, sizeof buf), (ssize_t)sizeof buf);
    }
    set_rules("read:short=100");
    size_t have = 0;
    int edges = 0;
    while (have < LEN) {
        struct epoll_event ev;
        /* nginx's habit: a read that returns less than asked drained the
         * queue, so wait for the next edge. Without one: stuck here. */
        assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);
        assert_int_equal(ev.data.u64, 0xabcdef);
        edges++;
        ssize_t r;
        do {
            r = read(sv[0], got + have, CHUNK < LEN - have ? CHUNK : LEN - have);
            if (r > 0)
                have += (size_t)r;
        } while (r == CHUNK);
    }
    assert_true(fi_fired() >= LEN / 100);
    assert_true(edges >= LEN / 100);
    for (size_t i = 0; i < LEN; i++)
        assert_int_equal(got[i], fiu_byte(8, i));
    assert_int_equal(fiu_pending(sv[0]), 0);
    close(ep);
    close_pair(sv);
}

static void READY_eagain_with_data_queued_epoll_et_and_poll_report_it(void **state)
{
    (void)state;
    int sv[2];
    char b[16];
    struct epoll_event ev;
    fiu_pair(sv);
    nonblocking(sv[0]);
    int ep = epoll_with(sv[0], EPOLLIN | EPOLLET, 77);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);         /* the edge, taken */
    set_rules("rd:eagain");
    assert_int_equal(read(sv[0], b, sizeof b), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(fi_fired(), 1);
    assert_int_equal(fiu_pending(sv[0]), 10);
    fi_clear();
    assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);
    assert_true(ev.events & EPOLLIN);
    assert_int_equal(ev.data.u64, 77);
    struct pollfd p = { sv[0], POLLIN, 0 };
    assert_int_equal(poll(&p, 1, WAIT_MS), 1);
    assert_true(p.revents & POLLIN);
    assert_int_equal(read(sv[0], b, sizeof b), 10);
    close(ep);
    close_pair(sv);
}

static void READY_write_eagain_with_room_gets_its_epollout_edge(void **state)
{
    (void)state;
    int sv[2];
    struct epoll_event ev;
    fiu_pair(sv);
    nonblocking(sv[1]);
    int ep = epoll_with(sv[1], EPOLLOUT | EPOLLET, 5);
    /* eagain stands for a queue out of room: 8 KiB unread is more than the
     * smallest send queue holds (faultinject.md), less than this one does. */
    static char q[8192];
    assert_int_equal(send(sv[1], q, sizeof q, 0), (ssize_t)sizeof q);
    assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);         /* writable: taken */
    while (wait_one(ep, &ev, 0) == 1)
        ;
    assert_int_equal(wait_one(ep, &ev, 0), 0);                /* no new edge */
    set_rules("wr:eagain");
    assert_int_equal(send(sv[1], "abc", 3, 0), -1);
    assert_int_equal(errno, EAGAIN);
    fi_clear();
    assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);
    assert_true(ev.events & EPOLLOUT);
    assert_int_equal(ev.data.u64, 5);
    close(ep);
    close_pair(sv);
}

static void READY_never_reports_a_descriptor_that_is_not_ready(void **state)
{
    (void)state;
    int sv[2];
    char b[16];
    struct epoll_event ev;
    fiu_pair(sv);
    nonblocking(sv[0]);
    int ep = epoll_with(sv[0], EPOLLIN | EPOLLET, 1);
    assert_int_equal(write(sv[1], "abcd", 4), 4);
    assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);
    set_rules("read:short=4");              /* takes everything: queue empty */
    assert_int_equal(read(sv[0], b, sizeof b), 4);
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_int_equal(wait_one(ep, &ev, 100), 0);
    close(ep);
    close_pair(sv);
}

/* ---- STATE: reset and eof, as waits report them --------------------- */

static void STATE_after_read_reset_poll_reports_hup_err_at_once(void **state)
{
    (void)state;
    int sv[2];
    char b[4];
    fiu_pair(sv);
    set_rules("read:reset");
    assert_int_equal(read(sv[0], b, 4), -1);
    assert_int_equal(errno, ECONNRESET);
    fi_clear();
    struct pollfd p = { sv[0], POLLIN, 0 };
    long long t0 = now_ms();
    assert_int_equal(poll(&p, 1, -1), 1);          /* never waits: alarm guards */
    assert_true(now_ms() - t0 < WAIT_MS);
    assert_int_equal(p.revents & (POLLIN | POLLHUP | POLLERR), POLLIN | POLLHUP | POLLERR);
    struct timespec zero = { 0, 0 };
    p.revents = 0;
    p.events = POLLOUT | POLLRDHUP;
    assert_int_equal(ppoll(&p, 1, NULL, NULL), 1);
    assert_true(p.revents & POLLOUT);
    assert_true(p.revents & POLLRDHUP);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    assert_int_equal(select(sv[0] + 1, &rd, NULL, NULL, NULL), 1);
    assert_true(FD_ISSET(sv[0], &rd));
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    assert_int_equal(pselect(sv[0] + 1, &rd, NULL, NULL, &zero, NULL), 1);
    assert_true(FD_ISSET(sv[0], &rd));
    assert_int_equal(read(sv[0], b, 4), 0);        /* and the read sees the end */
    close_pair(sv);
}

static void STATE_after_reset_epoll_reports_hup_err_with_the_registered_data(void **state)
{
    (void)state;
    int sv[2];
    char b[4];
    struct epoll_event ev;
    fiu_pair(sv);
    nonblocking(sv[0]);
    int lt = epoll_with(sv[0], EPOLLIN | EPOLLRDHUP, 0x1234);
    int et = epoll_with(sv[0], EPOLLIN | EPOLLET, 0x5678);
    set_rules("recv:reset");
    assert_int_equal(recv(sv[0], b, 4, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    fi_clear();
    /* The record is the last registration (et); lt stays the kernel's. */
    assert_int_equal(wait_one(et, &ev, WAIT_MS), 1);
    assert_int_equal(ev.data.u64, 0x5678);
    assert_int_equal(ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR), EPOLLIN | EPOLLHUP | EPOLLERR);
    assert_int_equal(wait_one(et, &ev, 50), 0);      /* edge-triggered: once */
    /* Level-triggered, registered again: on every wait. */
    struct epoll_event mod = { .events = EPOLLIN | EPOLLRDHUP };
    mod.data.u64 = 0x1234;
    assert_int_equal(epoll_ctl(lt, EPOLL_CTL_MOD, sv[0], &mod), 0);
    for (int i = 0; i < 3; i++) {
        memset(&ev, 0, sizeof ev);
        assert_int_equal(epoll_pwait(lt, &ev, 1, -1, NULL), 1);
        assert_int_equal(ev.data.u64, 0x1234);
        assert_int_equal(ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR),
                         EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
    }
    struct timespec ts = { 5, 0 };
    assert_int_equal(epoll_pwait2(lt, &ev, 1, &ts, NULL), 1);
    assert_int_equal(ev.data.u64, 0x1234);
    close(lt);
    close(et);
    close_pair(sv);
}

static void STATE_after_eof_waits_report_readable_rdhup_only(void **state)
{
    (void)state;
    int sv[2];
    char b[4];
    struct epoll_event ev;
    fiu_pair(sv);
    set_rules("read:eof");
    assert_int_equal(read(sv[0], b, 4), 0);
    fi_clear();
    struct pollfd p = { sv[0], POLLIN | POLLRDHUP, 0 };
    assert_int_equal(poll(&p, 1, -1), 1);
    assert_int_equal(p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR), POLLIN | POLLRDHUP);
    int ep = epoll_with(sv[0], EPOLLIN | EPOLLRDHUP | EPOLLET, 9);
    assert_int_equal(wait_one(ep, &ev, WAIT_MS), 1);
    assert_int_equal(ev.data.u64, 9);
    assert_int_equal(ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR),
                     EPOLLIN | EPOLLRDHUP);
    close(ep);
    close_pair(sv);
}

static void STATE_closed_descriptor_leaves_no_report(void **state)
{
    (void)state;
    int sv[2], other[2];
    char b[4];
    fiu_pair(sv);
    set_rules("read:reset");
    assert_int_equal(read(sv[0], b, 4), -1);
    fi_clear();
    close_pair(sv);
    fiu_pair(other);                    /* likely the same numbers */
    struct pollfd p = { other[0], POLLIN, 0 };
    assert_int_equal(poll(&p, 1, 50), 0);
    close_pair(other);
}

/* ---- WAIT: rules on the waits themselves ------------------------------ */

static void WAIT_epoll_wait_eintr_returns_minus1_and_the_loop_goes_on(void **state)
{
    (void)state;
    int sv[2];
    struct epoll_event ev;
    fiu_pair(sv);
    int ep = epoll_with(sv[0], EPOLLIN, 3);
    assert_int_equal(write(sv[1], "x", 1), 1);
    set_rules("epoll_wait:eintr:when=1..3");
    int eintr = 0, r;
    while ((r = epoll_wait(ep, &ev, 1, -1)) < 0) {
        assert_int_equal(errno, EINTR);
        eintr++;
    }
    assert_int_equal(r, 1);
    assert_int_equal(ev.data.u64, 3);
    assert_int_equal(eintr, 3);
    assert_int_equal(fi_fired(), 3);
    close(ep);
    close_pair(sv);
}

static void WAIT_eintr_on_every_wait_without_waiting(void **state)
{
    (void)state;
    int sv[2];
    struct epoll_event ev;
    fd_set rd;
    fiu_pair(sv);                        /* nothing will ever be ready */
    int ep = epoll_with(sv[0], EPOLLIN, 1);
    struct pollfd p = { sv[0], POLLIN, 0 };
    set_rules("wait:eintr");
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    assert_int_equal(poll(&p, 1, -1), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(ppoll(&p, 1, NULL, NULL), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(select(sv[0] + 1, &rd, NULL, NULL, NULL), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(pselect(sv[0] + 1, &rd, NULL, NULL, NULL, NULL), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(epoll_wait(ep, &ev, 1, -1), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(epoll_pwait(ep, &ev, 1, -1, NULL), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(epoll_pwait2(ep, &ev, 1, NULL, NULL), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(fi_fired(), 7);
    close(ep);
    close_pair(sv);
}

static void WAIT_poll_eintr_and_select_error(void **state)
{
    (void)state;
    int sv[2];
    fd_set rd;
    fiu_pair(sv);
    assert_int_equal(write(sv[1], "x", 1), 1);
    struct pollfd p = { sv[0], POLLIN, 0 };
    set_rules("poll:eintr:when=2");
    assert_int_equal(poll(&p, 1, 0), 1);
    assert_int_equal(poll(&p, 1, 0), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(poll(&p, 1, 0), 1);
    set_rules("select:error=EBADF");
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    assert_int_equal(select(sv[0] + 1, &rd, NULL, NULL, NULL), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(poll(&p, 1, 0), 1);            /* select's rule only */
    assert_int_equal(fi_fired(), 1);
    close_pair(sv);
}

static void WAIT_delay_then_the_real_wait(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    assert_int_equal(write(sv[1], "x", 1), 1);
    struct pollfd p = { sv[0], POLLIN, 0 };
    set_rules("wait:delay=60");
    long long t0 = now_ms();
    assert_int_equal(poll(&p, 1, 0), 1);
    assert_true(now_ms() - t0 >= 55);
    assert_true(p.revents & POLLIN);
    close_pair(sv);
}

/* ---- PROM: an edge-triggered echo in threads, under faults ------------ */

enum { ECHO_PAIRS = 3, ECHO_LEN = 60000 };

struct et_stream {
    int fd;
    unsigned seed;
    int ok;
};

/* Writes the pattern, waiting for EPOLLOUT edges after a short write or
 * EAGAIN (nginx's habit), every wait bounded. */
static void *et_writer(void *arg)
{
    struct et_stream *s = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLET };
    ev.data.u64 = (uint64_t)s->fd;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
        return NULL;
    unsigned char buf[700];
    size_t off = 0;
    while (off < ECHO_LEN) {
        size_t n = ECHO_LEN - off < sizeof buf ? ECHO_LEN - off : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = fiu_byte(s->seed, off + i);
        ssize_t r = write(s->fd, buf, n);
        if (r > 0)
            off += (size_t)r;
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            break;
        if (r < 0 && errno == EINTR)
            continue;
        if (r == (ssize_t)n)
            continue;
        int w = epoll_wait(ep, &ev, 1, WAIT_MS);
        if (w == 0)
            break;                      /* stranded: fails the test */
    }
    close(ep);
    shutdown(s->fd, SHUT_WR);
    s->ok = off == ECHO_LEN;
    return NULL;
}

static void *et_reader(void *arg)
{
    struct et_stream *s = arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
    ev.data.u64 = (uint64_t)s->fd;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
        return NULL;
    unsigned char buf[512];
    size_t off = 0;
    for (;;) {
        ssize_t r = read(s->fd, buf, sizeof buf);
        if (r == 0)
            break;
        if (r > 0) {
            for (ssize_t i = 0; i < r; i++)
                if (buf[i] != fiu_byte(s->seed, off + (size_t)i))
                    goto out;
            off += (size_t)r;
            if (r == (ssize_t)sizeof buf)
                continue;
        } else if (errno == EINTR) {
            continue;
        } else if (errno != EAGAIN) {
            break;
        }
        int w = epoll_wait(ep, &ev, 1, WAIT_MS);
        if (w == 0)
            break;                      /* stranded */
    }
    s->ok = off == ECHO_LEN;
out:
    close(ep);
    return NULL;
}

static void PROM_threads_edge_triggered_streams_under_faults(void **state)
{
    (void)state;
    int sv[ECHO_PAIRS][2];
    struct et_stream w[ECHO_PAIRS], r[ECHO_PAIRS];
    pthread_t tw[ECHO_PAIRS], tr[ECHO_PAIRS];
    set_rules("rd:short=100:p=0.3;rd:eagain:p=0.3;wr:short=50:p=0.3;wr:eagain:p=0.3;"
              "wait:eintr:p=0.3");
    for (int i = 0; i < ECHO_PAIRS; i++) {
        fiu_pair(sv[i]);
        nonblocking(sv[i][0]);
        nonblocking(sv[i][1]);
        w[i] = (struct et_stream){ sv[i][1], (unsigned)i + 30, 0 };
        r[i] = (struct et_stream){ sv[i][0], (unsigned)i + 30, 0 };
        assert_int_equal(pthread_create(&tw[i], NULL, et_writer, &w[i]), 0);
        assert_int_equal(pthread_create(&tr[i], NULL, et_reader, &r[i]), 0);
    }
    for (int i = 0; i < ECHO_PAIRS; i++) {
        pthread_join(tw[i], NULL);
        pthread_join(tr[i], NULL);
    }
    long fired = fi_fired();
    fi_clear();
    assert_true(fired > 100);
    for (int i = 0; i < ECHO_PAIRS; i++) {
        assert_true(w[i].ok);
        assert_true(r[i].ok);
        close_pair(sv[i]);
    }
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(READY_et_reader_stopping_at_a_short_read_gets_its_next_edge),
        T(READY_eagain_with_data_queued_epoll_et_and_poll_report_it),
        T(READY_write_eagain_with_room_gets_its_epollout_edge),
        T(READY_never_reports_a_descriptor_that_is_not_ready),
        T(STATE_after_read_reset_poll_reports_hup_err_at_once),
        T(STATE_after_reset_epoll_reports_hup_err_with_the_registered_data),
        T(STATE_after_eof_waits_report_readable_rdhup_only),
        T(STATE_closed_descriptor_leaves_no_report),
        T(WAIT_epoll_wait_eintr_returns_minus1_and_the_loop_goes_on),
        T(WAIT_eintr_on_every_wait_without_waiting),
        T(WAIT_poll_eintr_and_select_error),
        T(WAIT_delay_then_the_real_wait),
        T(PROM_threads_edge_triggered_streams_under_faults),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_readiness: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

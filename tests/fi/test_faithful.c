/* test_faithful: faults fire only where the kernel could give them
 * (faultinject.md, the write-side rule, "nor on a read once the peer's FIN
 * is queued", stall). In-process, under LD_PRELOAD. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faultinject.h"
#include "fiutil.h"
#include "netsock.h"
#include "shimtest.h"

static char big[100000], back[100000];

/* nginx's 25-byte "100 Continue" on a fresh connection: the kernel always
 * takes it whole, so neither eagain nor short may refuse or cut it. */
static void ROOM_a_small_first_write_on_a_fresh_connection_goes_whole(void **state)
{
    (void)state;
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    char got[64];
    int sv[2];
    assert_int_equal(net_tcp_pair(sv), 0);   /* sv[0] the client */
    nonblocking(sv[1]);
    set_rules("wr:eagain");
    assert_int_equal(send(sv[1], cont, 25, 0), 25);
    set_rules("wr:short=1");
    assert_int_equal(write(sv[1], cont, 25), 25);
    assert_int_equal(fi_fired(), 0);
    fi_clear();
    assert_int_equal(drain(sv[0], got, 50), 50);
    close_pair(sv);
}

/* The floors faultinject/shim/room.c assumes (1824 bytes over TCP, 4480 on a
 * unix stream) hold on the running kernel: a non-blocking write into an
 * empty queue at the smallest buffers the kernel allows takes at least
 * that much. If this fails, room.c would let impossible cuts through. */
static void ROOM_the_floor_holds_on_this_kernel(void **state)
{
    (void)state;
    int one = 1, mss = 88, sv[2];
    static char junk[1 << 20];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &one, sizeof one), 0);
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &one, sizeof one), 0);
    nonblocking(sv[1]);
    assert_true(write(sv[1], junk, sizeof junk) >= 4480);
    close_pair(sv);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &one, sizeof one), 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(l, 1), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(setsockopt(c, SOL_SOCKET, SO_SNDBUF, &one, sizeof one), 0);
    assert_int_equal(setsockopt(c, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss), 0);
    assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    int s = accept(l, NULL, NULL);
    assert_true(s >= 0);
    nonblocking(c);
    assert_true(write(c, junk, sizeof junk) >= 1824);
    close(c);
    close(s);
    close(l);
}

/* A write larger than the room is cut, but never below that room. */
static void ROOM_a_short_write_moves_at_least_the_room(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    fill(big, 65536, 5);
    set_rules("write:short=1");
    ssize_t r = write(sv[1], big, 65536);
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_true(r > 1 && r < 65536);
    assert_int_equal(drain(sv[0], back, sizeof back), r);
    assert_memory_equal(back, big, (size_t)r);
    close_pair(sv);
}

/* Once the queue is full (the peer reads nothing), eagain can fire. */
static void ROOM_eagain_once_the_send_queue_is_full(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    size_t queued = fill_send_queue(sv[1]);
    nonblocking(sv[1]);
    set_rules("send:eagain");
    assert_int_equal(send(sv[1], "x", 1, 0), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_int_equal(fiu_pending(sv[0]), (int)queued);
    close_pair(sv);
}

/* pipe(7): a write of at most PIPE_BUF bytes is atomic. */
static void PIPE_a_write_of_at_most_pipe_buf_is_never_cut(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    fill(big, 65536, 6);
    set_rules("write:short=1:fd=pipe");
    assert_int_equal(write(p[1], big, PIPE_BUF), PIPE_BUF);
    assert_int_equal(fi_fired(), 0);
    ssize_t r = write(p[1], big + PIPE_BUF, 65536 - PIPE_BUF);   /* more than it surely takes */
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_true(r > 1 && r < 65536 - PIPE_BUF);
    close(p[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], back + got, sizeof back - got)) > 0)
        got += (size_t)n;
    assert_int_equal(got, PIPE_BUF + (size_t)r);
    assert_memory_equal(back, big, got);
    close(p[0]);
}

/* libuv's uv__stream_io: POLLHUP plus a partial read is the end of the
 * stream. With the FIN in, all the data is queued: a read takes all it
 * asks for, so no short (and no eagain) may fire. */
static void FIN_no_short_read_once_the_peers_fin_is_queued(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    fill(big, sizeof big, 7);
    assert_int_equal(write(sv[1], big, sizeof big), (ssize_t)sizeof big);
    close(sv[1]);
    set_rules("read:short=100");
    assert_int_equal(read(sv[0], back, sizeof back), (ssize_t)sizeof back);
    assert_int_equal(read(sv[0], back, 1), 0);
    assert_int_equal(fi_fired(), 0);
    fi_clear();
    assert_memory_equal(back, big, sizeof big);
    close(sv[0]);
}

static void FIN_no_eagain_once_the_peers_fin_is_queued(void **state)
{
    (void)state;
    int sv[2];
    char b[16];
    assert_int_equal(net_tcp_pair(sv), 0);   /* sv[0] the client */
    nonblocking(sv[0]);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    close(sv[1]);
    struct pollfd p = { sv[0], POLLRDHUP, 0 };
    assert_int_equal(poll(&p, 1, 5000), 1);             /* the FIN is in */
    set_rules("rd:eagain");
    assert_int_equal(recv(sv[0], b, sizeof b, 0), 10);
    assert_int_equal(read(sv[0], b, sizeof b), 0);
    assert_int_equal(fi_fired(), 0);
    fi_clear();
    close(sv[0]);
}

/* A write stall still takes what the queue has room for, then nothing. */
static void STALL_a_write_stall_takes_the_room_first(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    nonblocking(sv[1]);
    set_rules("send:stall");
    assert_int_equal(send(sv[1], "abc", 3, 0), 3);
    assert_int_equal(send(sv[1], "def", 3, 0), -1);
    assert_int_equal(errno, EAGAIN);
    fi_clear();
    assert_int_equal(fiu_pending(sv[0]), 3);
    close_pair(sv);
}

/* For a stream read by one thread, the read after poll said POLLIN
 * returns data, 0 or an error, never EAGAIN (socat nonblock, rsync, ssh
 * die on it); a later read of the same drain loop can. */
/* Under rd:eagain, a wait has just shown FD's 10 queued bytes: the read
 * after it gets data, not EAGAIN; the drain loop's next read can. */
static void drain_after_ready(int fd)
{
    char b[16];
    assert_int_equal(read(fd, b, 4), 4);
    assert_int_equal(fi_fired(), 0);
    assert_int_equal(read(fd, b + 4, 6), -1);        /* the drain loop's next */
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_int_equal(read(fd, b + 4, 12), 6);
    assert_memory_equal(b, "0123456789", 10);
}

static void READY_no_eagain_on_the_read_after_poll_said_readable(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    nonblocking(sv[0]);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    set_rules("rd:eagain");
    struct pollfd p = { sv[0], POLLIN, 0 };
    assert_int_equal(poll(&p, 1, 5000), 1);
    drain_after_ready(sv[0]);
    close_pair(sv);
}

/* epoll_wait said readable (the event names the descriptor by a
 * pointer, as nginx registers it): the read after it returns data. */
static void READY_no_eagain_on_the_read_after_epoll_wait_said_readable(void **state)
{
    (void)state;
    int sv[2];
    static int tag;
    fiu_pair(sv);
    nonblocking(sv[0]);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    assert_true(ep >= 0);
    struct epoll_event e = { .events = EPOLLIN | EPOLLET, .data.ptr = &tag };
    assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &e), 0);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    set_rules("rd:eagain");
    struct epoll_event got[4];
    assert_int_equal(epoll_wait(ep, got, 4, 5000), 1);
    assert_ptr_equal(got[0].data.ptr, &tag);
    drain_after_ready(sv[0]);
    close(ep);
    close_pair(sv);
}

/* wget peeks the headers with recv(MSG_PEEK), then reads exactly those
 * bytes: the kernel returns them all, so that read is not cut. */
static void READY_a_read_of_what_msg_peek_showed_is_not_cut(void **state)
{
    (void)state;
    int sv[2];
    char b[100], want[100];
    fiu_pair(sv);
    fill(want, sizeof want, 8);
    assert_int_equal(write(sv[1], want, sizeof want), (ssize_t)sizeof want);
    set_rules("rd:short=10:when=2");
    assert_int_equal(recv(sv[0], b, sizeof b, MSG_PEEK), (ssize_t)sizeof b);
    assert_int_equal(read(sv[0], b, sizeof b), (ssize_t)sizeof b);
    assert_int_equal(fi_fired(), 0);
    fi_clear();
    assert_memory_equal(b, want, sizeof want);
    close_pair(sv);
}

/* select said writable: the write takes bytes, never EAGAIN. */
static void READY_no_eagain_on_the_write_after_select_said_writable(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    static char q[8192];
    assert_int_equal(send(sv[1], q, sizeof q, 0), (ssize_t)sizeof q);   /* past the floor */
    nonblocking(sv[1]);
    set_rules("wr:eagain");
    fd_set wr;
    FD_ZERO(&wr);
    FD_SET(sv[1], &wr);
    struct timeval tv = { 5, 0 };
    assert_int_equal(select(sv[1] + 1, NULL, &wr, NULL, &tv), 1);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_int_equal(fi_fired(), 0);
    assert_int_equal(write(sv[1], "y", 1), -1);
    assert_int_equal(errno, EAGAIN);
    fi_clear();
    close_pair(sv);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(ROOM_the_floor_holds_on_this_kernel),
        T(ROOM_a_small_first_write_on_a_fresh_connection_goes_whole),
        T(ROOM_a_short_write_moves_at_least_the_room),
        T(ROOM_eagain_once_the_send_queue_is_full),
        T(PIPE_a_write_of_at_most_pipe_buf_is_never_cut),
        T(FIN_no_short_read_once_the_peers_fin_is_queued),
        T(FIN_no_eagain_once_the_peers_fin_is_queued),
        T(STALL_a_write_stall_takes_the_room_first),
        T(READY_no_eagain_on_the_read_after_poll_said_readable),
        T(READY_no_eagain_on_the_read_after_epoll_wait_said_readable),
        T(READY_a_read_of_what_msg_peek_showed_is_not_cut),
        T(READY_no_eagain_on_the_write_after_select_said_writable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_wrap_read.c: R1-R3 (Read), W1-W3 (Write). */
#include "wtest.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The pair fixture (wtest.h): Read and Write keep no state, so fds[0] is
 * closed with close(). */
#define setup    fi_t_setup_pair
#define teardown fi_t_teardown_pair

static void R1_short_count_returned_not_looped(void **state)
{
    (void)state;
    char buf[100];

    fi_t_rcv_timeout(fds[0], 2000);      /* a Read that loops fails, not hangs */
    fi_t_write_all(fds[1], "hello", 5);
    expect_ret(Read(fds[0], buf, sizeof buf), 5);
    expect_bytes(buf, "hello", 5);
}

static void R1_short_read_from_kernel_split(void **state)
{
    (void)state;
    char buf[100];

    fi_t_rcv_timeout(fds[0], 2000);
    fi_t_write_all(fds[1], "abcdefgh", 8);
    fi_t_faults("rd:short=3:fd=%d", fds[0]);
    expect_ret(Read(fds[0], buf, sizeof buf), 3);
    expect_bytes(buf, "abc", 3);
    expect_ret(Read(fds[0], buf, sizeof buf), 3);
    expect_bytes(buf, "def", 3);
    fi_t_clear();
    expect_ret(Read(fds[0], buf, sizeof buf), 2);
    expect_bytes(buf, "gh", 2);
}

static void R1_end_of_stream_is_zero(void **state)
{
    (void)state;
    char buf[10];

    shutdown(fds[1], SHUT_WR);
    expect_ret(Read(fds[0], buf, sizeof buf), 0);
    expect_ret(Read(fds[0], buf, sizeof buf), 0);
}

static void R1_pipe_and_tcp(void **state)
{
    (void)state;
    int p[2], t[2];
    char buf[64];

    fi_t_pair_pipe(p);
    fi_t_write_all(p[1], "pipe!", 5);
    expect_ret(Read(p[0], buf, sizeof buf), 5);
    expect_bytes(buf, "pipe!", 5);
    close(p[1]);
    expect_ret(Read(p[0], buf, sizeof buf), 0);
    close(p[0]);

    fi_t_pair_tcp(t);
    fi_t_rcv_timeout(t[0], 2000);
    fi_t_write_all(t[1], "tcp", 3);
    expect_ret(Read(t[0], buf, sizeof buf), 3);
    close(t[1]);
    expect_ret(Read(t[0], buf, sizeof buf), 0);
    close(t[0]);
}

static void R2_eintr_retried(void **state)
{
    (void)state;
    char buf[16];

    fi_t_write_all(fds[1], "xyz", 3);
    fi_t_faults("rd:eintr:fd=%d:when=1..3", fds[0]);
    expect_ret(Read(fds[0], buf, 3), 3);    /* exactly: looping is R1's */
    expect_bytes(buf, "xyz", 3);
    expect_fired(3);
}

static void R2_eintr_retried_on_pipe(void **state)
{
    (void)state;
    int p[2];
    char buf[16];

    fi_t_pair_pipe(p);
    fi_t_write_all(p[1], "pq", 2);
    fi_t_faults("rd:eintr:fd=pipe:when=1..2");
    expect_ret(Read(p[0], buf, 2), 2);
    expect_bytes(buf, "pq", 2);
    close(p[0]);
    close(p[1]);
}

static void R3_eagain_returns_minus_one(void **state)
{
    (void)state;
    char buf[16];

    fi_t_set_nonblock(fds[0]);           /* the kernel's own EAGAIN */
    expect_err(Read(fds[0], buf, sizeof buf), EAGAIN);
    fi_t_write_all(fds[1], "ok", 2);
    expect_ret(Read(fds[0], buf, 2), 2);
}

static void R3_econnreset_from_real_rst(void **state)
{
    (void)state;
    int t[2];
    char buf[16];

    fi_t_pair_tcp_reset(t);
    expect_err(Read(t[0], buf, sizeof buf), ECONNRESET);
    close(t[0]);
}

static void R3_injected_errors_and_ebadf(void **state)
{
    (void)state;
    char buf[16];

    fi_t_faults("rd:error=ETIMEDOUT:fd=%d:when=1;rd:reset:fd=%d:when=2", fds[0], fds[0]);
    expect_err(Read(fds[0], buf, sizeof buf), ETIMEDOUT);
    expect_err(Read(fds[0], buf, sizeof buf), ECONNRESET);
    fi_t_clear();
    expect_err(Read(-1, buf, sizeof buf), EBADF);
}

/* 64 KiB+ to a peer that is not reading: more than the send queue has
 * room for, where a faithful shim cuts a write short too (to the room, at
 * least 4 bytes); whatever write() moved, Write returns it. */
static void W1_short_count_returned(void **state)
{
    (void)state;
    static char big[100000], got[100000];
    ssize_t r;

    struct timeval tv = { .tv_sec = 1 };

    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 13 + 1);
    /* a Write that loops fills the socket: it fails after 1 s, not hangs */
    setsockopt(fds[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    fi_t_faults("wr:short=4:fd=%d", fds[1]);
    fi_t_note("fed", "Write(fd %d, buf, %zu) to a peer that is not reading",
              fds[1], sizeof big);
    fi_t_note("expected", "Write returns the short count write() returned "
              "(4 or more, below %zu), as many bytes arrived", sizeof big);
    r = Write(fds[1], big, sizeof big);
    if (r <= 0 || (size_t)r >= sizeof big) {
        fi_t_note("got", "returned %zd%s%s", r, r < 0 ? ", errno " : "",
                  r < 0 ? fi_t_errname(errno) : "");
        fail_msg("Write of %zu bytes cut short by write() returned %zd: it "
                 "must return the short count, not loop", sizeof big, r);
    }
    expect_fired(1);
    fi_t_clear();
    if (fi_t_pending(fds[0]) != (int)r)
        fail_msg("Write returned %zd but %d bytes arrived", r, fi_t_pending(fds[0]));
    fi_t_read_all(fds[0], got, (size_t)r);
    expect_bytes(got, big, (size_t)r);
}

static void W1_kernel_short_write_nonblocking(void **state)
{
    (void)state;
    static char big[1 << 20];
    ssize_t r;

    fi_t_set_nonblock(fds[1]);
    r = Write(fds[1], big, sizeof big);  /* the kernel takes what fits */
    if (r <= 0 || (size_t)r >= sizeof big)
        fail_msg("Write of 1 MiB into a socket buffer returned %zd", r);
    assert_int_equal(fi_t_pending(fds[0]), (int)r);
}

static void W2_eintr_retried(void **state)
{
    (void)state;
    char buf[8];

    fi_t_faults("wr:eintr:fd=%d:when=1..2", fds[1]);
    expect_ret(Write(fds[1], "hey", 3), 3);
    expect_fired(2);
    fi_t_clear();
    fi_t_read_all(fds[0], buf, 3);
    expect_bytes(buf, "hey", 3);
}

static void W3_epipe_after_peer_closed(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    close(fds[0]);
    fds[0] = socket(AF_UNIX, SOCK_STREAM, 0);
    expect_err(Write(fds[1], "x", 1), EPIPE);
}

static void W3_eagain_full_buffer(void **state)
{
    (void)state;
    fi_t_fill_socket(fds[1]);            /* the kernel's own full buffer */
    expect_err(Write(fds[1], "x", 1), EAGAIN);
}

static void W3_econnreset_and_injected(void **state)
{
    (void)state;
    int t[2];

    signal(SIGPIPE, SIG_IGN);
    fi_t_pair_tcp_reset(t);
    expect_err(Write(t[0], "x", 1), ECONNRESET);
    close(t[0]);
    fi_t_faults("wr:error=ENOBUFS:fd=%d:when=1", fds[1]);
    expect_err(Write(fds[1], "x", 1), ENOBUFS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(R1_short_count_returned_not_looped, setup, teardown),
        cmocka_unit_test_setup_teardown(R1_short_read_from_kernel_split, setup, teardown),
        cmocka_unit_test_setup_teardown(R1_end_of_stream_is_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(R1_pipe_and_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(R2_eintr_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(R2_eintr_retried_on_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(R3_eagain_returns_minus_one, setup, teardown),
        cmocka_unit_test_setup_teardown(R3_econnreset_from_real_rst, setup, teardown),
        cmocka_unit_test_setup_teardown(R3_injected_errors_and_ebadf, setup, teardown),
        cmocka_unit_test_setup_teardown(W1_short_count_returned, setup, teardown),
        cmocka_unit_test_setup_teardown(W1_kernel_short_write_nonblocking, setup, teardown),
        cmocka_unit_test_setup_teardown(W2_eintr_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(W3_epipe_after_peer_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(W3_eagain_full_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(W3_econnreset_and_injected, setup, teardown),
    };
    return WRAP_RUN(tests);
}

/* test_wrap_readn.c: N1-N6 (Readn), WN1-WN3 (Writen). The exhaustive and
 * random splits of N1 are in test_wrap_split.c. */
#include "wtest.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The pair fixture (wtest.h): a Readn that waits for too much fails after
 * 3 s; fds[0] is closed with Close. */
#define setup    fi_t_setup_pair_timed
#define teardown fi_t_teardown_pair_Close

static void N1_one_byte_reads(void **state)
{
    (void)state;
    char in[300], out[300];

    fi_t_fill_pattern(in, sizeof in, 1);
    fi_t_write_all(fds[1], in, sizeof in);
    fi_t_faults("rd:short=1:fd=%d", fds[0]);
    expect_ret(Readn(fds[0], out, sizeof out), sizeof out);
    expect_bytes(out, in, sizeof in);
}

struct feeder {
    int fd;
    const char *buf;
    size_t len, chunk;
};

static void *feed(void *p)
{
    struct feeder *f = p;
    for (size_t off = 0; off < f->len; off += f->chunk) {
        size_t n = f->len - off < f->chunk ? f->len - off : f->chunk;
        fi_t_write_all(f->fd, f->buf + off, n);
    }
    return NULL;
}

static void N1_large_across_many_reads(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    char *in = malloc(n), *out = malloc(n);
    struct feeder f = { fds[1], in, n, 7777 };
    pthread_t th;

    fi_t_fill_pattern(in, n, 2);
    pthread_create(&th, NULL, feed, &f);
    expect_ret(Readn(fds[0], out, n), n);
    pthread_join(th, NULL);
    expect_bytes(out, in, n);
    free(in);
    free(out);
}

static void N1_pipe_and_tcp(void **state)
{
    (void)state;
    int p[2], t[2];
    char in[5000], out[5000];

    fi_t_fill_pattern(in, sizeof in, 3);
    fi_t_pair_pipe(p);
    fi_t_write_all(p[1], in, sizeof in);
    fi_t_faults("rd:short=333:fd=pipe");
    expect_ret(Readn(p[0], out, sizeof out), sizeof out);
    expect_bytes(out, in, sizeof in);
    Close(p[0]);
    close(p[1]);

    fi_t_pair_tcp(t);
    fi_t_rcv_timeout(t[0], 3000);
    fi_t_write_all(t[1], in, sizeof in);
    fi_t_faults("rd:short=1000:fd=%d", t[0]);
    expect_ret(Readn(t[0], out, sizeof out), sizeof out);
    expect_bytes(out, in, sizeof in);
    Close(t[0]);
    close(t[1]);
}

static void N2_early_end_returns_count(void **state)
{
    (void)state;
    char out[100];

    fi_t_write_all(fds[1], "0123456", 7);
    shutdown(fds[1], SHUT_WR);
    memset(out, 0, sizeof out);
    expect_ret(Readn(fds[0], out, sizeof out), 7);
    expect_bytes(out, "0123456", 7);
    expect_ret(Readn(fds[0], out, sizeof out), 0);
}

static void N2_end_at_once_returns_zero(void **state)
{
    (void)state;
    char out[10];
    int p[2];

    shutdown(fds[1], SHUT_WR);
    expect_ret(Readn(fds[0], out, sizeof out), 0);
    fi_t_pair_pipe(p);                   /* a real EOF on a pipe too */
    fi_t_write_all(p[1], "ab", 2);
    close(p[1]);
    expect_ret(Readn(p[0], out, sizeof out), 2);
    expect_bytes(out, "ab", 2);
    expect_ret(Readn(p[0], out, sizeof out), 0);
    Close(p[0]);
}

static void N2_injected_eof(void **state)
{
    (void)state;
    char out[10];

    fi_t_write_all(fds[1], "abc", 3);
    /* the peer "closes" once 3 bytes moved: the next read() returns 0 */
    fi_t_faults("rd:eof:fd=%d:after=3", fds[0]);
    expect_ret(Readn(fds[0], out, sizeof out), 3);
    expect_bytes(out, "abc", 3);
    fi_t_write_all(fds[1], "defg", 4);
    expect_ret(Readn(fds[0], out, sizeof out), 0);
}

static void N3_eintr_at_every_point(void **state)
{
    (void)state;
    fi_t_need_readn();
    char in[12], out[12];

    fi_t_fill_pattern(in, sizeof in, 4);
    for (int at = 1; at <= 13; at++) {
        int p[2];
        fi_t_pair_unix(p);
        fi_t_write_all(p[1], in, sizeof in);
        /* rules are tried in order: the EINTR rule first */
        fi_t_faults("rd:eintr:fd=%d:when=%d..%d;rd:short=1:fd=%d", p[0], at, at + 1, p[0]);
        memset(out, 0, sizeof out);
        expect_ret(Readn(p[0], out, sizeof out), sizeof out);
        expect_bytes(out, in, sizeof in);
        fi_t_clear();
        assert_int_equal(fi_t_pending(p[0]), 0);
        Close(p[0]);
        close(p[1]);
    }
}

static void N4_eagain_keeps_bytes_taken(void **state)
{
    (void)state;
    fi_t_need_readn();
    char out[20];

    fi_t_set_nonblock(fds[0]);           /* the kernel's own EAGAIN */
    expect_err(Readn(fds[0], out, 20), EAGAIN);
    fi_t_write_all(fds[1], "01234567", 8);
    expect_err(Readn(fds[0], out, 20), EAGAIN);
    fi_t_write_all(fds[1], "89abcdefghij", 12);
    expect_ret(Readn(fds[0], out, 20), 20);
    expect_bytes(out, "0123456789abcdefghij", 20);
}

static void N4_eagain_keeps_many_bytes(void **state)
{
    (void)state;
    fi_t_need_readn();
    size_t n = 100000;
    char *in = malloc(n), *out = malloc(n);

    fi_t_fill_pattern(in, n, 9);
    fi_t_set_nonblock(fds[0]);
    fi_t_set_nonblock(fds[1]);
    size_t first = (size_t)write(fds[1], in, n / 2);
    expect_err(Readn(fds[0], out, n), EAGAIN);
    pid_t pid = fork();
    if (pid == 0) {
        int fl = fcntl(fds[1], F_GETFL);
        fcntl(fds[1], F_SETFL, fl & ~O_NONBLOCK);
        fi_t_write_all(fds[1], in + first, n - first);
        wrap_exit(0);
    }
    int fl = fcntl(fds[0], F_GETFL);
    fcntl(fds[0], F_SETFL, fl & ~O_NONBLOCK);   /* now wait for the rest */
    expect_ret(Readn(fds[0], out, n), n);
    expect_bytes(out, in, n);
    free(in);
    free(out);
}

static void N4_error_then_next_readn_gets_bytes(void **state)
{
    (void)state;
    fi_t_need_readn();
    char out[32];

    /* the next Readn, not Readline: how Readline goes on is L10's; only 4
     * bytes there before the failure, however Readn reads */
    fi_t_write_all(fds[1], "abcd", 4);
    fi_t_faults("rd:short=2:fd=%d:when=1..2;rd:error=ECONNRESET:fd=%d:when=3",
       fds[0], fds[0]);
    expect_err(Readn(fds[0], out, 10), ECONNRESET);
    fi_t_clear();
    fi_t_write_all(fds[1], "ef\nrest\n", 8);
    expect_ret(Readn(fds[0], out, 12), 12);
    expect_bytes(out, "abcdef\nrest\n", 12);
}

static void N5_never_reads_ahead(void **state)
{
    (void)state;
    fi_t_need_readn();
    char out[16];
    int p[2];

    fi_t_write_all(fds[1], "0123456789", 10);
    expect_ret(Readn(fds[0], out, 4), 4);
    expect_bytes(out, "0123", 4);
    if (fi_t_pending(fds[0]) != 6)
        fail_msg("after Readn(4) of 10 bytes, %d bytes are left in the "
                 "socket, want 6", fi_t_pending(fds[0]));
    fi_t_pair_pipe(p);
    fi_t_write_all(p[1], "abcdefgh", 8);
    fi_t_faults("rd:short=3:fd=pipe");
    expect_ret(Readn(p[0], out, 5), 5);
    if (fi_t_pending(p[0]) != 3)
        fail_msg("after Readn(5) of 8 bytes, %d left in the pipe, want 3",
                 fi_t_pending(p[0]));
    Close(p[0]);
    close(p[1]);
}

static void N6_zero_returns_at_once(void **state)
{
    (void)state;
    char out[4];

    /* nothing to read and no end of stream: a read() would block */
    expect_ret(Readn(fds[0], out, 0), 0);
    fi_t_write_all(fds[1], "ab", 2);
    expect_ret(Readn(fds[0], out, 0), 0);
    assert_int_equal(fi_t_pending(fds[0]), 2);
    expect_ret(Readn(fds[0], out, 2), 2);
}

/* A reader for the Writen tests: takes up to LEN bytes as they come,
 * until the writer has returned (STOP) and nothing more is waiting; a
 * Writen that hangs is the harness's deadline's, one that returns early
 * leaves GOT short. */
struct drain {
    int fd;
    char *buf;
    size_t len, got;
    int stop;
};

static void *drain(void *p)
{
    struct drain *d = p;

    while (d->got < d->len) {
        struct pollfd pf = { .fd = d->fd, .events = POLLIN };
        int r = poll(&pf, 1, 50);
        if (r > 0) {
            ssize_t n = read(d->fd, d->buf + d->got, d->len - d->got);
            if (n > 0)
                d->got += (size_t)n;
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                break;
        } else if (r == 0 && __atomic_load_n(&d->stop, __ATOMIC_ACQUIRE))
            break;
    }
    return NULL;
}

/* Ends D once the writer returned: all it wrote has arrived by then. */
static void drain_end(struct drain *d, pthread_t th)
{
    __atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    if (d->got != d->len)
        fail_msg("Writen returned %zu but %zu bytes arrived", d->len, d->got);
}

/* 64 KiB+: more than the send queue's room, where a faithful shim cuts
 * writes short (to that room, at least 7 bytes); a reader takes them. */
static void WN1_all_bytes_across_short_writes(void **state)
{
    (void)state;
    static char in[65537], out[65537];
    struct drain d = { fds[0], out, sizeof out, 0, 0 };
    pthread_t th;

    fi_t_fill_pattern(in, sizeof in, 5);
    pthread_create(&th, NULL, drain, &d);
    fi_t_faults("wr:short=7:fd=%d", fds[1]);
    expect_ret(Writen(fds[1], in, sizeof in), sizeof in);
    drain_end(&d, th);
    fi_t_clear();
    expect_bytes(out, in, sizeof in);
    assert_int_equal(fi_t_pending(fds[0]), 0);
}

static void WN1_large_blocking_with_reader(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    char *in = malloc(n), *out = malloc(n);
    struct drain d = { fds[0], out, n, 0, 0 };
    pthread_t th;

    fi_t_fill_pattern(in, n, 6);
    pthread_create(&th, NULL, drain, &d);
    fi_t_faults("wr:short=50000:fd=%d", fds[1]);
    expect_ret(Writen(fds[1], in, n), n);
    drain_end(&d, th);
    expect_bytes(out, in, n);
    free(in);
    free(out);
}

static void WN2_eintr_at_every_point(void **state)
{
    (void)state;
    fi_t_need_writen();
    /* 64 KiB in writes cut short (4096 bytes, or the send queue's room
     * under a faithful shim: about 16 writes), EINTR at each of the first
     * 11; a reader takes the bytes */
    static char in[65536], out[65536];

    fi_t_fill_pattern(in, sizeof in, 7);
    for (int at = 1; at <= 11; at++) {
        int p[2];
        pthread_t th;
        fi_t_pair_unix(p);
        struct drain d = { p[0], out, sizeof out, 0, 0 };
        memset(out, 0, sizeof out);
        pthread_create(&th, NULL, drain, &d);
        fi_t_faults("wr:eintr:fd=%d:when=%d;wr:short=4096:fd=%d", p[1], at, p[1]);
        expect_ret(Writen(p[1], in, sizeof in), sizeof in);
        drain_end(&d, th);
        fi_t_clear();
        if (fi_t_pending(p[0]) != 0)
            fail_msg("EINTR at write %d: %d bytes more than written arrived",
                     at, fi_t_pending(p[0]));
        expect_bytes(out, in, sizeof in);
        close(p[0]);
        close(p[1]);
    }
}

static void WN3_epipe(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    close(fds[1]);
    fds[1] = -1;
    expect_err(Writen(fds[0], "abc", 3), EPIPE);
}

static void WN3_eagain_after_partial(void **state)
{
    (void)state;
    fi_t_need_writen();
    static char big[4 << 20];
    fi_t_set_nonblock(fds[1]);           /* the kernel's own full buffer */
    expect_err(Writen(fds[1], big, sizeof big), EAGAIN);
}

static void WN3_econnreset(void **state)
{
    (void)state;
    fi_t_need_writen();
    int t[2];

    signal(SIGPIPE, SIG_IGN);
    fi_t_pair_tcp_reset(t);
    expect_err(Writen(t[0], "abc", 3), ECONNRESET);
    close(t[0]);
    /* 64 KiB+ to a peer that is not reading: the first write is cut short
     * (a faithful shim cuts only where the send queue's room runs out) */
    static char big[100000];
    fi_t_faults("wr:short=2:fd=%d:when=1;wr:reset:fd=%d:when=2", fds[1], fds[1]);
    expect_err(Writen(fds[1], big, sizeof big), ECONNRESET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(N1_one_byte_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(N1_large_across_many_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(N1_pipe_and_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(N2_early_end_returns_count, setup, teardown),
        cmocka_unit_test_setup_teardown(N2_end_at_once_returns_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(N2_injected_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(N3_eintr_at_every_point, setup, teardown),
        cmocka_unit_test_setup_teardown(N4_eagain_keeps_bytes_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(N4_eagain_keeps_many_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(N4_error_then_next_readn_gets_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(N5_never_reads_ahead, setup, teardown),
        cmocka_unit_test_setup_teardown(N6_zero_returns_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(WN1_all_bytes_across_short_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(WN1_large_blocking_with_reader, setup, teardown),
        cmocka_unit_test_setup_teardown(WN2_eintr_at_every_point, setup, teardown),
        cmocka_unit_test_setup_teardown(WN3_epipe, setup, teardown),
        cmocka_unit_test_setup_teardown(WN3_eagain_after_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(WN3_econnreset, setup, teardown),
    };
    return WRAP_RUN(tests);
}

/* test_xfer.c: libfaultinject.so on sendfile, splice, recvmmsg, sendmmsg
 * and on message sockets (faultinject.md, CALLS and FAULT), in process
 * under $(SHIM_ENV). Clause ids: CALLS_ (the new calls under each fault),
 * MSG_ (short, reset, eof never fire on datagram sockets).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faultinject.h"
#include "clock.h"
#include "fiutil.h"
#include "shimtest.h"

/* An unlinked temporary file holding LEN bytes of pattern SEED. */
static int pattern_file(size_t len, unsigned seed)
{
    char path[] = "/tmp/fi_xfer_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    unsigned char buf[4096];
    for (size_t off = 0; off < len;) {
        size_t n = len - off < sizeof buf ? len - off : sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = fiu_byte(seed, off + i);
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
        off += n;
    }
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

/* Reads what is waiting on FD (non-blocking), checking it against
 * pattern SEED from *OFF on. */
static void drain_check(int fd, unsigned seed, size_t *off)
{
    unsigned char buf[8192];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        for (ssize_t i = 0; i < r; i++)
            assert_int_equal(buf[i], fiu_byte(seed, *off + (size_t)i));
        *off += (size_t)r;
    }
}

/* ---- CALLS: sendfile -------------------------------------------------- */

static void CALLS_sendfile_short_moves_the_whole_file_offset_pointer(void **state)
{
    (void)state;
    enum { LEN = 50000 };
    int sv[2];
    fiu_pair(sv);
    int f = pattern_file(LEN, 21);
    /* Cuts larger than the room the queue surely has (faultinject.md,
     * the write-side rule: a write is never cut below that room). */
    set_rules("wr:short=5000");
    off_t off = 0;
    size_t got = 0;
    int calls = 0;
    while (off < LEN) {
        off_t before = off;
        ssize_t r = sendfile(sv[1], f, &off, LEN - (size_t)off);
        assert_true(r > 0 && r <= 5000);
        assert_int_equal(off, before + r);          /* exactly what was sent */
        calls++;
        drain_check(sv[0], 21, &got);
    }
    assert_int_equal(fi_fired(), calls);
    assert_true(calls >= LEN / 5000);
    assert_int_equal(lseek(f, 0, SEEK_CUR), 0);      /* the pointer, not the position */
    drain_check(sv[0], 21, &got);
    assert_int_equal(got, LEN);
    close(f);
    close_pair(sv);
}

static void CALLS_sendfile_short_without_offset_advances_the_file_position(void **state)
{
    (void)state;
    enum { LEN = 30000 };
    int sv[2];
    fiu_pair(sv);
    int f = pattern_file(LEN, 22);
    set_rules("sendfile:short=6000");
    size_t sent = 0, got = 0;
    while (sent < LEN) {
        ssize_t r = sendfile64(sv[1], f, NULL, LEN - sent);
        assert_true(r > 0 && r <= 6000);
        sent += (size_t)r;
        assert_int_equal(lseek(f, 0, SEEK_CUR), (off_t)sent);
        drain_check(sv[0], 22, &got);
    }
    drain_check(sv[0], 22, &got);
    assert_int_equal(got, LEN);
    assert_true(fi_fired() >= LEN / 6000);
    close(f);
    close_pair(sv);
}

static void CALLS_sendfile_reset_then_epipe_with_sigpipe(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    int f = pattern_file(100, 23);
    signal(SIGPIPE, on_sigpipe);
    set_rules("sendfile:reset");
    assert_int_equal(sendfile(sv[1], f, NULL, 100), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(sigpipes, 0);
    fi_clear();
    assert_int_equal(sendfile(sv[1], f, NULL, 100), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(sigpipes, 1);
    assert_int_equal(fiu_pending(sv[0]), 0);
    signal(SIGPIPE, SIG_DFL);
    close(f);
    close_pair(sv);
}

static void CALLS_sendfile_not_named_is_not_touched(void **state)
{
    (void)state;
    int sv[2];
    fiu_pair(sv);
    int f = pattern_file(5000, 24);
    set_rules("write,send:short=10");
    assert_int_equal(sendfile(sv[1], f, NULL, 5000), 5000);
    assert_int_equal(fi_fired(), 0);
    close(f);
    close_pair(sv);
}

/* ---- CALLS: splice ---------------------------------------------------- */

static void CALLS_splice_short_from_a_socket_leaves_the_rest_queued(void **state)
{
    (void)state;
    int sv[2], p[2];
    unsigned char buf[100], out[16];
    fiu_pair(sv);
    assert_int_equal(pipe(p), 0);
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = fiu_byte(25, i);
    assert_int_equal(write(sv[1], buf, sizeof buf), 100);
    set_rules("splice:short=7");
    assert_int_equal(splice(sv[0], NULL, p[1], NULL, 100, 0), 7);
    assert_int_equal(fi_fired(), 1);
    assert_int_equal(fiu_pending(sv[0]), 93);
    assert_int_equal(read(p[0], out, sizeof out), 7);
    assert_memory_equal(out, buf, 7);
    set_rules("rd:eagain");              /* blocking socket, no SPLICE_F_NONBLOCK */
    assert_int_equal(splice(sv[0], NULL, p[1], NULL, 10, 0), 10);
    assert_int_equal(fi_fired(), 0);
    assert_int_equal(splice(sv[0], NULL, p[1], NULL, 10, SPLICE_F_NONBLOCK), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(fiu_pending(sv[0]), 83);
    close_pair(p);
    close_pair(sv);
}

static void CALLS_splice_short_into_a_socket(void **state)
{
    (void)state;
    int sv[2], p[2];
    char got[64];
    fiu_pair(sv);
    assert_int_equal(pipe(p), 0);
    /* 8000 bytes: more than the room the send queue surely has, so a
     * cut is one the kernel could make (never below that room). */
    static char pat[8000], back[8000];
    fill(pat, sizeof pat, 9);
    assert_int_equal(write(p[1], pat, sizeof pat), (ssize_t)sizeof pat);
    set_rules("wr:short=5");
    ssize_t cut = splice(p[0], NULL, sv[1], NULL, sizeof pat, 0);
    assert_true(cut >= 5 && cut < (ssize_t)sizeof pat);
    assert_int_equal(fi_fired(), 1);
    assert_int_equal(fiu_pending(sv[0]), cut);
    fi_clear();
    assert_int_equal(splice(p[0], NULL, sv[1], NULL, sizeof pat, 0), (ssize_t)sizeof pat - cut);
    assert_int_equal(drain(sv[0], back, sizeof back), sizeof pat);
    assert_memory_equal(back, pat, sizeof pat);
    (void)got;
    /* splice between two pipes is nobody's socket: fd=sock spares it. */
    int q[2];
    assert_int_equal(pipe(q), 0);
    assert_int_equal(write(p[1], "xyz", 3), 3);
    set_rules("splice:eintr");
    assert_int_equal(splice(p[0], NULL, q[1], NULL, 3, 0), 3);
    assert_int_equal(fi_fired(), 0);
    close_pair(q);
    close_pair(p);
    close_pair(sv);
}

/* ---- CALLS, MSG: recvmmsg, sendmmsg, datagrams ------------------------ */

static int udp_pair(int *rx, int *tx)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    *rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    *tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(*rx >= 0 && *tx >= 0);
    assert_int_equal(bind(*rx, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(*rx, (struct sockaddr *)&a, &len), 0);
    assert_int_equal(connect(*tx, (struct sockaddr *)&a, sizeof a), 0);
    return 0;
}

static void MSG_short_reset_eof_never_fire_on_udp_every_datagram_whole(void **state)
{
    (void)state;
    int rx, tx;
    udp_pair(&rx, &tx);
    unsigned char d[300], got[400];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = fiu_byte(26, i);
    static const char *const rules[] = { "rd,wr:short=10", "rd:reset", "rd:eof",
                                         "rd:stall", "wr:reset" };
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        set_rules(rules[k]);
        assert_int_equal(send(tx, d, sizeof d, 0), (ssize_t)sizeof d);
        assert_int_equal(write(tx, d, 100), 100);
        assert_int_equal(recv(rx, got, sizeof got, 0), (ssize_t)sizeof d);
        assert_memory_equal(got, d, sizeof d);
        assert_int_equal(read(rx, got, sizeof got), 100);
        assert_memory_equal(got, d, 100);
        assert_int_equal(fi_fired(), 0);
    }
    /* A fault that can happen: fires (a blocking recv; setup catches a
     * signal without SA_RESTART). */
    set_rules("rd:eintr");
    assert_int_equal(recv(rx, got, sizeof got, 0), -1);
    assert_int_equal(errno, EINTR);
    close(rx);
    close(tx);
}

static void CALLS_sendmmsg_recvmmsg_datagrams_whole_and_eintr_fires(void **state)
{
    (void)state;
    enum { N = 3, LEN = 200 };
    int rx, tx;
    udp_pair(&rx, &tx);
    unsigned char d[N][LEN], got[N][LEN + 50];
    struct iovec sv[N], rv[N];
    struct mmsghdr sm[N], rm[N];
    memset(sm, 0, sizeof sm);
    memset(rm, 0, sizeof rm);
    for (int m = 0; m < N; m++) {
        for (int i = 0; i < LEN; i++)
            d[m][i] = fiu_byte(27 + (unsigned)m, (size_t)i);
        sv[m] = (struct iovec){ d[m], LEN };
        rv[m] = (struct iovec){ got[m], sizeof got[m] };
        sm[m].msg_hdr.msg_iov = &sv[m];
        sm[m].msg_hdr.msg_iovlen = 1;
        rm[m].msg_hdr.msg_iov = &rv[m];
        rm[m].msg_hdr.msg_iovlen = 1;
    }
    set_rules("sendmmsg:eintr:when=1;recvmmsg:eagain:when=1;rd,wr:short=1");
    assert_int_equal(sendmmsg(tx, sm, N, 0), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(sendmmsg(tx, sm, N, 0), N);
    assert_int_equal(recvmmsg(rx, rm, N, MSG_DONTWAIT, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(fi_fired(), 2);                 /* short never fired */
    assert_int_equal(recvmmsg(rx, rm, N, MSG_WAITFORONE, NULL), N);
    for (int m = 0; m < N; m++) {
        assert_int_equal(rm[m].msg_len, LEN);
        assert_memory_equal(got[m], d[m], LEN);
    }
    set_rules("recvmmsg:error=ENOMEM");
    assert_int_equal(recvmmsg(rx, rm, N, MSG_DONTWAIT, NULL), -1);
    assert_int_equal(errno, ENOMEM);
    close(rx);
    close(tx);
}

static void CALLS_recvmmsg_short_on_a_stream_moves_n_bytes_of_one_message(void **state)
{
    (void)state;
    int sv[2];
    char a[16], b[16];
    fiu_pair(sv);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    struct iovec v[2] = { { a, sizeof a }, { b, sizeof b } };
    struct mmsghdr m[2];
    memset(m, 0, sizeof m);
    m[0].msg_hdr.msg_iov = &v[0];
    m[0].msg_hdr.msg_iovlen = 1;
    m[1].msg_hdr.msg_iov = &v[1];
    m[1].msg_hdr.msg_iovlen = 1;
    set_rules("recvmmsg:short=4");
    assert_int_equal(recvmmsg(sv[0], m, 2, MSG_DONTWAIT, NULL), 1);
    assert_int_equal(m[0].msg_len, 4);
    assert_memory_equal(a, "0123", 4);
    assert_int_equal(fiu_pending(sv[0]), 6);
    close_pair(sv);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(CALLS_sendfile_short_moves_the_whole_file_offset_pointer),
        T(CALLS_sendfile_short_without_offset_advances_the_file_position),
        T(CALLS_sendfile_reset_then_epipe_with_sigpipe),
        T(CALLS_sendfile_not_named_is_not_touched),
        T(CALLS_splice_short_from_a_socket_leaves_the_rest_queued),
        T(CALLS_splice_short_into_a_socket),
        T(MSG_short_reset_eof_never_fire_on_udp_every_datagram_whole),
        T(CALLS_sendmmsg_recvmmsg_datagrams_whole_and_eintr_fires),
        T(CALLS_recvmmsg_short_on_a_stream_moves_n_bytes_of_one_message),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_xfer: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

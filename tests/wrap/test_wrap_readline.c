/* test_wrap_readline.c: L1-L6, L8-L13 (Readline). L7 (any split) is in
 * test_wrap_split.c. */
#include "wtest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

/* The pair fixture (wtest.h): a Readline waiting for too much fails after
 * 3 s; fds[0] is closed with Close. */
#define setup    fi_t_setup_pair_timed
#define teardown fi_t_teardown_pair_Close

/* Readline(fd, buf, MAXLEN) must return EXP (length from strlen unless
 * EXPLEN >= 0) followed by '\0'. */
static void line_is(int fd, size_t maxlen, const char *exp, ssize_t explen)
{
    char buf[4096];
    size_t n = explen >= 0 ? (size_t)explen : strlen(exp);
    ssize_t r;
    int e;

    memset(buf, 'X', sizeof buf);
    fi_t_note("expected", "Readline(fd %d, buf, maxlen %zu) returns %zu, "
              "stores \"%s\" then '\\0'", fd, maxlen, n, fi_t_esc(exp, n));
    errno = 0;
    r = Readline(fd, buf, maxlen);
    e = errno;
    if (r == (ssize_t)n && memcmp(buf, exp, n) == 0 && buf[n] == '\0')
        return;
    if (r < 0)
        fi_t_note("got", "returned -1, errno %s", fi_t_errname(e));
    else {
        /* what it stored: up to its '\0' or the return value, whichever
         * shows more (at most maxlen bytes, the buffer's size) */
        size_t shown = (size_t)r > n ? (size_t)r : n;
        if (shown > maxlen)
            shown = maxlen;
        fi_t_note("got", "returned %zd, stored \"%s\"%s", r, fi_t_esc(buf, shown),
                  (size_t)r < maxlen && buf[r] != '\0' ? " with no '\\0' after it" : "");
    }
    if (r == (ssize_t)n && memcmp(buf, exp, n) == 0)
        fail_msg("Readline returned the line but no '\\0' after it");
    if (r == (ssize_t)n)
        fail_msg("Readline returned %zd as expected, but other bytes", r);
    fail_msg("Readline returned %zd, expected %zu", r, n);
}

/* Readline returns 0: the stream ended. Whether it stores '\0' then is L3's
 * question, asked in L3's test only. */
static void eof_is(int fd, size_t maxlen)
{
    char buf[128];                  /* maxlen at most: the library may fill it */
    ssize_t r = Readline(fd, buf, maxlen);

    if (r != 0) {
        fi_t_note("expected", "Readline(fd %d, buf, maxlen %zu) returns 0: the "
                  "stream ended", fd, maxlen);
        fi_t_note("got", "returned %zd%s%s", r, r < 0 ? ", errno " : "",
                  r < 0 ? fi_t_errname(errno) : "");
        fail_msg("Readline at the end of the stream returned %zd, expected 0", r);
    }
}

static void L1_line_with_newline_and_nul(void **state)
{
    (void)state;
    fi_t_write_all(fds[1], "hello\nworld\n", 12);
    line_is(fds[0], 100, "hello\n", -1);
    line_is(fds[0], 100, "world\n", -1);
    fi_t_write_all(fds[1], "\n\nx\n", 4);
    line_is(fds[0], 100, "\n", -1);
    line_is(fds[0], 100, "\n", -1);
    line_is(fds[0], 100, "x\n", -1);
}

static void L1_pipe_and_tcp(void **state)
{
    (void)state;
    int p[2], t[2];

    fi_t_pair_pipe(p);
    fi_t_write_all(p[1], "over a pipe\nsecond\n", 19);
    line_is(p[0], 100, "over a pipe\n", -1);
    line_is(p[0], 100, "second\n", -1);
    Close(p[0]);
    close(p[1]);
    fi_t_pair_tcp(t);
    fi_t_rcv_timeout(t[0], 3000);
    fi_t_write_all(t[1], "tcp line\n", 9);
    line_is(t[0], 100, "tcp line\n", -1);
    Close(t[0]);
    close(t[1]);
}

static void L2_long_line_split_nothing_lost(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    fi_t_write_all(fds[1], "abcdefghij\nxy\n", 14);
    line_is(fds[0], 5, "abcd", -1);
    line_is(fds[0], 5, "efgh", -1);
    line_is(fds[0], 5, "ij\n", -1);
    line_is(fds[0], 5, "xy\n", -1);
    fi_t_write_all(fds[1], "abc\nde\n", 7);
    line_is(fds[0], 4, "abc", -1);      /* exactly maxlen - 1 before '\n' */
    line_is(fds[0], 4, "\n", -1);
    line_is(fds[0], 2, "d", -1);
    line_is(fds[0], 2, "e", -1);
    line_is(fds[0], 2, "\n", -1);
}

static void L2_very_long_line(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    size_t n = 200000;
    char *in = malloc(n + 1), *out = malloc(n + 1);
    struct { int fd; } x = { fds[1] };
    pid_t pid;

    for (size_t i = 0; i < n; i++)
        in[i] = (char)('a' + i % 26);
    in[n - 1] = '\n';
    pid = fork();                   /* the writer: the line exceeds buffers */
    if (pid == 0) {
        fi_t_write_all(x.fd, in, n);
        _exit(0);
    }
    size_t off = 0;
    while (off < n) {
        size_t want = n - off < 3000 ? n - off : 3000;
        ssize_t r = Readline(fds[0], out, 3001);
        if (r != (ssize_t)want)
            fail_msg("at offset %zu Readline returned %zd, want %zu", off, r,
                     want);
        expect_bytes(out, in + off, want);
        off += want;
    }
    free(in);
    free(out);
}

static void L3_end_of_stream_stores_nul(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    int p[2];

    shutdown(fds[1], SHUT_WR);
    line_is(fds[0], 10, "", 0);
    line_is(fds[0], 10, "", 0);
    fi_t_pair_pipe(p);
    fi_t_write_all(p[1], "one\n", 4);
    close(p[1]);
    line_is(p[0], 10, "one\n", -1);
    line_is(p[0], 10, "", 0);
    Close(p[0]);
}

static void L4_partial_line_at_eof(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    fi_t_write_all(fds[1], "full\nabc", 8);
    shutdown(fds[1], SHUT_WR);
    line_is(fds[0], 100, "full\n", -1);
    line_is(fds[0], 100, "abc", -1);
    eof_is(fds[0], 100);
}

static void L2_partial_line_split_before_its_end(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    fi_t_write_all(fds[1], "abcdefg", 7);
    line_is(fds[0], 4, "abc", -1);
    line_is(fds[0], 4, "def", -1);
    fi_t_write_all(fds[1], "\n", 1);
    line_is(fds[0], 4, "g\n", -1);
}

static void L4_injected_eof_after_partial(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    fi_t_write_all(fds[1], "xy", 2);
    /* the peer "closes" once 2 bytes moved: the next read() returns 0 */
    fi_t_faults("rd:eof:fd=%d:after=2", fds[0]);
    line_is(fds[0], 100, "xy", -1);
    fi_t_write_all(fds[1], "more\n", 5);
    eof_is(fds[0], 100);
}

static void L5_eintr_at_every_point(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    const char *s = "ab\ncd\nef\n";
    for (int at = 1; at <= 11; at++) {
        int p[2];
        fi_t_pair_unix(p);
        fi_t_rcv_timeout(p[0], 3000);
        fi_t_write_all(p[1], s, 9);
        /* the writer stays open until the lines are read: a faithful shim
         * cuts no read short once the peer's FIN is queued */
        fi_t_faults("rd:eintr:fd=%d:when=%d..%d;rd:short=1:fd=%d", p[0], at, at + 1,
           p[0]);
        line_is(p[0], 100, "ab\n", -1);
        line_is(p[0], 100, "cd\n", -1);
        line_is(p[0], 100, "ef\n", -1);
        shutdown(p[1], SHUT_WR);
        eof_is(p[0], 100);
        fi_t_clear();
        Close(p[0]);
        close(p[1]);
    }
}

static void L5_eintr_random_on_pipe(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    int p[2];
    char line[32];

    fi_t_pair_pipe(p);
    for (int i = 0; i < 200; i++) {
        int n = snprintf(line, sizeof line, "line %d\n", i);
        fi_t_write_all(p[1], line, (size_t)n);
    }
    fi_t_faults("rd:eintr:fd=pipe:p=0.5;rd:short=5:fd=pipe");
    for (int i = 0; i < 200; i++) {
        snprintf(line, sizeof line, "line %d\n", i);
        line_is(p[0], 100, line, -1);
    }
    close(p[1]);                /* the end only now: no short read after it */
    eof_is(p[0], 100);
    if (fi_fired() < 10)
        not_judged("the shim fired only %ld faults", fi_fired());
    Close(p[0]);
}

static void L6_eagain_mid_line_keeps_bytes(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    fi_t_set_nonblock(fds[0]);           /* the kernel's own EAGAIN */
    fi_t_write_all(fds[1], "abc", 3);
    char buf[100];
    expect_err(Readline(fds[0], buf, sizeof buf), EAGAIN);
    expect_err(Readline(fds[0], buf, sizeof buf), EAGAIN);
    fi_t_write_all(fds[1], "def\nnext\n", 9);
    line_is(fds[0], 100, "abcdef\n", -1);
    line_is(fds[0], 100, "next\n", -1);
}

static void L6_injected_error_mid_line(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    char buf[100];

    fi_t_write_all(fds[1], "hello world\n", 12);
    fi_t_faults("rd:short=3:fd=%d:when=1..2;rd:error=ECONNRESET:fd=%d:when=3",
       fds[0], fds[0]);
    expect_err(Readline(fds[0], buf, sizeof buf), ECONNRESET);
    fi_t_faults("rd:short=1:fd=%d:when=1;rd:error=ETIMEDOUT:fd=%d:when=2", fds[0],
       fds[0]);
    expect_err(Readline(fds[0], buf, sizeof buf), ETIMEDOUT);
    fi_t_clear();
    line_is(fds[0], 100, "hello world\n", -1);
}

static void L6_error_at_once_and_ebadf(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    char buf[16];

    fi_t_faults("rd:error=EIO:fd=%d:when=1", fds[0]);
    expect_err(Readline(fds[0], buf, sizeof buf), EIO);
    fi_t_clear();
    expect_err(Readline(-1, buf, sizeof buf), EBADF);
    int t[2];
    fi_t_pair_tcp_reset(t);
    expect_err(Readline(t[0], buf, sizeof buf), ECONNRESET);
    Close(t[0]);
}

static void L8_two_descriptors_in_turn(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    int a[2], b[2];

    fi_t_pair_unix(a);
    fi_t_pair_unix(b);
    fi_t_rcv_timeout(a[0], 3000);
    fi_t_rcv_timeout(b[0], 3000);
    fi_t_write_all(a[1], "a1\na2\na3\n", 9);
    fi_t_write_all(b[1], "b1\nb2\nb3\n", 9);
    line_is(a[0], 100, "a1\n", -1);
    line_is(b[0], 100, "b1\n", -1);
    line_is(a[0], 100, "a2\n", -1);
    line_is(b[0], 100, "b2\n", -1);
    line_is(b[0], 100, "b3\n", -1);
    line_is(a[0], 100, "a3\n", -1);
    Close(a[0]);
    Close(b[0]);
    close(a[1]);
    close(b[1]);
}

struct lines_job {
    int fd;
    char tag;
    int n;
    int bad;
};

static void *read_tagged_lines(void *p)
{
    struct lines_job *j = p;
    char buf[128], exp[128];

    for (int i = 0; i < j->n; i++) {
        int len = snprintf(exp, sizeof exp, "%c%c%c line %d of %c\n", j->tag,
                           j->tag, j->tag, i, j->tag);
        if (Readline(j->fd, buf, sizeof buf) != len || memcmp(buf, exp,
                                                              (size_t)len)) {
            j->bad = i + 1;
            return NULL;
        }
    }
    return NULL;
}

static void write_tagged_lines(int fd, char tag, int n)
{
    char line[128];
    for (int i = 0; i < n; i++) {
        int len = snprintf(line, sizeof line, "%c%c%c line %d of %c\n", tag,
                           tag, tag, i, tag);
        fi_t_write_all(fd, line, (size_t)len);
    }
    close(fd);
}

static void T1_readline_two_threads_two_descriptors(void **state)
{
    (void)state;
    int n = fi_t_slow_mode() ? 500 : 5000;
    int a[2], b[2];
    pid_t wa, wb;
    pthread_t ta, tb;

    /* one thread first: if that fails, threads are not what breaks it */
    fi_t_pair_unix(a);
    fi_t_rcv_timeout(a[0], 3000);
    write_tagged_lines(a[1], 'A', 3);
    struct lines_job one = { a[0], 'A', 3, 0 };
    read_tagged_lines(&one);
    Close(a[0]);
    if (one.bad)
        not_judged("Readline returns wrong lines in one thread already (line "
                   "%d): see the L rows", one.bad);
    fi_t_pair_unix(a);
    fi_t_pair_unix(b);
    struct lines_job ja = { a[0], 'A', n, 0 }, jb = { b[0], 'B', n, 0 };
    if ((wa = fork()) == 0) {
        write_tagged_lines(a[1], 'A', n);
        _exit(0);
    }
    if ((wb = fork()) == 0) {
        write_tagged_lines(b[1], 'B', n);
        _exit(0);
    }
    close(a[1]);
    close(b[1]);
    pthread_create(&ta, NULL, read_tagged_lines, &ja);
    pthread_create(&tb, NULL, read_tagged_lines, &jb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (ja.bad || jb.bad)
        fail_msg("lines mixed between descriptors (A at line %d, B at %d)",
                 ja.bad, jb.bad);
    Close(a[0]);
    Close(b[0]);
}

static void L8_high_descriptor_numbers(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    /* numbers far apart and 256 apart: whatever table a library keeps */
    const int nums[] = { 1100, 1356, 1612, 5000 };
    int r[4], w[4];
    struct rlimit rl;
    char line[32];

    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 6000) {
        rl.rlim_cur = rl.rlim_max < 6000 ? rl.rlim_max : 6000;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < 6000)
        not_judged("the descriptor limit is %lu, below the 6000 this test "
                   "needs", (unsigned long)rl.rlim_cur);
    for (int i = 0; i < 4; i++) {
        int p[2];
        fi_t_pair_unix(p);
        if (dup2(p[0], nums[i]) < 0)
            fail_msg("dup2 to %d: %s", nums[i], strerror(errno));
        close(p[0]);
        r[i] = nums[i];
        w[i] = p[1];
        fi_t_rcv_timeout(r[i], 3000);
        for (int k = 0; k < 3; k++) {
            int n = snprintf(line, sizeof line, "fd%d line%d\n", nums[i], k);
            fi_t_write_all(w[i], line, (size_t)n);
        }
    }
    /* lines from the four in turn, one in the middle closed on the way */
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 4; i++) {
            if (k == 2 && i == 1)
                continue;
            snprintf(line, sizeof line, "fd%d line%d\n", nums[i], k);
            line_is(r[i], sizeof line, line, -1);
            if (k == 1 && i == 1)
                assert_int_equal(Close(r[1]), 0);
        }
    for (int i = 0; i < 4; i++)
        if (i != 1)
            Close(r[i]);
    for (int i = 0; i < 4; i++)
        close(w[i]);
}

static void L9_close_discards_buffered_bytes(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    int a[2], b[2], num;

    fi_t_pair_unix(a);
    fi_t_write_all(a[1], "first\nleftover-from-old-connection\n", 35);
    line_is(a[0], 100, "first\n", -1);
    num = a[0];
    assert_int_equal(Close(a[0]), 0);
    close(a[1]);
    fi_t_pair_unix(b);
    if (b[0] != num) {          /* give the new connection the old number */
        if (dup2(b[0], num) < 0)
            fail_msg("dup2: %s", strerror(errno));
        close(b[0]);
        b[0] = num;
    }
    fi_t_rcv_timeout(b[0], 3000);
    fi_t_write_all(b[1], "fresh\n", 6);
    line_is(b[0], 100, "fresh\n", -1);
    Close(b[0]);
    close(b[1]);
}

static void L10_readn_after_readline_continues(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    fi_t_need_readn();
    size_t n = 100000;
    char *pat = malloc(n), *out = malloc(n);

    for (size_t i = 0; i < n; i++)
        pat[i] = (char)(i * 7 + 3);
    fi_t_write_all(fds[1], "head\n", 5);
    fi_t_write_all(fds[1], "x\ny\n", 4);
    line_is(fds[0], 100, "head\n", -1);
    expect_ret(Readn(fds[0], out, 2), 2);
    expect_bytes(out, "x\n", 2);
    line_is(fds[0], 100, "y\n", -1);
    pid_t pid = fork();
    if (pid == 0) {
        fi_t_write_all(fds[1], "line\n", 5);
        fi_t_write_all(fds[1], pat, n);
        fi_t_write_all(fds[1], "tail\n", 5);
        _exit(0);
    }
    line_is(fds[0], 100, "line\n", -1);
    expect_ret(Readn(fds[0], out, n), n);
    expect_bytes(out, pat, n);
    line_is(fds[0], 100, "tail\n", -1);
    free(pat);
    free(out);
}

static void L11_maxlen_below_two_is_einval(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    char buf[16] = "unchanged", scratch[16];

    /* nothing in the stream: an implementation that reads would block.
     * (What maxlen 0 writes is L12's: into SCRATCH, not looked at here.) */
    expect_err(Readline(fds[0], scratch, 0), EINVAL);
    expect_err(Readline(fds[0], buf, 1), EINVAL);
    fi_t_write_all(fds[1], "kept\n", 5);
    expect_err(Readline(fds[0], buf, 1), EINVAL);
    expect_err(Readline(fds[0], scratch, 0), EINVAL);
    if (memcmp(buf, "unchanged", 10) != 0)
        fail_msg("Readline(maxlen 1) returned EINVAL but changed the buffer: \\x%02x at buf[0], "
                 "want it untouched ('u')", (unsigned char)buf[0]);
    line_is(fds[0], 100, "kept\n", -1);
}

/* A buffer whose byte buf[maxlen] is the first byte of a PROT_NONE page. */
static char *guarded(size_t maxlen, void **base, size_t *len)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t pages = (maxlen + (size_t)pg - 1) / (size_t)pg + 1;
    char *m = mmap(NULL, pages * (size_t)pg, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        fail_msg("mmap");
    mprotect(m + (pages - 1) * (size_t)pg, (size_t)pg, PROT_NONE);
    *base = m;
    *len = pages * (size_t)pg;
    return m + (pages - 1) * (size_t)pg - maxlen;
}

static void L12_never_writes_past_maxlen(void **state)
{
    (void)state;
    size_t maxlens[] = { 2, 3, 4, 5, 8, 16, 100 };

    for (size_t k = 0; k < sizeof maxlens / sizeof maxlens[0]; k++) {
        size_t m = maxlens[k];
        int p[2];
        void *base;
        size_t len;
        char *buf = guarded(m, &base, &len);
        char stream[512];
        size_t sl = 0;
        /* lines of m-2, m-1, m, m+1 bytes with '\n', then a partial one */
        for (size_t l = m >= 2 ? m - 2 : 0; l <= m + 1; l++) {
            memset(stream + sl, 'q', l);
            sl += l;
            stream[sl++] = '\n';
        }
        memset(stream + sl, 'z', m + 3);
        sl += m + 3;
        fi_t_pair_unix(p);
        fi_t_rcv_timeout(p[0], 3000);
        fi_t_write_all(p[1], stream, sl);
        shutdown(p[1], SHUT_WR);
        /* only where it writes is judged here: what it returns is L1-L4's */
        for (int calls = 0; calls < 200 && Readline(p[0], buf, m) > 0; calls++)
            ;
        munmap(base, len);
        Close(p[0]);
        close(p[1]);
    }
}

/* maxlen 0 and 1, with a line pending and at end of stream: buf[maxlen]
 * is the first byte of a PROT_NONE page (a write there crashes). */
static void L12_maxlen_0_and_1(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        int p[2];
        void *base;
        size_t len;
        char *buf = guarded(m, &base, &len);
        fi_t_pair_unix(p);
        fi_t_rcv_timeout(p[0], 3000);
        fi_t_write_all(p[1], "line\n", 5);
        Readline(p[0], buf, m); /* what it returns is L11's */
        shutdown(p[1], SHUT_WR);
        Readline(p[0], buf, m);
        munmap(base, len);
        Close(p[0]);
        close(p[1]);
    }
}

static void L12_canary_after_maxlen(void **state)
{
    (void)state;
    char buf[64];

    memset(buf, '#', sizeof buf);
    fi_t_write_all(fds[1], "0123456789abcdef\n", 17);
    Readline(fds[0], buf, 8);       /* what it returns is L2's */
    for (size_t i = 8; i < sizeof buf; i++)
        if (buf[i] != '#')
            fail_msg("Readline(maxlen 8) wrote buf[%zu]", i);
}

static void L13_nul_bytes_stored_and_counted(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    fi_t_write_all(fds[1], "a\0b\n\0\0\n\0tail\n", 13);
    shutdown(fds[1], SHUT_WR);
    line_is(fds[0], 100, "a\0b\n", 4);
    line_is(fds[0], 100, "\0\0\n", 3);
    line_is(fds[0], 100, "\0tail\n", 6);
    eof_is(fds[0], 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(L1_line_with_newline_and_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(L1_pipe_and_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(L2_long_line_split_nothing_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(L2_very_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(L3_end_of_stream_stores_nul, setup, teardown),
        cmocka_unit_test_setup_teardown(L4_partial_line_at_eof, setup, teardown),
        cmocka_unit_test_setup_teardown(L2_partial_line_split_before_its_end, setup, teardown),
        cmocka_unit_test_setup_teardown(L4_injected_eof_after_partial, setup, teardown),
        cmocka_unit_test_setup_teardown(L5_eintr_at_every_point, setup, teardown),
        cmocka_unit_test_setup_teardown(L5_eintr_random_on_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(L6_eagain_mid_line_keeps_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(L6_injected_error_mid_line, setup, teardown),
        cmocka_unit_test_setup_teardown(L6_error_at_once_and_ebadf, setup, teardown),
        cmocka_unit_test_setup_teardown(L8_two_descriptors_in_turn, setup, teardown),
        cmocka_unit_test_setup_teardown(T1_readline_two_threads_two_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(L8_high_descriptor_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(L9_close_discards_buffered_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(L10_readn_after_readline_continues, setup, teardown),
        cmocka_unit_test_setup_teardown(L11_maxlen_below_two_is_einval, setup, teardown),
        cmocka_unit_test_setup_teardown(L12_never_writes_past_maxlen, setup, teardown),
        cmocka_unit_test_setup_teardown(L12_canary_after_maxlen, setup, teardown),
        cmocka_unit_test_setup_teardown(L12_maxlen_0_and_1, setup, teardown),
        cmocka_unit_test_setup_teardown(L13_nul_bytes_stored_and_counted, setup, teardown),
    };
    return WRAP_RUN(tests);
}

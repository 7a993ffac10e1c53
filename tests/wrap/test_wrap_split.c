/* test_wrap_split.c: L7 and N1 (and L10 mixed), exhaustively on every way
 * to split a 12-byte stream into reads (2^11 splits, imposed with one
 * "rd:short=K:when=I" rule per read), and on seeded random splits of
 * 256 KiB streams (lines of 0 to 100,000 bytes; NUL bytes and no final
 * newline in Readn's streams only) fed chunk by chunk: the feeder writes the next chunk only once the socket is
 * empty, so no read can return more than one chunk. */
#include "wtest.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the contract says the next Readline(maxlen) / Readn(n) returns,
 * from S[*cur..len); advances *cur. */
static size_t model_line(const char *s, size_t len, size_t *cur, size_t maxlen)
{
    size_t want = maxlen - 1, n = 0;
    while (*cur + n < len && n < want) {
        if (s[*cur + n++] == '\n')
            break;
    }
    *cur += n;
    return n;
}

static size_t model_readn(size_t len, size_t *cur, size_t n)
{
    size_t k = len - *cur < n ? len - *cur : n;
    *cur += k;
    return k;
}

/* Rules making read number i (from 1) return at most chunk[i-1] bytes. */
static void split_rules(int fd, unsigned mask, size_t len)
{
    char rules[2048];
    size_t off = 0, last = 0;
    int call = 1;

    for (size_t i = 1; i <= len; i++) {
        if (i == len || (mask >> (i - 1) & 1)) {
            off += (size_t)snprintf(rules + off, sizeof rules - off,
                                    "%srd:short=%zu:fd=%d:when=%d",
                                    off ? ";" : "", i - last, fd, call++);
            last = i;
        }
    }
    fi_t_faults("%s", rules);
}

/* Readline's streams (L7) hold only short lines ending in '\n': no NUL
 * (L13), no line longer than maxlen (L2), no partial line at the end (L4),
 * so that only the split can make a difference. Readn's may hold anything. */
static const char *line_streams[] = { "ab\n\ncd e\nfg\n", "xy\nz\n" };
static const size_t line_len[] = { 12, 5 };
static const char *byte_streams[] = { "ab\n\ncd\0e\nfg", "xy\nz" };
static const size_t byte_len[] = { 12, 4 };

static void check_case(const char *s, size_t len, unsigned mask, int mode,
                       size_t size)
{
    int p[2];
    char buf[128];                  /* maxlen at most: the library may fill it */
    size_t cur = 0;

    fi_t_pair_unix(p);
    fi_t_rcv_timeout(p[0], 3000);
    fi_t_write_all(p[1], s, len);
    /* the writer stays open: a faithful shim cuts no read short once the
     * peer's FIN is queued, and no call here reads into the end */
    split_rules(p[0], mask, len);
    /* up to the last byte, never into the end of the stream: what comes
     * then is L3's, L4's and N2's */
    for (int step = 0; step < 40 && cur < len; step++) {
        size_t at = cur, exp, n = size;
        ssize_t r;
        if (mode == 0) {
            exp = model_line(s, len, &cur, size);
            memset(buf, 'X', sizeof buf);
            r = Readline(p[0], buf, size);
            if (r == (ssize_t)exp && buf[exp] != '\0')
                fail_msg("split mask %#x maxlen %zu: no '\\0' after line", mask,
                         size);
        } else {
            n = size < len - cur ? size : len - cur;
            exp = model_readn(len, &cur, n);
            r = Readn(p[0], buf, n);
        }
        if (r != (ssize_t)exp || memcmp(buf, s + at, exp) != 0)
            fail_msg("stream of %zu bytes split by mask %#x, %s(%zu) at byte "
                     "%zu: returned %zd (errno %s), expected %zu bytes%s",
                     len, mask, mode ? "Readn" : "Readline", n, at, r,
                     r < 0 ? strerror(errno) : "-", exp,
                     r == (ssize_t)exp ? " (bytes differ)" : "");
    }
    fi_t_clear();
    Close(p[0]);
    close(p[1]);
}

static void every_split(int mode, const size_t *sizes, size_t nsizes)
{
    unsigned step = fi_t_slow_mode() ? 37 : 1;
    const char **streams = mode ? byte_streams : line_streams;
    const size_t *stream_len = mode ? byte_len : line_len;

    for (size_t k = 0; k < 2; k++) {
        size_t len = stream_len[k];
        for (unsigned mask = 0; mask < 1u << (len - 1); mask += step)
            for (size_t z = 0; z < nsizes; z++)
                check_case(streams[k], len, mask, mode, sizes[z]);
    }
}

static void L7_every_split_of_12_bytes(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    const size_t maxlens[] = { 100 };
    every_split(0, maxlens, 1);
}

static void N1_every_split_of_12_bytes(void **state)
{
    (void)state;
    const size_t ns[] = { 12, 5 };
    every_split(1, ns, 2);
}

/* ---- random splits of large streams ---- */

struct feed {
    int wfd, rfd;
    const char *buf;
    size_t len;
    uint64_t seed;
};

static size_t log_uniform(uint64_t *s, unsigned maxbits)
{
    unsigned bits = (unsigned)fi_t_rnd_below(s, maxbits + 1);
    return 1 + fi_t_rnd_below(s, (size_t)1 << bits);
}

static void *feeder(void *p)
{
    struct feed *f = p;
    size_t off = 0;

    while (off < f->len) {
        size_t n = log_uniform(&f->seed, 16);
        if (n > f->len - off)
            n = f->len - off;
        while (fi_t_pending(f->rfd) > 0)     /* the last chunk was taken */
            sched_yield();
        fi_t_write_all(f->wfd, f->buf + off, n);
        off += n;
    }
    shutdown(f->wfd, SHUT_WR);
    return NULL;
}

/* LINES: for Readline, no NUL byte and a final '\n' (see line_streams). */
static char *make_stream(uint64_t *s, size_t len, int lines)
{
    char *b = malloc(len);
    size_t off = 0;

    while (off < len) {
        size_t l = fi_t_rnd_below(s, 8) == 0 ? fi_t_rnd_below(s, 100001) : fi_t_rnd_below(s, 80);
        for (size_t i = 0; i < l && off < len; i++) {
            uint64_t r = fi_t_rnd(s);
            b[off++] = (r & 15) == 0 && !lines ? '\0' : (char)('!' + (r >> 8) % 90);
        }
        if (off < len)
            b[off++] = '\n';
    }
    b[len - 1] = lines ? '\n' : 'E';   /* Readn's: no final newline */
    return b;
}

/* mode 0: Readline only; 1: Readn only; 2: both, interleaved. */
static void random_splits(int mode)
{
    /* 4 seeds: 256 KiB streams and 64 KiB ones in turn (640 KiB: about a
     * second even for a byte-at-a-time implementation, with every other
     * test running at the same time); 2 small under Valgrind */
    int seeds = fi_t_slow_mode() ? 2 : 4;
    char *out = malloc(200001);

    for (int k = 0; k < seeds; k++) {
        size_t len = fi_t_slow_mode() || k % 2 ? (64u << 10) : (256u << 10);
        uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1 + 100 * mode);
        char *in = make_stream(&s, len, mode != 1);
        int p[2];
        pthread_t th;
        size_t cur = 0;

        fi_t_pair_unix(p);
        fi_t_rcv_timeout(p[0], 5000);
        struct feed f = { p[1], p[0], in, len, s ^ 0xabcdef };
        pthread_create(&th, NULL, feeder, &f);
        if ((k / 2) % 2)            /* half the runs: shorter reads too */
            fi_t_faults("rd:short=%zu:fd=%d:p=0.5", 1 + fi_t_rnd_below(&s, 5000), p[0]);
        while (cur < len) {         /* the end of the stream is not L7's */
            size_t at = cur, exp, size;
            int line = mode == 0 || (mode == 2 && fi_t_rnd_below(&s, 2));
            ssize_t r;
            if (line) {
                size = 200001;      /* longer than any line: not L2 */
                exp = model_line(in, len, &cur, size);
                r = Readline(p[0], out, size);
            } else {
                size = log_uniform(&s, 17);
                if (size > len - cur)
                    size = len - cur;       /* no early end: that is N2 */
                exp = model_readn(len, &cur, size);
                r = Readn(p[0], out, size);
            }
            if (r != (ssize_t)exp || memcmp(out, in + at, exp) != 0)
                fail_msg("seed %d, %s(%zu) at byte %zu of %zu: returned %zd "
                         "(errno %s), expected %zu%s", k,
                         line ? "Readline" : "Readn", size, at, len, r,
                         r < 0 ? strerror(errno) : "-", exp,
                         r == (ssize_t)exp ? " (bytes differ)" : "");
            if (line && out[exp] != '\0')
                fail_msg("seed %d: no '\\0' after the line at byte %zu", k, at);
        }
        pthread_join(th, NULL);
        fi_t_clear();
        Close(p[0]);
        close(p[1]);
        free(in);
    }
    free(out);
}

static void L7_random_splits_of_large_streams(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    random_splits(0);
}

static void N1_random_splits_of_large_streams(void **state)
{
    (void)state;
    random_splits(1);
}

static void L10_random_mix_of_readline_and_readn(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    fi_t_need_readn();
    random_splits(2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(L7_every_split_of_12_bytes),
        cmocka_unit_test(N1_every_split_of_12_bytes),
        cmocka_unit_test(L7_random_splits_of_large_streams),
        cmocka_unit_test(N1_random_splits_of_large_streams),
        cmocka_unit_test(L10_random_mix_of_readline_and_readn),
    };
    return WRAP_RUN(tests);
}

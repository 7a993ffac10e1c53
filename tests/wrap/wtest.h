/* wtest.h: helpers shared by the wrap conformance tests. They use the raw
 * system calls (never the library under test) and fail the current cmocka
 * test with a message when the environment misbehaves. */
#ifndef WRAP_WTEST_H
#define WRAP_WTEST_H

#include "wrapjudge.h"
#include "../../wrap/wrap.h"
#include "../../faultinject/faultinject.h"

/* A candidate wrap.c may define any external name that does not start with
 * fi_ (wrap-contract.md), so every external name of the suite does. */

/* Every Readline a test makes (its gates too) goes through fi_t_readline:
 * the candidate writes into a copy of the caller's buf[0..maxlen) that is
 * followed by canary bytes and then a PROT_NONE page, and the result is
 * copied back. A write at or past buf[maxlen] is L12's failure, whichever
 * test it happened in (wrap-contract.md): the canary catches a short one
 * after the call and the test goes on (its own clause is still judged on
 * the bytes within maxlen); the guard page stops a long one at once. Either
 * way a "@@pastend" note tells the harness, which adds an L12_in_<test>
 * row. The caller's buffer past maxlen is never touched. */
ssize_t fi_t_readline(int fd, void *buf, size_t maxlen);
#define Readline(fd, buf, maxlen) fi_t_readline((fd), (buf), (maxlen))

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* A connected AF_UNIX stream socketpair; a pipe; a loopback TCP pair
 * (pair[0] client side, pair[1] accepted side). */
void fi_t_pair_unix(int pair[2]);
void fi_t_pair_pipe(int pair[2]);
void fi_t_pair_tcp(int pair[2]);
/* A loopback listener on port 0; its address in *sa. */
int fi_t_tcp_listener(struct sockaddr_storage *sa, socklen_t *len);
/* A loopback address nobody listens on (bound, never listened). */
void fi_t_refused_addr(struct sockaddr_storage *sa, socklen_t *len, int *holder);

/* The fixture of the Read/Write, Readn/Writen and Readline tests: FDS, a
 * connected AF_UNIX stream pair made by the setup; fds[0] is the side the
 * library reads, fds[1] the test's (a test that closes it sets it to -1).
 * fds is fi_t_fds: the suite's external names start with fi_. */
extern int fi_t_fds[2];
#define fds fi_t_fds
/* The pair; the pair with a 3 s receive timeout on fds[0] (fi_t_rcv_timeout),
 * so that a Readn or Readline that waits for too much fails, not hangs. */
int fi_t_setup_pair(void **state);
int fi_t_setup_pair_timed(void **state);
/* fi_t_clear, then fds[0] closed by close() (fi_t_teardown_pair) or by the
 * library's Close (fi_t_teardown_pair_Close: what Readline buffered for it
 * goes too), and fds[1] by close() unless it is -1. */
int fi_t_teardown_pair(void **state);
int fi_t_teardown_pair_Close(void **state);
/* N bytes of the test pattern SEED into B (no two seeds alike). */
void fi_t_fill_pattern(char *b, size_t n, unsigned seed);

/* Writes/reads all N bytes with raw write()/read(), retrying EINTR and
 * short counts; fails the test on error, or on EOF for read_all. */
void fi_t_write_all(int fd, const void *buf, size_t n);
void fi_t_read_all(int fd, void *buf, size_t n);
/* Bytes waiting in the kernel for fd (FIONREAD). */
int fi_t_pending(int fd);
void fi_t_set_nonblock(int fd);
/* A blocking read that would hang fails with EAGAIN after MS instead:
 * guards tests in which a correct implementation never blocks. */
void fi_t_rcv_timeout(int fd, int ms);
/* Fills the send buffer of a non-blocking socket until EAGAIN. */
size_t fi_t_fill_socket(int fd);
/* A TCP pair in which pair[0] has received a real RST from its peer. */
void fi_t_pair_tcp_reset(int pair[2]);

/* fi_set with printf formatting; fails the test if the shim is absent or
 * refuses the rules. Rules with eintr first install a SIGUSR2 handler
 * without SA_RESTART: the condition under which a blocking call can end
 * with EINTR (signal(7)), which a faithful shim requires. */
void fi_t_faults(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Deterministic generator (xorshift64*). */
uint64_t fi_t_rnd(uint64_t *s);
size_t fi_t_rnd_below(uint64_t *s, size_t n);

/* Iterations scaled down under Valgrind / coverage (WRAP_SLOW). */
int fi_t_slow_mode(void);
/* 1 when running under Valgrind. */
int fi_t_under_valgrind(void);

/* ---- what a failing test reports (read by wrapjudge.c) ----
 * fi_t_note writes one "@@TAG text" line to stderr; the harness shows the
 * last "fed" and "faults" lines, and "expected" and "got", under a failing
 * row. fi_t_write_all and fi_t_faults note what they feed by themselves. */
void fi_t_note(const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* BUF[0..N) as a C string literal body ("a\nb\x00"), in one of a few
 * rotating static buffers (the suite allocates nothing: test_wrap_mem.c
 * counts the heap); very long input is cut, saying how much was left. */
const char *fi_t_esc(const void *buf, size_t n);
/* Ends the test as NOT JUDGED (never PASS): it could not exercise its
 * clause here, for the reason given. */
#define not_judged(...)                                                        \
    do {                                                                       \
        fi_t_note("notjudged", __VA_ARGS__);                                   \
        skip();                                                                \
    } while (0)
/* From here on, an exit() by the candidate ends this test as NOT JUDGED
 * for REASON (the calls that follow fail on purpose, and a library that
 * exits on a failure fails that failure's own row): M1's failed calls. */
void fi_t_exit_not_mine(const char *reason);
/* fi_clear, keeping count of the faults that fired before: a test whose
 * faults never fired at all is NOT JUDGED (fi_t_after_test). */
void fi_t_clear(void);
/* Gates: a test of one clause that needs another clause's basics calls
 * these first; if the basics fail, the test is NOT JUDGED (their own row
 * FAILs), so one broken clause fails one row. Readline of one line (SPLIT:
 * in 2-byte reads, L7); Readn of 6 bytes in 2-byte reads (N1); Writen of 16
 * KiB cut short by write() (WN1: 2-byte writes, or the send queue's room
 * under a faithful shim) to a reader. */
void fi_t_need_readline(int split);
void fi_t_need_readn(void);
void fi_t_need_writen(void);
/* "EAGAIN", or the number when the name is unknown; "0" for 0. */
const char *fi_t_errname(int e);

/* The faults set last fired N times; none at all: NOT JUDGED (the calls
 * never reached the shim), not FAIL. */
#define expect_fired(n)                                                        \
    do {                                                                       \
        long f_ = fi_fired();                                                  \
        if (f_ == 0)                                                           \
            not_judged("none of the faults fired: the candidate's calls never "\
                       "reached the shim (raw system calls, or no call?)");    \
        if (f_ != (long)(n)) {                                                 \
            fi_t_note("expected", "%ld fault(s) fired", (long)(n));            \
            fi_t_note("got", "%ld fired", f_);                                 \
            fail_msg("%ld faults fired, expected %ld: the call was made a "    \
                     "different number of times", f_, (long)(n));              \
        }                                                                      \
    } while (0)

/* Asserts RET == EXP, and errno == ERR when EXP == -1, with a clear message. */
/* Both note what they expect before the call: if the candidate exits or
 * hangs inside it, the record still says what was asked. */
#define expect_ret(call, exp)                                                  \
    do {                                                                       \
        fi_t_note("expected", "%s returns %zd", #call, (ssize_t)(exp));        \
        ssize_t r_ = (call);                                                   \
        int e_ = errno;                                                        \
        if (r_ != (ssize_t)(exp)) {                                            \
            fi_t_note("got", "returned %zd%s%s", r_, r_ < 0 ? ", errno " : "", \
                      r_ < 0 ? fi_t_errname(e_) : "");                         \
            fail_msg("%s returned %zd, expected %zd", #call, r_,               \
                     (ssize_t)(exp));                                          \
        }                                                                      \
    } while (0)
#define expect_err(call, err)                                                  \
    do {                                                                       \
        fi_t_note("expected", "%s returns -1 with errno %s", #call, #err);     \
        errno = 0;                                                             \
        ssize_t r_ = (call);                                                   \
        int e_ = errno;                                                        \
        if (r_ != -1 || e_ != (err)) {                                         \
            fi_t_note("got", "returned %zd, errno %s", r_, fi_t_errname(e_));  \
            fail_msg("%s returned %zd errno %s, expected -1 errno %s", #call,  \
                     r_, fi_t_errname(e_), #err);                              \
        }                                                                      \
    } while (0)
#define expect_bytes(got, exp, n)                                              \
    do {                                                                       \
        if (memcmp((got), (exp), (n)) != 0) {                                  \
            fi_t_note("expected", "%zu bytes \"%s\"", (size_t)(n),             \
                      fi_t_esc((exp), (n)));                                   \
            fi_t_note("got", "\"%s\"", fi_t_esc((got), (n)));                  \
            fail_msg("the %zu bytes in %s differ from the stream's",           \
                     (size_t)(n), #got);                                       \
        }                                                                      \
    } while (0)

#endif

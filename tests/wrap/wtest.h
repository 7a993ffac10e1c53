/* wtest.h: helpers shared by the wrap conformance tests. They use the raw
 * system calls (never the library under test) and fail the current cmocka
 * test with a message when the environment misbehaves. */
#ifndef WRAP_WTEST_H
#define WRAP_WTEST_H

#include "harness.h"
#include "../../wrap/wrap.h"
#include "../../faultinject/faultinject.h"

/* A candidate wrap.c may define any external name that does not start with
 * fi_ (wrap-contract.md), so every external name of the suite does. */
#define fi                fi_t_fi
#define fill_socket       fi_t_fill_socket
#define pair_pipe         fi_t_pair_pipe
#define pair_tcp          fi_t_pair_tcp
#define pair_tcp_reset    fi_t_pair_tcp_reset
#define pair_unix         fi_t_pair_unix
#define pending           fi_t_pending
#define rcv_timeout       fi_t_rcv_timeout
#define read_all          fi_t_read_all
#define refused_addr      fi_t_refused_addr
#define rnd               fi_t_rnd
#define rnd_below         fi_t_rnd_below
#define run_with_timeout  fi_t_run_with_timeout
#define set_nonblock      fi_t_set_nonblock
#define slow_mode         fi_t_slow_mode
#define tcp_listener      fi_t_tcp_listener
#define under_valgrind    fi_t_under_valgrind
#define write_all         fi_t_write_all

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

/* A connected AF_UNIX stream socketpair; a pipe; a loopback TCP pair
 * (fds[0] client side, fds[1] accepted side). */
void pair_unix(int fds[2]);
void pair_pipe(int fds[2]);
void pair_tcp(int fds[2]);
/* A loopback listener on port 0; its address in *sa. */
int tcp_listener(struct sockaddr_storage *sa, socklen_t *len);
/* A loopback address nobody listens on (bound, never listened). */
void refused_addr(struct sockaddr_storage *sa, socklen_t *len, int *holder);

/* Writes/reads all N bytes with raw write()/read(), retrying EINTR and
 * short counts; fails the test on error, or on EOF for read_all. */
void write_all(int fd, const void *buf, size_t n);
void read_all(int fd, void *buf, size_t n);
/* Bytes waiting in the kernel for fd (FIONREAD). */
int pending(int fd);
void set_nonblock(int fd);
/* A blocking read that would hang fails with EAGAIN after MS instead:
 * guards tests in which a correct implementation never blocks. */
void rcv_timeout(int fd, int ms);
/* Fills the send buffer of a non-blocking socket until EAGAIN. */
size_t fill_socket(int fd);
/* A TCP pair in which fds[0] has received a real RST from its peer. */
void pair_tcp_reset(int fds[2]);

/* fi_set with printf formatting; fails the test if the shim is absent or
 * refuses the rules. */
void fi(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Deterministic generator (xorshift64*). */
uint64_t rnd(uint64_t *s);
size_t rnd_below(uint64_t *s, size_t n);

/* Iterations scaled down under Valgrind / coverage (WRAP_SLOW). */
int slow_mode(void);
/* 1 when running under Valgrind. */
int under_valgrind(void);

/* Runs FN(ARG) in a thread; fails the test if it is not done within MS. */
int run_with_timeout(void *(*fn)(void *), void *arg, int ms);

/* Asserts RET == EXP, and errno == ERR when EXP == -1, with a clear message. */
#define expect_ret(call, exp)                                                  \
    do {                                                                       \
        ssize_t r_ = (call);                                                   \
        if (r_ != (ssize_t)(exp))                                              \
            fail_msg("%s returned %zd (errno %s), expected %zd", #call, r_,    \
                     strerror(errno), (ssize_t)(exp));                         \
    } while (0)
#define expect_err(call, err)                                                  \
    do {                                                                       \
        errno = 0;                                                             \
        ssize_t r_ = (call);                                                   \
        int e_ = errno;                                                        \
        if (r_ != -1 || e_ != (err))                                           \
            fail_msg("%s returned %zd errno %d (%s), expected -1 errno %s",    \
                     #call, r_, e_, strerror(e_), #err);                       \
    } while (0)
#define expect_bytes(got, exp, n)                                              \
    do {                                                                       \
        if (memcmp((got), (exp), (n)) != 0)                                    \
            fail_msg("bytes differ from the stream (%s vs %s, %zu bytes)",     \
                     #got, #exp, (size_t)(n));                                 \
    } while (0)

#endif

/* shimtest.h: what the in-process shim tests (test_shim_faults, _options,
 * _promises, test_fortify, test_readiness, test_xfer, test_possible)
 * share: the fixtures (a 30 s alarm per test, rules cleared before and
 * after), one table entry per data call family, and small descriptor
 * helpers. */
#ifndef SHIMTEST_H
#define SHIMTEST_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct fam {
    const char *name;
    int reads;
    ssize_t (*op)(int fd, void *buf, size_t n, int flags);
};

/* read readv recv recvfrom recvmsg write writev send sendto sendmsg. */
extern const struct fam fams[];
extern const size_t NFAMS;

/* SIGPIPEs caught by on_sigpipe since setup. */
extern volatile sig_atomic_t sigpipes;
void on_sigpipe(int sig);

/* eintr fires only where a signal could interrupt the call (faultinject.md,
 * eintr): catch_a_signal installs a SIGWINCH handler without SA_RESTART, as
 * a program that can see EINTR has one; setup() calls it for every test. */
void catch_a_signal(void);

int setup(void **state);
int teardown(void **state);

/* fi_set(RULES), failing the test if refused. */
void set_rules(const char *rules);

/* set_rules(FMT with NAME for %s). */
void set_rule(const char *fmt, const char *name);

/* N bytes of the test pattern SEED. */
void fill(char *buf, size_t n, unsigned seed);

/* Puts the 10-byte pattern (seed 1, copied to PAT) into SV[0]'s queue. */
void queue10(int sv[2], char *pat);

/* Whatever is waiting on FD, without blocking. */
ssize_t take(int fd, char *buf, size_t n);

/* eagain fires only where the kernel could say it: non-blocking mode. */
void nonblocking(int fd);

/* A write-side short or eagain fires only where the send queue could be
 * out of room (faultinject.md): fills FD's send queue (the peer reads
 * nothing) until the kernel says EAGAIN; returns the bytes queued. Call
 * it with no rule set. */
size_t fill_send_queue(int fd);

/* Reads exactly what is waiting on FD into BUF (at most N), draining it. */
size_t drain(int fd, char *buf, size_t n);

void close_pair(int sv[2]);

/* For a call that should sleep until a signal (or be interrupted by one):
 * starts a thread that waits until the calling thread sleeps in the
 * kernel (state S in /proc) and then sends it SIG once, all within
 * TIMEOUT_MS. nudge_join: 1 if the signal was sent, 0 if the calling
 * thread never slept in time. */
pthread_t nudge_when_asleep(int sig, int timeout_ms);

/* As nudge_when_asleep with SIG1; then, once *RAN shows its handler ran
 * and the thread sleeps again, SIG2. nudge_join: 1 if both were sent. */
pthread_t nudge_twice_when_asleep(int sig1, int sig2, volatile sig_atomic_t *ran,
                                  int timeout_ms);
int nudge_join(pthread_t t);

/* Reads 1 byte NCALLS times; result[i] is 1, 0 or -errno. */
void read_calls(int fd, int ncalls, int *result);

#endif

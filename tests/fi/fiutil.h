/* fiutil.h: helpers the fault injector's tests share: the test pattern,
 * files, and the cmocka forms (they fail the test) of tests/support's
 * calls: sockets are netsock.h's, running a command is capture_run
 * (fiu_run), waiting for a child proc_wait (fiu_wait). */
#ifndef FIUTIL_H
#define FIUTIL_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

/* net_pair: a connected AF_UNIX stream pair; fails the test otherwise. */
void fiu_pair(int sv[2]);

/* net_pending: bytes waiting in FD's receive queue (FIONREAD). */
int fiu_pending(int fd);

/* Byte I of the test pattern for stream SEED. */
unsigned char fiu_byte(unsigned seed, size_t i);

/* net_listen: a TCP listener on 127.0.0.1 (backlog 16), port chosen by
 * the kernel; *ADDR filled. */
int fiu_listen(struct sockaddr_in *addr);

/* net_dial: a blocking TCP socket connected to ADDR (EINTR retried). */
int fiu_connect(const struct sockaddr_in *addr);

/* capture_run (tests/support/capture.h) of ARGV with the extra
 * environment ENV (NAME=VALUE..., NULL-ended, "-NAME" unsets), stdin from
 * /dev/null, stdout and stderr into OUT and ERR (NUL-terminated,
 * truncated), killed after TIMEOUT_S seconds with everything it started.
 * Returns the wait status, or -1 when it had to be killed; fails the test
 * if it could not be started. */
int fiu_run(char *const argv[], char *const env[], char *out, size_t outlen,
            char *err, size_t errlen, int timeout_s);

/* The wait status of child PID; fails the test, the child killed, if it
 * has not ended within 10 s (proc_wait of tests/support/proc_spawn.h). */
int fiu_wait(pid_t pid);

/* A test that cannot run here ends as skipped and says so, never quietly:
 * "NOT RUN: TEST: REASON" on stderr (fiu_say_not_run), then cmocka's skip(). */
void fiu_say_not_run(const char *test, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define fiu_not_run(...)                                                       \
    do {                                                                       \
        fiu_say_not_run(__func__, __VA_ARGS__);                                \
        skip();                                                                \
    } while (0)

/* Reads the whole file PATH into BUF; its length, or -1. */
ssize_t fiu_slurp(const char *path, char *buf, size_t len);

#endif

/* fiutil.h: helpers the fault injector's tests share: descriptors, the
 * test pattern, files; running a command is tests/support's capture_run
 * (fiu_run is its cmocka form). */
#ifndef FIUTIL_H
#define FIUTIL_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

/* A connected AF_UNIX stream pair; fails the test otherwise. */
void fiu_pair(int sv[2]);

/* Bytes waiting in FD's receive queue (FIONREAD). */
int fiu_pending(int fd);

/* Byte I of the test pattern for stream SEED. */
unsigned char fiu_byte(unsigned seed, size_t i);

/* A TCP listener on 127.0.0.1, port chosen by the kernel; *ADDR filled. */
int fiu_listen(struct sockaddr_in *addr);

/* A blocking TCP socket connected to ADDR (connect retried until it works). */
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

/* Reads the whole file PATH into BUF; its length, or -1. */
ssize_t fiu_slurp(const char *path, char *buf, size_t len);

#endif

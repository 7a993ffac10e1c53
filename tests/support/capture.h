/* capture.h: run a command to its end under a deadline and capture what it
 * printed: the one "run a process with a timeout and capture its output"
 * for every suite.
 *
 * The command runs in its own process group, stdin from IN (or /dev/null),
 * with the calling process's environment changed by ENV: "NAME=VALUE" sets,
 * "-NAME" removes. At the deadline the whole group is killed (so are the
 * command's children) and the call fails with ETIMEDOUT; every wait is
 * bounded. Output beyond a buffer's size is read and dropped, so a chatty
 * command never blocks on a full pipe.
 */
#ifndef SUPPORT_CAPTURE_H
#define SUPPORT_CAPTURE_H

#include <stddef.h>

struct capture {
    char *out, *err;           /* the caller's buffers; NUL-terminated */
    size_t outcap, errcap;     /* their sizes (0: that stream is dropped) */
    size_t outlen, errlen;     /* bytes kept */
};

/* Runs ARGV (argv[0] looked up in PATH) until it ends or TIMEOUT_MS pass.
 * Its waitpid status, or -1 with errno: ETIMEDOUT (killed), or what
 * pipe/fork failed with. C may be NULL (output dropped). */
int capture_run(char *const argv[], const char *const env[], const char *in,
                int timeout_ms, struct capture *c);

#endif

/* fiutil.c: see fiutil.h. */
#include "fiutil.h"

#include "capture.h"
#include "netsock.h"
#include "proc_spawn.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void fiu_pair(int sv[2])
{
    assert_int_equal(net_pair(sv), 0);
}

int fiu_pending(int fd)
{
    int n = net_pending(fd);
    assert_true(n >= 0);
    return n;
}

unsigned char fiu_byte(unsigned seed, size_t i)
{
    return (unsigned char)((i * 131 + seed * 17 + (i >> 8)) & 0xff);
}

int fiu_listen(struct sockaddr_in *addr)
{
    int fd = net_listen(addr, 16);
    assert_true(fd >= 0);
    return fd;
}

int fiu_connect(const struct sockaddr_in *addr)
{
    int fd = net_dial(addr);
    assert_true(fd >= 0);
    return fd;
}

int fiu_run(char *const argv[], char *const env[], char *out, size_t outlen,
            char *err, size_t errlen, int timeout_s)
{
    struct capture c = { .out = out, .err = err, .outcap = outlen, .errcap = errlen };
    int status = capture_run(argv, (const char *const *)env, NULL, timeout_s * 1000, &c);
    if (status < 0 && errno != ETIMEDOUT)
        fail_msg("running %s: %s", argv[0], strerror(errno));
    return status;
}

int fiu_wait(pid_t pid)
{
    int status;
    if (proc_wait(pid, 10000, &status) < 0) {
        proc_kill(pid);
        fail_msg("child %d did not end within 10 s", (int)pid);
    }
    return status;
}

ssize_t fiu_slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t have = 0;
    ssize_t n;
    while (have + 1 < len && (n = read(fd, buf + have, len - 1 - have)) > 0)
        have += (size_t)n;
    buf[have] = '\0';
    close(fd);
    return (ssize_t)have;
}

void fiu_say_not_run(const char *test, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "NOT RUN: %s: ", test);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* fr_tstatic: the trace backend's COMMAND, built -static (tests/fi.mk), so
 * only the trace backend reaches it. Prints what it saw, one line per
 * event, and exits 0 when every byte arrived in order.
 *   roundtrip N    N round trips of 8 bytes over a socketpair; every read
 *                  that returns less than asked prints "short LEN at READ"
 *   eintr          one read with a SIGUSR1 handler (no SA_RESTART); prints
 *                  "saw EINTR" for each EINTR, then reads on
 *   fork           forks, then parent and child each read once; each
 *                  prints "PID: got N" (N the bytes of its first read)
 *   spin SECONDS   reads a socketpair nobody writes (for kill tests): prints
 *                  its pid and blocks
 *   loop N         N one-byte write+read pairs on a socketpair (the bench)
 *   uring          sets up an io_uring (whatever the kernel answers: a
 *                  ring, ENOSYS or EPERM), then one round trip
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig)
{
    (void)sig;
}

static int pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        exit(3);
    }
    return 0;
}

/* Reads exactly N bytes into BUF, saying what each read did. */
static int read_all(int fd, char *buf, size_t n, int *reads)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        ++*reads;
        if (r < 0 && errno == EINTR) {
            printf("saw EINTR at read %d\n", *reads);
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            printf("saw EAGAIN at read %d\n", *reads);
            continue;
        }
        if (r <= 0) {
            printf("read failed: %s\n", r == 0 ? "end of stream" : strerror(errno));
            return -1;
        }
        if ((size_t)r < n - got)
            printf("short %zd at read %d\n", r, *reads);
        got += (size_t)r;
    }
    return 0;
}

static int roundtrip(int rounds)
{
    int sv[2], reads = 0;
    pair(sv);
    for (int i = 0; i < rounds; i++) {
        char out[8], in[8];
        for (int j = 0; j < 8; j++)
            out[j] = (char)('a' + (i * 8 + j) % 26);
        if (write(sv[0], out, sizeof out) != (ssize_t)sizeof out)
            return 1;
        if (read_all(sv[1], in, sizeof in, &reads) < 0 || memcmp(in, out, sizeof in) != 0) {
            printf("bytes differ at round %d\n", i);
            return 1;
        }
    }
    printf("ok %d rounds, %d reads\n", rounds, reads);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "roundtrip";
    if (strcmp(what, "roundtrip") == 0)
        return roundtrip(argc > 2 ? atoi(argv[2]) : 4);
    if (strcmp(what, "eintr") == 0) {
        struct sigaction sa = { .sa_handler = on_usr1 };   /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
        return roundtrip(2);
    }
    if (strcmp(what, "uring") == 0) {
        unsigned params[30] = { 0 };                    /* struct io_uring_params */
        long fd = syscall(SYS_io_uring_setup, 4, params);
        printf("io_uring_setup: %s\n", fd >= 0 ? "a ring" : strerror(errno));
        if (fd >= 0)
            close((int)fd);
        return roundtrip(1);
    }
    if (strcmp(what, "fork") == 0) {
        int sv[2];
        pid_t pid = fork();
        pair(sv);
        char buf[8];
        if (write(sv[0], "12345678", 8) != 8)
            return 1;
        ssize_t n = read(sv[1], buf, sizeof buf);
        printf("%s: got %zd\n", pid == 0 ? "child" : "parent", n);
        if (pid == 0)
            return 0;
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    if (strcmp(what, "spin") == 0) {
        int sv[2];
        char c;
        pair(sv);
        printf("pid %d\n", (int)getpid());
        return read(sv[1], &c, 1) < 0;
    }
    if (strcmp(what, "loop") == 0) {
        int sv[2];
        long n = argc > 2 ? atol(argv[2]) : 100000;
        char c = 'x';
        pair(sv);
        for (long i = 0; i < n; i++)
            if (write(sv[0], &c, 1) != 1 || read(sv[1], &c, 1) != 1)
                return 1;
        return 0;
    }
    fprintf(stderr, "fr_tstatic: unknown case '%s'\n", what);
    return 2;
}

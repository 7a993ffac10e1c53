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
 *   nonblock N     roundtrip with the reading end O_NONBLOCK (each EAGAIN
 *                  said, then read again); first prints "pid P sock FD"
 *   stream LEN     LEN bytes (a pattern) in one write, read back 1000 at
 *                  a time, every byte checked: "ok LEN bytes in R reads"
 *   errors         on a socketpair: write 8, send 8 with MSG_NOSIGNAL,
 *                  read 16; prints each call's "NAME: RET errno=E" (E 0
 *                  on success), the bytes read and "sigpipe N" (SIGPIPEs
 *                  caught)
 *   kinds          one 8-byte read each from a pipe, a file (on fd 20)
 *                  and a socket: "pipe|file|sock: got N"
 */
#include <errno.h>
#include <fcntl.h>
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

static volatile sig_atomic_t sigpipes;

static void on_pipe(int sig)
{
    (void)sig;
    sigpipes++;
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

static int roundtrip(int rounds, int nonblock)
{
    int sv[2], reads = 0;
    pair(sv);
    if (nonblock) {
        fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
        printf("pid %d sock %d\n", (int)getpid(), sv[1]);
    }
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

static int stream(long len)
{
    static char buf[65536];
    int sv[2], reads = 0;
    if (len <= 0 || len > (long)sizeof buf)
        return 2;
    pair(sv);
    for (long i = 0; i < len; i++)
        buf[i] = (char)((i * 7 + 3) % 251);
    if (write(sv[0], buf, (size_t)len) != len)
        return 1;
    for (long got = 0; got < len;) {
        char in[1000];
        size_t ask = len - got < 1000 ? (size_t)(len - got) : 1000;
        ssize_t r = read(sv[1], in, ask);
        reads++;
        if (r <= 0) {
            printf("read failed at %ld: %zd\n", got, r);
            return 1;
        }
        for (ssize_t j = 0; j < r; j++)
            if (in[j] != (char)(((got + j) * 7 + 3) % 251)) {
                printf("byte %ld differs\n", (long)(got + j));
                return 1;
            }
        got += r;
    }
    printf("ok %ld bytes in %d reads\n", len, reads);
    return 0;
}

static void said(const char *name, ssize_t r)
{
    printf("%s: %zd errno=%d\n", name, r, r < 0 ? errno : 0);
}

static int errors(void)
{
    int sv[2];
    char in[16];
    struct sigaction sa = { .sa_handler = on_pipe };
    sigaction(SIGPIPE, &sa, NULL);
    pair(sv);
    said("write", write(sv[0], "abcdefgh", 8));
    said("send", send(sv[0], "ijklmnop", 8, MSG_NOSIGNAL));
    ssize_t r = read(sv[1], in, sizeof in);
    said("read", r);
    if (r > 0)
        printf("bytes %.*s\n", (int)r, in);
    printf("sigpipe %d\n", (int)sigpipes);
    return 0;
}

static int kinds(void)
{
    int pp[2], sv[2];
    char path[] = "/tmp/fr_tstatic-XXXXXX", in[8];
    int file = mkstemp(path);
    if (file < 0 || pipe(pp) < 0 || write(file, "filedata", 8) != 8 ||
        write(pp[1], "pipedata", 8) != 8)
        return 3;
    unlink(path);
    if (dup2(file, 20) != 20 || lseek(20, 0, SEEK_SET) != 0)
        return 3;
    close(file);
    pair(sv);
    if (write(sv[0], "sockdata", 8) != 8)
        return 3;
    printf("pipe: got %zd\n", read(pp[0], in, sizeof in));
    printf("file: got %zd\n", read(20, in, sizeof in));
    printf("sock: got %zd\n", read(sv[1], in, sizeof in));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "roundtrip";
    if (strcmp(what, "roundtrip") == 0)
        return roundtrip(argc > 2 ? atoi(argv[2]) : 4, 0);
    if (strcmp(what, "nonblock") == 0)
        return roundtrip(argc > 2 ? atoi(argv[2]) : 4, 1);
    if (strcmp(what, "stream") == 0)
        return stream(argc > 2 ? atol(argv[2]) : 4096);
    if (strcmp(what, "errors") == 0)
        return errors();
    if (strcmp(what, "kinds") == 0)
        return kinds();
    if (strcmp(what, "eintr") == 0) {
        struct sigaction sa = { .sa_handler = on_usr1 };   /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
        return roundtrip(2, 0);
    }
    if (strcmp(what, "uring") == 0) {
        unsigned params[30] = { 0 };                    /* struct io_uring_params */
        long fd = syscall(SYS_io_uring_setup, 4, params);
        printf("io_uring_setup: %s\n", fd >= 0 ? "a ring" : strerror(errno));
        if (fd >= 0)
            close((int)fd);
        return roundtrip(1, 0);
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

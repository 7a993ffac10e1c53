/* fr_prog: programs whose calls the shim cannot see or that fork, for the
 * faultrun suites (Never silent, Deterministic).
 *   fr_prog raw        moves 64 bytes over a socketpair with raw
 *                      syscall(SYS_write/SYS_read), as Go does; exit 0
 *   fr_prog stdio      reads a line from a socket through fdopen + fgets
 *   fr_prog forks N    forks N children one after another; each writes 32
 *                      bytes to its own socketpair and makes 32 one-byte
 *                      read()s (EINTR counted, not retried); exit 0
 *   fr_prog spawn N    the same, but N children started one after another
 *                      with posix_spawn (no fork handlers run in them)
 *   fr_prog closeerr   a socketpair round trip of 10 bytes, then closes its
 *                      stderr before it exits (as coreutils' close_stdout)
 *   fr_prog takefd FILE  opens FILE onto every number from 100 to 109 (dup2:
 *                      whatever was there goes), then as closeerr
 *   fr_prog reuse N [exec]  N rounds on the same descriptor numbers: a
 *                      socketpair, 8 bytes, 8 one-byte read()s (EINTR
 *                      counted, not retried), both closed; prints one line
 *                      of which reads were interrupted ("r3:.x..x..."); with
 *                      exec, then execs itself to do it all again (a second
 *                      image of the same process, its call numbers anew)
 *   fr_prog echo N     a server on 127.0.0.1 and its client, a forked
 *                      child: N messages of 64 bytes, each echoed before
 *                      the next; the server's socket is non-blocking (poll,
 *                      then read until EAGAIN), the client's blocking
 *                      (EINTR and short reads retried); every wait bounded
 *                      by 5 s (exit 3)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int closeerr(void)
{
    int sv[2];
    char b[10];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || write(sv[1], "0123456789", 10) != 10)
        return 2;
    for (size_t got = 0; got < sizeof b;) {
        ssize_t r = read(sv[0], b + got, sizeof b - got);
        if (r <= 0)
            return 3;
        got += (size_t)r;
    }
    close(2);
    return 0;
}

static int takefd(const char *file)
{
    int f = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (f < 0)
        return 2;
    for (int fd = 100; fd < 110; fd++)
        if (dup2(f, fd) != fd)
            return 2;
    return closeerr() == 0 ? 0 : 3;     /* which closes its stderr too */
}

static int raw(void)
{
    int sv[2];
    char buf[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    memset(buf, 'r', sizeof buf);
    if (syscall(SYS_write, sv[1], buf, sizeof buf) != (long)sizeof buf)
        return 1;
    long got = 0;
    while (got < (long)sizeof buf) {
        long n = syscall(SYS_read, sv[0], buf, sizeof buf);
        if (n <= 0)
            return 1;
        got += n;
    }
    return 0;
}

static int stdio(void)
{
    int sv[2];
    char line[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    if (syscall(SYS_write, sv[1], "hello\n", 6) != 6)
        return 2;
    FILE *f = fdopen(sv[0], "r");
    if (f == NULL || fgets(line, sizeof line, f) == NULL)
        return 1;
    fclose(f);
    return strcmp(line, "hello\n") == 0 ? 0 : 1;
}

static int child(void)
{
    int sv[2];
    char buf[32];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    memset(buf, 'c', sizeof buf);
    if (syscall(SYS_write, sv[1], buf, sizeof buf) != (long)sizeof buf)
        return 2;
    for (int i = 0; i < 32; i++)
        if (read(sv[0], buf, 1) < 0 && errno != EINTR)
            return 1;
    return 0;
}

static int forks(int n)
{
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return 2;
        if (pid == 0)
            _exit(child());
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return 1;
    }
    return 0;
}

/* Waits up to 5 s for EVENTS on FD: 1 ready, 0 timed out, -1 error. */
static int wait_for(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    for (;;) {
        int r = poll(&p, 1, 5000);
        if (r >= 0 || errno != EINTR)
            return r;
    }
}

/* All of BUF[0..LEN) to FD, retrying EINTR, EAGAIN and short writes. */
static int put_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, buf, len);
        if (k > 0) {
            buf += k;
            len -= (size_t)k;
        } else if (k < 0 && (errno == EINTR || errno == EAGAIN)) {
            if (errno == EAGAIN && wait_for(fd, POLLOUT) <= 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static int echo_client(const struct sockaddr_in *a, int n)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    char msg[64], back[64];
    if (s < 0 || connect(s, (const struct sockaddr *)a, sizeof *a) < 0)
        return 2;
    for (int i = 0; i < n; i++) {
        memset(msg, 'a' + i % 26, sizeof msg);
        if (put_all(s, msg, sizeof msg) < 0)
            return 2;
        size_t have = 0;
        while (have < sizeof back) {
            int w = wait_for(s, POLLIN);
            if (w <= 0)
                return w == 0 ? 3 : 2;
            ssize_t k = read(s, back + have, sizeof back - have);
            if (k > 0)
                have += (size_t)k;
            else if (k == 0 || errno != EINTR)
                return 1;
        }
        if (memcmp(msg, back, sizeof msg) != 0)
            return 1;
    }
    close(s);
    return 0;
}

static int echo(int n)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) < 0)
        return 2;
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0)
        _exit(echo_client(&a, n));
    int rc = 0, s = -1;
    if (wait_for(ls, POLLIN) <= 0 || (s = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) < 0)
        rc = 3;
    long want = 64L * n, got = 0;
    char buf[256];
    while (rc == 0 && got < want) {
        int w = wait_for(s, POLLIN);
        if (w <= 0) {
            rc = w == 0 ? 3 : 2;
            break;
        }
        for (;;) {                      /* until EAGAIN, as an event loop does */
            ssize_t k = read(s, buf, sizeof buf);
            if (k > 0 && put_all(s, buf, (size_t)k) == 0) {
                got += k;
                if (got >= want)
                    break;              /* the client may close now */
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            rc = 1;
            break;
        }
    }
    if (rc != 0)
        kill(pid, SIGKILL);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return rc != 0 ? rc : 1;
    return rc != 0 ? rc : WEXITSTATUS(status);
}

extern char **environ;

static int spawns(const char *self, int n)
{
    char *args[] = { (char *)self, "child", NULL };
    for (int i = 0; i < n; i++) {
        pid_t pid;
        int status;
        if (posix_spawn(&pid, self, NULL, NULL, args, environ) != 0)
            return 2;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return 1;
    }
    return 0;
}

static int reuse(char **argv, int rounds, int again)
{
    char line[4096];
    size_t len = 0;
    for (int r = 0; r < rounds; r++) {
        int sv[2];
        char c;
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || write(sv[1], "abcdefgh", 8) != 8)
            return 2;
        len += (size_t)snprintf(line + len, sizeof line - len, "r%d:", r);
        for (int i = 0; i < 8; i++) {
            ssize_t n = read(sv[0], &c, 1);
            if (n < 0 && errno != EINTR)
                return 1;
            len += (size_t)snprintf(line + len, sizeof line - len, "%c", n < 0 ? 'x' : '.');
        }
        len += (size_t)snprintf(line + len, sizeof line - len, " ");
        close(sv[0]);
        close(sv[1]);
    }
    printf("%s\n", line);
    fflush(stdout);
    if (again) {
        execl(argv[0], argv[0], "reuse", argv[2], (char *)NULL);
        return 2;
    }
    return 0;
}

/* eintr fires only where a signal could interrupt the call (faultinject.md,
 * eintr): a SIGWINCH handler without SA_RESTART, as a program that can see
 * EINTR has. */
static void on_winch(int sig)
{
    (void)sig;
}

static void catch_a_signal(void)
{
    struct sigaction sa = { .sa_handler = on_winch };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
}

int main(int argc, char **argv)
{
    catch_a_signal();
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "reuse") == 0)
        return reuse(argv, atoi(argv[2]), argc == 4 && strcmp(argv[3], "exec") == 0);
    if (argc == 2 && strcmp(argv[1], "raw") == 0)
        return raw();
    if (argc == 2 && strcmp(argv[1], "closeerr") == 0)
        return closeerr();
    if (argc == 3 && strcmp(argv[1], "takefd") == 0)
        return takefd(argv[2]);
    if (argc == 2 && strcmp(argv[1], "stdio") == 0)
        return stdio();
    if (argc == 3 && strcmp(argv[1], "forks") == 0)
        return forks(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "echo") == 0)
        return echo(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "spawn") == 0)
        return spawns(argv[0], atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "child") == 0)
        return child();
    fprintf(stderr, "usage: fr_prog raw | closeerr | takefd FILE | stdio | forks N | spawn N | child | "
                    "reuse N [exec] | echo N\n");
    return 2;
}

/* fr_life: programs that sandbox themselves, close every inherited
 * descriptor, read a datagram socket beside a stream, or talk to a peer
 * that resets, for test_life (faultinject.md: Never silent, Faithful,
 * peer=, Replay). Output goes out by write(2) only (stdio would fstat).
 *   fr_life sandbox    A: a blocking socketpair and C: one made
 *                      non-blocking with fcntl, both before a seccomp
 *                      filter that kills the process on fcntl, ioctl,
 *                      getsockopt, fstat, getpeername, getsockname, gettid,
 *                      getpid, openat; B: a non-blocking socketpair made
 *                      after it. 4 bytes into each, one read(16) of each:
 *                      prints "A=R B=R C=R" (R: bytes, or the errno name)
 *   fr_life close HOW N  4 bytes over a socketpair, read(16) (prints the
 *                      count), then closes every descriptor from 3 up
 *                      (HOW: closefrom, close_range, loop: close() each
 *                      below 1024, raw: SYS_close_range) and execs itself
 *                      with N-1, until N is 0
 *   fr_life dgram      a datagram socketpair read twice, then one byte over
 *                      a TCP connection (127.0.0.1) read, 5 rounds; prints
 *                      "reset at tcp read K" at the first ECONNRESET, or
 *                      exit 1 if none
 *   fr_life peer PORT  connects to 127.0.0.1:PORT, writes 10 bytes, waits
 *                      (poll, 5 s at most) until the peer's reset is in,
 *                      then read()s until 0 or an error; prints
 *                      "getpeername=E reads=K"
 *   fr_life accepted HOW  the server side of the same: accepts a connection
 *                      from itself (HOW: null, accept(fd, NULL, NULL); addr,
 *                      with an address), writes it a byte, and the client
 *                      closes with 5 bytes sent and that byte unread (a
 *                      reset); once the reset is in, read()s until 0 or an
 *                      error; prints "getpeername=E reads=K"
 *   fr_life retake     closes the run's memfd (FAULTINJECT_TALLY_FD) with a
 *                      raw close, puts /dev/null at its number (dup2), then
 *                      close()s that: prints "closed=R open-after=F" (F: 0
 *                      when the number is free again, as it must be)
 * Called by another name (a symlink), it stands in for the programs of
 * man faultrun's EXAMPLES, whatever their arguments:
 *   client             64 bytes over a socketpair, read until all are in
 *   server             5 connections to its own listener (127.0.0.1, port
 *                      from the kernel), accept retried on ECONNABORTED and
 *                      EINTR, 32 bytes read from each (EINTR retried)
 *   redis-benchmark    1 KiB over a socketpair
 *   copy IN OUT        copies IN to OUT, write()s of 16 bytes; exit 1 on
 *                      an error
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void say(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static const char *result(ssize_t r, int e, char *buf, size_t len)
{
    if (r >= 0)
        snprintf(buf, len, "%zd", r);
    else
        snprintf(buf, len, "%s", e == EAGAIN ? "EAGAIN" : e == EINTR ? "EINTR"
                                 : e == ECONNRESET ? "ECONNRESET" : strerror(e));
    return buf;
}

/* A cBPF allow-list in reverse: these calls kill the process. */
static int install_filter(void)
{
    static const int killed[] = {
        SYS_fcntl, SYS_ioctl, SYS_getsockopt, SYS_fstat, SYS_newfstatat, SYS_statx,
        SYS_getpeername, SYS_getsockname, SYS_gettid, SYS_getpid, SYS_openat, SYS_open,
    };
    enum { N = sizeof killed / sizeof killed[0] };
    struct sock_filter f[4 + 2 * N];
    int i = 0;
    f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, nr));
    for (int k = 0; k < N; k++) {
        f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)killed[k], 0, 1);
        f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    }
    f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { .len = (unsigned short)i, .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static int sandbox(void)
{
    int a[2], b[2], c[2];
    char ra[32], rb[32], rc[32], buf[16], line[128];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, a) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, c) < 0)
        return 2;
    int fl = fcntl(c[1], F_GETFL);
    if (fl < 0 || fcntl(c[1], F_SETFL, fl | O_NONBLOCK) < 0)
        return 2;
    if (install_filter() < 0) {
        perror("seccomp");
        return 2;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b) < 0)
        return 2;
    if (write(a[0], "abcd", 4) != 4 || write(b[0], "abcd", 4) != 4 || write(c[0], "abcd", 4) != 4)
        return 2;
    ssize_t x = read(a[1], buf, sizeof buf);
    result(x, errno, ra, sizeof ra);
    x = read(b[1], buf, sizeof buf);
    result(x, errno, rb, sizeof rb);
    x = read(c[1], buf, sizeof buf);
    result(x, errno, rc, sizeof rc);
    snprintf(line, sizeof line, "A=%s B=%s C=%s\n", ra, rb, rc);
    say(line);
    _exit(0);       /* no exit handlers: a sanitizer's would call what the filter kills */
}

static int close_all(const char *how)
{
    if (strcmp(how, "closefrom") == 0)
        closefrom(3);
    else if (strcmp(how, "close_range") == 0)
        return close_range(3, ~0u, 0);
    else if (strcmp(how, "loop") == 0)
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
    else if (strcmp(how, "raw") == 0)
        return (int)syscall(SYS_close_range, 3, ~0u, 0);
    else
        return -1;
    return 0;
}

static int close_exec(char **argv, const char *how, int n)
{
    int sv[2];
    char buf[16], line[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || write(sv[0], "abcd", 4) != 4)
        return 2;
    ssize_t r = read(sv[1], buf, sizeof buf);
    snprintf(line, sizeof line, "image %d read %zd\n", n, r);
    say(line);
    if (close_all(how) < 0)
        return 2;
    if (n == 0)
        return 0;
    char next[16];
    snprintf(next, sizeof next, "%d", n - 1);
    char *args[] = { argv[0], "close", (char *)how, next, NULL };
    execv("/proc/self/exe", args);
    perror("execv");
    return 2;
}

static int dgram(void)
{
    int d[2], lst, cli, srv;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    char buf[16], line[64];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) < 0)
        return 2;
    if ((lst = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        bind(lst, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lst, 1) < 0 ||
        getsockname(lst, (struct sockaddr *)&sa, &len) < 0 ||
        (cli = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(cli, (struct sockaddr *)&sa, sizeof sa) < 0 || (srv = accept(lst, NULL, NULL)) < 0)
        return 2;
    for (int k = 1; k <= 5; k++) {
        for (int m = 0; m < 2; m++)
            if (send(d[0], "m", 1, 0) != 1 || read(d[1], buf, sizeof buf) != 1)
                return 2;
        if (write(cli, "y", 1) != 1)
            return 2;
        if (read(srv, buf, 1) < 0) {
            snprintf(line, sizeof line, "reset at tcp read %d (%s)\n", k,
                     errno == ECONNRESET ? "ECONNRESET" : strerror(errno));
            say(line);
            return 0;
        }
    }
    say("no reset\n");
    return 1;
}

static int after_reset(int fd);

static int peer(const char *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                              .sin_port = htons((unsigned short)atoi(port)) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return 2;
    if (write(fd, "helloworld", 10) != 10)
        return 2;
    return after_reset(fd);
}

/* All N bytes from FD (EINTR retried); 0, or -1. */
static int read_all(int fd, char *buf, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, buf, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        buf += r;
        n -= (size_t)r;
    }
    return 0;
}

static int pair_bytes(size_t n)
{
    int sv[2];
    char buf[1024] = { 0 };
    if (n > sizeof buf || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
        write(sv[0], buf, n) != (ssize_t)n)
        return 2;
    return read_all(sv[1], buf, n) == 0 ? 0 : 1;
}

static int server(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    int lst = socket(AF_INET, SOCK_STREAM, 0);
    if (lst < 0 || bind(lst, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lst, 8) < 0 ||
        getsockname(lst, (struct sockaddr *)&sa, &len) < 0)
        return 2;
    for (int k = 0; k < 5; k++) {
        char buf[32] = { 0 };
        int cli = socket(AF_INET, SOCK_STREAM, 0), srv;
        if (cli < 0 || connect(cli, (struct sockaddr *)&sa, sizeof sa) < 0 ||
            write(cli, buf, sizeof buf) != sizeof buf)
            return 2;
        while ((srv = accept(lst, NULL, NULL)) < 0)
            if (errno != ECONNABORTED && errno != EINTR)
                return 1;
        if (read_all(srv, buf, sizeof buf) < 0)
            return 1;
        close(srv);
        close(cli);
    }
    return 0;
}

static int copy(const char *in, const char *out)
{
    char buf[16];
    int a = open(in, O_RDONLY), b = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (a < 0 || b < 0) {
        perror("copy: open");
        return 1;
    }
    ssize_t n;
    while ((n = read(a, buf, sizeof buf)) > 0)
        if (write(b, buf, (size_t)n) != n) {
            perror("copy: write");
            return 1;
        }
    return n < 0 || close(b) < 0 ? 1 : 0;
}

/* Once FD's peer has reset (POLLHUP/POLLERR, 5 s at most): whether
 * getpeername still works, and how many reads return data. */
static int after_reset(int fd)
{
    /* events 0: only POLLHUP/POLLERR wake it, and the reset brings both. */
    struct pollfd p = { .fd = fd, .events = 0 };
    if (poll(&p, 1, 5000) != 1)
        return 3;
    struct sockaddr_in got;
    socklen_t len = sizeof got;
    int gp = getpeername(fd, (struct sockaddr *)&got, &len) == 0 ? 0 : errno;
    char buf[64], line[96];
    int reads = 0;
    for (; reads < 20; reads++)
        if (read(fd, buf, sizeof buf) <= 0)
            break;
    snprintf(line, sizeof line, "getpeername=%s reads=%d\n", gp ? strerror(gp) : "ok", reads);
    say(line);
    return 0;
}

static int accepted(const char *how)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in from;
    socklen_t len = sizeof sa, flen = sizeof from;
    int lst = socket(AF_INET, SOCK_STREAM, 0), cli, srv;
    if (lst < 0 || bind(lst, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lst, 1) < 0 ||
        getsockname(lst, (struct sockaddr *)&sa, &len) < 0 ||
        (cli = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(cli, (struct sockaddr *)&sa, sizeof sa) < 0)
        return 2;
    srv = strcmp(how, "null") == 0 ? accept(lst, NULL, NULL)
                                   : accept(lst, (struct sockaddr *)&from, &flen);
    if (srv < 0 || write(srv, "x", 1) != 1 || write(cli, "hello", 5) != 5)
        return 2;
    /* The byte must be in before the close, for the close to be a reset. */
    struct pollfd p = { .fd = cli, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1)
        return 3;
    close(cli);
    return after_reset(srv);
}

static int retake(void)
{
    const char *s = getenv("FAULTINJECT_TALLY_FD");
    char line[64];
    if (s == NULL)
        return 2;
    int fd = atoi(s), n = open("/dev/null", O_RDONLY);
    if (n < 0 || syscall(SYS_close, fd) != 0 || dup2(n, fd) != fd)
        return 2;
    int r = close(fd);
    snprintf(line, sizeof line, "closed=%d open-after=%d\n", r, fcntl(fd, F_GETFD) >= 0);
    say(line);
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strcmp(name, "client") == 0)
        return pair_bytes(64);
    if (strcmp(name, "server") == 0)
        return server();
    if (strcmp(name, "redis-benchmark") == 0)
        return pair_bytes(1024);
    if (strcmp(name, "copy") == 0 && argc == 3)
        return copy(argv[1], argv[2]);
    if (argc == 2 && strcmp(argv[1], "sandbox") == 0)
        return sandbox();
    if (argc == 4 && strcmp(argv[1], "close") == 0)
        return close_exec(argv, argv[2], atoi(argv[3]));
    if (argc == 2 && strcmp(argv[1], "dgram") == 0)
        return dgram();
    if (argc == 3 && strcmp(argv[1], "peer") == 0)
        return peer(argv[2]);
    if (argc == 2 && strcmp(argv[1], "retake") == 0)
        return retake();
    if (argc == 3 && strcmp(argv[1], "accepted") == 0)
        return accepted(argv[2]);
    fprintf(stderr, "usage: fr_life sandbox | close HOW N | dgram | peer PORT\n");
    return 2;
}

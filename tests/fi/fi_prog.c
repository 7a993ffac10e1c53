/* fi_prog: a small program that test_faultrun runs under faultrun.
 *   fi_prog solo N     one process, one socketpair: write up to 512 bytes,
 *                      read them back, until N bytes made the round trip;
 *                      handles EINTR, EAGAIN and short counts; exit 0 if
 *                      every byte came back in order.
 *   fi_prog oneread    the classic bug: assumes one read gets 12 bytes.
 *   fi_prog writes K   K one-byte writes to a socketpair, errors ignored.
 *   fi_prog touch FILE creates FILE (proof that the program started).
 *   fi_prog exit N     exits with N.
 *   fi_prog env        prints the FAULTINJECT_* and LD_PRELOAD variables.
 *   fi_prog picky N K  N one-byte writes to a socketpair, a line on stderr
 *                      per failed one; exit 1 if write K failed. With
 *                      FI_PROG_ORDER_FIFO=PATH (a FIFO), the sweep's point 2
 *                      ends before point 1 does (point 1 waits for it), so a
 *                      sweep -j 2 sees its points end out of order.
 *   fi_prog hangpast N FIFO HOLD   N one-byte writes; at sweep point N+1 (the
 *                      rule no longer fires) waits until point N+2 started
 *                      (FIFO); points past N+1 hang with a child, both
 *                      holding HOLD (a FIFO the test reads) open, until
 *                      killed (or 30 s).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned char byte_at(size_t i)
{
    return (unsigned char)(i * 7 + 3);
}

/* Moves exactly N bytes with OP, retrying what a fault may cause. */
static int full_write(int fd, const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, buf + done, n - done);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static int full_read(int fd, char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, buf + done, n - done);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static int solo(long total)
{
    int sv[2];
    char out[512], in[512];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    size_t off = 0;
    while (off < (size_t)total) {
        size_t n = (size_t)total - off < sizeof out ? (size_t)total - off : sizeof out;
        for (size_t i = 0; i < n; i++)
            out[i] = (char)byte_at(off + i);
        if (full_write(sv[1], out, n) < 0 || full_read(sv[0], in, n) < 0) {
            fprintf(stderr, "fi_prog: transfer failed at %zu: %s\n", off, strerror(errno));
            return 1;
        }
        if (memcmp(in, out, n) != 0) {
            fprintf(stderr, "fi_prog: bytes differ near %zu\n", off);
            return 1;
        }
        off += n;
    }
    return 0;
}

static int oneread(void)
{
    int sv[2];
    char buf[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    if (full_write(sv[1], "GET /index\r\n", 12) < 0)
        return 2;
    ssize_t n = read(sv[0], buf, sizeof buf);
    return n == 12 ? 0 : 1;
}

static int writes(long k)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    for (long i = 0; i < k; i++)
        if (write(sv[0], "x", 1) < 0)
            fprintf(stderr, "fi_prog: write %ld: %s\n", i + 1, strerror(errno));
    return 0;
}

/* The sweep point this run is (when=K in FAULTINJECT_RULES), or 0. */
static long sweep_point(void)
{
    const char *rules = getenv("FAULTINJECT_RULES");
    const char *w = rules != NULL ? strstr(rules, "when=") : NULL;
    return w != NULL ? strtol(w + 5, NULL, 10) : 0;
}

/* Point 1 returns only once point 2 has ended: point 2 sends its pid
 * through FIFO, point 1 waits on a pidfd for its end. */
static void order(const char *fifo)
{
    long point = sweep_point();
    if (point == 2) {
        int fd = open(fifo, O_WRONLY);
        dprintf(fd, "%d\n", (int)getpid());
        close(fd);
    } else if (point == 1) {
        char buf[32] = "";
        int fd = open(fifo, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        close(fd);
        int pidfd = n > 0 ? (int)syscall(SYS_pidfd_open, atoi(buf), 0) : -1;
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        while (pidfd >= 0 && poll(&p, 1, -1) < 0 && errno == EINTR)
            ;
        if (pidfd >= 0)
            close(pidfd);       /* the descriptors numbered as without it */
    }
}

static int picky(long n, long k)
{
    const char *fifo = getenv("FI_PROG_ORDER_FIFO");
    if (fifo != NULL)
        order(fifo);
    int sv[2], bad = 0, failed = 0;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    for (long i = 1; i <= n; i++)
        if (write(sv[0], "x", 1) < 0) {
            fprintf(stderr, "fi_prog: write %ld: %s\n", i, strerror(errno));
            failed++;
            bad |= i == k;
        }
    printf("picky: %d of %ld writes failed\n", failed, n);
    return bad;
}

static int hangpast(long n, const char *fifo, const char *hold)
{
    if (writes(n) != 0)
        return 2;
    long point = sweep_point();
    if (point == n + 1) {
        close(open(fifo, O_RDONLY));        /* until point n + 2 opened it */
        return 0;
    }
    if (point <= n)
        return 0;
    alarm(30);
    int h = open(hold, O_WRONLY);
    int f = open(fifo, O_WRONLY);
    if (h < 0 || f < 0)
        return 2;
    if (fork() == 0)
        alarm(30);
    for (;;)
        pause();
}

static void show(const char *name)
{
    const char *v = getenv(name);
    printf("%s=%s\n", name, v ? v : "(unset)");
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
    if (argc == 3 && strcmp(argv[1], "solo") == 0)
        return solo(strtol(argv[2], NULL, 10));
    if (argc == 2 && strcmp(argv[1], "oneread") == 0)
        return oneread();
    if (argc == 3 && strcmp(argv[1], "writes") == 0)
        return writes(strtol(argv[2], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "touch") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        return fd < 0 ? 2 : 0;
    }
    if (argc == 3 && strcmp(argv[1], "exit") == 0)
        return (int)strtol(argv[2], NULL, 10);
    if (argc == 4 && strcmp(argv[1], "picky") == 0)
        return picky(strtol(argv[2], NULL, 10), strtol(argv[3], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "hangpast") == 0)
        return hangpast(strtol(argv[2], NULL, 10), argv[3], argv[4]);
    if (argc == 2 && strcmp(argv[1], "env") == 0) {
        show("FAULTINJECT_RULES");
        show("FAULTINJECT_SEED");
        show("FAULTINJECT_LOG");
        show("FAULTINJECT_ONLY");
        show("LD_PRELOAD");
        return 0;
    }
    fprintf(stderr, "usage: fi_prog solo N | oneread | writes K | touch FILE | exit N | env |\n"
            "       picky N K | hangpast N FIFO HOLD\n");
    return 2;
}

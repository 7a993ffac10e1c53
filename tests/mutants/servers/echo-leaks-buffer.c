/* MUTANT breaks: S7 */
/* echo loop that never frees its buffer: Valgrind sees it definitely lost (linked with server_thread). */
/* echo.c: the per-connection loop (one piece of code for both servers).
 *
 * The connection is switched to O_NONBLOCK so that a peer which stops
 * reading cannot pin us inside write(): every wait is a poll() bounded by
 * the idle deadline (S8). EAGAIN, real or injected, always means "poll,
 * then retry"; it never counts as activity nor as idleness, and since poll
 * returns at once when the socket is ready, a spurious EAGAIN costs one
 * extra poll, never a busy loop.
 *
 * Writes go through Write (one write(), EINTR retried) in our own loop
 * rather than Writen: on a non-blocking socket Writen fails with EAGAIN
 * without saying how much it wrote (WN3), and we must not lose or repeat
 * a byte (S4).
 */
#include "echo.h"
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

enum { ECHO_BUF = 64 * 1024 };

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void echo_upcase(char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] >= 'a' && buf[i] <= 'z')
            buf[i] = (char)(buf[i] - 'a' + 'A');
}

/* Waits for EV on FD until LAST + IDLE_MS: 1 ready (or in error: the next
 * call reports it), 0 idle for too long, -1 poll failed. */
static int wait_ready(int fd, short ev, long long last, int idle_ms)
{
    for (;;) {
        int timeout = -1;
        if (idle_ms > 0) {
            long long left = last + idle_ms - now_ms();
            if (left <= 0)
                return 0;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p = { .fd = fd, .events = ev };
        int r = poll(&p, 1, timeout);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
        /* timeout or EINTR: the loop re-checks the deadline */
    }
}

/* Sends all N bytes: 0 done, -1 error or idle timeout. LAST is moved each
 * time a byte goes out. */
static int send_all(int fd, const char *buf, size_t n, long long *last, int idle_ms)
{
    while (n > 0) {
        ssize_t w = Write(fd, buf, n);
        if (w > 0) {
            buf += w;
            n -= (size_t)w;
            *last = now_ms();
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_ready(fd, POLLOUT, *last, idle_ms) <= 0)
                return -1;
        } else {
            return -1; /* EPIPE, ECONNRESET, ...: the peer is gone */
        }
    }
    return 0;
}

long long echo_connection(int fd, int idle_ms)
{
    long long total = 0;
    char *buf = malloc(ECHO_BUF);
    int fl = fcntl(fd, F_GETFL);

    if (buf == NULL || fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        goto out;

    long long last = now_ms();
    for (;;) {
        ssize_t n = Read(fd, buf, ECHO_BUF);
        if (n > 0) {
            last = now_ms();
            echo_upcase(buf, (size_t)n);
            if (send_all(fd, buf, (size_t)n, &last, idle_ms) < 0)
                break;
            total += n;
        } else if (n == 0) {
            break; /* S2: the peer half-closed and everything owed is sent */
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_ready(fd, POLLIN, last, idle_ms) <= 0)
                break; /* S8: idle for too long */
        } else {
            break; /* S5: ECONNRESET and the like end the connection quietly */
        }
    }
out:
    /* MUTANT: free(buf) forgotten */
    Close(fd);
    return total;
}

/* netio.c: loopback client helpers with deadlines, and /proc/net/tcp. */
#include "netio.h"
#include "clock.h"
#include "netsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "procstat.h"

static struct sockaddr_in loopback(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int net_free_port(void)
{
    struct sockaddr_in a;
    int fd = net_bound(&a);
    if (fd < 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

int net_connect(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = loopback(port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (errno != EINPROGRESS)
            goto fail;
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int r;
        while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
            ;
        if (r == 0) {
            errno = ETIMEDOUT;
            goto fail;
        }
        int err = 0;
        socklen_t len = sizeof err;
        if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
            goto fail;
        if (err) {
            errno = err;
            goto fail;
        }
    }
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

int net_wait_port(int port, int timeout_ms, pid_t pid)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        int fd = net_connect(port, ms_left(deadline) ? ms_left(deadline) : 1);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        if (pid > 0 && !proc_alive(pid)) {
            errno = ESRCH;
            return -1;
        }
        if (ms_left(deadline) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        poll(NULL, 0, 2); /* retry pace: the server is not listening yet */
    }
}

/* 1 if FILE lists a socket in state ST on local port PORT (any address). */
static int proc_net_has(const char *file, int port, int st)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return 0;
    char line[512], local[64];
    unsigned lport, state;
    int found = 0;
    if (fgets(line, sizeof line, f) == NULL) {
        fclose(f);
        return 0;
    }
    while (!found && fgets(line, sizeof line, f))
        if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", local, &lport, &state) == 3)
            found = (int)lport == port && (int)state == st;
    fclose(f);
    return found;
}

int net_wait_listen(int port, int timeout_ms, pid_t pid)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (proc_net_has("/proc/net/tcp", port, TCP_ST_LISTEN) ||
            proc_net_has("/proc/net/tcp6", port, TCP_ST_LISTEN))
            return 0;
        if (pid > 0 && !proc_alive(pid)) {
            errno = ESRCH;
            return -1;
        }
        if (ms_left(deadline) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        poll(NULL, 0, 2);
    }
}

enum net_end net_read_all(int fd, void *buf, size_t cap, size_t *got, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    char *p = buf;
    *got = 0;
    while (*got < cap) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        int r = poll(&pf, 1, ms_left(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return NET_TIMEOUT;
        if (r < 0)
            return NET_ERROR;
        ssize_t n = recv(fd, p + *got, cap - *got, MSG_DONTWAIT);
        if (n > 0)
            *got += (size_t)n;
        else if (n == 0)
            return NET_EOF;
        else if (errno == ECONNRESET)
            return NET_RESET;
        else if (errno != EAGAIN && errno != EINTR)
            return NET_ERROR;
    }
    return NET_FULL;
}

ssize_t net_write_all(int fd, const void *buf, size_t n, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = send(fd, p + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            done += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (ms_left(deadline) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pf = { .fd = fd, .events = POLLOUT };
        poll(&pf, 1, ms_left(deadline));
    }
    return (ssize_t)n;
}

void net_close_rst(int fd)
{
    struct linger l = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

int net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int tcp_state_in(const char *file, int lport, int rport, unsigned *txq, unsigned *rxq)
{
    FILE *f = fopen(file, "r");
    if (f == NULL)
        return 0;
    char line[512];
    unsigned lp, rp, st, tx, rx;
    int state = 0;
    if (fgets(line, sizeof line, f) == NULL) {
        fclose(f);
        return 0;
    }
    while (state == 0 && fgets(line, sizeof line, f))
        if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%x %x %x:%x", &lp, &rp, &st, &tx,
                   &rx) == 5 && (int)lp == lport && (int)rp == rport) {
            state = (int)st;
            if (txq)
                *txq = tx;
            if (rxq)
                *rxq = rx;
        }
    fclose(f);
    return state;
}

int net_tcp_state(int lport, int rport, unsigned *txq, unsigned *rxq)
{
    int st = tcp_state_in("/proc/net/tcp", lport, rport, txq, rxq);
    return st ? st : tcp_state_in("/proc/net/tcp6", lport, rport, txq, rxq);
}

void net_fill_random(unsigned char *buf, size_t n, unsigned long long *seed)
{
    unsigned long long x = *seed ? *seed : 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 12; /* xorshift64* */
        x ^= x << 25;
        x ^= x >> 27;
        buf[i] = (unsigned char)((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
    *seed = x;
}

/* alt_poll_server.c: a correct echo server built unlike ours (one process,
 * one poll() loop over non-blocking sockets, no wrap library), to check
 * that the suite judges the contract and not our servers' structure.
 *   alt_poll_server PORT [-t IDLE_SECONDS]
 */
#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MAXC = 1100, BUFSZ = 16384 };

struct conn {
    int fd;
    char buf[BUFSZ];
    size_t off, len;   /* echo owed: buf[off..len) */
    int eof;           /* peer half-closed: close once nothing is owed */
    long long last;
};

static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void)sig; stop = 1; }

static void drop(struct conn *c)
{
    close(c->fd);
    c->fd = -1;
}

/* Moves what it can; drops the connection when it ends. */
static void service(struct conn *c, short re)
{
    if (c->len == 0 && !c->eof && (re & (POLLIN | POLLERR | POLLHUP))) {
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++)
                if (c->buf[i] >= 'a' && c->buf[i] <= 'z')
                    c->buf[i] = (char)(c->buf[i] - 32);
            c->off = 0;
            c->len = (size_t)n;
            c->last = now_ms();
        } else if (n == 0) {
            c->eof = 1;
        } else if (errno != EAGAIN && errno != EINTR) {
            drop(c);
            return;
        }
    }
    while (c->off < c->len) {
        ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n > 0) {
            c->off += (size_t)n;
            c->last = now_ms();
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            break;
        } else {
            drop(c);
            return;
        }
    }
    if (c->off == c->len)
        c->off = c->len = 0;
    if (c->eof && c->len == 0)
        drop(c);
}

int main(int argc, char **argv)
{
    static struct conn cs[MAXC];
    static struct pollfd pf[MAXC + 1];
    int idle_ms = 60000;
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "-t") == 0)) {
        fprintf(stderr, "usage: %s PORT [-t IDLE_SECONDS]\n", argv[0]);
        return 2;
    }
    if (argc == 4)
        idle_ms = atoi(argv[3]) * 1000;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, SOMAXCONN) < 0) {
        perror("alt_poll_server");
        return 1;
    }
    for (int i = 0; i < MAXC; i++)
        cs[i].fd = -1;
    while (!stop) {
        int n = 0, nfree = 0;
        long long now = now_ms();
        int timeout = 1000;
        for (int i = 0; i < MAXC; i++) {
            struct conn *c = &cs[i];
            if (c->fd < 0) {
                nfree++;
                continue;
            }
            if (now - c->last >= idle_ms) {
                drop(c);
                nfree++;
                continue;
            }
            if (c->last + idle_ms - now < timeout)
                timeout = (int)(c->last + idle_ms - now);
            pf[n].fd = c->fd;
            pf[n].events = c->len ? POLLOUT : POLLIN;
            pf[n].revents = 0;
            n++;
        }
        pf[n].fd = nfree ? lfd : -1;
        pf[n].events = POLLIN;
        pf[n].revents = 0;
        if (poll(pf, (nfds_t)n + 1, timeout) < 0)
            continue; /* EINTR: maybe stop */
        for (int i = 0, k = 0; i < MAXC && k < n; i++)
            if (cs[i].fd >= 0 && cs[i].fd == pf[k].fd) {
                if (pf[k].revents)
                    service(&cs[i], pf[k].revents);
                k++;
            }
        if (pf[n].revents & POLLIN) {
            int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
            if (cfd < 0) {
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                    poll(NULL, 0, 10);
                continue;
            }
            for (int i = 0; i < MAXC; i++)
                if (cs[i].fd < 0) {
                    cs[i].fd = cfd;
                    cs[i].off = cs[i].len = 0;
                    cs[i].eof = 0;
                    cs[i].last = now_ms();
                    break;
                }
        }
    }
    for (int i = 0; i < MAXC; i++)
        if (cs[i].fd >= 0)
            close(cs[i].fd);
    close(lfd);
    return 0;
}

/* serve.c: accept loop, stop signals and the self-pipe that wakes it.
 *
 * The loop sleeps in poll() on the listening socket (non-blocking) and on
 * the read end of a self-pipe; SIGTERM/SIGINT handlers and finished
 * connections write one byte into it. The listening socket is left out of
 * the poll while the client cap is reached, so new clients wait in the
 * kernel's backlog until a slot frees.
 */
#include "serve.h"
#include "wrap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { BACKOFF_MS = 20 };

static int wake_pipe[2] = { -1, -1 };
static volatile sig_atomic_t stop_requested;

void serve_wake(void)
{
    int saved = errno;
    if (wake_pipe[1] >= 0) {
        ssize_t r = write(wake_pipe[1], "w", 1); /* full pipe: already awake */
        (void)r;
    }
    errno = saved;
}

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
    serve_wake();
}

int serve_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);

    sa.sa_handler = on_stop;
    struct sigaction ign = sa;
    ign.sa_handler = SIG_IGN; /* S5: a write to a reset peer fails with EPIPE instead */
    return sigaction(SIGPIPE, &ign, NULL) < 0 || pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) < 0 ||
                   sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0
               ? -1
               : 0;
}

void serve_child_reset(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    for (int i = 0; i < 2; i++)
        if (wake_pipe[i] >= 0) {
            Close(wake_pipe[i]);
            wake_pipe[i] = -1;
        }
}

static void drain_wake(void)
{
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof buf) > 0 || errno == EINTR)
        ;
}

/* Sleeps MS or until woken (stop, slot freed). */
static void backoff(int ms)
{
    struct pollfd p = { .fd = wake_pipe[0], .events = POLLIN };
    (void)poll(&p, 1, ms);
}

static void log_peer(const struct sockaddr_storage *ss, int cfd)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        port = ntohs(a->sin6_port);
    }
    fprintf(stderr, "client %s:%u on fd %d\n", host, port, cfd);
}

/* One accept; hands the client over. Failures back off and return. */
static void accept_one(int lfd, const struct server_opts *o, const struct serve_ops *ops)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int cfd = Accept(lfd, (struct sockaddr *)&ss, &len);
    if (cfd < 0) {
        /* EAGAIN: the client left before we took it (or a spurious wake-up).
         * Accept already retries EINTR and ECONNABORTED; retrying them here
         * too keeps us right with any wrap. */
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
            return;
        /* EMFILE, ENFILE, ENOBUFS, ENOMEM, ...: the listening socket stays
         * readable, so without a pause this would spin. */
        if (o->verbose)
            fprintf(stderr, "accept: %s (backing off)\n", strerror(errno));
        backoff(BACKOFF_MS);
        return;
    }
    if (o->verbose)
        log_peer(&ss, cfd);
    if (ops->start(ops->ctx, cfd, o) < 0) {
        if (o->verbose)
            fprintf(stderr, "could not serve fd %d: %s (backing off)\n", cfd, strerror(errno));
        backoff(BACKOFF_MS);
    }
}

int serve(int lfd, const struct server_opts *o, const struct serve_ops *ops)
{
    while (!stop_requested) {
        int room = ops->active(ops->ctx) < o->max_clients;
        struct pollfd p[2] = {
            { .fd = wake_pipe[0], .events = POLLIN },
            { .fd = lfd, .events = room ? POLLIN : 0 },
        };
        int r = poll(p, room ? 2 : 1, -1);
        if (r < 0 && errno != EINTR) {
            perror("poll");
            return -1;
        }
        if (r > 0 && p[0].revents)
            drain_wake();
        if (r > 0 && room && !stop_requested && (p[1].revents & (POLLIN | POLLERR)))
            accept_one(lfd, o, ops);
    }
    return 0;
}

/* fr_taccept: the accept re-arm's COMMAND (test_accept_arm.c), built
 * -static twice (glibc and musl-gcc, for the trace backend) and dynamic
 * (for the shim), tests/fi.mk. A server in the way of Go's netpoller: a
 * non-blocking TCP listener on 127.0.0.1 (port from bind 0) in an EPOLLET
 * set; after each edge it accepts (accept or accept4, as asked) until
 * EAGAIN, echoes one byte on each connection it got and closes it, then
 * goes back to epoll_wait; it never accepts without a fresh edge. A
 * forked client connects N times one after another, each time sending a
 * byte and waiting for its echo before the next connect, so that at most
 * one connection is queued: an EAGAIN that lies about the queue strands
 * it. One line at the end: "ok N clients, E edges, A eagain"; or
 * "stranded after K clients" when no edge comes for 2 s while clients
 * are still owed (exit 3). Exit 0 ok, 1 a wrong byte or a failed call,
 * 2 bad use.
 *   fr_taccept N accept|accept4 [block]
 * block: the listener is left blocking and the server just accepts N
 * times, no epoll: an eagain there is one the kernel could not give (its
 * accept sleeps); any EAGAIN it sees is exit 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE                     /* accept4 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define EDGE_WAIT_MS 2000
#define CLIENT_WAIT_S 10                /* the client's bound on each echo */

static int use_accept4;

static void client(const struct sockaddr_in *at, int n)
{
    struct timeval tv = { CLIENT_WAIT_S, 0 };
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        unsigned char b = (unsigned char)i, back = 0;
        if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
            connect(s, (const struct sockaddr *)at, sizeof *at) < 0 || write(s, &b, 1) != 1 ||
            read(s, &back, 1) != 1 || back != b)
            _exit(1);
        close(s);
    }
    _exit(0);
}

/* One accepted connection: its byte back (a bounded blocking read). */
static int serve(int c)
{
    struct timeval tv = { CLIENT_WAIT_S, 0 };
    unsigned char b;
    int ok = setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 && read(c, &b, 1) == 1 &&
             write(c, &b, 1) == 1;
    close(c);
    return ok ? 0 : -1;
}

static int accept_one(int l)
{
    return use_accept4 ? accept4(l, NULL, NULL, SOCK_CLOEXEC) : accept(l, NULL, NULL);
}

int main(int argc, char **argv)
{
    int n = argc == 3 || argc == 4 ? atoi(argv[1]) : 0;
    int block = argc == 4 && strcmp(argv[3], "block") == 0;
    if (n <= 0 || (strcmp(argv[2], "accept") != 0 && strcmp(argv[2], "accept4") != 0) ||
        (argc == 4 && !block)) {
        fprintf(stderr, "usage: fr_taccept N accept|accept4 [block]\n");
        return 2;
    }
    use_accept4 = strcmp(argv[2], "accept4") == 0;
    struct sockaddr_in at = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof at;
    int l = socket(AF_INET, SOCK_STREAM | (block ? 0 : SOCK_NONBLOCK) | SOCK_CLOEXEC, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof at) < 0 || listen(l, 16) < 0 ||
        getsockname(l, (struct sockaddr *)&at, &alen) < 0)
        return 2;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    static int tag;                     /* the registration's data: a pointer, as Go's */
    struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = &tag };
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) < 0)
        return 2;
    pid_t kid = fork();
    if (kid < 0)
        return 2;
    if (kid == 0)
        client(&at, n);
    int served = 0, status = 0;
    long edges = 0, eagains = 0;
    while (block && served < n && status == 0) {
        int c = accept_one(l);
        if (c < 0 && errno == EINTR)
            continue;
        if (c < 0 || serve(c) < 0) {
            printf("%s at client %d: %s\n", c < 0 ? "blocking accept" : "echo", served,
                   strerror(errno));
            status = 1;
        }
        served += status == 0;
    }
    while (served < n && status == 0) {
        struct epoll_event out;
        int r = epoll_wait(ep, &out, 1, EDGE_WAIT_MS);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 2;
        if (r == 0) {
            printf("stranded after %d clients\n", served);
            status = 3;
            break;
        }
        if (out.data.ptr != &tag) {
            printf("event data %p, registered %p\n", out.data.ptr, (void *)&tag);
            status = 1;
            break;
        }
        edges++;
        for (;;) {                      /* until EAGAIN, as Go's accept loop */
            int c = accept_one(l);
            if (c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                eagains++;
                break;
            }
            if (c < 0 && errno == EINTR)
                continue;
            if (c < 0 || serve(c) < 0) {
                printf("%s at client %d: %s\n", c < 0 ? "accept" : "echo", served,
                       strerror(errno));
                status = 1;
                break;
            }
            served++;
        }
    }
    int cs = 0;
    if (status != 0)
        kill(kid, SIGKILL);
    if (waitpid(kid, &cs, 0) < 0 || (status == 0 && !(WIFEXITED(cs) && WEXITSTATUS(cs) == 0))) {
        printf("client failed (status %d)\n", cs);
        status = status != 0 ? status : 1;
    }
    if (status == 0)
        printf("ok %d clients, %ld edges, %ld eagain\n", served, edges, eagains);
    return status;
}

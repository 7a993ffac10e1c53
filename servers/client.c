/* client.c: sends its standard input to an echo server and prints what
 * comes back.  client [-h HOST] PORT
 *
 * One poll() loop moves stdin to the socket and the socket to stdout at
 * the same time, so a large input never deadlocks against an echo that
 * fills the buffers. At the end of input it half-closes (shutdown SHUT_WR)
 * and exits 0 once the server has closed its side (the echo is complete).
 * Status 1 with a message if the server cannot be reached or the
 * connection fails; 2 on bad usage.
 */
#include "wrap.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { BUF = 64 * 1024 };

static int usage(FILE *f, const char *prog, int st)
{
    fprintf(f,
            "usage: %s [-h HOST] PORT\n"
            "  Sends standard input to the echo server at HOST:PORT (default\n"
            "  127.0.0.1), prints what comes back, exits 0 once the echo is complete.\n",
            prog);
    return st;
}

/* A connected socket, or -1 after a message. */
static int dial(const char *prog, const char *host, const char *port)
{
    struct addrinfo hints, *res, *ai;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    int err = getaddrinfo(host, port, &hints, &res);
    if (err != 0) {
        fprintf(stderr, "%s: %s port %s: %s\n", prog, host, port, gai_strerror(err));
        return -1;
    }
    int fd = -1, saved = 0;
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd >= 0 && Connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            saved = errno;
            Close(fd);
            fd = -1;
            errno = saved;
        }
        saved = errno;
    }
    freeaddrinfo(res);
    if (fd < 0)
        fprintf(stderr, "%s: cannot connect to %s port %s: %s\n", prog, host, port,
                strerror(saved));
    return fd;
}

/* The loop: 0 once the server closed after our half-close, else 1. */
static int pump(const char *prog, int sfd)
{
    static char out[BUF], in[BUF];
    size_t pending = 0, off = 0; /* stdin bytes not yet sent: out[off..pending) */
    int in_open = 1, st = 1;

    for (;;) {
        struct pollfd p[2] = {
            { .fd = sfd, .events = POLLIN | (pending > off ? POLLOUT : 0) },
            { .fd = STDIN_FILENO, .events = POLLIN },
        };
        int np = in_open && pending == off ? 2 : 1;
        if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR) {
            perror("poll");
            goto done; /* (after EINTR every revents is still 0) */
        }
        if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            ssize_t n = Read(sfd, in, BUF);
            if (n == 0) {
                if (in_open || pending > off) {
                    fprintf(stderr, "%s: server closed the connection before the end of input\n", prog);
                    goto done;
                }
                st = 0;
                goto done;
            }
            if (n < 0 && errno != EAGAIN) {
                fprintf(stderr, "%s: receive: %s\n", prog, strerror(errno));
                goto done;
            }
            if (n > 0 && Writen(STDOUT_FILENO, in, (size_t)n) != n) {
                fprintf(stderr, "%s: standard output: %s\n", prog, strerror(errno));
                goto done;
            }
        }
        if (pending > off && (p[0].revents & POLLOUT)) {
            ssize_t n = Write(sfd, out + off, pending - off);
            if (n < 0 && errno != EAGAIN) {
                fprintf(stderr, "%s: send: %s\n", prog, strerror(errno));
                goto done;
            }
            if (n > 0)
                off += (size_t)n;
            if (off == pending)
                off = pending = 0;
        }
        if (np == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = Read(STDIN_FILENO, out, BUF);
            if (n < 0) {
                fprintf(stderr, "%s: standard input: %s\n", prog, strerror(errno));
                goto done;
            }
            if (n == 0) {
                in_open = 0;
                shutdown(sfd, SHUT_WR); /* S2: end of input */
            }
            pending = (size_t)n;
            off = 0;
        }
    }
done:
    return st;
}

int main(int argc, char **argv)
{
    const char *prog = argv[0] ? argv[0] : "client";
    const char *host = "127.0.0.1";
    int c;

    if (argc == 2 && strcmp(argv[1], "--help") == 0)
        return usage(stdout, prog, 0);
    opterr = 0;
    while ((c = getopt(argc, argv, "h:")) != -1) {
        if (c == 'h') {
            host = optarg;
        } else {
            fprintf(stderr, "%s: %s\n", prog,
                    optopt == 'h' ? "option -h needs a HOST" : "unknown option");
            return usage(stderr, prog, 2);
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "%s: %s\n", prog, argc - optind < 1 ? "missing PORT" : "too many arguments");
        return usage(stderr, prog, 2);
    }
    char *end;
    long port = strtol(argv[optind], &end, 10);
    if (end == argv[optind] || *end != '\0' || port < 1 || port > 65535) {
        fprintf(stderr, "%s: bad port '%s' (1-65535)\n", prog, argv[optind]);
        return usage(stderr, prog, 2);
    }

    signal(SIGPIPE, SIG_IGN); /* a reset server gives EPIPE and a message */
    int sfd = dial(prog, host, argv[optind]);
    if (sfd < 0)
        return 1;
    if (fcntl(sfd, F_SETFL, O_NONBLOCK) < 0) /* a socket has no other status flag */
        perr_exit("fcntl");
    int st = pump(prog, sfd);
    Close(sfd);
    return st;
}

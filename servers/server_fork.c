/* server_fork.c: the echo server, one process per client.
 *
 * The parent accepts (serve.c) and forks; the child closes the listening
 * socket, runs the echo loop (echo.c) and exits; the parent closes its copy
 * of the client socket at once (S6: otherwise the client never sees the
 * end of stream and the descriptor leaks). Children are reaped by a SIGCHLD
 * handler (SA_RESTART, errno saved) looping on waitpid(-1, WNOHANG): one
 * SIGCHLD may stand for several children that exited together.
 *
 * On SIGTERM/SIGINT the parent stops accepting and exits 0; children that
 * are serving a client finish that client and exit on their own (they get
 * the default SIGTERM/SIGINT back, so a signal to the whole process group,
 * such as Ctrl-C, ends them too).
 */
#include "echo.h"
#include "listener.h"
#include "options.h"
#include "serve.h"
#include "wrap.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Written by the main loop (forked) and the SIGCHLD handler (reaped) only. */
static volatile sig_atomic_t forked, reaped;
static int listen_fd = -1;

static void on_sigchld(int sig)
{
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        reaped = reaped + 1;
    serve_wake();
    errno = saved;
}

static int fork_active(void *ctx)
{
    (void)ctx;
    return forked - reaped;
}

static int fork_start(void *ctx, int cfd, const struct server_opts *o)
{
    (void)ctx;
    forked = forked + 1;
    pid_t pid = fork();
    if (pid < 0) {
        forked = forked - 1;
        Close(cfd); /* a successful close leaves fork's errno */
        return -1;
    }
    if (pid == 0) {
        serve_child_reset();
        Close(listen_fd);
        echo_connection(cfd, o->idle_s * 1000);
        if (o->verbose)
            fprintf(stderr, "fd %d done\n", cfd);
        exit(0); /* exit(), not _exit(): coverage data is written at exit */
    }
    Close(cfd);
    return 0;
}

int main(int argc, char **argv)
{
    struct server_opts o;
    int st = server_parse_args(argc, argv, &o);
    if (st >= 0)
        return st;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    if (serve_init() < 0 || sigaction(SIGCHLD, &sa, NULL) < 0)
        perr_exit("server_fork: signals");

    listen_fd = listener_open(o.addr, o.port);
    if (listen_fd < 0)
        return 2;
    if (o.verbose)
        fprintf(stderr, "server_fork: listening on %s port %u\n", o.addr, o.port);

    struct serve_ops ops = { .ctx = NULL, .active = fork_active, .start = fork_start };
    st = serve(listen_fd, &o, &ops);
    Close(listen_fd);
    return st < 0 ? 1 : 0;
}

/* serve.h: the accept loop both servers share, and its wake-up pipe.
 * A server supplies how a client is handed over (a process, a thread).
 */
#ifndef SERVE_H
#define SERVE_H

#include "options.h"

struct serve_ops {
    void *ctx;
    /* Connections being served now (S3: at most o->max_clients). */
    int (*active)(void *ctx);
    /* Takes over CFD: 0, or -1 when it could not (CFD closed, serve backs off). */
    int (*start)(void *ctx, int cfd, const struct server_opts *o);
};

/* S7: ignores SIGPIPE, makes SIGTERM and SIGINT stop serve(), opens the
 * wake pipe. 0, or -1 with errno. Call once, before serve(). */
int serve_init(void);

/* Async-signal-safe: wakes serve() (a slot may have freed). */
void serve_wake(void);

/* For a forked child: closes the wake pipe, restores default SIGTERM, SIGINT
 * and SIGCHLD (SIGPIPE stays ignored). */
void serve_child_reset(void);

/* S0, S3, S4, S7: accepts on LFD and hands clients to OPS until SIGTERM or
 * SIGINT; over the cap, clients wait in the backlog; EMFILE and other
 * accept failures back off briefly and go on. Returns 0 once stopped,
 * -1 with a message if poll() itself fails. */
int serve(int lfd, const struct server_opts *o, const struct serve_ops *ops);

#endif

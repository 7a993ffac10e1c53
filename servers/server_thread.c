/* server_thread.c: the echo server, one detached thread per client.
 *
 * Each thread gets its client descriptor by value (cast into the pointer
 * argument: a pointer to the loop's variable would be overwritten by the
 * next accept). The only state shared between connections is the count of
 * active clients, under a mutex; a thread that ends decrements it and wakes
 * the accept loop, which may be waiting for a slot (S3 cap).
 *
 * On SIGTERM/SIGINT the accept loop stops, then the process waits up to
 * 1 s for connections in progress to end and exits 0 (with no client
 * connected, at once; with clients, exiting ends their connections).
 */
#include "echo.h"
#include "listener.h"
#include "options.h"
#include "serve.h"
#include "wrap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { STACK_SIZE = 512 * 1024, DRAIN_MS = 1000 };

struct slots {
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when active drops to 0 */
    int active;
    int idle_ms;
    int verbose;
    pthread_attr_t attr; /* detached, STACK_SIZE */
};

static struct slots slots = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .idle = PTHREAD_COND_INITIALIZER,
};

/* Frees a slot: wakes the accept loop (it may wait at the cap) and drain(). */
static void slot_release(struct slots *s)
{
    pthread_mutex_lock(&s->mu);
    if (--s->active == 0)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->mu);
    serve_wake();
}

static void *client_thread(void *arg)
{
    int cfd = (int)(intptr_t)arg;
    echo_connection(cfd, slots.idle_ms);
    if (slots.verbose)
        fprintf(stderr, "fd %d done\n", cfd);
    slot_release(&slots);
    return NULL;
}

static int thread_active(void *ctx)
{
    struct slots *s = ctx;
    pthread_mutex_lock(&s->mu);
    int n = s->active;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static int thread_start(void *ctx, int cfd, const struct server_opts *o)
{
    struct slots *s = ctx;
    pthread_t tid;
    (void)o;

    /* Connection threads start with SIGTERM/SIGINT blocked, so the stop
     * handler always runs in the accept loop's thread, the one that reads
     * its flag (a sig_atomic_t is only safe within one thread). */
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);

    pthread_mutex_lock(&s->mu);
    s->active++;
    pthread_mutex_unlock(&s->mu);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    int err = pthread_create(&tid, &s->attr, client_thread, (void *)(intptr_t)cfd);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        slot_release(s);
        Close(cfd);
        errno = err;
        return -1;
    }
    return 0;
}

/* Waits up to DRAIN_MS for the connections in progress to end. */
static void drain(struct slots *s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DRAIN_MS / 1000;
    pthread_mutex_lock(&s->mu);
    while (s->active > 0)
        if (pthread_cond_timedwait(&s->idle, &s->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&s->mu);
}

int main(int argc, char **argv)
{
    struct server_opts o;
    int st = server_parse_args(argc, argv, &o);
    if (st >= 0)
        return st;
    if (serve_init() < 0)
        perr_exit("server_thread: signals");

    int lfd = listener_open(o.addr, o.port);
    if (lfd < 0)
        return 2;
    if (o.verbose)
        fprintf(stderr, "server_thread: listening on %s port %u\n", o.addr, o.port);

    /* Set before the first thread exists, read-only afterwards. */
    slots.idle_ms = o.idle_s * 1000;
    slots.verbose = o.verbose;
    pthread_attr_init(&slots.attr);
    pthread_attr_setdetachstate(&slots.attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&slots.attr, STACK_SIZE);

    struct serve_ops ops = { .ctx = &slots, .active = thread_active, .start = thread_start };
    st = serve(lfd, &o, &ops);
    Close(lfd);
    drain(&slots);
    pthread_attr_destroy(&slots.attr);
    return st < 0 ? 1 : 0;
}

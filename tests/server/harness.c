/* harness.c: starting, watching and stopping the server under test. */
#include "harness.h"
#include "clock.h"
#include "netio.h"
#include "procstat.h"
#include "spawn.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct suite_cfg cfg;

enum { MAX_ARGS = 16, S6_MS = 2000 };

/* Samples fds and threads until two samples 10 ms apart agree (at most
 * ~200 ms): the baseline of S6, taken before the first client. */
static void baseline(struct server *s)
{
    int fds = proc_count_fds(s->pid), thr = proc_count_threads(s->pid);
    for (int i = 0; i < 20; i++) {
        poll(NULL, 0, 10);
        int f2 = proc_count_fds(s->pid), t2 = proc_count_threads(s->pid);
        if (f2 == fds && t2 == thr)
            break;
        fds = f2;
        thr = t2;
    }
    s->base_fds = fds;
    s->base_threads = thr;
}

/* For runtimes that start a helper thread at the server's first
 * pthread_create (TSan): one echo exchange before the baseline, then wait
 * for the fd count to come back. */
static void warm_up(struct server *s)
{
    int fds = proc_count_fds(s->pid);
    int fd = net_connect(s->port, 5000);
    if (fd >= 0) {
        char b = 'w';
        size_t got;
        net_write_all(fd, &b, 1, 5000);
        shutdown(fd, SHUT_WR);
        net_read_all(fd, &b, 1, &got, 5000);
        close(fd);
    }
    long long deadline = now_ms() + 2000;
    while (proc_count_fds(s->pid) > fds && ms_left(deadline) > 0)
        poll(NULL, 0, 5);
}

int server_start(struct server *s, const char *rules, const char *const *args,
                 const char *const *wrapper, int wait_ms, char *why, size_t whylen)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        char portstr[16];
        char *argv[MAX_ARGS + 3];
        int n = 0;
        s->port = net_free_port();
        snprintf(portstr, sizeof portstr, "%d", s->port);
        argv[n++] = (char *)cfg.server;
        argv[n++] = portstr;
        for (int i = 0; args && args[i] && n < MAX_ARGS; i++)
            argv[n++] = (char *)args[i];
        argv[n] = NULL;

        struct spawn_opts o = { .wrapper = wrapper };
        if (cfg.shim) {
            snprintf(s->log, sizeof s->log, "/tmp/server-suite-%d-XXXXXX", (int)getpid());
            int fd = mkstemp(s->log);
            if (fd >= 0)
                close(fd);
            else
                s->log[0] = '\0';
            o.shim = cfg.shim;
            o.rules = rules;
            o.seed = 1;
            o.log = s->log[0] ? s->log : NULL;
        }
        s->pid = spawn_program(argv, &o);
        if (s->pid < 0) {
            snprintf(why, whylen, "cannot start %s: %s", cfg.server, strerror(errno));
            return -1;
        }
        long long t0 = now_ms();
        if (net_wait_listen(s->port, wait_ms, s->pid) == 0) {
            if (cfg.warmup)
                warm_up(s);
            baseline(s);
            return 0;
        }
        if (server_alive(s)) {
            snprintf(why, whylen, "not listening on 127.0.0.1:%d after %d ms", s->port, wait_ms);
            server_stop(s);
            return -1;
        }
        /* Exited: maybe someone took the port meanwhile; try another. */
        snprintf(why, whylen, "%s before listening (after %lld ms)", server_status_str(s),
                 now_ms() - t0);
        server_stop(s);
    }
    return -1;
}

int server_alive(struct server *s)
{
    if (s->exited)
        return 0;
    if (s->pid <= 0)
        return 0;
    pid_t r = waitpid(s->pid, &s->status, WNOHANG);
    if (r == s->pid) {
        s->exited = 1;
        return 0;
    }
    return 1;
}

const char *server_status_str(struct server *s)
{
    static char buf[64];
    if (!s->exited)
        return "running";
    return proc_status_str(s->status, buf, sizeof buf);
}

void server_stop(struct server *s)
{
    /* SIGTERM first, so that a coverage build writes its data at exit;
     * SIGKILL if it does not stop within 1 s. */
    if (s->pid > 0 && !s->exited)
        proc_stop(s->pid, SIGTERM, 1000, NULL);
    s->exited = 1;
    s->pid = -1;
    if (s->log[0])
        unlink(s->log);
    s->log[0] = '\0';
}

long server_faults(const struct server *s)
{
    if (!s->log[0])
        return 0;
    FILE *f = fopen(s->log, "r");
    if (f == NULL)
        return 0;
    long n = 0;
    int c;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

int server_check_leaks(struct server *s, char *why, size_t whylen)
{
    long long deadline = now_ms() + S6_MS;
    int z, fds, thr;
    for (;;) {
        if (!server_alive(s)) {
            snprintf(why, whylen, "server %s", server_status_str(s));
            return -1;
        }
        z = proc_count_zombies(s->pid);
        fds = proc_count_fds(s->pid);
        thr = proc_count_threads(s->pid);
        if (z == 0 && fds == s->base_fds && thr == s->base_threads)
            return 0;
        if (ms_left(deadline) == 0)
            break;
        poll(NULL, 0, 10);
    }
    if (z != 0)
        snprintf(why, whylen, "%d zombie children 2 s after the last client", z);
    else if (fds != s->base_fds)
        snprintf(why, whylen, "%d open fds 2 s after the last client, %d before the first", fds,
                 s->base_fds);
    else
        snprintf(why, whylen, "%d threads 2 s after the last client, %d before the first", thr,
                 s->base_threads);
    return -1;
}

/* ---- clause table ---- */

static const char *const clauses[] = { "S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8" };
enum { NCLAUSE = sizeof clauses / sizeof clauses[0] };
enum row_state { ROW_NONE, ROW_PASS, ROW_FAIL, ROW_SKIP };
static struct {
    enum row_state st;
    char reason[240];
} rows[NCLAUSE];

static int clause_index(const char *c)
{
    for (int i = 0; i < NCLAUSE; i++)
        if (strncmp(c, clauses[i], 2) == 0)
            return i;
    return -1;
}

void clause_pass(const char *clause)
{
    int i = clause_index(clause);
    if (i >= 0 && (rows[i].st == ROW_NONE || rows[i].st == ROW_SKIP))
        rows[i].st = ROW_PASS;
}

void clause_fail(const char *clause, const char *test, const char *fmt, ...)
{
    int i = clause_index(clause);
    if (i < 0)
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "  %s: %s\n", test, msg);
    if (rows[i].st != ROW_FAIL) {
        rows[i].st = ROW_FAIL;
        snprintf(rows[i].reason, sizeof rows[i].reason, "%s: %s", test, msg);
    }
}

void clause_skip(const char *clause, const char *reason)
{
    int i = clause_index(clause);
    if (i >= 0 && rows[i].st == ROW_NONE) {
        rows[i].st = ROW_SKIP;
        snprintf(rows[i].reason, sizeof rows[i].reason, "%s", reason);
    }
}

int clause_failed(const char *clause)
{
    int i = clause_index(clause);
    return i >= 0 && rows[i].st == ROW_FAIL;
}

const char *clause_reason(const char *clause)
{
    int i = clause_index(clause);
    return i >= 0 ? rows[i].reason : "";
}

int clause_table(const char *server, int filtered)
{
    static const char *const names[] = { "start", "echo", "end", "concurrency",
                                         "faults that keep data", "faults that end a connection",
                                         "no leaks", "stop", "idle" };
    int failed = 0;
    printf("\ncheck-server %s\n", server);
    for (int i = 0; i < NCLAUSE; i++) {
        const char *st = rows[i].st == ROW_PASS ? "PASS" : rows[i].st == ROW_FAIL ? "FAIL"
                       : rows[i].st == ROW_SKIP || filtered ? "SKIP" : "FAIL";
        if (rows[i].st == ROW_NONE)
            snprintf(rows[i].reason, sizeof rows[i].reason, "%s",
                     filtered ? "not run (SERVER_SUITE_ONLY)" : "not checked (an earlier step failed)");
        failed += rows[i].st == ROW_FAIL || (rows[i].st == ROW_NONE && !filtered);
        printf("  %-3s %-4s %-30s %s\n", clauses[i], st, names[i],
               rows[i].st == ROW_PASS ? "" : rows[i].reason);
    }
    fflush(stdout);
    return failed;
}

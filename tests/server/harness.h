/* harness.h: the server under test, seen only from outside: started under
 * the fault shim, watched through /proc, stopped with a signal; and the
 * table of clause results (one row per clause S0-S8). */
#ifndef SERVER_HARNESS_H
#define SERVER_HARNESS_H

#include <stddef.h>
#include <sys/types.h>

struct suite_cfg {
    const char *server;   /* binary under test */
    const char *shim;     /* libfaultinject.so, or NULL (fault tests skipped) */
    int valgrind;         /* run S7_valgrind_clean */
    int fast;             /* skip a clause's tests once it has failed */
    int warmup;           /* one exchange before the S6 baseline (TSan's
                           * runtime adds a thread at the first pthread_create) */
};
extern struct suite_cfg cfg;

struct server {
    pid_t pid;
    int port;
    char log[64];         /* fault log file ("" without the shim) */
    int base_fds, base_threads;
    int status;           /* waitpid status once it exited */
    int exited;
};

/* S0: starts `SERVER PORT [ARGS...]` on a free port under the shim with
 * RULES (NULL: none) and seed 1, WRAPPER (e.g. valgrind) before it; waits
 * up to WAIT_MS for it to listen (without connecting), then takes the S6
 * baseline. 0, or -1 with WHY. */
int server_start(struct server *s, const char *rules, const char *const *args,
                 const char *const *wrapper, int wait_ms, char *why, size_t whylen);

/* Stops (SIGTERM, then SIGKILL after 1 s) and reaps the server, removes its log. */
void server_stop(struct server *s);

/* 1 if the server is still running; else 0, status in s->status. */
int server_alive(struct server *s);

/* "exited 1", "killed by SIGPIPE", ... */
const char *server_status_str(struct server *s);

/* Faults the shim injected so far (lines of the log), 0 without the shim. */
long server_faults(const struct server *s);

/* S6: polls up to 2 s for no zombie descendants and fd/thread counts back
 * to the baseline. 0, or -1 and WHY. */
int server_check_leaks(struct server *s, char *why, size_t whylen);

/* Clause rows. A clause is PASS when checked and never failed. */
void clause_pass(const char *clause);
void clause_fail(const char *clause, const char *test, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void clause_skip(const char *clause, const char *reason);
int clause_failed(const char *clause);
const char *clause_reason(const char *clause);
/* Prints the table; returns the number of failed clauses (with FILTERED,
 * clauses no test checked are not counted). */
int clause_table(const char *server, int filtered);

#endif

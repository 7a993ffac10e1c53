/* serverctl.h: the server under test, seen only from outside: started in a
 * network namespace of its own under the fault shim, its output sent to a
 * log, its port found from /proc, watched through /proc, stopped with a
 * signal. (The clause table is verdict.h.)
 *
 * Namespaces: harness_init() tries unshare(CLONE_NEWNET) (root), then a
 * user namespace with it (CLONE_NEWUSER|CLONE_NEWNET, unprivileged); each
 * server_start() then moves this process into a fresh network namespace
 * with lo up and starts the server there, so a port the server hard-codes
 * never meets another instance or a TIME_WAIT of an earlier one, and the
 * suite's client sockets (made afterwards in this thread) reach it on
 * 127.0.0.1. Without either, servers share the host's loopback (said once).
 */
#ifndef SERVER_SERVERCTL_H
#define SERVER_SERVERCTL_H

#include <stddef.h>
#include <sys/types.h>

struct suite_cfg {
    const char *server;   /* binary under test, as given (for rerun commands) */
    const char *shim;     /* libfaultinject.so, or NULL (fault tests not judged) */
    const char *faultrun; /* faultrun, or NULL */
    int traced;           /* servers run under `faultrun --backend=trace` (traced.h):
                           * a static SERVER, or SERVER_SUITE_FAULTRUN=1 */
    int valgrind;         /* run S7_valgrind_clean */
    int valgrind_off;     /* not wanted (--no-valgrind): the row says so, judged without */
    int fast;             /* skip a clause's tests once it has failed */
    int warmup;           /* one exchange before the S6 baseline (TSan's
                           * runtime adds a thread at the first pthread_create) */
    const char *netns;    /* "net", "user+net" or NULL (shared loopback) */
    char tmpdir[64];      /* every file the suite writes; removed at exit */
};
extern struct suite_cfg cfg;

struct server {
    pid_t pid;            /* the server: /proc and signals go here */
    pid_t sup;            /* the process waited for: the server itself, or the
                           * faultrun tracing it (cfg.traced), which ends as it ends */
    int refused;          /* faultrun refused to run it (a rule the trace backend
                           * cannot do yet): why is in server_start's WHY */
    int port;             /* where it listens (found from /proc) */
    int given_port;       /* the PORT argument it was given */
    char log[96];         /* the shim's fault log ("" without the shim) */
    char out[96];         /* the server's stdout and stderr */
    int shim_loaded;      /* the shim is mapped in the server process (or, under
                           * faultrun, faultrun traces it) */
    int base_fds, base_threads;
    int status;           /* waitpid status once it exited */
    int exited;
};

/* Makes cfg.tmpdir, chooses the namespace mode (cfg.netns). 0, or -1 with WHY. */
int harness_init(char *why, size_t whylen);

/* Faults can be injected: the shim, or faultrun's trace backend. */
int harness_can_inject(void);

/* Stops the current server and removes cfg.tmpdir (atexit and watchdog). */
void harness_cleanup(void);

/* The server being run now (for log tails in failure messages), or NULL. */
struct server *harness_current(void);

/* S0: starts `SERVER PORT [ARGS...]` in a fresh namespace under the shim
 * (cfg.traced: under faultrun --backend=trace, without WRAPPER) with RULES
 * (NULL: none) and seed 1, WRAPPER (e.g. valgrind) before it;
 * waits up to WAIT_MS for it to listen (on PORT or a port of its own),
 * then takes the S6 baseline. 0, or -1 with WHY. */
int server_start(struct server *s, const char *rules, const char *const *args,
                 const char *const *wrapper, int wait_ms, char *why, size_t whylen);

/* Waits up to TIMEOUT_MS until no connection waits in the accept queue of
 * the server's listener (it called accept() for every one). 0, or -1. */
int server_wait_accepted(const struct server *s, int timeout_ms);

/* 1 if the server still has its listening socket on s->port. */
int server_listening(const struct server *s);

/* Stops (SIGTERM, then SIGKILL after 1 s) and reaps the server, removes its logs. */
void server_stop(struct server *s);

/* 1 if the server is still running; else 0, status in s->status. */
int server_alive(struct server *s);

/* Sends SIG to the server and waits up to TIMEOUT_MS for it to end: 0 and
 * its wait status in *STATUS (s->exited, s->status set), or -1 after
 * which it was killed (SIGKILL) and reaped. */
int server_signal_wait(struct server *s, int sig, int timeout_ms, int *status);

/* "exited 1", "killed by SIGPIPE", ... */
const char *server_status_str(struct server *s);
/* The same after "the server": "exited 1", "was killed by SIGPIPE". */
const char *server_was(struct server *s);

/* The last NLINES lines of the server's output, each escaped (\n, \xNN)
 * and cut at 160 characters, indented, into BUF; "" when it printed nothing. */
void server_log_tail(const struct server *s, int nlines, char *buf, size_t len);

/* What the shim's log says of one run. */
enum { FL_RULES = 16, FL_PIDS = 512 };
struct fault_log {
    long total;                 /* lines */
    long by_rule[FL_RULES];     /* per rule (index from 0) */
    long data_by_rule[FL_RULES];/* of those, on data calls (asked= present) */
    int npids;                  /* distinct processes with a fault */
    pid_t pids[FL_PIDS];
    long data_by_pid[FL_PIDS];  /* data-call faults per process */
    long first_by_rule[FL_RULES]; /* lines with n=1: for a per=fd rule,
                                 * its first call on each descriptor */
    char last_call[24];         /* the last fault's call and fault, e.g. */
    char last_fault[40];        /* "accept" "error=EMFILE" */
    pid_t last_pid;
    long main_total;            /* of those, in the server's own process */
    char main_call[24];         /* its last fault there */
    char main_fault[40];
};

/* Reads S's fault log into FL (all zero without the shim). */
void server_fault_log(const struct server *s, struct fault_log *fl);

/* Faults the shim injected so far (lines of the log), 0 without the shim. */
long server_faults(const struct server *s);

/* 1 if some connection socket of the server (or of its children) is in
 * non-blocking mode, 0 if they are all blocking, -1 if none is open. */
int server_conn_nonblocking(const struct server *s);

/* S6: polls up to 2 s for no zombie descendants and fd/thread counts back
 * to the baseline. 0, or -1 and WHY. */
int server_check_leaks(struct server *s, char *why, size_t whylen);

/* Descendants (children, grandchildren) now alive. */
int server_children(const struct server *s);

#endif

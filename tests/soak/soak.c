/* soak: one echo server, many connections for a bounded time, faults
 * injected into the server, then S6 checked from /proc.
 *
 *   soak SERVER SHIM LOADGEN WORKDIR [-s SECONDS] [-w WARMUP_S] [-W ROUNDS] [-c CONCURRENT]
 *        [-S SEED] [-F] [-R] [-T FAULTRUN]
 *
 * 1. The server starts as `SERVER PORT -m CONCURRENT+100` under the shim
 *    (LD_PRELOAD, FAULTINJECT_RULES/SEED/LOG on the server only) with
 *    RLIMIT_NOFILE raised to its hard limit. -T: under `FAULTRUN
 *    --backend=trace -s SEED -l LOG -e RULES` instead (a static SERVER),
 *    with the rules that backend can do so far (no reset, eof, after=:
 *    error=ECONNRESET and error=EPIPE end connections); /proc is read and
 *    signals sent at faultrun's traced child, the server, while faultrun is
 *    what is waited for (it ends as the server ended). After the run no
 *    process of the server is left (no child with clients gone; none at all
 *    once faultrun ended).
 * 2. Before the first client: its descriptors and threads (the baseline).
 * 3. Warm-up: ROUNDS (default 2) runs of loadgen for WARMUP_S seconds;
 *    after each, once the clients are gone, the counts must be back (S6)
 *    and VmRSS is read: the largest is the reference.
 * 4. The run: loadgen for SECONDS seconds with CONCURRENT connections, each
 *    doing rounds of random bytes (fixed seed), some ending with a reset or
 *    a close without reading (S5). Every echoed byte is checked (S1, S2).
 * 5. Within 2 s after the last client: no zombie, descriptors and threads
 *    back to the baseline (S6); VmRSS within 10% of the reference (and
 *    never less than RSS_SLACK_KB over it).
 *    -R (sanitized builds): VmRSS is shown, not checked: ASan keeps freed
 *    blocks in quarantine and the server grows by design; LSan at exit
 *    checks for leaks instead.
 * 6. SIGTERM: exit status 0 within the stop deadline (S7; under ASan, LSan
 *    runs at exit and a leak makes the status nonzero).
 * Faults injected are counted from the shim's log (one line per fault).
 * Exit 0 when all held; 1 with a line per failure otherwise; 2 on bad usage.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "netio.h"
#include "procstat.h"
#include "proc_spawn.h"

/* A low-probability mix of every fault of S4 and S5, for the server only,
 * and EINTR from its readiness waits (poll, select, epoll_wait: the event
 * loops' own call). Rules are tried in order and the first that fires wins. */
#define SOAK_RULES_COMMON \
    "wait:eintr:p=0.01; " \
    "accept,accept4:eintr:p=0.02; " \
    "accept,accept4:error=ECONNABORTED:p=0.02; " \
    "accept,accept4:error=EMFILE:p=0.005; " \
    "rd:short=7:p=0.02; " \
    "wr:short=5:p=0.02; " \
    "rd,wr:eintr:p=0.005; " \
    "rd:eagain:p=0.002; " \
    "wr:eagain:p=0.002; " \
    "close:eintr:p=0.01; "
/* VmRSS may end this much over the warm-up's reference whatever 10% is. */
#define RSS_SLACK_KB 512

static const char soak_rules[] = SOAK_RULES_COMMON
    "rd:reset:p=0.0002; rd:eof:p=0.0002; wr:reset:p=0.0002; wr:error=EPIPE:p=0.0001";
/* -F: a forked child carries on with its own copy of the shim's counters
 * (faultinject.md), so every child of a fork server meets the same schedule
 * of p= decisions from its first call on, and a child lives for a few dozen
 * calls: p= rules that end a connection would fire in no child or in all.
 * after= differs from child to child (each connection moves its own number
 * of bytes, split its own way), so those faults hit the longer connections,
 * on a read or on a write depending on which call comes first once the
 * threshold is passed, and reset or not on the call's p= draw. */
static const char soak_rules_fork[] = SOAK_RULES_COMMON
    "rd:reset:after=250000:p=0.5; rd:eof:after=250000; "
    "wr:reset:after=250000:p=0.5; wr:error=EPIPE:after=250000";


struct cfg {
    const char *server, *shim, *loadgen, *workdir, *name, *faultrun;
    int seconds, warmup, warm_rounds, concurrent, fork_rules, rss_info_only;
    unsigned long seed;
};

struct lg_stats {
    long started, complete, deliberate, early, errors, peak;
    unsigned long long tx, rx;
};

static int failures;

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
    va_list ap;
    failures++;
    fprintf(stderr, "soak: FAIL ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Fails and exits at once if the server PID is gone (crashed, exited);
 * its status from SUP (PID itself, or the faultrun tracing it). */
static void assert_alive(pid_t sup, pid_t pid, const char *name, const char *when)
{
    int status;
    char buf[64];
    if (proc_alive(pid))
        return;
    if (proc_wait(sup, 1000, &status) == 0)
        fail("%s: the server %s %s (S4/S5: it must survive)", name,
             proc_status_str(status, buf, sizeof buf), when);
    else
        fail("%s: the server is gone %s", name, when);
    printf("soak: %s: FAILED\n", name);
    exit(1);
}

static long vm_rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* S6: polls until descriptors and threads are back to the baseline and no
 * child is a zombie, or TIMEOUT_MS pass. 0 when they are. */
static int wait_baseline(pid_t pid, int fds0, int thr0, int timeout_ms, int *fds, int *thr, int *zomb)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        *fds = proc_count_fds(pid);
        *thr = proc_count_threads(pid);
        *zomb = proc_count_zombies(pid);
        if (*fds == fds0 && *thr == thr0 && *zomb == 0)
            return 0;
        if (ms_left(deadline) == 0)
            return -1;
        poll(NULL, 0, 10); /* polling interval, not a synchronisation */
    }
}

/* Runs loadgen against PORT for SECONDS with the configured concurrency;
 * its output goes to OUT, and its STATS line is read back into *ST. */
static int run_loadgen(const struct cfg *c, int port, int seconds, unsigned long seed,
                       const char *out, struct lg_stats *st)
{
    char p[16], s[16], n[16], sd[32];
    snprintf(p, sizeof p, "%d", port);
    snprintf(s, sizeof s, "%d", seconds);
    snprintf(n, sizeof n, "%d", c->concurrent);
    snprintf(sd, sizeof sd, "%lu", seed);
    char *argv[] = {(char *)c->loadgen, "-p", p, "-c", n, "-s", s, "-S", sd, NULL};
    unlink(out);
    struct spawn_opts o = {.out = out};
    pid_t pid = spawn_program(argv, &o);
    if (pid < 0)
        return -1;
    int status = 0;
    /* loadgen bounds itself (stall check, drain deadline); this is a backstop. */
    if (proc_wait(pid, (seconds + 120) * 1000, &status) < 0) {
        proc_kill(pid);
        fprintf(stderr, "soak: loadgen did not finish\n");
        return -1;
    }
    memset(st, 0, sizeof *st);
    FILE *f = fopen(out, "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "STATS ", 6) == 0)
            found = sscanf(line, "STATS started=%ld complete=%ld deliberate=%ld early=%ld tx=%llu rx=%llu errors=%ld peak=%ld",
                           &st->started, &st->complete, &st->deliberate, &st->early,
                           &st->tx, &st->rx, &st->errors, &st->peak) == 8;
        else
            fputs(line, stdout); /* its report and any ERROR lines */
    }
    if (f)
        fclose(f);
    if (!found)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* Faults in the shim's log: all, and those that end a connection; a
 * breakdown by call and fault goes into KINDS (one "N call:fault" each). */
static void count_faults(const char *log, long *all, long *ending, char *kinds, size_t klen)
{
    char line[512], call[64], fault[64];
    struct { char key[136]; long n; } k[48];
    int nk = 0;
    *all = *ending = 0;
    kinds[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        long pid, tid, fd;
        (*all)++;
        if (sscanf(line, "%ld %ld %63s %ld %63s", &pid, &tid, call, &fd, fault) != 5)
            continue;
        if (strcmp(fault, "reset") == 0 || strcmp(fault, "eof") == 0 ||
            strcmp(fault, "error=EPIPE") == 0 || strcmp(fault, "error=ECONNRESET") == 0)
            (*ending)++;
        char key[136];
        snprintf(key, sizeof key, "%s:%s", call, fault);
        int i = 0;
        while (i < nk && strcmp(k[i].key, key) != 0)
            i++;
        if (i == nk && nk < 48) {
            snprintf(k[nk].key, sizeof k[nk].key, "%s", key);
            k[nk++].n = 0;
        }
        if (i < nk)
            k[i].n++;
    }
    fclose(f);
    size_t len = 0;
    for (int i = 0; i < nk && len + 1 < klen; i++)
        len += (size_t)snprintf(kinds + len, klen - len, "%s%ld %s", i ? ", " : "", k[i].n, k[i].key);
}

static int usage(void)
{
    fprintf(stderr, "usage: soak SERVER SHIM LOADGEN WORKDIR [-s SECONDS] [-w WARMUP_S] "
                    "[-W ROUNDS] [-c CONCURRENT] [-S SEED] [-F] [-R] [-T FAULTRUN]\n");
    return 2;
}

/* The child faultrun SUP traces (the server), up to 5 s; -1 if none. */
static pid_t traced_child(pid_t sup)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)sup, (int)sup);
    for (long long dl = now_ms() + 5000; ms_left(dl) > 0 && proc_alive(sup);) {
        FILE *f = fopen(path, "r");
        int c = -1;
        if (f != NULL) {
            if (fscanf(f, "%d", &c) != 1)
                c = -1;
            fclose(f);
        }
        if (c > 0)
            return c;
        poll(NULL, 0, 2); /* polling interval, not a synchronisation */
    }
    return -1;
}

/* Starts the server on PORT (see 1.): its pid, the process to wait for in
 * *SUP; -1 if it does not start. */
static pid_t start_server(const struct cfg *c, const char *port_s, const char *cap,
                          const char *log, const char *out, pid_t *sup)
{
    char *sargv[] = {(char *)c->server, (char *)port_s, "-m", (char *)cap, NULL};
    const char *rules = c->fork_rules ? soak_rules_fork : soak_rules;
    struct spawn_opts so = {.shim = c->shim, .rules = rules, .seed = c->seed, .log = log,
                            .out = out};
    char seed[32];
    snprintf(seed, sizeof seed, "%lu", c->seed);
    /* -T: the same rules through faultrun's trace backend */
    const char *const trace[] = {c->faultrun, "--backend=trace", "-q", "-s", seed, "-l", log,
                                 "-e", rules, "--", NULL};
    if (c->faultrun) {
        so = (struct spawn_opts){.wrapper = trace, .out = out};
        unlink(log);
    }
    *sup = spawn_program(sargv, &so);
    pid_t pid = *sup > 0 && c->faultrun ? traced_child(*sup) : *sup;
    if (pid > 0 && net_wait_listen(atoi(port_s), 5000, pid) == 0)
        return pid;
    if (*sup > 0)
        proc_kill(*sup);
    return -1;
}

static int parse(int argc, char **argv, struct cfg *c)
{
    if (argc < 5)
        return usage();
    *c = (struct cfg){argv[1], argv[2], argv[3], argv[4], NULL, NULL, 60, 3, 2, 1000, 0, 0, 1};
    const char *slash = strrchr(c->server, '/');
    c->name = slash ? slash + 1 : c->server;
    for (int i = 5; i < argc; i += 2) {
        if (strcmp(argv[i], "-T") == 0 && i + 1 < argc) {
            c->faultrun = argv[i + 1];
            continue;
        }
        if (strcmp(argv[i], "-F") == 0 || strcmp(argv[i], "-R") == 0) {
            if (argv[i][1] == 'F')
                c->fork_rules = 1;
            else
                c->rss_info_only = 1;
            i--;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        char *end;
        long v = strtol(argv[i + 1], &end, 10);
        if (*end || end == argv[i + 1] || v < 0 || v > 1000000)
            return usage();
        if (strcmp(argv[i], "-s") == 0 && v > 0)
            c->seconds = (int)v;
        else if (strcmp(argv[i], "-w") == 0 && v > 0)
            c->warmup = (int)v;
        else if (strcmp(argv[i], "-W") == 0 && v > 0)
            c->warm_rounds = (int)v;
        else if (strcmp(argv[i], "-c") == 0 && v > 0)
            c->concurrent = (int)v;
        else if (strcmp(argv[i], "-S") == 0)
            c->seed = (unsigned long)v;
        else
            return usage();
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cfg c;
    int rc = parse(argc, argv, &c);
    if (rc)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows up in CI logs as it happens */
    /* "ulimit -n" for the server (it inherits it) and for loadgen. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)c.concurrent * 2 + 64)
        fprintf(stderr, "soak: warning: RLIMIT_NOFILE %lu is low for %d connections\n",
                (unsigned long)rl.rlim_cur, c.concurrent);

    char log[512], out[512], lgout[512], port_s[16], cap[16];
    if (c.faultrun) {
        static char traced_name[256];
        snprintf(traced_name, sizeof traced_name, "%s-traced", c.name);
        c.name = traced_name; /* its files beside the untraced run's */
    }
    snprintf(log, sizeof log, "%s/%s.faults.log", c.workdir, c.name);
    snprintf(out, sizeof out, "%s/%s.server.out", c.workdir, c.name);
    snprintf(lgout, sizeof lgout, "%s/%s.loadgen.out", c.workdir, c.name);
    unlink(log);
    unlink(out);
    snprintf(cap, sizeof cap, "%d", c.concurrent + 100);

    pid_t pid = -1, sup = -1;
    int port = -1;
    for (int attempt = 0; attempt < 3 && pid < 0; attempt++) { /* the free port may be taken */
        port = net_free_port();
        snprintf(port_s, sizeof port_s, "%d", port);
        pid = start_server(&c, port_s, cap, log, out, &sup);
    }
    if (pid < 0) {
        fprintf(stderr, "soak: %s did not start listening (see %s)\n", c.server, out);
        return 1;
    }
    int fds0 = proc_count_fds(pid), thr0 = proc_count_threads(pid);
    long rss_start = vm_rss_kb(pid);
    printf("soak: %s pid %d port %d, %d connections, %d s (+%d x %d s warm-up), seed %lu\n",
           c.name, (int)pid, port, c.concurrent, c.seconds, c.warm_rounds, c.warmup, c.seed);
    printf("soak: baseline: %d descriptors, %d threads, VmRSS %ld kB\n", fds0, thr0, rss_start);

    struct lg_stats warm, run, w;
    int fds, thr, zomb;
    long long t0 = now_ms();
    long rss_warm = 0;
    memset(&warm, 0, sizeof warm);
    for (int round = 0; round < c.warm_rounds; round++) {
        int lrc = run_loadgen(&c, port, c.warmup, c.seed + 1000 + (unsigned long)round, lgout, &w);
        assert_alive(sup, pid, c.name, "during the warm-up");
        if (lrc != 0)
            fail("%s: warm-up load failed (loadgen status %d)", c.name, lrc);
        warm.early += w.early;
        warm.errors += w.errors;
        if (wait_baseline(pid, fds0, thr0, 2000, &fds, &thr, &zomb) < 0)
            fail("%s: S6 after warm-up: %d descriptors (baseline %d), %d threads (%d), %d zombies",
                 c.name, fds, fds0, thr, thr0, zomb);
        /* glibc keeps exited threads' stacks (up to 40 MB) and per-thread
         * arenas, so one sample varies by a few hundred kB: the reference
         * is the largest after the warm-up rounds. */
        long r = vm_rss_kb(pid);
        if (r > rss_warm)
            rss_warm = r;
    }

    int lrc = run_loadgen(&c, port, c.seconds, c.seed, lgout, &run);
    assert_alive(sup, pid, c.name, "during the run");
    if (lrc != 0)
        fail("%s: load failed: loadgen status %d, %ld errors", c.name, lrc, run.errors);
    long long t_end = now_ms();
    if (wait_baseline(pid, fds0, thr0, 2000, &fds, &thr, &zomb) < 0) {
        fail("%s: S6: 2 s after the last client: %d descriptors (baseline %d), "
             "%d threads (baseline %d), %d zombies", c.name, fds, fds0, thr, thr0, zomb);
    }
    /* Memory: freed blocks may go back to the system a moment later. The
     * limit is 10% over the reference, and never under RSS_SLACK_KB over
     * it: a static server's few hundred kB grow by the stack pages of a
     * few more threads alive at once in the run than in the warm-up. */
    long rss_limit = rss_warm * 11 / 10;
    if (rss_limit < rss_warm + RSS_SLACK_KB)
        rss_limit = rss_warm + RSS_SLACK_KB;
    long rss_end = vm_rss_kb(pid);
    for (long long dl = now_ms() + 2000; rss_end > rss_limit && ms_left(dl) > 0;
         rss_end = vm_rss_kb(pid))
        poll(NULL, 0, 20);
    if (rss_end > rss_limit && c.rss_info_only)
        printf("soak: %s: VmRSS %ld kB after the run, %ld kB after warm-up (not checked: -R)\n",
               c.name, rss_end, rss_warm);
    else if (rss_end > rss_limit)
        fail("%s: VmRSS %ld kB after the run, more than %ld kB (10%%, at least %d kB, over "
             "%ld kB after warm-up)", c.name, rss_end, rss_limit, RSS_SLACK_KB, rss_warm);

    /* -T: a child of the server left with its clients gone is a leak. */
    int kids = c.faultrun ? proc_count_descendants(pid) : 0;
    for (long long dl = now_ms() + 2000; kids > 0 && ms_left(dl) > 0;
         kids = proc_count_descendants(pid))
        poll(NULL, 0, 10);
    if (kids > 0)
        fail("%s: %d processes of the server still alive 2 s after the last client", c.name, kids);

    int status = 0;
    char sbuf[64];
    /* (-T: faultrun passes SIGTERM on to the server) */
    if (proc_stop(sup, SIGTERM, 10000, &status) < 0)
        fail("%s: S7: still running 10 s after SIGTERM (killed)", c.name);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail("%s: S7: after SIGTERM the server %s (its output: %s)", c.name,
             proc_status_str(status, sbuf, sizeof sbuf), out);
    }
    /* faultrun waits for every process it traces: none outlives it */
    if (c.faultrun && proc_alive(pid))
        fail("%s: the server (pid %d) outlived faultrun", c.name, (int)pid);
    long faults, ending;
    char kinds[2048];
    count_faults(log, &faults, &ending, kinds, sizeof kinds);
    if (faults == 0)
        fail("%s: no fault was injected (is %s the shim?)", c.name, c.shim);
    if (run.early + warm.early > ending)
        fail("%s: %ld connections ended early but only %ld faults end one", c.name,
             run.early + warm.early, ending);

    printf("soak: %s: %ld connections, %ld at once (%ld complete, %ld ended by the client, "
           "%ld ended by a fault), %llu bytes sent, %llu echoed and checked, %.1f s\n",
           c.name, run.started, run.peak, run.complete, run.deliberate, run.early, run.tx, run.rx,
           (double)(t_end - t0) / 1000.0);
    printf("soak: %s: faults by kind: %s\n", c.name, kinds);
    printf("soak: %s: faults injected %ld (%ld that end a connection), errors %ld\n",
           c.name, faults, ending, run.errors + warm.errors);
    printf("soak: %s: VmRSS %ld kB at start, %ld kB after warm-up, %ld kB at the end; "
           "descriptors %d/%d, threads %d/%d, zombies %d\n",
           c.name, rss_start, rss_warm, rss_end, fds, fds0, thr, thr0, zomb);
    printf("soak: %s: %s\n", c.name, failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}

/* shrink.c: faultrun --shrink (see shrink.h).
 *
 * ddmin (Zeller and Hildebrandt 2002) over LOG's fault lines. The current
 * set is split into chunks; a round tries each chunk alone, then each
 * chunk's complement, and takes the first that fails in that order (so
 * -j N, which runs the next N untried candidates at once, ends where -j 1
 * does); a failing chunk becomes the set (in halves again), a failing
 * complement drops its chunk and keeps the other chunks; a round where
 * nothing fails halves every chunk, down to single faults. Every subset
 * tried is remembered with its verdict and never run again: after a
 * complement drops a chunk, the chunks alone were tried already. Then each
 * remaining short=N goes toward 1 and delay=MS toward 0 (smallest first,
 * then bisection), kept only where the run still fails.
 *
 * A run is a fork of COMMAND in its own process group, with a slot's own
 * run block (the fork-order process table must not be shared between
 * runs going at once) and a memfd holding the subset as a log
 * (FAULTINJECT_REPLAY). faultrun waits in sigtimedwait for SIGCHLD with
 * the nearest deadline as timeout; at a deadline it SIGKILLs the group.
 * When a leader ends, the rest of its group is killed too, and the slot is
 * free only once the group is empty: faultrun is a child subreaper, so
 * every orphan of a run comes back to it to be reaped. */
#include "shrink.h"

#include "shellword.h"

#include "launch.h"
#include "logparse.h"
#include "runblock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a group may take to empty once killed; a process that
 * SIGKILL does not end (EPERM: it changed its ids) is left, said once. */
#define DRAIN_S 5

enum verdict { V_NEW, V_PENDING, V_PASS, V_FAIL };

/* A subset tried: the line indexes it replays, in order, and its verdict. */
struct memo {
    uint64_t hash;
    size_t n;
    size_t *ix;
    enum verdict v;
};

/* One job: its run block and replay memfd, the candidate it runs. */
struct slot {
    struct fi_run *run;
    int runfd, logfd;
    struct memo *m;             /* NULL: free */
    unsigned done;              /* replays of m finished */
    pid_t pid;                  /* the group's leader (and the group) */
    int reaped, timedout, status;
    struct timespec deadline;   /* the timeout; once reaped, the drain's end */
};

/* The current set, split into chunks: chunk i is cur[b[i] .. b[i+1]). */
struct part {
    size_t *cur, n;
    size_t *b, nb;
};

struct shrink {
    const struct fr_opts *o;
    char **line;                /* LOG's fault lines; value variants appended */
    size_t nlines, caplines, nlog;
    struct memo **memo;
    size_t nmemo, capmemo;
    struct slot *slot;
    unsigned nslots;
    unsigned long runs, failing;
    unsigned round;
    size_t faults, chunks, left; /* where ddmin is, for the live line */
    int tty;
    struct timespec start;
    sigset_t wake, old;
    size_t *scratch;            /* a candidate being built */
    char *text;                 /* a subset as log text */
    size_t textcap;
    int last_status, last_timedout;
    uint64_t last_procs;
};

static void die(const char *fmt, const char *arg)
{
    fputs("faultrun: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        die("shrink: %s", strerror(ENOMEM));
    return p;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

int fr_shrink_timeout_parse(const char *text, unsigned long *ms, char *err, size_t errlen)
{
    unsigned long whole = 0, frac = 0;
    int digits = 0, decimals = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
        whole = whole * 10 + (unsigned long)(*p - '0');
    if (*p == '.' && digits > 0)
        for (p++; *p >= '0' && *p <= '9' && decimals < 3; p++, decimals++)
            frac = frac * 10 + (unsigned long)(*p - '0');
    for (int d = decimals; d < 3; d++)
        frac *= 10;
    unsigned long v = whole * 1000 + frac;
    if (digits == 0 || *p != '\0' || (text[digits] == '.' && decimals == 0) || v == 0 ||
        v > 86400000UL) {
        snprintf(err, errlen, "--shrink-timeout '%s': want SECONDS, 0.001..86400 "
                 "(at most three decimals)", text);
        return -1;
    }
    *ms = v;
    return 0;
}

void fr_shrink_check(const struct fr_opts *o)
{
    if (o->shrink == NULL) {
        if (o->shrink_opts)
            die("%s", "--shrink-timeout, --shrink-runs and --shrink-out need --shrink LOG");
        if (o->jobs_given && !o->sweep)
            die("%s", "-j/--jobs runs a sweep's or a shrink's runs at once: "
                "give --sweep or --shrink");
        return;
    }
    if (o->rs.n > 0)
        die("%s", "--shrink replays LOG's faults: drop the -e rules");
    if (o->replay != NULL)
        die("%s", "--shrink and --replay do not go together (--shrink replays LOG itself)");
    if (o->sweep)
        die("%s", "--shrink and --sweep do not go together");
    if (o->log != NULL)
        die("%s", "--shrink writes no -l log: its result is --shrink-out");
}

/* ---- LOG ---- */

static void add_line(struct shrink *s, const char *text, size_t len)
{
    if (s->nlines == s->caplines) {
        s->caplines = s->caplines ? s->caplines * 2 : 256;
        s->line = xrealloc(s->line, s->caplines * sizeof *s->line);
    }
    char *l = xrealloc(NULL, len + 1);
    memcpy(l, text, len);
    l[len] = '\0';
    s->line[s->nlines++] = l;
}

/* The log parser's callback: each fault line kept as written. */
static int keep_line(const struct fi_logline *l, void *arg)
{
    add_line(arg, l->text, l->textlen);
    return 0;
}

/* LOG's fault lines, each checked by the log parser; exits 2 on bad input. */
static void read_log(struct shrink *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "faultrun: --shrink '%s': %s\n", path, strerror(errno));
        exit(2);
    }
    size_t cap = 65536, len = 0, n;
    char *text = xrealloc(NULL, cap);
    while ((n = fread(text + len, 1, cap - len, f)) > 0)
        if ((len += n) == cap)
            text = xrealloc(text, cap *= 2);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        fprintf(stderr, "faultrun: --shrink '%s': cannot read it\n", path);
        exit(2);
    }
    char why[256];
    if (fi_log_parse(text, len, keep_line, s, why, sizeof why) < 0) {
        fprintf(stderr, "faultrun: --shrink '%s': %s (not a faultrun -l log?)\n", path, why);
        exit(2);
    }
    free(text);
    s->nlog = s->nlines;
}

/* ---- subsets tried ---- */

static uint64_t hash_of(const size_t *ix, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint64_t)ix[i]) * 1099511628211ULL;
    return h ^ n;
}

/* The record of subset IX[0..N), made (V_NEW) if it was never tried. */
static struct memo *memo_get(struct shrink *s, const size_t *ix, size_t n)
{
    uint64_t h = hash_of(ix, n);
    for (size_t i = 0; i < s->nmemo; i++) {
        struct memo *m = s->memo[i];
        if (m->hash == h && m->n == n && (n == 0 || memcmp(m->ix, ix, n * sizeof *ix) == 0))
            return m;
    }
    if (s->nmemo == s->capmemo) {
        s->capmemo = s->capmemo ? s->capmemo * 2 : 256;
        s->memo = xrealloc(s->memo, s->capmemo * sizeof *s->memo);
    }
    struct memo *m = xrealloc(NULL, sizeof *m);
    *m = (struct memo){ .hash = h, .n = n, .ix = xrealloc(NULL, n * sizeof *ix), .v = V_NEW };
    if (n > 0)
        memcpy(m->ix, ix, n * sizeof *ix);
    s->memo[s->nmemo++] = m;
    return m;
}

/* ---- runs ---- */

/* The live line, on a terminal only. */
static void progress(struct shrink *s)
{
    if (!s->tty)
        return;
    fprintf(stderr, "\r\033[Kfaultrun: shrink: round %u: %zu faults in %zu chunks, %zu "
            "candidates left, %lu runs (%lu failing), %.1f s", s->round, s->faults, s->chunks,
            s->left, s->runs, s->failing, seconds_since(&s->start));
    fflush(stderr);
}

/* The subset of M as log text in SL's memfd. */
static void write_subset(struct shrink *s, const struct memo *m, int fd)
{
    size_t len = 0;
    for (size_t i = 0; i < m->n; i++) {
        size_t k = strlen(s->line[m->ix[i]]);
        if (len + k + 1 > s->textcap) {
            s->textcap = (len + k + 1) * 2;
            s->text = xrealloc(s->text, s->textcap);
        }
        memcpy(s->text + len, s->line[m->ix[i]], k);
        s->text[len + k] = '\n';
        len += k + 1;
    }
    if (ftruncate(fd, 0) < 0 || (len > 0 && pwrite(fd, s->text, len, 0) != (ssize_t)len))
        die("shrink: cannot write a candidate's log: %s", strerror(errno));
}

static void child(struct shrink *s, struct slot *sl) __attribute__((noreturn));
static void child(struct shrink *s, struct slot *sl)
{
    char num[64];
    setpgid(0, 0);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2)
            close(null);
    }
    for (unsigned i = 0; i < s->nslots; i++)
        if (&s->slot[i] != sl) {
            close(s->slot[i].runfd);
            close(s->slot[i].logfd);
        }
    snprintf(num, sizeof num, "/proc/self/fd/%d", sl->logfd);
    setenv("FAULTINJECT_REPLAY", num, 1);
    snprintf(num, sizeof num, "%d", sl->runfd);
    setenv(FI_RUN_ENV, num, 1);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &s->old, NULL);
    fr_exec(s->o->run_argv ? s->o->run_argv : s->o->argv);
}

static void start_run(struct shrink *s, struct slot *sl)
{
    write_subset(s, sl->m, sl->logfd);
    fi_run_reset(sl->run);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("shrink: fork: %s", strerror(errno));
    if (pid == 0)
        child(s, sl);
    setpgid(pid, pid);          /* both sides, whichever runs first */
    sl->pid = pid;
    sl->reaped = sl->timedout = 0;
    clock_gettime(CLOCK_MONOTONIC, &sl->deadline);
    unsigned long ms = s->o->shrink_timeout_ms;
    sl->deadline.tv_sec += (time_t)(ms / 1000);
    sl->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (sl->deadline.tv_nsec >= 1000000000L) {
        sl->deadline.tv_sec++;
        sl->deadline.tv_nsec -= 1000000000L;
    }
}

/* SL's run is over (its group empty): the next replay of its candidate,
 * or the candidate's verdict. A candidate fails only if every one of its
 * shrink_runs replays fails; a run past the timeout fails. */
static void finish_run(struct shrink *s, struct slot *sl)
{
    int fail = sl->timedout || !WIFEXITED(sl->status) || WEXITSTATUS(sl->status) != 0;
    s->runs++;
    s->failing += (unsigned long)fail;
    s->last_status = sl->status;
    s->last_timedout = sl->timedout;
    s->last_procs = atomic_load(&sl->run->c.procs);
    sl->pid = 0;
    sl->done++;
    if (fail && sl->done < s->o->shrink_runs) {
        start_run(s, sl);
        return;
    }
    sl->m->v = fail ? V_FAIL : V_PASS;
    sl->m = NULL;
}

/* Reaps every child that has ended: a leader's group is killed before the
 * leader is reaped (its pid still names the group); orphans of a run
 * (faultrun is their subreaper) are reaped and forgotten. */
static void reap(struct shrink *s)
{
    for (;;) {
        siginfo_t si = { .si_pid = 0 };
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
            return;
        struct slot *sl = NULL;
        for (unsigned i = 0; i < s->nslots; i++)
            if (s->slot[i].m != NULL && s->slot[i].pid == si.si_pid && !s->slot[i].reaped)
                sl = &s->slot[i];
        int status;
        if (sl != NULL)
            kill(-sl->pid, SIGKILL);
        while (waitpid(si.si_pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (sl != NULL) {
            sl->status = status;
            sl->reaped = 1;
            clock_gettime(CLOCK_MONOTONIC, &sl->deadline);
            sl->deadline.tv_sec += DRAIN_S;
        }
    }
}

/* Whether a process of group PGID is still there (zombies included). */
static int group_alive(pid_t pgid)
{
    return kill(-pgid, 0) == 0 || errno == EPERM;
}

static long ms_until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(t->tv_sec - now.tv_sec) * 1000 +
                   (t->tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : ms > 1000000 ? 1000000 : (long)ms;
}

/* SIGINT, SIGTERM or SIGHUP while runs go: kill every group, reap, and
 * end as that signal. */
static void interrupted(struct shrink *s, int sig) __attribute__((noreturn));
static void interrupted(struct shrink *s, int sig)
{
    for (unsigned i = 0; i < s->nslots; i++)
        if (s->slot[i].m != NULL && s->slot[i].pid > 0)
            kill(-s->slot[i].pid, SIGKILL);
    for (unsigned i = 0; i < s->nslots; i++)
        while (s->slot[i].m != NULL && s->slot[i].pid > 0 && group_alive(s->slot[i].pid))
            if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
                break;
    if (s->tty)
        fputc('\n', stderr);
    fprintf(stderr, "faultrun: shrink: interrupted by SIG%s after %lu runs\n",
            sigabbrev_np(sig), s->runs);
    fr_exit_like(sig);          /* SIG is the wait status of a death by SIG */
}

/* Runs until every slot is free: deadlines, reaping, emptied groups. */
static void wait_slots(struct shrink *s)
{
    for (;;) {
        long wait = -1;
        for (unsigned i = 0; i < s->nslots; i++) {
            struct slot *sl = &s->slot[i];
            if (sl->m != NULL && sl->reaped && group_alive(sl->pid) &&
                ms_until(&sl->deadline) == 0) {
                fprintf(stderr, "%sfaultrun: shrink: process group %d still there %d s "
                        "after SIGKILL; left running\n", s->tty ? "\n" : "", (int)sl->pid,
                        DRAIN_S);
                sl->reaped = 2;         /* not waited for again */
            }
            if (sl->m != NULL && sl->reaped && (sl->reaped == 2 || !group_alive(sl->pid)))
                finish_run(s, sl);
            if (sl->m == NULL)
                continue;
            long w = 20;            /* each path below sets it (ASan builds cannot tell) */
            if (sl->reaped) {
                w = 20;             /* an orphan on its way back to us */
            } else if (!sl->timedout && (w = ms_until(&sl->deadline)) == 0) {
                kill(-sl->pid, SIGKILL);
                sl->timedout = 1;
            }
            if (sl->timedout && !sl->reaped)
                w = 20;
            if (wait < 0 || w < wait)
                wait = w;
        }
        if (wait < 0)
            return;
        progress(s);
        struct timespec ts = { wait / 1000, (wait % 1000) * 1000000L };
        int sig = sigtimedwait(&s->wake, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
            interrupted(s, sig);
        reap(s);
    }
}

/* ---- candidates ---- */

/* Candidate K of P's round into OUT: chunk K alone (K < nb), else the set
 * without chunk K - nb. Its size. */
static size_t candidate(const struct part *p, size_t k, size_t *out)
{
    if (k < p->nb) {
        size_t n = p->b[k + 1] - p->b[k];
        memcpy(out, p->cur + p->b[k], n * sizeof *out);
        return n;
    }
    k -= p->nb;
    size_t head = p->b[k], tail = p->n - p->b[k + 1];
    memcpy(out, p->cur, head * sizeof *out);
    memcpy(out + head, p->cur + p->b[k + 1], tail * sizeof *out);
    return head + tail;
}

/* Runs the memos BATCH[0..N) (N at most the jobs), one slot each. */
static void run_batch(struct shrink *s, struct memo **batch, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        s->slot[i].m = batch[i];
        s->slot[i].done = 0;
        start_run(s, &s->slot[i]);
    }
    wait_slots(s);
}

/* The first of P's 2*nb candidates, in order, that fails; -1 if none.
 * Untried candidates run up to a batch of `jobs` at once, in order, and a
 * batch stops at a candidate already known to fail. */
static long first_failing(struct shrink *s, const struct part *p)
{
    size_t k = 2 * p->nb, i = 0;
    struct memo *batch[FR_JOBS_MAX];
    struct memo **mk = xrealloc(NULL, k * sizeof *mk);
    long found = -1;
    while (i < k && found < 0) {
        unsigned nb = 0;
        s->left = k - i;
        size_t end = i;
        while (end < k && nb < s->nslots) {
            size_t n = candidate(p, end, s->scratch);
            struct memo *m = mk[end++] = memo_get(s, s->scratch, n);
            if (m->v == V_FAIL)
                break;
            if (m->v == V_NEW) {
                m->v = V_PENDING;
                batch[nb++] = m;
            }
        }
        run_batch(s, batch, nb);
        for (size_t j = i; j < end && found < 0; j++)
            if (mk[j]->v == V_FAIL)
                found = (long)j;
        i = end;
    }
    free(mk);
    s->left = 0;
    return found;
}

/* Whether subset IX[0..N) fails (tried once only: remembered). */
static int fails(struct shrink *s, const size_t *ix, size_t n)
{
    struct memo *m = memo_get(s, ix, n);
    if (m->v == V_NEW) {
        m->v = V_PENDING;
        run_batch(s, &m, 1);
    }
    return m->v == V_FAIL;
}

/* Halves every chunk of two or more faults. */
static void refine(struct part *p)
{
    size_t nb = 0;
    size_t *b = xrealloc(NULL, (2 * p->nb + 1) * sizeof *b);
    for (size_t i = 0; i < p->nb; i++) {
        size_t lo = p->b[i], hi = p->b[i + 1];
        b[nb++] = lo;
        if (hi - lo >= 2)
            b[nb++] = lo + (hi - lo + 1) / 2;
    }
    b[nb] = p->n;
    free(p->b);
    p->b = b;
    p->nb = nb;
}

static void keep_chunk(struct part *p, size_t k)
{
    size_t lo = p->b[k], n = p->b[k + 1] - lo;
    memmove(p->cur, p->cur + lo, n * sizeof *p->cur);
    p->n = n;
    p->nb = 1;
    p->b[0] = 0;
    p->b[1] = n;
    if (n >= 2)
        refine(p);
}

static void drop_chunk(struct part *p, size_t k)
{
    size_t lo = p->b[k], hi = p->b[k + 1];
    memmove(p->cur + lo, p->cur + hi, (p->n - hi) * sizeof *p->cur);
    p->n -= hi - lo;
    for (size_t i = k + 1; i <= p->nb; i++)
        p->b[i - 1] = p->b[i] - (hi - lo);
    p->nb--;
    if (p->nb < 2 && p->n >= 2)
        refine(p);
}

static void round_done(struct shrink *s, size_t before, const struct part *p, const char *how)
{
    s->faults = p->n;
    s->chunks = p->nb;
    if (s->tty) {
        progress(s);
        return;
    }
    fprintf(stderr, "faultrun: shrink: round %u: %zu faults -> %zu (%s), %lu runs, %.1f s\n",
            s->round, before, p->n, how, s->runs, seconds_since(&s->start));
}

static void ddmin(struct shrink *s, struct part *p)
{
    if (p->n >= 2)
        refine(p);
    while (p->n >= 2) {
        size_t before = p->n, nb = p->nb;
        s->round++;
        s->faults = p->n;
        s->chunks = p->nb;
        progress(s);
        long k = first_failing(s, p);
        char how[64];
        if (k >= 0 && (size_t)k < nb) {
            snprintf(how, sizeof how, "chunk %ld of %zu alone fails", k + 1, nb);
            keep_chunk(p, (size_t)k);
        } else if (k >= 0) {
            snprintf(how, sizeof how, "fails without chunk %ld of %zu", k - (long)nb + 1, nb);
            drop_chunk(p, (size_t)k - nb);
        } else if (nb < p->n) {
            snprintf(how, sizeof how, "no chunk of %zu can go: halving them", nb);
            refine(p);
        } else {
            round_done(s, before, p, "no single fault can go: minimal");
            break;
        }
        round_done(s, before, p, how);
    }
    if (p->n == 1 && fails(s, NULL, 0)) {
        p->n = 0;                   /* the faults did not matter */
        p->nb = 0;
    }
}

/* ---- values ---- */

/* Line L with its fault's value made V, as a new line; its index. */
static size_t variant(struct shrink *s, size_t l, const char *name, long v)
{
    const char *t = s->line[l];
    size_t at = 0;
    for (int field = 0; field < 4; field++) {   /* pid tid call fd */
        while (t[at] == ' ' || t[at] == '\t')
            at++;
        while (t[at] && t[at] != ' ' && t[at] != '\t')
            at++;
    }
    while (t[at] == ' ' || t[at] == '\t')
        at++;
    size_t end = at;
    while (t[end] && t[end] != ' ' && t[end] != '\t')
        end++;
    char *out = xrealloc(NULL, strlen(t) + 32);
    int n = snprintf(out, strlen(t) + 32, "%.*s%s=%ld%s", (int)at, t, name, v, t + end);
    struct fi_logline check;
    char why[256];
    if (fi_logline_parse(out, (size_t)n, &check, why, sizeof why) != 1)
        die("shrink: a smaller value does not parse: %s", why);
    add_line(s, out, (size_t)n);
    free(out);
    return s->nlines - 1;
}

/* Whether P with its fault I replaced by line L still fails. */
static int fails_with(struct shrink *s, const struct part *p, size_t i, size_t l)
{
    memcpy(s->scratch, p->cur, p->n * sizeof *s->scratch);
    s->scratch[i] = l;
    return fails(s, s->scratch, p->n);
}

/* Each short=N toward 1, each delay=MS toward 0: the smallest first, then
 * bisection between the largest passing and the smallest failing value. */
static void shrink_values(struct shrink *s, struct part *p)
{
    for (size_t i = 0; i < p->n; i++) {
        struct fi_logline l;
        char why[256];
        const char *t = s->line[p->cur[i]];
        fi_logline_parse(t, strlen(t), &l, why, sizeof why);
        const char *name = l.fault.fault == FI_F_SHORT ? "short"
                           : l.fault.fault == FI_F_DELAY ? "delay" : NULL;
        long lo = l.fault.fault == FI_F_SHORT ? 1 : 0, hi = l.fault.arg;
        if (name == NULL || hi <= lo)
            continue;
        size_t orig = p->cur[i], best = orig;
        long was = hi;
        size_t v = variant(s, orig, name, lo);
        if (fails_with(s, p, i, v)) {
            best = v;
            hi = lo;
        } else {
            while (hi - lo > 1) {
                long mid = lo + (hi - lo) / 2;
                v = variant(s, orig, name, mid);
                if (fails_with(s, p, i, v)) {
                    hi = mid;
                    best = v;
                } else {
                    lo = mid;
                }
            }
        }
        p->cur[i] = best;
        if (s->tty)
            progress(s);
        else
            fprintf(stderr, "faultrun: shrink: values: fault %zu of %zu: %s=%ld -> %s=%ld, "
                    "%lu runs, %.1f s\n", i + 1, p->n, name, was, name, hi, s->runs,
                    seconds_since(&s->start));
    }
}

/* ---- result ---- */

static void write_result(struct shrink *s, const struct part *p, const char *out)
{
    FILE *f = fopen(out, "w");
    if (f == NULL)
        die("--shrink-out: %s", strerror(errno));
    fprintf(f, "# faultrun --shrink of %s: %zu of its %zu faults still fail, %lu runs\n",
            s->o->shrink, p->n, s->nlog, s->runs);
    for (size_t i = 0; i < p->n; i++)
        fprintf(f, "%s\n", s->line[p->cur[i]]);
    if (fclose(f) != 0)
        die("--shrink-out: %s", strerror(errno));
}

static void print_replay(const struct shrink *s, const char *out)
{
    fputs("faultrun: shrink: reproduce: ", stderr);
    fr_shell_word(stderr, s->o->self, 0);
    if (s->o->backend != NULL && strcmp(s->o->backend, "auto") != 0)
        fprintf(stderr, " --backend=%s", s->o->backend);
    if (s->o->only != NULL) {
        fputs(" --only ", stderr);
        fr_shell_word(stderr, s->o->only, 0);
    }
    fputs(" --replay ", stderr);
    fr_shell_word(stderr, out, 0);
    fputs(" --", stderr);
    for (char **a = s->o->argv; *a; a++) {
        fputc(' ', stderr);
        fr_shell_word(stderr, *a, 0);
    }
    fputc('\n', stderr);
}

static void describe_last(const struct shrink *s, char *buf, size_t len)
{
    if (s->last_timedout)
        snprintf(buf, len, "timed out");
    else if (WIFSIGNALED(s->last_status))
        snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(s->last_status)));
    else
        snprintf(buf, len, "exit %d", WEXITSTATUS(s->last_status));
}

/* ---- setup ---- */

static void make_slots(struct shrink *s)
{
    s->nslots = s->o->jobs ? s->o->jobs : 1;
    s->slot = xrealloc(NULL, s->nslots * sizeof *s->slot);
    for (unsigned i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slot[i];
        *sl = (struct slot){ 0 };
        sl->run = fi_run_create(&sl->runfd);
        int fd = (int)syscall(SYS_memfd_create, "faultrun-shrink", 0);
        sl->logfd = fd >= 0 ? fcntl(fd, F_DUPFD, 100) : -1;
        if (fd >= 0)
            close(fd);
        if (sl->run == NULL || sl->logfd < 0)
            die("shrink: cannot make a job's run block and log (memfd): %s", strerror(errno));
    }
}

/* The candidate's arrays, when the shrink is over. */
static void free_part(struct shrink *s, struct part *p)
{
    free(p->cur);
    free(p->b);
    free(s->scratch);
    p->cur = NULL;
    p->b = NULL;
    s->scratch = NULL;
}

int fr_shrink(const struct fr_opts *o)
{
    static struct shrink s;
    char defout[PATH_MAX];
    s.o = o;
    s.tty = isatty(2);
    read_log(&s, o->shrink);
    const char *out = o->shrink_out;
    if (out == NULL) {
        if ((size_t)snprintf(defout, sizeof defout, "%s.min", o->shrink) >= sizeof defout)
            die("--shrink '%s': path too long", o->shrink);
        out = defout;
    }
    FILE *f = fopen(out, "a");      /* writable, before anything runs */
    if (f == NULL) {
        fprintf(stderr, "faultrun: --shrink-out '%s': %s\n", out, strerror(errno));
        exit(2);
    }
    fclose(f);

    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sigemptyset(&s.wake);
    sigaddset(&s.wake, SIGCHLD);
    sigaddset(&s.wake, SIGINT);
    sigaddset(&s.wake, SIGTERM);
    sigaddset(&s.wake, SIGHUP);
    sigprocmask(SIG_BLOCK, &s.wake, &s.old);
    make_slots(&s);
    clock_gettime(CLOCK_MONOTONIC, &s.start);

    struct part p = { 0 };
    p.n = s.nlog;
    p.cur = xrealloc(NULL, (p.n + 1) * sizeof *p.cur);
    s.scratch = xrealloc(NULL, (p.n + 1) * sizeof *s.scratch);
    p.b = xrealloc(NULL, 2 * sizeof *p.b);
    for (size_t i = 0; i < p.n; i++)
        p.cur[i] = i;
    p.nb = 1;
    p.b[0] = 0;
    p.b[1] = p.n;

    char how[64];
    int whole = fails(&s, p.cur, p.n);
    describe_last(&s, how, sizeof how);
    if (!whole && s.last_procs == 0 && WIFEXITED(s.last_status) &&
        (WEXITSTATUS(s.last_status) == 126 || WEXITSTATUS(s.last_status) == 127)) {
        fprintf(stderr, "faultrun: shrink: COMMAND '%s' did not start (exit %d)\n",
                o->argv[0], WEXITSTATUS(s.last_status));
        free_part(&s, &p);
        return 2;
    }
    if (!whole) {
        fprintf(stderr, "faultrun: shrink: COMMAND does not fail when the %zu faults of '%s' "
                "are replayed whole (%s%s): nothing to shrink\n", s.nlog, o->shrink, how,
                o->shrink_runs > 1 ? ", in one of the --shrink-runs replays" : "");
        free_part(&s, &p);
        return 3;
    }
    if (!s.tty)
        fprintf(stderr, "faultrun: shrink: the %zu faults of '%s' fail replayed whole (%s); "
                "shrinking\n", s.nlog, o->shrink, how);
    ddmin(&s, &p);
    shrink_values(&s, &p);
    if (s.tty)
        fputc('\n', stderr);
    write_result(&s, &p, out);
    if (p.n == 0)
        fprintf(stderr, "faultrun: shrink: COMMAND fails with none of the faults replayed: "
                "they do not matter\n");
    fprintf(stderr, "faultrun: shrink: %zu faults -> %zu in %lu runs (%lu failing), %.1f s\n",
            s.nlog, p.n, s.runs, s.failing, seconds_since(&s.start));
    fprintf(stderr, "faultrun: shrink: minimal log: %s\n", out);
    print_replay(&s, out);
    free_part(&s, &p);
    return 0;
}

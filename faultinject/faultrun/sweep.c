/* sweep.c: faultrun --sweep (see sweep.h). The per-point rule is composed
 * from the parsed rule (fi_rule_format with when=K), never by pasting text,
 * and whether it fired in a run comes from the run's shared counters. */
#include "sweep.h"

#include "shellword.h"

#include "jobs.h"
#include "launch.h"
#include "progress.h"
#include "summary.h"
#include "runblock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define RULE_TEXT 1024

/* The rule firing only at matching call POINT, as text. */
static void compose(const struct fi_rule *base, uint64_t point, char *out)
{
    struct fi_rule r = *base;
    r.has_when = 1;
    r.when_first = r.when_last = point;
    r.when_step = 1;
    fi_rule_format(&r, out, RULE_TEXT);
}

/* --shard K/N: two whole numbers, N >= 1, K < N; exits 2 naming TEXT. */
static void parse_shard(struct fr_opts *o, const char *text)
{
    char k[32], n[32], err[512];
    const char *slash = strchr(text, '/');
    size_t kl = slash != NULL ? (size_t)(slash - text) : 0;
    int ok = slash != NULL && kl > 0 && kl < sizeof k && strlen(slash + 1) < sizeof n;
    if (ok) {
        snprintf(k, sizeof k, "%.*s", (int)kl, text);
        snprintf(n, sizeof n, "%s", slash + 1);
        ok = fi_number_parse("N", n, 1, 1000000, &o->shard_n, err, sizeof err) == 0 &&
             fi_number_parse("K", k, 0, 999999, &o->shard_k, err, sizeof err) == 0;
    }
    if (!ok) {
        fprintf(stderr, "faultrun: --shard '%s': want K/N, two whole numbers with N from 1 "
                "to 1000000 and K from 0 to N-1 (points count from 1; shard K runs the "
                "points P with P %% N == K)\n", text);
        exit(2);
    }
    if (o->shard_k >= o->shard_n) {
        fprintf(stderr, "faultrun: --shard '%s': K must be below N (K from 0 to %llu)\n", text,
                (unsigned long long)(o->shard_n - 1));
        exit(2);
    }
}

void fr_sweep_check(struct fr_opts *o)
{
    o->shard_k = 0;
    o->shard_n = 1;
    if (o->shard != NULL)
        parse_shard(o, o->shard);
    if (o->jobs == 0)
        o->jobs = 1;
    if (o->rs.n != 1) {
        fprintf(stderr, "faultrun: --sweep needs exactly one rule (-e RULE), got %d\n",
                o->rs.n);
        exit(2);
    }
    const struct fi_rule *r = &o->rs.rule[0];
    if (r->has_when || r->has_p) {
        fprintf(stderr, "faultrun: rule '%s': --sweep chooses the call itself; drop %s\n",
                o->rules, r->has_when ? "when=" : "p=");
        exit(2);
    }
    /* The composed rule must mean the same rule again, at a point. */
    char text[RULE_TEXT], again[RULE_TEXT] = "", err[512] = "";
    struct fi_ruleset rs;
    compose(r, 1, text);
    int ok = fi_rules_parse(text, &rs, err, sizeof err) == 0 && rs.n == 1;
    if (ok)
        fi_rule_format(&rs.rule[0], again, sizeof again);
    if (!ok || strcmp(text, again) != 0 || !rs.rule[0].has_when ||
        rs.rule[0].when_first != 1 || rs.rule[0].when_last != 1) {
        fprintf(stderr, "faultrun: rule '%s': cannot compose the sweep's rule '%s'%s%s\n",
                o->rules, text, err[0] ? ": " : "", err);
        exit(2);
    }
}

/* faultrun [--backend=B] [--only NAME] -e 'RULE:when=K' -- COMMAND [ARG...]
 * (the backend when one was asked for: the same run again) */
static void reproduce(const struct fr_opts *o, uint64_t point, const char *rule)
{
    fprintf(stderr, "faultrun: reproduce point %llu: ", (unsigned long long)point);
    fr_shell_word(stderr, o->self, 0);
    if (o->backend != NULL && strcmp(o->backend, "auto") != 0)
        fprintf(stderr, " --backend=%s", o->backend);
    if (o->only != NULL) {
        fputs(" --only ", stderr);
        fr_shell_word(stderr, o->only, 0);
    }
    fputs(" -e ", stderr);
    fr_shell_word(stderr, rule, 1);
    fputs(" --", stderr);
    for (char **a = o->argv; *a; a++) {
        fputc(' ', stderr);
        fr_shell_word(stderr, *a, 0);
    }
    fputc('\n', stderr);
}

/* What a sweep saw, for its last lines and its exit status. */
struct tally {
    uint64_t runs;            /* points reported */
    int failed;               /* of them, exited nonzero or killed */
    int ever;                 /* the rule fired in some run (probes too) */
    int stopped;              /* --sweep-max came before a point that did not fire */
    struct fi_run_counts first;   /* point 1's counts: why it never fired */
};

/* The point's line and, when it failed with the fault in, the command
 * that reproduces it alone. */
static void report(const struct fr_opts *o, struct tally *t, uint64_t point, int status,
                   int fired, const char *rule)
{
    const char *note = fired ? "" : " (rule did not fire: every point covered)";
    int bad = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "faultrun: sweep point %llu: killed by SIG%s%s\n",
                (unsigned long long)point, sigabbrev_np(WTERMSIG(status)), note);
    else
        fprintf(stderr, "faultrun: sweep point %llu: exit %d%s\n",
                (unsigned long long)point, WEXITSTATUS(status), note);
    t->runs++;
    t->failed += bad;
    if (bad && fired)
        reproduce(o, point, rule);
}

/* The last lines; the exit status. */
static int finish(const struct fr_opts *o, const struct tally *t)
{
    const struct fi_rule *base = &o->rs.rule[0];
    int shard = o->shard_n > 1;
    if (shard && t->runs == 0 && t->stopped) {
        fprintf(stderr, "faultrun: sweep shard %llu/%llu: no point up to --sweep-max %llu\n",
                (unsigned long long)o->shard_k, (unsigned long long)o->shard_n,
                (unsigned long long)o->sweep_max);
        return 0;
    }
    if (!t->ever) {
        char text[RULE_TEXT];
        fi_rule_format(base, text, sizeof text);
        unsigned long long matched = atomic_load(&t->first.rule[0][FI_T_MATCHED]);
        if (matched == 0) {
            fprintf(stderr, "faultrun: sweep: rule '%s' never fired: the sweep tested "
                    "nothing; it matched no call: %s\n", text,
                    fi_summary_causes(o->run_argv != NULL));
            return 3;
        }
        char why[512];
        fi_summary_reasons(&t->first, 0, why, sizeof why);
        fprintf(stderr, "faultrun: sweep: rule '%s' never fired: the sweep tested nothing; "
                "%llu calls matched, but at point 1 it could not fire (%s)\n", text, matched,
                why[0] ? why : "not due: after= was never reached");
        return 3;
    }
    if (t->stopped)
        fprintf(stderr, "faultrun: sweep stopped after --sweep-max %llu runs\n",
                (unsigned long long)o->sweep_max);
    if (shard)
        fprintf(stderr, "faultrun: sweep shard %llu/%llu: %llu runs, %d failed%s\n",
                (unsigned long long)o->shard_k, (unsigned long long)o->shard_n,
                (unsigned long long)t->runs, t->failed,
                t->runs == 0 ? " (the sweep ends before this shard's first point)" : "");
    else
        fprintf(stderr, "faultrun: sweep: %llu runs, %d failed\n",
                (unsigned long long)t->runs, t->failed);
    return t->failed ? 1 : 0;
}

/* -j 1, no shard: one run after another, COMMAND in faultrun's own group
 * with faultrun's stdin, stdout, stderr and log, as a plain run. */
static int sweep_direct(const struct fr_opts *o)
{
    const struct fi_rule *base = &o->rs.rule[0];
    char rule[RULE_TEXT];
    static struct tally t;
    int fired = 1;
    for (uint64_t point = 1; point <= o->sweep_max && fired; point++) {
        compose(base, point, rule);
        fi_run_reset(o->run);
        int status = fr_launch(o->run_argv ? o->run_argv : o->argv, rule);
        fired = atomic_load(&o->run->c.rule[0][FI_T_FIRED]) > 0;
        if (point == 1)
            t.first = o->run->c;        /* why it never fired, if it never did */
        t.ever |= fired;
        report(o, &t, point, status, fired, rule);
    }
    t.stopped = fired;
    return finish(o, &t);
}

/* Runs of the pooled sweep: N at a time, at most two per job ahead of the
 * first point not yet reported (each holds its output until then). */
static struct fr_job ring[2 * FR_JOBS_MAX];
static struct fr_job probe_job;

/* A done job's turn: what it printed and logged, then its line. */
static void emit(const struct fr_opts *o, struct tally *t, const struct fr_job *j)
{
    char rule[RULE_TEXT];
    compose(&o->rs.rule[0], j->point, rule);
    fr_progress_clear();
    fr_job_emit(j, o->log);
    report(o, t, j->point, j->status, j->fired, rule);
}

static void noted(struct tally *t, const struct fr_job *j)
{
    t->ever |= j->fired;
    if (j->point == 1)
        t->first = j->counts;
}

/* Whether the rule fires at POINT, a point of another shard: run it,
 * report nothing, keep nothing it printed or logged. */
static int probe(const struct fr_opts *o, struct tally *t, uint64_t point, uint64_t done,
                 uint64_t failing)
{
    char rule[RULE_TEXT];
    compose(&o->rs.rule[0], point, rule);
    fr_job_start(&probe_job, o, point, rule);
    do
        fr_progress_show(done, failing, 0);
    while (fr_job_wait(&probe_job, 1) == NULL);
    int fired = probe_job.fired;
    noted(t, &probe_job);
    fr_job_close(&probe_job);
    return fired;
}

/* A done point of the sweep at or before the end's known point, for the
 * live line's "left": the points before END not done yet (-1: no end yet). */
static long long left_before(const struct fr_job *ring_, size_t w, uint64_t end)
{
    if (end == 0)
        return -1;
    long long left = 0;
    for (size_t i = 0; i < w; i++)
        if (ring_[i].used && !ring_[i].done && ring_[i].point < end)
            left++;
    return left;
}

/* -j N or --shard: the points P % shard_n == shard_k in order, N runs at a
 * time, each reported in point order once every point before it was. The
 * first point where the rule did not fire ends it; runs past it are killed
 * and never reported. A shard's first such point P is the sweep's end
 * only if the rule fired at P-1 (another shard's point, run to know). */
static int sweep_pooled(const struct fr_opts *o)
{
    const uint64_t step = o->shard_n, max = o->sweep_max;
    const uint64_t first = o->shard_k == 0 ? step : o->shard_k;
    const size_t w = 2 * (size_t)o->jobs;
    static struct tally t;
    uint64_t head = first, next = first, done = 0, failing = 0, end_seen = 0;
    unsigned running = 0;
    struct fr_job *end = NULL;
    char rule[RULE_TEXT];
#define SLOT(p) (&ring[((p) - first) / step % w])
    fr_jobs_begin();
    fr_progress_begin();
    while (head <= max && end == NULL) {
        while (running < o->jobs && next <= max && (next - head) / step < w &&
               (end_seen == 0 || next < end_seen)) {
            compose(&o->rs.rule[0], next, rule);
            fr_job_start(SLOT(next), o, next, rule);
            running++;
            next += step;
        }
        fr_progress_show(done, failing, left_before(ring, w, end_seen));
        struct fr_job *j = fr_job_wait(ring, w);
        if (j == NULL)
            continue;               /* the timer, or a signal passed on */
        running--;
        noted(&t, j);
        if (!j->fired && (end_seen == 0 || j->point < end_seen))
            end_seen = j->point;
        if (end_seen == 0 || j->point <= end_seen) {
            done++;
            failing += WIFSIGNALED(j->status) || WEXITSTATUS(j->status) != 0;
        }
        while (head <= max && head < next && SLOT(head)->done) {
            struct fr_job *h = SLOT(head);
            if (!h->fired) {
                end = h;
                break;
            }
            emit(o, &t, h);
            fr_job_close(h);
            head += step;
        }
    }
    for (size_t i = 0; i < w; i++)          /* past the end: killed, not reported */
        if (&ring[i] != end)
            fr_job_close(&ring[i]);
    t.stopped = end == NULL;
    if (end != NULL) {
        int is_end = 1;
        if (step > 1 && end->point > 1) {
            is_end = probe(o, &t, end->point - 1, done, failing);
            if (!is_end && !t.ever && end->point - 1 > 1)
                probe(o, &t, 1, done, failing);     /* 3 needs point 1's word */
        }
        if (is_end)
            emit(o, &t, end);
        fr_job_close(end);
    }
#undef SLOT
    fr_progress_end();
    return finish(o, &t);
}

int fr_sweep(const struct fr_opts *o)
{
    if (o->jobs > 1 || o->shard_n > 1)
        return sweep_pooled(o);
    return sweep_direct(o);
}

/* sweep.c: faultrun --sweep (see sweep.h). The per-point rule is composed
 * from the parsed rule (fi_rule_format with when=K), never by pasting text,
 * and whether it fired in a run comes from the run's shared counters. */
#include "sweep.h"

#include "launch.h"
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

void fr_sweep_check(const struct fr_opts *o)
{
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

/* WORD as the shell reads it back: bare when it is safe, else in '...'. */
static void put_quoted(FILE *f, const char *word, int always)
{
    int safe = word[0] != '\0' && !always;
    for (const char *p = word; *p && safe; p++)
        safe = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                      "_@%+=:,./-", *p) != NULL;
    if (safe) {
        fputs(word, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = word; *p; p++)
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    fputc('\'', f);
}

/* faultrun [--only NAME] -e 'RULE:when=K' -- COMMAND [ARG...] */
static void reproduce(const struct fr_opts *o, uint64_t point, const char *rule)
{
    fprintf(stderr, "faultrun: reproduce point %llu: ", (unsigned long long)point);
    put_quoted(stderr, o->self, 0);
    if (o->only != NULL) {
        fputs(" --only ", stderr);
        put_quoted(stderr, o->only, 0);
    }
    fputs(" -e ", stderr);
    put_quoted(stderr, rule, 1);
    fputs(" --", stderr);
    for (char **a = o->argv; *a; a++) {
        fputc(' ', stderr);
        put_quoted(stderr, *a, 0);
    }
    fputc('\n', stderr);
}

int fr_sweep(const struct fr_opts *o)
{
    const struct fi_rule *base = &o->rs.rule[0];
    char rule[RULE_TEXT];
    int failed = 0, fired = 1, ever = 0;
    static struct fi_run_counts first;
    uint64_t point;
    for (point = 1; point <= o->sweep_max && fired; point++) {
        compose(base, point, rule);
        fi_run_reset(o->run);
        int status = fr_launch(o->argv, rule);
        fired = atomic_load(&o->run->c.rule[0][FI_T_FIRED]) > 0;
        if (point == 1)
            first = o->run->c;          /* why it never fired, if it never did */
        ever |= fired;
        const char *note = fired ? "" : " (rule did not fire: every point covered)";
        int bad = WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
        if (WIFSIGNALED(status))
            fprintf(stderr, "faultrun: sweep point %llu: killed by SIG%s%s\n",
                    (unsigned long long)point, sigabbrev_np(WTERMSIG(status)), note);
        else
            fprintf(stderr, "faultrun: sweep point %llu: exit %d%s\n",
                    (unsigned long long)point, WEXITSTATUS(status), note);
        failed += bad;
        if (bad && fired)
            reproduce(o, point, rule);
    }
    if (!ever) {
        char text[RULE_TEXT];
        fi_rule_format(base, text, sizeof text);
        unsigned long long matched = atomic_load(&first.rule[0][FI_T_MATCHED]);
        if (matched == 0) {
            fprintf(stderr, "faultrun: sweep: rule '%s' never fired: the sweep tested "
                    "nothing; it matched no call: %s\n", text, fi_summary_causes);
            return 3;
        }
        char why[512];
        fi_summary_reasons(&first, 0, why, sizeof why);
        fprintf(stderr, "faultrun: sweep: rule '%s' never fired: the sweep tested nothing; "
                "%llu calls matched, but at point 1 it could not fire (%s)\n", text, matched,
                why[0] ? why : "not due: after= was never reached");
        return 3;
    }
    if (fired)
        fprintf(stderr, "faultrun: sweep stopped after --sweep-max %llu runs\n",
                (unsigned long long)o->sweep_max);
    fprintf(stderr, "faultrun: sweep: %llu runs, %d failed\n",
            (unsigned long long)(point - 1), failed);
    return failed ? 1 : 0;
}

/* summary.c: prints the end-of-run summary (see summary.h). */
#include "summary.h"



#include <stdatomic.h>
#include <stdint.h>

const char *fi_summary_causes(int traced)
{
    /* the trace backend sees system calls, stdio's and Go's included */
    return traced ? "the program may move data with calls the rule does not name "
                    "(sendfile, copy_file_range, splice, io_uring), make them as 32-bit "
                    "(i386 or x32) calls, which the trace backend lets through, "
                    "or --only named no process that ran"
                  : "the program may read or write through stdio (fgets, fread, fprintf on "
                    "a socket), make raw system calls (Go programs, static binaries), move "
                    "data with calls the rule does not name (sendfile, copy_file_range, "
                    "splice, io_uring), or --only named no process that ran";
}

static unsigned long long get(const _Atomic uint64_t *v)
{
    return (unsigned long long)atomic_load_explicit(v, memory_order_relaxed);
}

void fi_summary_reasons(const struct fi_run_counts *c, int rule, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int w = FI_WHY_OK + 1; w < FI_WHY_COUNT && used < len; w++) {
        unsigned long long n = get(&c->why[rule][w]);
        if (n == 0)
            continue;
        int k = snprintf(buf + used, len - used, "%s%llu: %s", used ? "; " : "", n,
                         fi_why_text((enum fi_why)w));
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* A rule that matched calls but injected nothing: why, in numbers. */
static void warn_injected_nothing(FILE *out, const char *p, int i, const char *text,
                                  const struct fi_rule *r, const struct fi_run_counts *c)
{
    unsigned long long matched = get(&c->rule[i][FI_T_MATCHED]);
    unsigned long long blocked = get(&c->rule[i][FI_T_BLOCKED]);
    unsigned long long reached = get(&c->max_k[i]);
    char why[512];
    fi_summary_reasons(c, i, why, sizeof why);
    fprintf(out, "%s: warning: rule %d '%s' injected nothing: nothing was tested; "
            "%llu calls matched", p, i + 1, text, matched);
    if (blocked > 0)
        fprintf(out, ", %llu could not fire (%s)", blocked, why);
    fputc('\n', out);
    if (r->has_when && r->when_first > reached)
        fprintf(out, "%s: warning: rule %d '%s': when=%llu is past the last call it "
                "counted (%llu%s): the point never came\n", p, i + 1, text,
                (unsigned long long)r->when_first, reached,
                r->per_fd ? " on one descriptor" : " in one process");
}

/* The processes that ran in a seccomp sandbox (sandbox.h), by name and
 * fork path: there, faults that need the blocking state fired only where
 * the shim knew it. */
static void sandboxed(FILE *out, const struct fi_summary *s)
{
    unsigned long long n = get(&s->c->sandboxed);
    if (n == 0)
        return;
    fprintf(out, "%s: %llu process%s ran in a seccomp sandbox:", s->prefix, n,
            n == 1 ? "" : "es");
    unsigned shown = 0, total = s->run != NULL ? atomic_load(&s->run->nprocs) : 0;
    for (unsigned i = 0; i < total && i < FI_RUN_PROCS; i++) {
        const struct fi_run_proc *e = &s->run->proc[i];
        if (!atomic_load(&e->sandboxed))
            continue;
        if (shown < 8)
            fprintf(out, "%s %.16s (proc %s)", shown ? "," : "", e->name, e->path);
        shown++;
    }
    if (shown > 8)
        fprintf(out, " and %u more", shown - 8);
    fprintf(out, "; the shim made no system call of its own there, so eagain, eintr and "
            "stall fired only where it knew the descriptor's blocking mode and timeouts, and "
            "short, eagain and stall never on a stream (whether its send queue had room or "
            "its peer's FIN was in cannot be known without asking the kernel)\n");
}

void fi_summary_print(FILE *out, const struct fi_summary *s)
{
    const char *p = s->prefix;
    if (s->only != NULL && get(&s->c->only_matched) == 0)
        fprintf(out, "%s: warning: --only '%s' named no process that ran (%llu ran); "
                "no rule was active anywhere\n", p, s->only, get(&s->c->procs));
    for (int i = 0; s->rs != NULL && i < s->rs->n; i++) {
        char text[512], why[512];
        fi_rule_format(&s->rs->rule[i], text, sizeof text);
        unsigned long long matched = get(&s->c->rule[i][FI_T_MATCHED]);
        unsigned long long fired = get(&s->c->rule[i][FI_T_FIRED]);
        unsigned long long blocked = get(&s->c->rule[i][FI_T_BLOCKED]);
        fi_summary_reasons(s->c, i, why, sizeof why);
        fprintf(out, "%s: rule %d '%s': %llu calls matched, %llu faults injected, "
                "%llu could not fire%s%s%s\n", p, i + 1, text, matched, fired, blocked,
                why[0] ? " (" : "", why, why[0] ? ")" : "");
        if (matched == 0)
            fprintf(out, "%s: warning: rule %d '%s' matched no call: nothing was tested; "
                    "%s\n", p, i + 1, text, fi_summary_causes(s->traced));
        else if (fired == 0)
            warn_injected_nothing(out, p, i, text, &s->rs->rule[i], s->c);
    }
    sandboxed(out, s);
    unsigned long long stdio = get(&s->c->stdio_sockets);
    if (stdio > 0)
        fprintf(out, "%s: warning: %llu socket%s handed to stdio (fdopen): the reads and "
                "writes glibc makes inside stdio are beyond the rules' reach\n", p, stdio,
                stdio == 1 ? " was" : "s were");
    if (s->replay)
        fprintf(out, "%s: replay: %llu of %lu recorded faults found their point\n", p,
                get(&s->c->replay_found), s->replay_total);
}

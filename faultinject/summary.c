/* summary.c: prints the end-of-run summary (see summary.h). */
#include "summary.h"

#include "tally.h"

#include <stdatomic.h>
#include <stdint.h>

const char fi_summary_causes[] =
    "the program may read or write through stdio (fgets, fread, fprintf on a socket), "
    "make raw system calls (Go programs, static binaries), move data with calls the "
    "rule does not name (sendfile, copy_file_range, splice, io_uring), "
    "or --only named no process that ran";

static unsigned long long get(const _Atomic uint64_t *v)
{
    return (unsigned long long)atomic_load_explicit(v, memory_order_relaxed);
}

void fi_summary_print(FILE *out, const struct fi_summary *s)
{
    const char *p = s->prefix;
    if (s->only != NULL && get(&s->c->only_matched) == 0)
        fprintf(out, "%s: warning: --only '%s' named no process that ran (%llu ran); "
                "no rule was active anywhere\n", p, s->only, get(&s->c->procs));
    for (int i = 0; s->rs != NULL && i < s->rs->n; i++) {
        char text[512];
        fi_rule_format(&s->rs->rule[i], text, sizeof text);
        unsigned long long matched = get(&s->c->rule[i][FI_T_MATCHED]);
        fprintf(out, "%s: rule %d '%s': %llu calls matched, %llu faults injected, "
                "%llu could not fire\n", p, i + 1, text, matched,
                get(&s->c->rule[i][FI_T_FIRED]), get(&s->c->rule[i][FI_T_BLOCKED]));
        if (matched == 0)
            fprintf(out, "%s: warning: rule %d '%s' matched no call: nothing was tested; "
                    "%s\n", p, i + 1, text, fi_summary_causes);
    }
    unsigned long long stdio = get(&s->c->stdio_sockets);
    if (stdio > 0)
        fprintf(out, "%s: warning: %llu socket%s handed to stdio (fdopen): the reads and "
                "writes glibc makes inside stdio are beyond the rules' reach\n", p, stdio,
                stdio == 1 ? " was" : "s were");
    if (s->replay)
        fprintf(out, "%s: replay: %llu of %lu recorded faults found their point\n", p,
                get(&s->c->replay_found), s->replay_total);
}

/* tracereplay.c: the recorded faults, looked up by call number (see
 * tracereplay.h). The supervisor is one thread: no atomics needed. */
#include "tracereplay.h"

#include "logparse.h"
#include "tracearm.h"
#include "tracepossible.h"
#include "tracestate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
    char proc[FI_LOG_PATH_MAX];
    unsigned image;
    int used;
    int fd;
    enum fi_call call;
    uint64_t callno;
    struct fi_rule fault;
    int rule;
};

static struct point *points;
static long npoints;
static unsigned mask;
static int ready;
static struct fi_run_counts *counts;
static struct point *taken;

unsigned trp_mask(void)
{
    return mask;
}

int trp_watches_ready(void)
{
    return ready;
}

void trp_counts(struct fi_run_counts *c)
{
    counts = c;
}

/* splice is one name in the log for both of its families. */
static enum fi_call one_name(enum fi_call c)
{
    return c == FI_C_SPLICE_OUT ? FI_C_SPLICE_IN : c;
}

int trp_decide(void *ctx, const struct fi_callctx *c, struct fi_rule *r, int *rule)
{
    const struct tproc *p = ctx;
    taken = NULL;
    for (long i = 0; i < npoints; i++) {
        struct point *pt = &points[i];
        if (pt->used || one_name(pt->call) != one_name(c->call) || pt->callno != c->callno ||
            pt->image != p->image || pt->fd != c->fd || strcmp(pt->proc, p->path) != 0)
            continue;
        pt->used = 1;
        *r = pt->fault;
        *rule = pt->rule;
        taken = pt;
        if (counts != NULL)
            atomic_fetch_add_explicit(&counts->replay_found, 1, memory_order_relaxed);
        return 1;
    }
    return 0;
}

void trp_refused(void *ctx, const struct fi_callctx *c)
{
    (void)ctx;
    (void)c;
    if (taken == NULL)
        return;
    taken->used = 0;
    if (counts != NULL)
        atomic_fetch_sub_explicit(&counts->replay_found, 1, memory_order_relaxed);
    taken = NULL;
}

struct loading {
    long at;
    char *err;
    size_t errlen;
};

static int keep(const struct fi_logline *l, void *arg)
{
    struct loading *ld = arg;
    if (l->pt.kind != FI_PT_NONE) {
        snprintf(ld->err, ld->errlen, "line %ld ('%.*s') has a point (o=, q=, off=: written "
                 "by the preload backend), which the trace backend cannot find; replay it "
                 "under --backend=preload", ld->at + 1, (int)(l->textlen > 80 ? 80 : l->textlen),
                 l->text);
        return 1;
    }
    struct point *p = &points[ld->at++];
    memcpy(p->proc, l->proc, sizeof p->proc);
    p->image = l->image;
    p->fd = l->fd;
    p->call = l->call;
    p->callno = l->callno;
    p->fault = l->fault;
    p->fault.fdsel = FI_FD_ANY;         /* exactly at the point: no options */
    p->rule = l->rule;
    mask |= l->fault.calls;
    ready |= ta_may_strand(&l->fault);
    return 0;
}

long trp_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    size_t cap = 65536, len = 0, n;
    char *text = malloc(cap);
    while (text != NULL && (n = fread(text + len, 1, cap - len, f)) > 0)
        if ((len += n) == cap) {
            char *more = realloc(text, cap *= 2);
            if (more == NULL)
                free(text);
            text = more;
        }
    fclose(f);
    if (text == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    long total = fi_log_parse(text, len, NULL, NULL, err, errlen);
    if (total > 0 && (points = calloc((size_t)total, sizeof *points)) == NULL) {
        snprintf(err, errlen, "out of memory");
        total = -1;
    }
    if (total > 0) {
        struct loading ld = { 0, err, errlen };
        if (fi_log_parse(text, len, keep, &ld, err, errlen) < 0)
            total = -1;
        npoints = ld.at;
    }
    free(text);
    return total;
}

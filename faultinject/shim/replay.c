/* replay.c: recorded faults, looked up by point (see replay.h). The log is
 * parsed once at load into an array mapped for the purpose; a lookup is a
 * scan of it, for the calls the log names only (fi_replay_mask). */
#include "replay.h"

#include "logparse.h"
#include "proc.h"
#include "tally.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct point {
    char proc[FI_LOG_PATH_MAX];
    unsigned image;
    _Atomic int used;           /* injected once: a point is one call */
    int fd;
    enum fi_call call;
    uint64_t callno;
    struct fi_rule fault;
    int rule;
    struct fi_point pt;         /* kind FI_PT_NONE: an older line, matched by c= */
};

static struct point *points;
static unsigned long npoints;
static unsigned mask;
static int active;

int fi_replay_active(void)
{
    return active;
}

unsigned fi_replay_mask(void)
{
    return mask;
}

unsigned long fi_replay_count(void)
{
    return npoints;
}

/* splice is one name in the log for both of its families. */
static int same_call(enum fi_call a, enum fi_call b)
{
    if (a == FI_C_SPLICE_OUT)
        a = FI_C_SPLICE_IN;
    if (b == FI_C_SPLICE_OUT)
        b = FI_C_SPLICE_IN;
    return a == b;
}

/* The point this thread took last (fi_replay_refused gives it back). */
static _Thread_local struct point *taken __attribute__((tls_model("initial-exec")));

/* Whether P (not injected yet, the first of its stream) is due at C's
 * point: a call at or past it. */
static int due(const struct point *p, const struct fi_point *at)
{
    if (p->pt.kind == FI_PT_DATA && at->off != p->pt.off)
        return at->off > p->pt.off;
    return at->q >= p->pt.q;
}

/* Whether P's stream is C's: the same descriptor (by ordinal; ordinal 0
 * by number) or, for a wait, none. */
static int same_stream(const struct point *p, const struct fi_callctx *c)
{
    if (p->pt.kind == FI_PT_WAIT || c->pt->kind == FI_PT_WAIT)
        return p->pt.kind == c->pt->kind;
    return p->pt.ord == c->pt->ord && (p->pt.ord != 0 || p->fd == c->fd) &&
           (p->pt.kind == FI_PT_DATA) == (c->pt->kind == FI_PT_DATA);
}

static int take(struct point *p, struct fi_rule *r, int *rule)
{
    if (atomic_exchange_explicit(&p->used, 1, memory_order_relaxed))
        return 0;                       /* another thread took it */
    *r = p->fault;
    *rule = p->rule;
    taken = p;
    atomic_fetch_add_explicit(&fi_run_counts()->replay_found, 1, memory_order_relaxed);
    return 1;
}

int fi_replay_decide(const struct fi_callctx *c, struct fi_rule *r, int *rule)
{
    const char *me = fi_proc_path();
    unsigned image = fi_proc_image();
    int pointed = c->pt != NULL && c->pt->kind != FI_PT_NONE;
    taken = NULL;
    for (unsigned long i = 0; i < npoints; i++) {
        struct point *p = &points[i];
        if (!same_call(p->call, c->call) || p->image != image)
            continue;
        if (p->pt.kind == FI_PT_NONE) {     /* an older line: exactly at c= */
            if (p->callno != c->callno || p->fd != c->fd || strcmp(p->proc, me) != 0)
                continue;
            return atomic_load_explicit(&p->used, memory_order_relaxed) ? 0 : take(p, r, rule);
        }
        if (!pointed || atomic_load_explicit(&p->used, memory_order_relaxed) ||
            !same_stream(p, c) || strcmp(p->proc, me) != 0)
            continue;
        /* the first of its stream not injected yet: due now, or not yet */
        return due(p, c->pt) ? take(p, r, rule) : 0;
    }
    return 0;
}

void fi_replay_refused(const struct fi_callctx *c)
{
    (void)c;
    struct point *p = taken;
    if (p == NULL)
        return;
    taken = NULL;
    atomic_fetch_sub_explicit(&fi_run_counts()->replay_found, 1, memory_order_relaxed);
    atomic_store_explicit(&p->used, 0, memory_order_relaxed);
}

static int keep(const struct fi_logline *l, void *arg)
{
    unsigned long *at = arg;
    struct point *p = &points[(*at)++];
    memcpy(p->proc, l->proc, sizeof p->proc);
    p->image = l->image;
    p->fd = l->fd;
    p->call = l->call;
    p->callno = l->callno;
    p->fault = l->fault;
    /* Exactly at the point: the recorded fault, none of the rule's options. */
    p->fault.calls = l->fault.calls;
    p->fault.fdsel = FI_FD_ANY;
    p->rule = l->rule;
    p->pt = l->pt;
    mask |= l->fault.calls;
    return 0;
}

static int fail(char *err, size_t errlen, const char *path, const char *why)
{
    snprintf(err, errlen, "replay '%s': %s", path, why);
    return -1;
}

int fi_replay_init(const char *path, const char *rules, char *err, size_t errlen)
{
    if (path == NULL)
        return 0;
    if (path[0] == '\0')
        return fail(err, errlen, path, "empty path");
    for (const char *s = rules; s != NULL && *s; s++)
        if (*s != ' ' && *s != '\t')
            return fail(err, errlen, path, "a replay replaces the rules: "
                        "FAULTINJECT_RULES must be empty");
    /* Raw system calls: the shim's own reads are not the program's. */
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            syscall(SYS_close, fd);
        return fail(err, errlen, path, strerror(e));
    }
    size_t len = (size_t)st.st_size;
    char *text = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    syscall(SYS_close, fd);
    if (text == MAP_FAILED)
        return fail(err, errlen, path, strerror(errno));
    char why[256];
    long n = fi_log_parse(text, len, NULL, NULL, why, sizeof why);
    if (n > 0) {
        points = mmap(NULL, (size_t)n * sizeof *points, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (points == MAP_FAILED) {
            points = NULL;
            snprintf(why, sizeof why, "%s", strerror(errno));
            n = -1;
        } else {
            unsigned long at = 0;
            fi_log_parse(text, len, keep, &at, why, sizeof why);
            npoints = at;
        }
    }
    if (text != NULL)
        munmap(text, len);
    if (n < 0)
        return fail(err, errlen, path, why);
    active = 1;
    return 0;
}

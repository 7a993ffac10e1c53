/* engine.c: this process's engine and its host (see engine.h). */
#include "engine.h"

#include "fdstate.h"
#include "proc.h"
#include "replay.h"
#include "tally.h"

_Atomic unsigned fi_rule_mask;
_Atomic unsigned fi_engine_ready_watch;

/* ---- the host: what the engine reaches in the shim ---- */

static uint64_t host_fd_count(void *ctx, int rule, int fd, unsigned gen)
{
    (void)ctx;
    return fd < FI_FD_CAP ? fi_fd_count(rule, fd, gen) : 0;
}

static uint64_t host_fd_bytes(void *ctx, int fd)
{
    (void)ctx;
    return fi_fd_bytes(fd);
}

static uint64_t host_stream(void *ctx)
{
    (void)ctx;
    return fi_proc_stream();
}

static int host_replay(void *ctx, const struct fi_callctx *c, struct fi_rule *r, int *rule)
{
    (void)ctx;
    return fi_replay_decide(c, r, rule);
}

static void host_replay_refused(void *ctx, const struct fi_callctx *c)
{
    (void)ctx;
    fi_replay_refused(c);
}

static void host_rules_changed(void *ctx, int count_bytes, int keep_state)
{
    (void)ctx;
    fi_fd_rules_count_bytes(count_bytes);
    fi_fd_rules_keep_state(keep_state);
}

static const struct fi_engine_host host = {
    .fd_count = host_fd_count, .fd_bytes = host_fd_bytes, .stream = host_stream,
    .replay = host_replay, .replay_refused = host_replay_refused, .rules_changed = host_rules_changed,
};

/* The one engine of this process; set up before any interposed call can
 * reach it (a zeroed engine has no rule; the constructor gives it its host). */
static struct fi_engine eng = { .host = &host, .seed = 1 };

/* ---- the shim's calls ---- */

void fi_engine_seed(uint64_t s)
{
    fi_decide_seed(&eng, s);
}

long fi_engine_fired(void)
{
    return fi_decide_fired(&eng);
}

uint64_t fi_engine_callno(enum fi_call call)
{
    return fi_decide_callno(&eng, call);
}

/* The waits' positions among the calls not injected (fi_engine_wait_point). */
static _Atomic uint64_t waits_passed[FI_C_COUNT];

void fi_engine_wait_point(enum fi_call call, struct fi_point *out)
{
    out->kind = FI_PT_NONE;
    if (!fi_fd_points_tracked())
        return;
    out->kind = FI_PT_WAIT;
    out->q = atomic_load_explicit(&waits_passed[call], memory_order_relaxed) + 1;
}

void fi_engine_wait_passed(enum fi_call call)
{
    if (fi_fd_points_tracked())
        atomic_fetch_add_explicit(&waits_passed[call], 1, memory_order_relaxed);
}

void fi_engine_after_fork(void)
{
    fi_decide_on_fork(&eng);
    for (int c = 0; c < FI_C_COUNT; c++)
        atomic_store_explicit(&waits_passed[c], 0, memory_order_relaxed);
    fi_fd_points_on_fork();
}

void fi_engine_set(const struct fi_ruleset *rs)
{
    fi_decide_counts(&eng, fi_run_counts());        /* attached at load, before this */
    fi_decide_replaying(&eng, fi_replay_active());
    fi_decide_set(&eng, rs);
    /* while replaying, the calls recorded faults name, not the rules' */
    unsigned mask = fi_replay_active() ? fi_replay_mask() : fi_decide_mask(&eng);
    /* A point's offset counts every call of its direction on the
     * descriptor, so with a log or a replay the whole family of a named
     * read-like (write-like) call takes the slow path. */
    if (fi_fd_points_tracked()) {
        if (mask & FI_RD_MASK)
            mask |= FI_RD_MASK;
        if (mask & FI_WR_MASK)
            mask |= FI_WR_MASK;
    }
    atomic_store(&fi_rule_mask, mask);
    atomic_store(&fi_engine_ready_watch, fi_decide_watch(&eng));
}

int fi_engine_decide(const struct fi_callctx *c, int may_fire, struct fi_rule *r, uint64_t *k)
{
    return fi_decide_call(&eng, c, may_fire, r, k);
}

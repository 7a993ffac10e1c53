/* decide.c: rule slots, counting and the fire decision (see decide.h). */
#include "decide.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>

/* A rule whose fault a wait's report of readiness rules out next. */
static int needs_ready(const struct fi_rule *r)
{
    int data = (r->calls & (FI_RD_MASK | FI_WR_MASK)) != 0;
    int eagain = r->fault == FI_F_EAGAIN ||
                 (r->fault == FI_F_ERROR && (r->arg == EAGAIN || r->arg == EWOULDBLOCK));
    return data && (eagain || r->fault == FI_F_STALL || r->fault == FI_F_SHORT);
}

void fi_decide_init(struct fi_engine *e, const struct fi_engine_host *host)
{
    memset(e, 0, sizeof *e);
    e->host = host;
    atomic_store(&e->seed, 1);
}

void fi_decide_seed(struct fi_engine *e, uint64_t s)
{
    atomic_store(&e->seed, s);
}

void fi_decide_counts(struct fi_engine *e, struct fi_run_counts *c)
{
    atomic_store(&e->counts, c);
}

void fi_decide_replaying(struct fi_engine *e, int on)
{
    atomic_store(&e->replaying, on);
}

long fi_decide_fired(const struct fi_engine *e)
{
    return atomic_load(&e->fired);
}

unsigned fi_decide_mask(const struct fi_engine *e)
{
    return atomic_load(&e->mask);
}

unsigned fi_decide_watch(const struct fi_engine *e)
{
    return atomic_load(&e->watch);
}

uint64_t fi_decide_callno(struct fi_engine *e, enum fi_call call)
{
    if (call == FI_C_SPLICE_OUT)
        call = FI_C_SPLICE_IN;          /* one name in the log */
    return atomic_fetch_add_explicit(&e->calls_made[call], 1, memory_order_relaxed) + 1;
}

void fi_decide_on_fork(struct fi_engine *e)
{
    for (int c = 0; c < FI_C_COUNT; c++)
        atomic_store_explicit(&e->calls_made[c], 0, memory_order_relaxed);
    atomic_store(&e->slots[0].readers, 0);
    atomic_store(&e->slots[1].readers, 0);
    atomic_store(&e->writer_busy, 0);
}

void fi_decide_set(struct fi_engine *e, const struct fi_ruleset *rs)
{
    while (atomic_exchange(&e->writer_busy, 1))
        sched_yield();
    int next = 1 - atomic_load(&e->current);
    struct fi_engine_slot *s = &e->slots[next];
    /* A call that pinned this slot before the last switch may still be
     * deciding on it; such a decision takes microseconds. */
    while (atomic_load(&s->readers) != 0)
        sched_yield();
    unsigned mask = 0, stateful = 0, after = 0, watch = 0;
    s->rs.n = rs->n;
    for (int i = 0; i < rs->n; i++) {
        s->rs.rule[i] = rs->rule[i];
        mask |= rs->rule[i].calls;
        stateful |= rs->rule[i].has_after || rs->rule[i].per_fd;
        after |= rs->rule[i].has_after;
        watch |= needs_ready(&rs->rule[i]);
        atomic_store(&s->count[i], 0);
    }
    if (e->host->rules_changed != NULL)     /* before the rules count bytes */
        e->host->rules_changed(e->host->ctx, (int)after, (int)stateful);
    e->last_gen = e->last_gen % 65535 + 1;
    s->gen = e->last_gen;
    atomic_store(&e->current, next);
    atomic_store(&e->fired, 0);
    atomic_store(&e->mask, mask);
    atomic_store(&e->watch, watch);
    atomic_store(&e->writer_busy, 0);
}

static struct fi_engine_slot *pin(struct fi_engine *e)
{
    for (;;) {
        int c = atomic_load(&e->current);
        atomic_fetch_add(&e->slots[c].readers, 1);
        if (atomic_load(&e->current) == c)
            return &e->slots[c];
        atomic_fetch_sub(&e->slots[c].readers, 1);
    }
}

static void unpin(struct fi_engine_slot *s)
{
    atomic_fetch_sub(&s->readers, 1);
}

static int fd_selected(const struct fi_rule *r, enum fi_call call, int fd, enum fi_fdkind kind)
{
    if ((FI_WAIT_MASK >> call) & 1u)
        return 1;                       /* a wait: whatever it watches */
    switch (r->fdsel) {
    case FI_FD_SOCK: return kind == FI_K_SOCK;
    case FI_FD_PIPE: return kind == FI_K_PIPE;
    case FI_FD_ANY:  return 1;
    default:         return fd == r->fdnum;
    }
}

/* A stream fault on a message socket (datagram, seqpacket, raw): it could
 * never fire there (faultinject.md, message sockets). */
static int stream_fault_on_message_socket(const struct fi_rule *r, const struct fi_callctx *c)
{
    if (r->fault != FI_F_SHORT && r->fault != FI_F_RESET && r->fault != FI_F_EOF &&
        r->fault != FI_F_STALL)
        return 0;
    return c->kind == FI_K_SOCK && c->socktype != 0 && c->socktype != SOCK_STREAM;
}

/* splitmix64 finaliser: a counter-based generator, so the K-th call of a
 * rule draws the same number in every thread, run and forked child. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static int chance(const struct fi_engine *e, const struct fi_rule *r, int index, int fd,
                  uint64_t k)
{
    if (!r->has_p || r->p_always)
        return 1;
    uint64_t stream = e->host->stream != NULL ? e->host->stream(e->host->ctx) : 0;
    uint64_t x = mix(atomic_load_explicit(&e->seed, memory_order_relaxed));
    x = mix(x ^ stream);
    x = mix(x ^ (uint64_t)index);
    x = mix(x ^ (r->per_fd ? (uint64_t)(unsigned)fd : 0));
    return mix(x ^ k) < r->p_threshold;
}

static void tally(const struct fi_engine *e, int rule, enum fi_tally what)
{
    fi_counts_tally(atomic_load_explicit(&e->counts, memory_order_relaxed), rule, what);
}

static void blocked(const struct fi_engine *e, int rule, enum fi_why why)
{
    fi_counts_blocked(atomic_load_explicit(&e->counts, memory_order_relaxed), rule, why);
}

/* Replaying: the recorded fault at this point, if the kernel could give it. */
static int replayed(struct fi_engine *e, const struct fi_callctx *c, struct fi_rule *out,
                    uint64_t *kout)
{
    int rule;
    if (!e->host->replay(e->host->ctx, c, out, &rule))
        return -1;
    enum fi_why why = c->possible != NULL ? c->possible(c->arg, out) : FI_WHY_OK;
    if (why != FI_WHY_OK) {
        blocked(e, rule, why);
        if (e->host->replay_refused != NULL)
            e->host->replay_refused(e->host->ctx, c);
        return -1;
    }
    tally(e, rule, FI_T_FIRED);
    *kout = c->callno;
    atomic_fetch_add(&e->fired, 1);
    return rule;
}

int fi_decide_call(struct fi_engine *e, const struct fi_callctx *c, int may_fire,
                   struct fi_rule *out, uint64_t *kout)
{
    const struct fi_engine_host *h = e->host;
    struct fi_run_counts *cnt = atomic_load_explicit(&e->counts, memory_order_relaxed);
    if (atomic_load_explicit(&e->replaying, memory_order_relaxed))
        return may_fire && h->replay != NULL ? replayed(e, c, out, kout) : -1;
    struct fi_engine_slot *s = pin(e);
    int won = -1;
    unsigned bit = 1u << c->call;
    for (int i = 0; i < s->rs.n; i++) {
        const struct fi_rule *r = &s->rs.rule[i];
        if (!(r->calls & bit) || !fd_selected(r, c->call, c->fd, c->kind))
            continue;
        if ((r->peer.on || r->local.on) && (c->ends == NULL || !c->ends(c->arg, r)))
            continue;
        /* when= numbers only the calls the fault could apply to: a message
         * socket's call is counted as matched and "could not fire", but
         * takes no number, so that rd:reset:when=3 is the stream's 3rd
         * read however often a datagram socketpair beside it is read. */
        if (stream_fault_on_message_socket(r, c)) {
            tally(e, i, FI_T_MATCHED);
            blocked(e, i, FI_WHY_MESSAGE);
            continue;
        }
        uint64_t k = r->per_fd && c->fd >= 0 && h->fd_count != NULL
                         ? h->fd_count(h->ctx, i, c->fd, s->gen) : 0;
        if (k == 0)                     /* not per=fd, or a descriptor not counted apart */
            k = atomic_fetch_add(&s->count[i], 1) + 1;
        fi_counts_tally(cnt, i, FI_T_MATCHED);
        fi_counts_reached(cnt, i, k);
        if (won >= 0 || !may_fire || !fi_when_matches(r, k) || !chance(e, r, i, c->fd, k))
            continue;
        if (r->has_after && (h->fd_bytes == NULL || h->fd_bytes(h->ctx, c->fd) < r->after))
            continue;
        enum fi_why why = c->possible != NULL ? c->possible(c->arg, r) : FI_WHY_OK;
        if (why != FI_WHY_OK) {
            blocked(e, i, why);
            continue;
        }
        tally(e, i, FI_T_FIRED);
        won = i;
        *out = *r;
        *kout = k;
    }
    unpin(s);
    if (won >= 0)
        atomic_fetch_add(&e->fired, 1);
    return won;
}

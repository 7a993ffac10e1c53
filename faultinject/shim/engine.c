/* engine.c: rule slots, counting and the fire decision (see engine.h). */
#include "engine.h"

#include "fdstate.h"
#include "proc.h"
#include "replay.h"
#include "tally.h"

#include <errno.h>
#include <sched.h>
#include <sys/socket.h>
#include <string.h>

_Atomic unsigned fi_rule_mask;
_Atomic unsigned fi_engine_ready_watch;

/* A rule whose fault a wait's report of readiness rules out next. */
static int needs_ready(const struct fi_rule *r)
{
    int data = (r->calls & (FI_RD_MASK | FI_WR_MASK)) != 0;
    int eagain = r->fault == FI_F_EAGAIN ||
                 (r->fault == FI_F_ERROR && (r->arg == EAGAIN || r->arg == EWOULDBLOCK));
    return data && (eagain || r->fault == FI_F_STALL || r->fault == FI_F_SHORT);
}

struct slot {
    struct fi_ruleset rs;
    unsigned gen;                       /* 1..65535, for per=fd counters */
    _Atomic uint64_t count[FI_MAX_RULES];
    _Atomic int readers;
};

static struct slot slots[2];
static _Atomic int current;
static _Atomic int writer_busy;
static _Atomic long fired;
static _Atomic uint64_t seed = 1;
static unsigned last_gen;

void fi_engine_seed(uint64_t s)
{
    atomic_store(&seed, s);
}

long fi_engine_fired(void)
{
    return atomic_load(&fired);
}

/* Per call name, in this process image (engine.h, fi_engine_callno). */
static _Atomic uint64_t calls_made[FI_C_COUNT];

uint64_t fi_engine_callno(enum fi_call call)
{
    if (call == FI_C_SPLICE_OUT)
        call = FI_C_SPLICE_IN;          /* one name in the log */
    return atomic_fetch_add_explicit(&calls_made[call], 1, memory_order_relaxed) + 1;
}

void fi_engine_after_fork(void)
{
    for (int c = 0; c < FI_C_COUNT; c++)
        atomic_store_explicit(&calls_made[c], 0, memory_order_relaxed);
    atomic_store(&slots[0].readers, 0);
    atomic_store(&slots[1].readers, 0);
    atomic_store(&writer_busy, 0);
}

void fi_engine_set(const struct fi_ruleset *rs)
{
    while (atomic_exchange(&writer_busy, 1))
        sched_yield();
    int next = 1 - atomic_load(&current);
    struct slot *s = &slots[next];
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
    fi_fd_rules_count_bytes(after);
    last_gen = last_gen % 65535 + 1;
    s->gen = last_gen;
    atomic_store(&current, next);
    atomic_store(&fired, 0);
    atomic_store(&fi_rule_mask, fi_replay_active() ? fi_replay_mask() : mask);
    fi_fd_rules_keep_state(stateful);
    atomic_store(&fi_engine_ready_watch, watch);
    atomic_store(&writer_busy, 0);
}

static struct slot *pin(void)
{
    for (;;) {
        int c = atomic_load(&current);
        atomic_fetch_add(&slots[c].readers, 1);
        if (atomic_load(&current) == c)
            return &slots[c];
        atomic_fetch_sub(&slots[c].readers, 1);
    }
}

static void unpin(struct slot *s)
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

/* A stream fault on a message socket (datagram, seqpacket, raw; the
 * type as the shim cached it before deciding): it could never fire there
 * (faultinject.md, message sockets). */
static int stream_fault_on_message_socket(const struct fi_rule *r, const struct fi_callctx *c)
{
    struct fi_fdinfo info;
    if (r->fault != FI_F_SHORT && r->fault != FI_F_RESET && r->fault != FI_F_EOF &&
        r->fault != FI_F_STALL)
        return 0;
    return c->kind == FI_K_SOCK && fi_fd_info(c->fd, &info) && info.socktype != 0 &&
           info.socktype != SOCK_STREAM;
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

static int chance(const struct fi_rule *r, int index, int fd, uint64_t k)
{
    if (!r->has_p || r->p_always)
        return 1;
    uint64_t x = mix(atomic_load_explicit(&seed, memory_order_relaxed));
    x = mix(x ^ fi_proc_stream());
    x = mix(x ^ (uint64_t)index);
    x = mix(x ^ (r->per_fd ? (uint64_t)(unsigned)fd : 0));
    return mix(x ^ k) < r->p_threshold;
}

/* Replaying: the recorded fault at this point, if the kernel could give it. */
static int replayed(const struct fi_callctx *c, struct fi_rule *out, uint64_t *kout)
{
    int rule;
    if (!fi_replay_decide(c->call, c->fd, c->callno, out, &rule))
        return -1;
    enum fi_why why = c->possible != NULL ? c->possible(c->arg, out) : FI_WHY_OK;
    if (why != FI_WHY_OK) {
        fi_tally_blocked(rule, why);
        return -1;
    }
    fi_tally(rule, FI_T_FIRED);
    *kout = c->callno;
    atomic_fetch_add(&fired, 1);
    return rule;
}

int fi_engine_decide(const struct fi_callctx *c, int may_fire, struct fi_rule *out,
                     uint64_t *kout)
{
    if (fi_replay_active())
        return may_fire ? replayed(c, out, kout) : -1;
    struct slot *s = pin();
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
            fi_tally(i, FI_T_MATCHED);
            fi_tally_blocked(i, FI_WHY_MESSAGE);
            continue;
        }
        uint64_t k = r->per_fd && c->fd >= 0 && c->fd < FI_FD_CAP
            ? fi_fd_count(i, c->fd, s->gen)
            : atomic_fetch_add(&s->count[i], 1) + 1;
        fi_tally(i, FI_T_MATCHED);
        fi_tally_reached(i, k);
        if (won >= 0 || !may_fire || !fi_when_matches(r, k) || !chance(r, i, c->fd, k))
            continue;
        if (r->has_after && fi_fd_bytes(c->fd) < r->after)
            continue;
        enum fi_why why = c->possible != NULL ? c->possible(c->arg, r) : FI_WHY_OK;
        if (why != FI_WHY_OK) {
            fi_tally_blocked(i, why);
            continue;
        }
        fi_tally(i, FI_T_FIRED);
        won = i;
        *out = *r;
        *kout = k;
    }
    unpin(s);
    if (won >= 0)
        atomic_fetch_add(&fired, 1);
    return won;
}

/* decide.h: the decision as a unit (faultinject.md, OPTION, Promises,
 * Deterministic): whether a rule fires on a call.
 *
 * Owner: decide.c. One struct fi_engine is one process's engine state:
 * the active rules (two slots: readers pin the current one, fi_decide_set
 * fills the other and publishes it), their when= counters, the p= seed, the
 * call numbers (the log's c=), the faults injected. What lives elsewhere it
 * reaches through its host (struct fi_engine_host): per=fd counters and
 * after= bytes (per-descriptor state), the process's p= stream (its fork
 * path), and replay; the summary's counts (runblock.h) it adds to itself. The shim holds one
 * engine for its process (shim/engine.c); a supervisor holds one per
 * traced process; tests/fi/test_engine.c drives one call by call.
 * libc only. Lock-free: fi_decide_call and fi_decide_callno are safe in
 * signal handlers and across fork; fi_decide_set waits for deciders.
 */
#ifndef FI_DECIDE_H
#define FI_DECIDE_H

#include <stdatomic.h>
#include <stdint.h>

#include "rules.h"
#include "runblock.h"
#include "why.h"

/* What the caller knows of the descriptor, for fd=sock|pipe. */
enum fi_fdkind { FI_K_OTHER, FI_K_SOCK, FI_K_PIPE };

/* A call's replay point beyond c= (faultinject.md, Replay; the log's o=,
 * q=, off=): the descriptor's ordinal (ORD: the Nth descriptor this
 * process made, from 1; 0: one it did not make under the shim, inherited
 * at load or opened where the shim cannot see, known by its number), the
 * call's position among the calls that were not injected (Q, from 1: on a
 * data call, among those that started at the same offset of its
 * direction; on accept, connect, close, among that descriptor's; on a
 * wait, among the process's of that family), and a data call's stream
 * offset in its direction (OFF: bytes read so far on the descriptor for a
 * read-like call, written for a write-like one). KIND FI_PT_NONE: none
 * known (no log or replay, a descriptor past the state's range): the
 * point is c= alone. */
enum fi_ptkind { FI_PT_NONE, FI_PT_CALL, FI_PT_DATA, FI_PT_WAIT };
struct fi_point {
    enum fi_ptkind kind;
    uint64_t ord;               /* FI_PT_CALL, FI_PT_DATA */
    uint64_t q;                 /* all but FI_PT_NONE */
    uint64_t off;               /* FI_PT_DATA */
};

/* One call as the engine sees it. A rule is counted when it names CALL
 * and selects FD (fd=; waits match whatever they watch) and, when it has
 * peer=/local=, ENDS says yes. POSSIBLE is asked only for a rule that is
 * due to fire (when=, p=, after= passed): FI_WHY_OK when the kernel could
 * give that fault here; any other reason (why.h) is tallied for the rule
 * ("could not fire") and the next rule may fire. Both callbacks may make
 * system calls. */
struct fi_callctx {
    enum fi_call call;
    int fd;                     /* -1 for a wait */
    enum fi_fdkind kind;
    int socktype;               /* SOCK_STREAM, SOCK_DGRAM, ...; 0 unknown */
    uint64_t callno;            /* fi_decide_callno(call), for the log and replay */
    const struct fi_point *pt;  /* the call's replay point; NULL: none known */
    int (*ends)(void *arg, const struct fi_rule *r);
    enum fi_why (*possible)(void *arg, const struct fi_rule *r);
    void *arg;
};

/* What the engine asks of whoever holds it; CTX is passed back. */
struct fi_engine_host {
    void *ctx;
    /* per=fd: RULE's count on FD under rule generation GEN, plus one */
    uint64_t (*fd_count)(void *ctx, int rule, int fd, unsigned gen);
    /* after=: bytes moved so far on FD */
    uint64_t (*fd_bytes)(void *ctx, int fd);
    /* this process's p= stream (from its fork path) */
    uint64_t (*stream)(void *ctx);
    /* while the engine replays (fi_decide_replaying): 1 with the recorded
     * fault at C's point in *R and its rule in *RULE, or 0 for none */
    int (*replay)(void *ctx, const struct fi_callctx *c, struct fi_rule *r, int *rule);
    /* the fault replay just gave for C could not happen here (C's
     * possible() said why): the point is not taken, a later call may
     * take it (NULL: nothing to undo) */
    void (*replay_refused)(void *ctx, const struct fi_callctx *c);
    /* the rules changed: whether they count bytes (after=) and keep
     * per-descriptor counters (after=, per=fd) */
    void (*rules_changed)(void *ctx, int count_bytes, int keep_state);
};

struct fi_engine_slot {
    struct fi_ruleset rs;
    unsigned gen;                       /* 1..65535, for per=fd counters */
    _Atomic uint64_t count[FI_MAX_RULES];
    _Atomic int readers;
};

struct fi_engine {
    const struct fi_engine_host *host;
    struct fi_engine_slot slots[2];
    _Atomic int current;
    _Atomic int writer_busy;
    _Atomic long fired;
    _Atomic uint64_t seed;
    unsigned last_gen;
    _Atomic uint64_t calls_made[FI_C_COUNT];
    _Atomic unsigned mask;              /* the calls the rules name */
    _Atomic unsigned watch;             /* some rule watches readiness (below) */
    _Atomic int replaying;              /* the host's replay decides, not the rules */
    struct fi_run_counts *_Atomic counts; /* the summary's counts, or NULL */
};

/* E with no rule, seed 1, reaching HOST (which must outlive it). */
void fi_decide_init(struct fi_engine *e, const struct fi_engine_host *host);

/* The seed of p= (FAULTINJECT_SEED / --seed, default 1). */
void fi_decide_seed(struct fi_engine *e, uint64_t seed);

/* Where the matched, fired and "could not fire" counts go (NULL: none). */
void fi_decide_counts(struct fi_engine *e, struct fi_run_counts *c);

/* ON: the host replays a log (replay.h): its recorded faults decide, the
 * rules are not consulted. */
void fi_decide_replaying(struct fi_engine *e, int on);

/* Replaces the rules with RS; counters and the fired count start again.
 * Not for signal handlers (it waits for calls deciding on the old slot). */
void fi_decide_set(struct fi_engine *e, const struct fi_ruleset *rs);

/* The calls the rules name (1u << FI_C_*), and whether some rule could
 * make a data call fail or stall where a wait had just reported it ready
 * (eagain, stall, short, error=EAGAIN on read-like or write-like calls). */
unsigned fi_decide_mask(const struct fi_engine *e);
unsigned fi_decide_watch(const struct fi_engine *e);

/* Counts the call for every rule that matches it and returns the index of
 * the first that fires (copying it to *R and its when= count to *K), or
 * -1. MAY_FIRE 0: count only (a descriptor in a sticky state). While the
 * host replays, the recorded fault at this point (if possible) instead. */
int fi_decide_call(struct fi_engine *e, const struct fi_callctx *c, int may_fire,
                   struct fi_rule *r, uint64_t *k);

/* The log's c= and replay's point: one more CALL made by this process
 * image (both splice families count as "splice"); its number, from 1. */
uint64_t fi_decide_callno(struct fi_engine *e, enum fi_call call);

/* Faults injected since the last fi_decide_set. */
long fi_decide_fired(const struct fi_engine *e);

/* In a forked child: call numbers start again, no other thread decides. */
void fi_decide_on_fork(struct fi_engine *e);

#endif

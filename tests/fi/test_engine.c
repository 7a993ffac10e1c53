/* test_engine.c: the decision as a unit (faultinject/common/decide.h),
 * linked without any interposer and driven call by call, as the shim and
 * a supervisor drive it (faultinject.md, OPTION, Promises, Deterministic,
 * Replay). The host here is a table per descriptor in this file. Test
 * names start with what the clause is about: WHEN_, P_, PERFD_, AFTER_,
 * FD_, PEER_, MESSAGE_, POSSIBLE_, STICKY_, REPLAY_, CALLNO_, UNIT_. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>

#include "decide.h"
#include "rules.h"

enum { FDS = 64 };

/* The host: per=fd counters, bytes, the stream, replay; and the counts. */
struct fake {
    uint64_t per[FI_MAX_RULES][FDS];
    unsigned per_gen[FI_MAX_RULES][FDS];
    uint64_t bytes[FDS];
    uint64_t stream;
    struct fi_run_counts counts;        /* the summary's, as the engine adds them */
    int count_bytes, keep_state;
    uint64_t replay_at;                 /* the recorded fault's c= */
    enum fi_call replay_call;
    int replay_asked;
};

static uint64_t f_count(void *ctx, int rule, int fd, unsigned gen)
{
    struct fake *f = ctx;
    if (fd >= FDS)
        return 0;
    if (f->per_gen[rule][fd] != gen) {
        f->per_gen[rule][fd] = gen;
        f->per[rule][fd] = 0;
    }
    return ++f->per[rule][fd];
}

static uint64_t f_bytes(void *ctx, int fd)
{
    return fd >= 0 && fd < FDS ? ((struct fake *)ctx)->bytes[fd] : 0;
}

static uint64_t f_stream(void *ctx)
{
    return ((struct fake *)ctx)->stream;
}

static int f_replay(void *ctx, const struct fi_callctx *c, struct fi_rule *r, int *rule)
{
    struct fake *f = ctx;
    f->replay_asked++;
    if (c->call != f->replay_call || c->callno != f->replay_at)
        return 0;
    memset(r, 0, sizeof *r);
    r->fault = FI_F_EINTR;
    r->calls = 1u << c->call;
    *rule = 0;
    return 1;
}

static void f_changed(void *ctx, int count_bytes, int keep_state)
{
    struct fake *f = ctx;
    f->count_bytes = count_bytes;
    f->keep_state = keep_state;
}

static struct fake fk;

static long counted(const struct fake *f, int rule, enum fi_tally what)
{
    return (long)atomic_load(&f->counts.rule[rule][what]);
}

static long why_of(const struct fake *f, int rule, enum fi_why why)
{
    return (long)atomic_load(&f->counts.why[rule][why]);
}
static struct fi_engine_host host;
static struct fi_engine eng;

static int setup(void **state)
{
    (void)state;
    memset(&fk, 0, sizeof fk);
    host = (struct fi_engine_host){ .ctx = &fk, .fd_count = f_count, .fd_bytes = f_bytes,
                                    .stream = f_stream, .replay = f_replay,
                                    .rules_changed = f_changed };
    fi_decide_init(&eng, &host);
    fi_decide_counts(&eng, &fk.counts);
    return 0;
}

static void rules(struct fi_engine *e, const char *text)
{
    struct fi_ruleset rs;
    char err[512];
    if (fi_rules_parse(text, &rs, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", text, err);
    fi_decide_set(e, &rs);
}

/* One call on FD (a stream socket); the rule that fired or -1, its K. */
static int call_on(struct fi_engine *e, enum fi_call call, int fd, enum fi_fdkind kind,
                   int socktype, uint64_t *k)
{
    struct fi_rule r;
    uint64_t kk = 0;
    struct fi_callctx c = { .call = call, .fd = fd, .kind = kind, .socktype = socktype,
                            .callno = fi_decide_callno(e, call) };
    int won = fi_decide_call(e, &c, 1, &r, &kk);
    if (k != NULL)
        *k = kk;
    return won;
}

static int rd(int fd)
{
    return call_on(&eng, FI_C_READ, fd, FI_K_SOCK, SOCK_STREAM, NULL);
}

static void WHEN_fires_on_the_kth_matching_call_only(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:when=3");
    uint64_t k;
    for (int i = 1; i <= 5; i++) {
        int won = call_on(&eng, FI_C_READ, 5, FI_K_SOCK, SOCK_STREAM, &k);
        assert_int_equal(won, i == 3 ? 0 : -1);
        if (i == 3)
            assert_int_equal(k, 3);
        assert_int_equal(call_on(&eng, FI_C_WRITE, 5, FI_K_SOCK, SOCK_STREAM, NULL), -1);
    }
    assert_int_equal(counted(&fk, 0, FI_T_MATCHED), 5);             /* writes are not its calls */
    assert_int_equal(counted(&fk, 0, FI_T_FIRED), 1);
    assert_int_equal(atomic_load(&fk.counts.max_k[0]), 5);
    assert_int_equal(fi_decide_fired(&eng), 1);
    assert_int_equal(fi_decide_mask(&eng), 1u << FI_C_READ);
}

static void WHEN_a_range_fires_on_each_call_in_it(void **state)
{
    (void)state;
    rules(&eng, "read,recv:eintr:when=2..3");
    assert_int_equal(rd(5), -1);
    assert_int_equal(call_on(&eng, FI_C_RECV, 5, FI_K_SOCK, SOCK_STREAM, NULL), 0);
    assert_int_equal(rd(6), 0);
    assert_int_equal(rd(5), -1);
    assert_int_equal(counted(&fk, 0, FI_T_FIRED), 2);
}

/* The same seed and stream draw the same; another stream (a forked
 * child's) draws its own; p=0.3 fires about 30% of the time. */
static void P_same_seed_same_draws_another_stream_its_own(void **state)
{
    (void)state;
    static char a[4000], b[4000], c[4000];
    struct fi_engine e2;
    fi_decide_init(&e2, &host);
    fi_decide_seed(&eng, 42);
    fi_decide_seed(&e2, 42);
    rules(&eng, "read:eintr:p=0.3");
    rules(&e2, "read:eintr:p=0.3");
    long n = 0;
    for (int i = 0; i < 4000; i++) {
        a[i] = (char)(rd(5) == 0);
        b[i] = (char)(call_on(&e2, FI_C_READ, 5, FI_K_SOCK, SOCK_STREAM, NULL) == 0);
        n += a[i];
    }
    assert_memory_equal(a, b, sizeof a);
    assert_in_range(n, 1100, 1300);                 /* 30% of 4000 = 1200 */
    fk.stream = 0x1234;                             /* a forked child's stream */
    rules(&eng, "read:eintr:p=0.3");
    for (int i = 0; i < 4000; i++)
        c[i] = (char)(rd(5) == 0);
    assert_memory_not_equal(a, c, sizeof a);
    fi_decide_seed(&eng, 43);                       /* another seed: other draws */
    fk.stream = 0;
    rules(&eng, "read:eintr:p=0.3");
    for (int i = 0; i < 4000; i++)
        c[i] = (char)(rd(5) == 0);
    assert_memory_not_equal(a, c, sizeof a);
}

static void PERFD_each_descriptor_counts_its_own_calls(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:per=fd:when=1");
    assert_int_equal(fk.keep_state, 1);
    assert_int_equal(rd(5), 0);
    assert_int_equal(rd(5), -1);
    assert_int_equal(rd(6), 0);
    assert_int_equal(rd(6), -1);
    assert_int_equal(rd(5), -1);
    assert_int_equal(counted(&fk, 0, FI_T_FIRED), 2);
    rules(&eng, "read:eintr:per=fd:when=1");        /* new rules: counts start again */
    assert_int_equal(rd(5), 0);
}

static void AFTER_waits_for_the_bytes_moved_on_the_descriptor(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:after=100");
    assert_int_equal(fk.count_bytes, 1);
    fk.bytes[5] = 99;
    assert_int_equal(rd(5), -1);
    fk.bytes[5] = 100;
    assert_int_equal(rd(5), 0);
    assert_int_equal(rd(6), -1);                    /* fd 6 moved nothing */
    rules(&eng, "read:eintr");
    assert_int_equal(fk.count_bytes, 0);
}

static void FD_sock_pipe_and_numbers_select_descriptors(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:fd=pipe;read:eagain:fd=7");
    assert_int_equal(call_on(&eng, FI_C_READ, 5, FI_K_SOCK, SOCK_STREAM, NULL), -1);
    assert_int_equal(call_on(&eng, FI_C_READ, 5, FI_K_PIPE, 0, NULL), 0);
    assert_int_equal(call_on(&eng, FI_C_READ, 7, FI_K_OTHER, 0, NULL), 1);
    rules(&eng, "poll:eintr");                      /* a wait matches whatever it watches */
    assert_int_equal(call_on(&eng, FI_C_POLL, -1, FI_K_OTHER, 0, NULL), 0);
}

static int ends_no(void *arg, const struct fi_rule *r)
{
    (void)arg, (void)r;
    return 0;
}

static int ends_yes(void *arg, const struct fi_rule *r)
{
    (void)arg, (void)r;
    return 1;
}

static void PEER_a_rule_with_peer_counts_only_calls_its_ends_match(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:peer=127.0.0.1:80");
    struct fi_rule r;
    uint64_t k;
    struct fi_callctx c = { .call = FI_C_READ, .fd = 5, .kind = FI_K_SOCK,
                            .socktype = SOCK_STREAM, .ends = ends_no };
    assert_int_equal(fi_decide_call(&eng, &c, 1, &r, &k), -1);
    assert_int_equal(counted(&fk, 0, FI_T_MATCHED), 0);
    c.ends = ends_yes;
    assert_int_equal(fi_decide_call(&eng, &c, 1, &r, &k), 0);
    assert_int_equal(k, 1);                         /* the first call it matched */
}

/* rd:reset:when=2 is the stream's 2nd read, however often a datagram
 * socket beside it is read: those are counted "could not fire". */
static void MESSAGE_a_datagram_socket_takes_no_when_number(void **state)
{
    (void)state;
    rules(&eng, "read:reset:when=2");
    assert_int_equal(rd(5), -1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(call_on(&eng, FI_C_READ, 6, FI_K_SOCK, SOCK_DGRAM, NULL), -1);
    uint64_t k;
    assert_int_equal(call_on(&eng, FI_C_READ, 5, FI_K_SOCK, SOCK_STREAM, &k), 0);
    assert_int_equal(k, 2);
    assert_int_equal(why_of(&fk, 0, FI_WHY_MESSAGE), 3);
    assert_int_equal(counted(&fk, 0, FI_T_MATCHED), 5);
}

static enum fi_why not_eagain(void *arg, const struct fi_rule *r)
{
    (void)arg;
    return r->fault == FI_F_EAGAIN ? FI_WHY_BLOCKING : FI_WHY_OK;
}

/* A rule due to fire where the kernel could not give its fault is counted
 * with the reason, and the next rule may fire. */
static void POSSIBLE_could_not_fire_is_counted_and_the_next_rule_fires(void **state)
{
    (void)state;
    rules(&eng, "read:eagain;read:eintr");
    struct fi_rule r;
    uint64_t k;
    struct fi_callctx c = { .call = FI_C_READ, .fd = 5, .kind = FI_K_SOCK,
                            .socktype = SOCK_STREAM, .possible = not_eagain };
    assert_int_equal(fi_decide_call(&eng, &c, 1, &r, &k), 1);
    assert_int_equal(r.fault, FI_F_EINTR);
    assert_int_equal(why_of(&fk, 0, FI_WHY_BLOCKING), 1);
    assert_int_equal(counted(&fk, 0, FI_T_BLOCKED), 1);
    assert_int_equal(counted(&fk, 0, FI_T_FIRED), 0);
    assert_int_equal(counted(&fk, 1, FI_T_FIRED), 1);
}

/* A descriptor in a sticky state: its calls count, so that no rule's
 * schedule shifts, but nothing fires. */
static void STICKY_counts_only(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:when=2");
    struct fi_rule r;
    uint64_t k;
    struct fi_callctx c = { .call = FI_C_READ, .fd = 5, .kind = FI_K_SOCK,
                            .socktype = SOCK_STREAM };
    assert_int_equal(fi_decide_call(&eng, &c, 0, &r, &k), -1);
    assert_int_equal(fi_decide_call(&eng, &c, 0, &r, &k), -1);   /* the 2nd: counted only */
    assert_int_equal(counted(&fk, 0, FI_T_MATCHED), 2);
    assert_int_equal(fi_decide_call(&eng, &c, 1, &r, &k), -1);   /* the 3rd */
    assert_int_equal(fi_decide_fired(&eng), 0);
}

/* Replaying, the recorded point fires and the rules are not consulted;
 * a sticky descriptor's call takes no recorded point. */
static void REPLAY_the_recorded_point_fires_not_the_rules(void **state)
{
    (void)state;
    rules(&eng, "read:eagain");
    fi_decide_replaying(&eng, 1);
    fk.replay_call = FI_C_READ;
    fk.replay_at = 3;
    struct fi_rule r;
    uint64_t k;
    int got[5];
    for (int i = 0; i < 5; i++) {
        struct fi_callctx c = { .call = FI_C_READ, .fd = 5, .kind = FI_K_SOCK,
                                .socktype = SOCK_STREAM,
                                .callno = fi_decide_callno(&eng, FI_C_READ) };
        got[i] = fi_decide_call(&eng, &c, 1, &r, &k);
        if (got[i] == 0) {
            assert_int_equal(r.fault, FI_F_EINTR);  /* the log's fault, not the rule's */
            assert_int_equal(k, 3);
        }
    }
    int want[5] = { -1, -1, 0, -1, -1 };
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(counted(&fk, 0, FI_T_MATCHED), 0);             /* the rules were not consulted */
    int asked = fk.replay_asked;
    struct fi_callctx c = { .call = FI_C_READ, .fd = 5, .callno = 3 };
    assert_int_equal(fi_decide_call(&eng, &c, 0, &r, &k), -1);
    assert_int_equal(fk.replay_asked, asked);       /* may_fire 0: no point taken */
}

static void CALLNO_counts_per_call_and_starts_again_in_a_fork_child(void **state)
{
    (void)state;
    assert_int_equal(fi_decide_callno(&eng, FI_C_READ), 1);
    assert_int_equal(fi_decide_callno(&eng, FI_C_READ), 2);
    assert_int_equal(fi_decide_callno(&eng, FI_C_WRITE), 1);
    assert_int_equal(fi_decide_callno(&eng, FI_C_SPLICE_IN), 1);
    assert_int_equal(fi_decide_callno(&eng, FI_C_SPLICE_OUT), 2);  /* one name: splice */
    fi_decide_on_fork(&eng);
    assert_int_equal(fi_decide_callno(&eng, FI_C_READ), 1);
}

/* One engine per process: two engines with the same rules count apart
 * (a supervisor tracing two processes). */
static void UNIT_two_engines_count_apart(void **state)
{
    (void)state;
    struct fake fk2;
    memset(&fk2, 0, sizeof fk2);
    struct fi_engine_host h2 = host;
    h2.ctx = &fk2;
    struct fi_engine e2;
    fi_decide_init(&e2, &h2);
    fi_decide_counts(&e2, &fk2.counts);
    rules(&eng, "read:eintr:when=2");
    rules(&e2, "read:eintr:when=2");
    assert_int_equal(rd(5), -1);
    assert_int_equal(call_on(&e2, FI_C_READ, 5, FI_K_SOCK, SOCK_STREAM, NULL), -1);
    assert_int_equal(rd(5), 0);
    assert_int_equal(call_on(&e2, FI_C_READ, 5, FI_K_SOCK, SOCK_STREAM, NULL), 0);
    assert_int_equal(counted(&fk, 0, FI_T_FIRED), 1);
    assert_int_equal(counted(&fk2, 0, FI_T_FIRED), 1);
    assert_int_equal(fi_decide_fired(&eng), 1);
    assert_int_equal(fi_decide_fired(&e2), 1);
}

static void UNIT_set_starts_the_counts_and_the_fired_count_again(void **state)
{
    (void)state;
    rules(&eng, "read:eintr:when=1");
    assert_int_equal(rd(5), 0);
    assert_int_equal(fi_decide_fired(&eng), 1);
    rules(&eng, "read:eintr:when=1");
    assert_int_equal(fi_decide_fired(&eng), 0);
    assert_int_equal(rd(5), 0);
    assert_int_equal(fi_decide_watch(&eng), 0);
    rules(&eng, "read:eagain");                     /* readiness matters to eagain */
    assert_int_not_equal(fi_decide_watch(&eng), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, setup)
    const struct CMUnitTest tests[] = {
        T(WHEN_fires_on_the_kth_matching_call_only),
        T(WHEN_a_range_fires_on_each_call_in_it),
        T(P_same_seed_same_draws_another_stream_its_own),
        T(PERFD_each_descriptor_counts_its_own_calls),
        T(AFTER_waits_for_the_bytes_moved_on_the_descriptor),
        T(FD_sock_pipe_and_numbers_select_descriptors),
        T(PEER_a_rule_with_peer_counts_only_calls_its_ends_match),
        T(MESSAGE_a_datagram_socket_takes_no_when_number),
        T(POSSIBLE_could_not_fire_is_counted_and_the_next_rule_fires),
        T(STICKY_counts_only),
        T(REPLAY_the_recorded_point_fires_not_the_rules),
        T(CALLNO_counts_per_call_and_starts_again_in_a_fork_child),
        T(UNIT_two_engines_count_apart),
        T(UNIT_set_starts_the_counts_and_the_fired_count_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fdstate.c: per-descriptor state in static atomic arrays (see fdstate.h). */
#include "fdstate.h"


#include <stdatomic.h>
#include <sys/epoll.h>

_Atomic unsigned fi_fd_gate_word;
static _Atomic unsigned count_bytes;

#define WORDS (FI_FD_CAP / 64)
#define TOPS (WORDS / 64)

/* info: bit 0 known, bits 1-2 kind, bits 8-15 socket type. */
static _Atomic uint64_t info_of[FI_FD_CAP];
static _Atomic uint64_t ident_of[FI_FD_CAP];
static _Atomic int sticky_of[FI_FD_CAP];
static _Atomic int stall_of[FI_FD_CAP];
static _Atomic uint64_t stall_left_of[FI_FD_CAP];
static _Atomic uint64_t shown_of[FI_FD_CAP];
static _Atomic unsigned epoch_of[FI_FD_CAP];
static _Atomic uint64_t bytes_of[FI_FD_CAP];
/* Replay points: ordinal (0: none), offset per direction, calls not
 * injected at that offset (data) or on the descriptor (other). */
_Atomic unsigned fi_fd_points_word;
static _Atomic uint64_t next_ord;
static _Atomic uint64_t ord_of[FI_FD_CAP];
static _Atomic uint64_t off_of[2][FI_FD_CAP];
static _Atomic uint64_t passed_of[3][FI_FD_CAP];
/* per=fd counters: generation in the top 16 bits, count below. */
static _Atomic uint64_t count_of[FI_MAX_RULES][FI_FD_CAP];

/* An end: state 0 none, 1 being written, 2 ready; family << 16 | port;
 * the address in two words. */
struct end_slot {
    _Atomic unsigned state;
    _Atomic unsigned fam_port;
    _Atomic uint64_t addr[2];
};
static struct end_slot ends_of[2][FI_FD_CAP];

/* Descriptors with anything recorded (so that forgetting the others
 * costs one load), and those with a sticky or stalled state (two levels,
 * so that the waits find them fast). */
static _Atomic uint64_t used_bits[WORDS];
static _Atomic uint64_t marked_bits[WORDS];
static _Atomic uint64_t marked_top[TOPS];

#define GEN_SHIFT 48
#define COUNT_MASK (((uint64_t)1 << GEN_SHIFT) - 1)
#define RLX memory_order_relaxed

static int in_range(int fd)
{
    return fd >= 0 && fd < FI_FD_CAP;
}

static uint64_t bit_of(int fd)
{
    return (uint64_t)1 << (fd % 64);
}

static void mark_used(int fd)
{
    if (!(atomic_load_explicit(&used_bits[fd / 64], RLX) & bit_of(fd)))
        atomic_fetch_or_explicit(&used_bits[fd / 64], bit_of(fd), RLX);
}

static void set_marked(int fd)
{
    atomic_fetch_or(&marked_bits[fd / 64], bit_of(fd));
    atomic_fetch_or(&marked_top[fd / 4096], (uint64_t)1 << (fd / 64 % 64));
}

/* Clears FD's mark (the top bit stays: a hint, cleared by the scan,
 * fi_fd_next_marked, when it finds the word under it empty). */
static void clear_marked(int fd)
{
    atomic_fetch_and(&marked_bits[fd / 64], ~bit_of(fd));
}

/* Word W of marked_bits was found empty: its top hint goes, unless a
 * mark came meanwhile (set_marked sets the word before the hint: looking
 * at the word again after clearing cannot miss one). */
static void clear_top_hint(int w)
{
    uint64_t hint = (uint64_t)1 << (w % 64);
    atomic_fetch_and(&marked_top[w / 64], ~hint);
    if (atomic_load(&marked_bits[w]) != 0)
        atomic_fetch_or(&marked_top[w / 64], hint);
}

int fi_fd_next_marked(int from)
{
    if (from < 0)
        from = 0;
    while (from < FI_FD_CAP) {
        int w = from / 64;
        uint64_t top = atomic_load_explicit(&marked_top[w / 64], RLX) >> (w % 64);
        if (top == 0) {                     /* nothing in the rest of this top word */
            from = (w / 64 + 1) * 4096;
            continue;
        }
        w += __builtin_ctzll(top);
        uint64_t all = atomic_load_explicit(&marked_bits[w], RLX);
        uint64_t bits = all;
        if (w == from / 64)
            bits &= ~(uint64_t)0 << (from % 64);
        if (bits != 0)
            return w * 64 + __builtin_ctzll(bits);
        if (all == 0)
            clear_top_hint(w);
        from = (w + 1) * 64;
    }
    return -1;
}

static void drop_state(int fd)
{
    int had = atomic_exchange(&sticky_of[fd], FI_ST_NONE) != FI_ST_NONE;
    had += atomic_exchange(&stall_of[fd], 0) != 0;
    atomic_store_explicit(&stall_left_of[fd], 0, RLX);
    if (had) {
        clear_marked(fd);
        atomic_fetch_add(&epoch_of[fd], 1);
        atomic_fetch_sub(&fi_fd_gate_word, FI_FD_GATE_MARKED_ONE * (unsigned)had);
    }
}

void fi_fd_forget(int fd)
{
    if (!in_range(fd) || !(atomic_load_explicit(&used_bits[fd / 64], RLX) & bit_of(fd)))
        return;
    atomic_fetch_and_explicit(&used_bits[fd / 64], ~bit_of(fd), RLX);
    atomic_store_explicit(&info_of[fd], 0, RLX);
    atomic_store_explicit(&ident_of[fd], 0, RLX);
    drop_state(fd);
    atomic_store_explicit(&bytes_of[fd], 0, RLX);
    atomic_store_explicit(&shown_of[fd], 0, RLX);
    for (int r = 0; r < FI_MAX_RULES; r++)
        atomic_store_explicit(&count_of[r][fd], 0, RLX);
    atomic_store_explicit(&ord_of[fd], 0, RLX);
    for (int d = 0; d < 3; d++) {
        if (d < 2)
            atomic_store_explicit(&off_of[d][fd], 0, RLX);
        atomic_store_explicit(&passed_of[d][fd], 0, RLX);
    }
    atomic_store(&ends_of[0][fd].state, 0);
    atomic_store(&ends_of[1][fd].state, 0);
    fi_ep_forget(fd);
}

void fi_fd_forget_range(unsigned first, unsigned last)
{
    if (last >= FI_FD_CAP)
        last = FI_FD_CAP - 1;
    for (unsigned w = first / 64; first <= last && w <= last / 64; w++) {
        uint64_t bits = atomic_load_explicit(&used_bits[w], RLX);
        while (bits != 0) {
            unsigned fd = w * 64 + (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            if (fd >= first && fd <= last)
                fi_fd_forget((int)fd);
        }
    }
}

int fi_fd_info(int fd, struct fi_fdinfo *out)
{
    if (!in_range(fd))
        return 0;
    uint64_t v = atomic_load_explicit(&info_of[fd], RLX);
    if (!(v & 1))
        return 0;
    out->kind = (enum fi_fdkind)((v >> 1) & 3);
    out->socktype = (int)((v >> 8) & 0xff);
    out->ident = atomic_load_explicit(&ident_of[fd], RLX);
    return 1;
}

void fi_fd_set_info(int fd, const struct fi_fdinfo *info)
{
    if (!in_range(fd))
        return;
    mark_used(fd);
    atomic_store_explicit(&ident_of[fd], info->ident, RLX);
    atomic_store_explicit(&info_of[fd],
                          1 | (uint64_t)info->kind << 1 | (uint64_t)(info->socktype & 0xff) << 8,
                          RLX);
}

void fi_fd_identify(int fd, uint64_t ident)
{
    if (!in_range(fd))
        return;
    uint64_t old = atomic_load_explicit(&ident_of[fd], RLX);
    if (old != ident)
        fi_fd_forget(fd);
}

int fi_fd_sticky(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&sticky_of[fd], RLX) : FI_ST_NONE;
}

void fi_fd_set_sticky(int fd, int state)
{
    if (!in_range(fd))
        return;
    mark_used(fd);
    /* reset wins over eof: a reset descriptor never goes back to eof. */
    int old = atomic_load(&sticky_of[fd]);
    while (old < state && !atomic_compare_exchange_weak(&sticky_of[fd], &old, state))
        ;
    if (old >= state)
        return;
    if (old == FI_ST_NONE)
        atomic_fetch_add(&fi_fd_gate_word, FI_FD_GATE_MARKED_ONE);
    set_marked(fd);
    atomic_fetch_add(&epoch_of[fd], 1);
}

int fi_fd_stall(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&stall_of[fd], RLX) : 0;
}

int fi_fd_set_stall(int fd, int bits)
{
    if (!in_range(fd))
        return 0;
    mark_used(fd);
    int old = atomic_fetch_or(&stall_of[fd], bits);
    if ((old | bits) == old)
        return 0;
    if (old == 0)
        atomic_fetch_add(&fi_fd_gate_word, FI_FD_GATE_MARKED_ONE);
    set_marked(fd);
    atomic_fetch_add(&epoch_of[fd], 1);
    return bits & ~old;
}

void fi_fd_stall_keep(int fd, uint64_t n)
{
    if (in_range(fd))
        atomic_store(&stall_left_of[fd], n);
}

uint64_t fi_fd_stall_take(int fd, uint64_t n)
{
    if (!in_range(fd))
        return 0;
    uint64_t old = atomic_load(&stall_left_of[fd]), want;
    do
        want = old > n ? old - n : 0;
    while (!atomic_compare_exchange_weak(&stall_left_of[fd], &old, want));
    return want;
}

uint64_t fi_fd_stall_left(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&stall_left_of[fd], RLX) : 0;
}

void fi_fd_set_shown(int fd, unsigned bits)
{
    if (!in_range(fd))
        return;
    if ((atomic_load_explicit(&shown_of[fd], RLX) & bits) == bits)
        return;
    mark_used(fd);
    atomic_fetch_or_explicit(&shown_of[fd], bits, RLX);
}

void fi_fd_set_peeked(int fd, uint64_t n)
{
    if (!in_range(fd))
        return;
    mark_used(fd);
    uint64_t old = atomic_load_explicit(&shown_of[fd], RLX);
    while (!atomic_compare_exchange_weak_explicit(
        &shown_of[fd], &old, (old & FI_SHOWN_WR) | FI_SHOWN_RD | n << FI_SHOWN_SHIFT, RLX, RLX))
        ;
}

uint64_t fi_fd_take_shown(int fd, unsigned bit)
{
    if (!in_range(fd) || !(atomic_load_explicit(&shown_of[fd], RLX) & bit))
        return 0;
    /* Reading takes the peeked count with the bit. */
    uint64_t keep = bit == FI_SHOWN_RD ? FI_SHOWN_WR : ~(uint64_t)FI_SHOWN_WR;
    return atomic_fetch_and_explicit(&shown_of[fd], keep, RLX);
}

unsigned fi_fd_state_epoch(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&epoch_of[fd], RLX) + 1 : 0;
}

void fi_fd_add_bytes(int fd, uint64_t n)
{
    if (in_range(fd) && n > 0 && atomic_load_explicit(&count_bytes, RLX)) {
        mark_used(fd);
        atomic_fetch_add_explicit(&bytes_of[fd], n, RLX);
    }
}

uint64_t fi_fd_bytes(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&bytes_of[fd], RLX) : 0;
}

void fi_fd_rules_count_bytes(int after)
{
    if (after)
        for (int fd = 0; fd < FI_FD_CAP; fd++)
            if (atomic_load_explicit(&bytes_of[fd], RLX) != 0)
                atomic_store_explicit(&bytes_of[fd], 0, RLX);
    atomic_store(&count_bytes, after != 0);
}

void fi_fd_rules_keep_state(int stateful)
{
    if (stateful)
        atomic_fetch_or(&fi_fd_gate_word, FI_FD_GATE_RULES);
    else
        atomic_fetch_and(&fi_fd_gate_word, ~FI_FD_GATE_RULES);
}

void fi_fd_points_track(int on)
{
    atomic_store(&fi_fd_points_word, on != 0);
}

void fi_fd_created(int fd)
{
    if (fd < 0 || !atomic_load_explicit(&fi_fd_points_word, RLX))
        return;
    uint64_t ord = atomic_fetch_add_explicit(&next_ord, 1, RLX) + 1;  /* every one counts */
    if (!in_range(fd))
        return;
    mark_used(fd);
    atomic_store_explicit(&ord_of[fd], ord, RLX);
}

void fi_fd_point(int fd, int dir, struct fi_point *out)
{
    out->kind = FI_PT_NONE;
    if (!atomic_load_explicit(&fi_fd_points_word, RLX) || !in_range(fd))
        return;
    out->kind = dir == FI_DIR_OTHER ? FI_PT_CALL : FI_PT_DATA;
    out->ord = atomic_load_explicit(&ord_of[fd], RLX);
    out->q = atomic_load_explicit(&passed_of[dir][fd], RLX) + 1;
    out->off = dir == FI_DIR_OTHER ? 0 : atomic_load_explicit(&off_of[dir][fd], RLX);
}

void fi_fd_point_moved(int fd, int dir, uint64_t n)
{
    if (n == 0 || dir == FI_DIR_OTHER || !atomic_load_explicit(&fi_fd_points_word, RLX) ||
        !in_range(fd))
        return;
    mark_used(fd);
    atomic_fetch_add_explicit(&off_of[dir][fd], n, RLX);
    atomic_store_explicit(&passed_of[dir][fd], 0, RLX);    /* a new offset */
}

void fi_fd_point_passed(int fd, int dir, long long moved)
{
    if ((dir != FI_DIR_OTHER && moved > 0) || !atomic_load_explicit(&fi_fd_points_word, RLX) ||
        !in_range(fd))
        return;
    mark_used(fd);
    atomic_fetch_add_explicit(&passed_of[dir][fd], 1, RLX);
}

void fi_fd_points_on_fork(void)
{
    if (!atomic_load_explicit(&fi_fd_points_word, RLX))
        return;
    for (int w = 0; w < WORDS; w++) {
        uint64_t bits = atomic_load_explicit(&used_bits[w], RLX);
        while (bits != 0) {
            int fd = w * 64 + __builtin_ctzll(bits);
            bits &= bits - 1;
            for (int d = 0; d < 3; d++) {
                if (d < 2)
                    atomic_store_explicit(&off_of[d][fd], 0, RLX);
                atomic_store_explicit(&passed_of[d][fd], 0, RLX);
            }
        }
    }
}

uint64_t fi_fd_count(int rule, int fd, unsigned gen)
{
    mark_used(fd);
    _Atomic uint64_t *slot = &count_of[rule][fd];
    uint64_t old = atomic_load_explicit(slot, RLX);
    uint64_t want;
    do {
        if ((old >> GEN_SHIFT) == gen)
            want = old + 1;
        else
            want = ((uint64_t)gen << GEN_SHIFT) | 1;
    } while (!atomic_compare_exchange_weak_explicit(slot, &old, want, RLX, RLX));
    return want & COUNT_MASK;
}

int fi_fd_end(int fd, int which, struct fi_end *out)
{
    if (!in_range(fd))
        return 0;
    struct end_slot *s = &ends_of[which][fd];
    if (atomic_load_explicit(&s->state, memory_order_acquire) != 2)
        return 0;
    unsigned fp = atomic_load_explicit(&s->fam_port, RLX);
    uint64_t a[2] = { atomic_load_explicit(&s->addr[0], RLX),
                      atomic_load_explicit(&s->addr[1], RLX) };
    out->family = (int)(fp >> 16);
    out->port = (int)(fp & 0xffff);
    __builtin_memcpy(out->addr, a, sizeof a);
    return 1;
}

void fi_fd_set_end(int fd, int which, const struct fi_end *e)
{
    if (!in_range(fd))
        return;
    mark_used(fd);
    struct end_slot *s = &ends_of[which][fd];
    unsigned none = 0;
    if (!atomic_compare_exchange_strong(&s->state, &none, 1))
        return;                         /* another thread records it */
    uint64_t a[2];
    __builtin_memcpy(a, e->addr, sizeof a);
    atomic_store_explicit(&s->fam_port, (unsigned)e->family << 16 | (unsigned)e->port, RLX);
    atomic_store_explicit(&s->addr[0], a[0], RLX);
    atomic_store_explicit(&s->addr[1], a[1], RLX);
    atomic_store_explicit(&s->state, 2, memory_order_release);
}

/* ---- epoll registrations (fdstate.h, fi_ep_*) ---- */

/* seq: odd while a writer changes the record; 0 with no record. */
struct ep_rec {
    _Atomic unsigned seq;
    _Atomic int epfd;
    _Atomic uint32_t events;
    _Atomic uint64_t data;
    _Atomic unsigned told;
};
static struct ep_rec ep_recs[FI_FD_CAP];
static _Atomic int ep_top = -1;        /* the highest descriptor ever recorded */

/* Takes the record for writing; 0 if another writer holds it (a signal
 * handler interrupting a writer on the same descriptor: give up). */
static int ep_lock(struct ep_rec *r, unsigned *seq)
{
    for (int tries = 0; tries < 1000; tries++) {
        unsigned s = atomic_load(&r->seq);
        if (!(s & 1) && atomic_compare_exchange_weak(&r->seq, &s, s + 1)) {
            *seq = s + 1;
            return 1;
        }
    }
    return 0;
}

void fi_ep_record(int epfd, int op, int fd, uint32_t events, uint64_t data)
{
    if (!in_range(fd))
        return;
    struct ep_rec *r = &ep_recs[fd];
    unsigned seq;
    if (op == EPOLL_CTL_DEL && atomic_load(&r->epfd) != epfd)
        return;                         /* another instance's record stays */
    if (!ep_lock(r, &seq))
        return;
    mark_used(fd);
    for (int t = atomic_load(&ep_top); t < fd && !atomic_compare_exchange_weak(&ep_top, &t, fd);)
        ;
    atomic_store(&r->epfd, op == EPOLL_CTL_DEL ? -1 : epfd);
    atomic_store(&r->events, events);
    atomic_store(&r->data, data);
    atomic_store(&r->told, 0);
    atomic_store(&r->seq, seq + 1);
}

int fi_ep_lookup(int fd, struct fi_epreg *out)
{
    if (!in_range(fd))
        return 0;
    struct ep_rec *r = &ep_recs[fd];
    for (int tries = 0; tries < 1000; tries++) {
        unsigned s = atomic_load(&r->seq);
        if (s == 0)
            return 0;
        if (s & 1)
            continue;
        out->epfd = atomic_load(&r->epfd);
        out->events = atomic_load(&r->events);
        out->data = atomic_load(&r->data);
        out->told = atomic_load(&r->told);
        if (atomic_load(&r->seq) == s)
            return out->epfd >= 0;
    }
    return 0;
}

/* DATA is most often the descriptor itself (data.fd): tried first. */
int fi_ep_find(int epfd, uint64_t data)
{
    struct fi_epreg reg;
    int guess = (int)(uint32_t)data;
    if (fi_ep_lookup(guess, &reg) && reg.epfd == epfd && reg.data == data)
        return guess;
    for (int fd = 0, t = atomic_load(&ep_top); fd <= t; fd++)
        if (fi_ep_lookup(fd, &reg) && reg.epfd == epfd && reg.data == data)
            return fd;
    return -1;
}

void fi_ep_told(int fd, unsigned epoch)
{
    if (in_range(fd))
        atomic_store(&ep_recs[fd].told, epoch);
}

void fi_ep_forget(int fd)
{
    if (!in_range(fd))
        return;
    struct ep_rec *r = &ep_recs[fd];
    unsigned seq;
    if (atomic_load(&r->seq) == 0 || !ep_lock(r, &seq))
        return;
    atomic_store(&r->epfd, -1);
    atomic_store(&r->seq, seq + 1);
}

/* fdstate.c: per-descriptor state in static atomic arrays (see fdstate.h). */
#include "fdstate.h"

#include "engine.h"

#include <stdatomic.h>

static _Atomic uint64_t ident_of[FI_FD_CAP];
static _Atomic int sticky_of[FI_FD_CAP];
static _Atomic uint64_t bytes_of[FI_FD_CAP];
/* per=fd counters: generation in the top 16 bits, count below. */
static _Atomic uint64_t count_of[FI_MAX_RULES][FI_FD_CAP];

#define GEN_SHIFT 48
#define COUNT_MASK (((uint64_t)1 << GEN_SHIFT) - 1)

static int in_range(int fd)
{
    return fd >= 0 && fd < FI_FD_CAP;
}

void fi_fd_forget(int fd)
{
    if (!in_range(fd))
        return;
    atomic_store_explicit(&ident_of[fd], 0, memory_order_relaxed);
    if (atomic_exchange(&sticky_of[fd], FI_ST_NONE) != FI_ST_NONE)
        atomic_fetch_sub(&fi_state_flags, FI_STATE_STICKY_ONE);
    atomic_store_explicit(&bytes_of[fd], 0, memory_order_relaxed);
    for (int r = 0; r < FI_MAX_RULES; r++)
        atomic_store_explicit(&count_of[r][fd], 0, memory_order_relaxed);
}

void fi_fd_identify(int fd, uint64_t ident)
{
    if (!in_range(fd))
        return;
    uint64_t old = atomic_load_explicit(&ident_of[fd], memory_order_relaxed);
    if (old == ident)
        return;
    fi_fd_forget(fd);
    atomic_store_explicit(&ident_of[fd], ident, memory_order_relaxed);
}

int fi_fd_sticky(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&sticky_of[fd], memory_order_relaxed)
                        : FI_ST_NONE;
}

void fi_fd_set_sticky(int fd, int state)
{
    if (!in_range(fd))
        return;
    /* reset wins over eof: a reset descriptor never goes back to eof. */
    int old = atomic_load(&sticky_of[fd]);
    while (old < state && !atomic_compare_exchange_weak(&sticky_of[fd], &old, state))
        ;
    if (old == FI_ST_NONE)
        atomic_fetch_add(&fi_state_flags, FI_STATE_STICKY_ONE);
}

void fi_fd_add_bytes(int fd, uint64_t n)
{
    if (in_range(fd) && n > 0)
        atomic_fetch_add_explicit(&bytes_of[fd], n, memory_order_relaxed);
}

uint64_t fi_fd_bytes(int fd)
{
    return in_range(fd) ? atomic_load_explicit(&bytes_of[fd], memory_order_relaxed) : 0;
}

void fi_fd_reset_bytes(void)
{
    for (int fd = 0; fd < FI_FD_CAP; fd++)
        if (atomic_load_explicit(&bytes_of[fd], memory_order_relaxed) != 0)
            atomic_store_explicit(&bytes_of[fd], 0, memory_order_relaxed);
}

uint64_t fi_fd_count(int rule, int fd, unsigned gen)
{
    _Atomic uint64_t *slot = &count_of[rule][fd];
    uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
    uint64_t want;
    do {
        if ((old >> GEN_SHIFT) == gen)
            want = old + 1;
        else
            want = ((uint64_t)gen << GEN_SHIFT) | 1;
    } while (!atomic_compare_exchange_weak_explicit(slot, &old, want, memory_order_relaxed,
                                                    memory_order_relaxed));
    return want & COUNT_MASK;
}

/* epreg.c: the epoll registration table (see epreg.h). */
#include "epreg.h"

#include "fdstate.h"

#include <stdatomic.h>
#include <sys/epoll.h>

/* seq: odd while a writer changes the record; 0 with no record. */
struct rec {
    _Atomic unsigned seq;
    _Atomic int epfd;
    _Atomic uint32_t events;
    _Atomic uint64_t data;
    _Atomic unsigned told;
};
static struct rec recs[FI_FD_CAP];
static _Atomic int top = -1;           /* the highest descriptor ever recorded */

static int in_range(int fd)
{
    return fd >= 0 && fd < FI_FD_CAP;
}

/* Takes the record for writing; 0 if another writer holds it (a signal
 * handler interrupting a writer on the same descriptor: give up). */
static int lock(struct rec *r, unsigned *seq)
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
    struct rec *r = &recs[fd];
    unsigned seq;
    if (op == EPOLL_CTL_DEL && atomic_load(&r->epfd) != epfd)
        return;                         /* another instance's record stays */
    if (!lock(r, &seq))
        return;
    fi_fd_touch(fd);
    for (int t = atomic_load(&top); t < fd && !atomic_compare_exchange_weak(&top, &t, fd);)
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
    struct rec *r = &recs[fd];
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
    for (int fd = 0, t = atomic_load(&top); fd <= t; fd++)
        if (fi_ep_lookup(fd, &reg) && reg.epfd == epfd && reg.data == data)
            return fd;
    return -1;
}

void fi_ep_told(int fd, unsigned epoch)
{
    if (in_range(fd))
        atomic_store(&recs[fd].told, epoch);
}

void fi_ep_forget(int fd)
{
    if (!in_range(fd))
        return;
    struct rec *r = &recs[fd];
    unsigned seq;
    if (atomic_load(&r->seq) == 0 || !lock(r, &seq))
        return;
    atomic_store(&r->epfd, -1);
    atomic_store(&r->seq, seq + 1);
}

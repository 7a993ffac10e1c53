/* traceepoll.c: the traced program's epoll registrations (see traceepoll.h). */
#include "traceepoll.h"

#include "tracestate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

struct te_slot {
    struct te_reg r;
    uint64_t seq;               /* when recorded (te_find: the last of several) */
    int on;
};

struct te_table {
    struct te_slot *slot;
    int n;
    uint64_t seq;
};

static struct te_slot *slot_of(struct tproc *p, int fd, int grow)
{
    if (fd < 0 || fd >= 65536)
        return NULL;
    if (p->ep == NULL) {
        if (!grow || (p->ep = calloc(1, sizeof *p->ep)) == NULL)
            return NULL;
    }
    struct te_table *t = p->ep;
    if (fd >= t->n) {
        if (!grow)
            return NULL;
        int n = fd < 64 ? 64 : fd * 2;
        struct te_slot *m = realloc(t->slot, (size_t)n * sizeof *m);
        if (m == NULL)
            return NULL;
        memset(m + t->n, 0, (size_t)(n - t->n) * sizeof *m);
        t->slot = m;
        t->n = n;
    }
    return &t->slot[fd];
}

void te_record(struct tproc *p, int epfd, int op, int fd, uint32_t events, uint64_t data)
{
    if (op == EPOLL_CTL_DEL) {
        struct te_slot *s = slot_of(p, fd, 0);
        if (s != NULL && s->r.epfd == epfd)
            s->on = 0;
        return;
    }
    struct te_slot *s = slot_of(p, fd, 1);
    if (s == NULL)
        return;
    *s = (struct te_slot){ .r = { .epfd = epfd, .events = events, .data = data },
                           .seq = ++p->ep->seq, .on = 1 };
}

int te_lookup(const struct tproc *p, int fd, struct te_reg *out)
{
    if (p->ep == NULL || fd < 0 || fd >= p->ep->n || !p->ep->slot[fd].on)
        return 0;
    *out = p->ep->slot[fd].r;
    return 1;
}

int te_find(const struct tproc *p, int epfd, uint64_t data)
{
    /* the data as a descriptor number first (data.fd), as fdstate.c does */
    int guess = (int)(uint32_t)data;
    struct te_reg r;
    if (te_lookup(p, guess, &r) && r.epfd == epfd && r.data == data)
        return guess;
    int best = -1;
    uint64_t seq = 0;
    for (int fd = 0; p->ep != NULL && fd < p->ep->n; fd++) {
        const struct te_slot *s = &p->ep->slot[fd];
        if (s->on && s->r.epfd == epfd && s->r.data == data && s->seq > seq) {
            best = fd;
            seq = s->seq;
        }
    }
    return best;
}

void te_forget(struct tproc *p, int fd)
{
    struct te_slot *s = slot_of(p, fd, 0);
    if (s != NULL)
        s->on = 0;
}

void te_fork(struct tproc *child, const struct tproc *parent)
{
    child->ep = NULL;
    if (parent->ep == NULL || (child->ep = calloc(1, sizeof *child->ep)) == NULL)
        return;
    *child->ep = *parent->ep;
    child->ep->slot = NULL;
    child->ep->n = 0;
    size_t len = (size_t)parent->ep->n * sizeof *parent->ep->slot;
    if (len > 0 && (child->ep->slot = malloc(len)) != NULL) {
        memcpy(child->ep->slot, parent->ep->slot, len);
        child->ep->n = parent->ep->n;
    }
}

void te_free(struct tproc *p)
{
    if (p->ep != NULL)
        free(p->ep->slot);
    free(p->ep);
    p->ep = NULL;
}

/* traceepoll.c: the traced program's epoll registrations (see traceepoll.h). */
#include "traceepoll.h"

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define MAX_FD 65536

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

static struct te_slot *slot_of(struct te_table *t, int fd)
{
    return t != NULL && fd >= 0 && fd < t->n ? &t->slot[fd] : NULL;
}

static struct te_slot *grow(struct te_table **tp, int fd)
{
    if (fd < 0 || fd >= MAX_FD)
        return NULL;
    if (*tp == NULL && (*tp = calloc(1, sizeof **tp)) == NULL)
        return NULL;
    struct te_table *t = *tp;
    if (fd >= t->n) {
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

void te_record(struct te_table **t, int epfd, int op, int fd, uint32_t events, uint64_t data)
{
    if (op == EPOLL_CTL_DEL) {
        struct te_slot *s = slot_of(*t, fd);
        if (s != NULL && s->r.epfd == epfd)
            s->on = 0;
        return;
    }
    struct te_slot *s = grow(t, fd);
    if (s != NULL)
        *s = (struct te_slot){ .r = { .epfd = epfd, .events = events, .data = data },
                               .seq = ++(*t)->seq, .on = 1 };
}

int te_lookup(const struct te_table *t, int fd, struct te_reg *out)
{
    const struct te_slot *s = slot_of((struct te_table *)t, fd);
    if (s == NULL || !s->on)
        return 0;
    *out = s->r;
    return 1;
}

int te_find(const struct te_table *t, int epfd, uint64_t data)
{
    /* the data as a descriptor number first (data.fd), as fdstate.c does */
    int guess = (int)(uint32_t)data;
    struct te_reg r;
    if (te_lookup(t, guess, &r) && r.epfd == epfd && r.data == data)
        return guess;
    int best = -1;
    uint64_t seq = 0;
    for (int fd = 0; t != NULL && fd < t->n; fd++) {
        const struct te_slot *s = &t->slot[fd];
        if (s->on && s->r.epfd == epfd && s->r.data == data && s->seq > seq) {
            best = fd;
            seq = s->seq;
        }
    }
    return best;
}

void te_forget(struct te_table *t, int fd)
{
    struct te_slot *s = slot_of(t, fd);
    if (s != NULL)
        s->on = 0;
}

struct te_table *te_copy(const struct te_table *t)
{
    struct te_table *c = t != NULL ? calloc(1, sizeof *c) : NULL;
    if (c == NULL)
        return NULL;
    c->seq = t->seq;
    size_t len = (size_t)t->n * sizeof *t->slot;
    if (len > 0 && (c->slot = malloc(len)) != NULL) {
        memcpy(c->slot, t->slot, len);
        c->n = t->n;
    }
    return c;
}

void te_free(struct te_table *t)
{
    if (t != NULL)
        free(t->slot);
    free(t);
}

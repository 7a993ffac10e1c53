/* traceshown.c: readiness shown to the traced program (see traceshown.h). */
#include "traceshown.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FD 65536
#define RD_BITS (POLLIN | POLLRDNORM)
#define WR_BITS (POLLOUT | POLLWRNORM)

struct ts_table {
    uint64_t *shown;
    int n;
};

static uint64_t *slot_of(struct ts_table *t, int fd)
{
    return t != NULL && fd >= 0 && fd < t->n ? &t->shown[fd] : NULL;
}

static uint64_t *grow(struct ts_table **tp, int fd)
{
    if (fd < 0 || fd >= MAX_FD)
        return NULL;
    if (*tp == NULL && (*tp = calloc(1, sizeof **tp)) == NULL)
        return NULL;
    struct ts_table *t = *tp;
    if (fd >= t->n) {
        int n = fd < 64 ? 64 : fd * 2;
        uint64_t *m = realloc(t->shown, (size_t)n * sizeof *m);
        if (m == NULL)
            return NULL;
        memset(m + t->n, 0, (size_t)(n - t->n) * sizeof *m);
        t->shown = m;
        t->n = n;
    }
    return &t->shown[fd];
}

void ts_note(struct ts_table **t, int fd, unsigned revents)
{
    uint64_t bits = (revents & RD_BITS ? TS_RD : 0) | (revents & WR_BITS ? TS_WR : 0);
    uint64_t *s = bits ? grow(t, fd) : NULL;
    if (s != NULL)
        *s |= bits;
}

void ts_peeked(struct ts_table **t, int fd, uint64_t n)
{
    uint64_t *s = grow(t, fd);
    if (s != NULL)
        *s = (*s & TS_WR) | TS_RD | n << TS_SHIFT;
}

uint64_t ts_take(struct ts_table *t, int fd, int reading)
{
    uint64_t *s = slot_of(t, fd);
    unsigned bit = reading ? TS_RD : TS_WR;
    if (s == NULL || !(*s & bit))
        return 0;
    uint64_t was = *s;
    *s &= reading ? (uint64_t)TS_WR : ~(uint64_t)TS_WR;
    return was;
}

void ts_forget(struct ts_table *t, int fd)
{
    uint64_t *s = slot_of(t, fd);
    if (s != NULL)
        *s = 0;
}

struct ts_table *ts_copy(const struct ts_table *t)
{
    struct ts_table *c = t != NULL ? calloc(1, sizeof *c) : NULL;
    if (c == NULL)
        return NULL;
    size_t len = (size_t)t->n * sizeof *t->shown;
    if (len > 0 && (c->shown = malloc(len)) != NULL) {
        memcpy(c->shown, t->shown, len);
        c->n = t->n;
    }
    return c;
}

void ts_free(struct ts_table *t)
{
    if (t != NULL)
        free(t->shown);
    free(t);
}

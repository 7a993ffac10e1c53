/* logfmt.c: one injection log line (see logfmt.h). */
#include "logfmt.h"

#include "logparse.h"

/* Appends S to BUF at *LEN (bounded by CAP). */
static void put(char *buf, size_t *len, size_t cap, const char *s)
{
    while (*s && *len + 1 < cap)
        buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

static void put_u64(char *buf, size_t *len, size_t cap, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp - 1;
    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    put(buf, len, cap, tmp + i);
}

static void put_i64(char *buf, size_t *len, size_t cap, long long v)
{
    if (v < 0) {
        put(buf, len, cap, "-");
        put_u64(buf, len, cap, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(buf, len, cap, (uint64_t)v);
    }
}

/* The replay point's fields (decide.h, struct fi_point), after every
 * other: o= (not on a wait), q=, and off= on a data call. */
static void put_point(char *buf, size_t *len, size_t cap, const struct fi_point *pt)
{
    if (pt == NULL || pt->kind == FI_PT_NONE)
        return;
    if (pt->kind != FI_PT_WAIT) {
        put(buf, len, cap, " o=");
        put_u64(buf, len, cap, pt->ord);
    }
    put(buf, len, cap, " q=");
    put_u64(buf, len, cap, pt->q);
    if (pt->kind == FI_PT_DATA) {
        put(buf, len, cap, " off=");
        put_u64(buf, len, cap, pt->off);
    }
}

size_t fi_log_format(char *line, size_t cap, const struct fi_logfields *f)
{
    char fault[FI_LOG_FAULT_MAX], frac[10];
    size_t len = 0;
    line[0] = '\0';
    put_u64(line, &len, cap, (uint64_t)f->pid);
    put(line, &len, cap, " ");
    put_u64(line, &len, cap, (uint64_t)f->tid);
    put(line, &len, cap, " ");
    put(line, &len, cap, fi_call_name(f->call));
    put(line, &len, cap, " ");
    put_i64(line, &len, cap, f->fd);
    put(line, &len, cap, " ");
    fi_fault_text(f->r, fault);
    put(line, &len, cap, fault);
    put(line, &len, cap, " n=");
    put_u64(line, &len, cap, f->k);
    put(line, &len, cap, " rule=");
    put_u64(line, &len, cap, (uint64_t)f->rule + 1);
    put(line, &len, cap, " t=");
    long ns = f->t_nsec;
    for (int i = 8; i >= 0; i--, ns /= 10)
        frac[i] = (char)('0' + ns % 10);
    frac[9] = '\0';
    put_u64(line, &len, cap, f->t_sec);
    put(line, &len, cap, ".");
    put(line, &len, cap, frac);
    if (f->data) {
        put(line, &len, cap, " asked=");
        put_i64(line, &len, cap, f->asked);
        put(line, &len, cap, " ret=");
        put_i64(line, &len, cap, f->ret);
    }
    put(line, &len, cap, " c=");
    put_u64(line, &len, cap, f->callno);
    put(line, &len, cap, " proc=");
    put(line, &len, cap, f->proc);
    if (f->image > 0) {                 /* the process exec'd: a new image */
        put(line, &len, cap, " x=");
        put_u64(line, &len, cap, f->image);
    }
    put_point(line, &len, cap, f->pt);
    put(line, &len, cap, "\n");
    return len;
}

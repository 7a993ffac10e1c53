/* logparse.c: the injection log, read back (see logparse.h). */
#include "logparse.h"

#include "errnames.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define PID_LIMIT 4194304L
#define BIG ((uint64_t)1 << 62)

struct tok {
    const char *s;
    size_t len;
};

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next field of *REST (skipping blanks); len 0 at the end. */
static struct tok next(struct tok *rest)
{
    while (rest->len > 0 && is_blank(*rest->s)) {
        rest->s++;
        rest->len--;
    }
    struct tok t = { rest->s, 0 };
    while (t.len < rest->len && !is_blank(t.s[t.len]))
        t.len++;
    rest->s += t.len;
    rest->len -= t.len;
    return t;
}

static int tok_is(struct tok t, const char *w)
{
    return strlen(w) == t.len && memcmp(t.s, w, t.len) == 0;
}

/* Decimal digits only, at most MAX. */
static int u64_of(struct tok t, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (t.len == 0 || t.len > 20)
        return -1;
    for (size_t i = 0; i < t.len; i++) {
        if (t.s[i] < '0' || t.s[i] > '9')
            return -1;
        unsigned d = (unsigned)(t.s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* -1 or MIN..MAX (MIN >= 0). */
static int i64_of(struct tok t, uint64_t min, uint64_t max, long long *out)
{
    uint64_t v;
    if (tok_is(t, "-1")) {
        *out = -1;
        return 0;
    }
    if (u64_of(t, max, &v) < 0 || v < min)
        return -1;
    *out = (long long)v;
    return 0;
}

static int bad(char *err, size_t errlen, const char *what, struct tok t, const char *want)
{
    if (errlen > 0)
        snprintf(err, errlen, "%s '%.*s': %s", what, t.len > 60 ? 60 : (int)t.len, t.s,
                 want);
    return -1;
}

/* The first call of that name in names.h (splice: FI_C_SPLICE_IN). */
static int call_of(struct tok t, enum fi_call *out)
{
    for (int c = 0; c < FI_C_COUNT; c++)
        if (tok_is(t, fi_call_name((enum fi_call)c))) {
            *out = (enum fi_call)c;
            return 0;
        }
    return -1;
}

/* Appends S to BUF at *LEN, short of CAP. */
static void put(char *buf, size_t *len, size_t cap, const char *s)
{
    while (*s && *len + 1 < cap)
        buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

size_t fi_fault_text(const struct fi_rule *r, char *buf)
{
    size_t len = 0, cap = FI_LOG_FAULT_MAX;
    char digits[24];
    int i = (int)sizeof digits - 1;
    uint64_t v = (uint64_t)r->arg;
    buf[0] = '\0';
    put(buf, &len, cap, fi_fault_word(r->fault));
    switch (fi_fault_value(r->fault)) {
    case FI_V_NONE:
        break;
    case FI_V_ERRNO:
        put(buf, &len, cap, "=");
        put(buf, &len, cap, fi_errno_name((int)r->arg));
        break;
    case FI_V_BYTES:
    case FI_V_MS:
        put(buf, &len, cap, "=");
        digits[i] = '\0';
        do {
            digits[--i] = (char)('0' + v % 10);
            v /= 10;
        } while (v > 0);
        put(buf, &len, cap, digits + i);
        break;
    }
    return len;
}

/* The fault as the rule language spells it, checked against the call by
 * the rule parser itself ("read:short=5"). */
static int fault_of(struct tok call, struct tok t, struct fi_rule *out)
{
    char text[96];
    struct fi_ruleset rs;
    char err[8];
    if (t.len == 0 || t.len > 48)
        return -1;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '=' || c == '_'))
            return -1;                  /* no ':' or ';': one fault, no options */
    }
    snprintf(text, sizeof text, "%.*s:%.*s", (int)call.len, call.s, (int)t.len, t.s);
    if (fi_rules_parse(text, &rs, err, sizeof err) < 0 || rs.n != 1)
        return -1;
    *out = rs.rule[0];
    return 0;
}

/* proc=: "0" then ".N" parts, N from 1 without leading zeros. */
static int proc_of(struct tok t, char *out)
{
    if (t.len == 0 || t.len >= FI_LOG_PATH_MAX || t.s[0] != '0')
        return -1;
    for (size_t i = 1; i < t.len; i++) {
        if (t.s[i] != '.')
            return -1;
        if (i + 1 >= t.len || t.s[i + 1] < '1' || t.s[i + 1] > '9')
            return -1;
        i++;
        while (i + 1 < t.len && t.s[i + 1] >= '0' && t.s[i + 1] <= '9')
            i++;
    }
    memcpy(out, t.s, t.len);
    out[t.len] = '\0';
    return 0;
}

/* t=SECONDS.NNNNNNNNN */
static int time_of(struct tok t, uint64_t *sec, uint32_t *nsec)
{
    const char *dot = memchr(t.s, '.', t.len);
    if (dot == NULL)
        return -1;
    struct tok s = { t.s, (size_t)(dot - t.s) }, f = { dot + 1, t.len - s.len - 1 };
    uint64_t ns;
    if (u64_of(s, BIG, sec) < 0 || f.len != 9 || u64_of(f, 999999999, &ns) < 0)
        return -1;
    *nsec = (uint32_t)ns;
    return 0;
}

enum { K_N, K_RULE, K_T, K_ASKED, K_RET, K_C, K_PROC, K_X, K_O, K_Q, K_OFF, K_COUNT };

/* o=, q=, off= (logparse.h): the values; point_check judges the mix. */
static int point_field(int k, struct tok val, struct fi_point *pt, char *err, size_t errlen)
{
    uint64_t v;
    if (u64_of(val, BIG, &v) < 0 || (k == K_Q && v == 0))
        return bad(err, errlen, k == K_O ? "o=" : k == K_Q ? "q=" : "off=", val,
                   k == K_O    ? "want the descriptor's ordinal, 0..2^62"
                   : k == K_Q  ? "want the call's position, 1..2^62"
                               : "want a stream offset, 0..2^62");
    if (k == K_O)
        pt->ord = v;
    else if (k == K_Q)
        pt->q = v;
    else
        pt->off = v;
    return 0;
}

/* The point's fields as a whole: none (an older log: c= alone), or the
 * set that the line's kind calls for. */
static int point_check(unsigned seen, struct fi_logline *o, char *err, size_t errlen)
{
    int has_o = (seen >> K_O) & 1, has_q = (seen >> K_Q) & 1, has_off = (seen >> K_OFF) & 1;
    o->pt.kind = FI_PT_NONE;
    if (!has_o && !has_q && !has_off)
        return 0;
    if (o->fd < 0) {
        if (has_o || has_off)
            return bad(err, errlen, "field", has_o ? (struct tok){ "o=", 2 }
                                                   : (struct tok){ "off=", 4 },
                       "not on a wait (fd -1): its point is q= alone");
        o->pt.kind = FI_PT_WAIT;
        return 0;
    }
    if (has_o != has_q)
        return bad(err, errlen, "field", has_o ? (struct tok){ "q=", 2 } : (struct tok){ "o=", 2 },
                   "missing (o= and q= come together)");
    if (has_off != o->data)
        return bad(err, errlen, "field", (struct tok){ "off=", 4 },
                   has_off ? "only on a data call's line (with asked= and ret=)"
                           : "missing (a data call's point has o=, q= and off=)");
    o->pt.kind = o->data ? FI_PT_DATA : FI_PT_CALL;
    return 0;
}

static int keyed(struct tok key, struct tok val, struct fi_logline *o, char *err,
                 size_t errlen, unsigned *seen)
{
    static const char *const keys[K_COUNT] = { "n", "rule", "t", "asked", "ret", "c", "proc",
                                               "x", "o", "q", "off" };
    int k = -1;
    for (int i = 0; i < K_COUNT; i++)
        if (tok_is(key, keys[i]))
            k = i;
    if (k < 0)
        return 0;                       /* a later field: allowed */
    if (*seen & (1u << k))
        return bad(err, errlen, "field", key, "given twice");
    *seen |= 1u << k;
    uint64_t v;
    switch (k) {
    case K_N:
        if (u64_of(val, UINT64_MAX, &o->n) < 0 || o->n == 0)
            return bad(err, errlen, "n=", val, "want the call's number for its rule, from 1");
        return 0;
    case K_RULE:
        if (u64_of(val, FI_MAX_RULES, &v) < 0 || v == 0)
            return bad(err, errlen, "rule=", val, "want a rule's place, 1..16");
        o->rule = (int)v - 1;
        return 0;
    case K_T:
        if (time_of(val, &o->t_sec, &o->t_nsec) < 0)
            return bad(err, errlen, "t=", val, "want SECONDS.NNNNNNNNN");
        return 0;
    case K_ASKED:
        if (i64_of(val, 0, BIG, &o->asked) < 0 || o->asked < 0)
            return bad(err, errlen, "asked=", val, "want a byte count, 0..2^62");
        return 0;
    case K_RET:
        if (i64_of(val, 0, BIG, &o->ret) < 0)
            return bad(err, errlen, "ret=", val, "want -1 or a byte count, 0..2^62");
        return 0;
    case K_C:
        if (u64_of(val, UINT64_MAX, &o->callno) < 0 || o->callno == 0)
            return bad(err, errlen, "c=", val, "want the call's number by name, from 1");
        return 0;
    case K_O:
    case K_Q:
    case K_OFF:
        return point_field(k, val, &o->pt, err, errlen);
    case K_X:
        if (u64_of(val, 0x7fffffff, &v) < 0 || v == 0)
            return bad(err, errlen, "x=", val, "want the process image after an exec, from 1");
        o->image = (unsigned)v;
        return 0;
    default:
        if (proc_of(val, o->proc) < 0)
            return bad(err, errlen, "proc=", val, "want a fork path: 0, 0.1, 0.2.3 ...");
        return 0;
    }
}

int fi_logline_parse(const char *text, size_t len, struct fi_logline *o, char *err,
                     size_t errlen)
{
    struct tok rest = { text, len };
    uint64_t v;
    long long fd;
    memset(o, 0, sizeof *o);
    o->text = text;
    o->textlen = len;
    if (errlen > 0)
        err[0] = '\0';
    struct tok pid = next(&rest);
    if (pid.len == 0 || pid.s[0] == '#')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\0' || text[i] == '\n')
            return bad(err, errlen, "line", (struct tok){ text, len }, "holds a NUL or newline");
    struct tok tid = next(&rest), call = next(&rest), fdt = next(&rest), fault = next(&rest);
    if (u64_of(pid, PID_LIMIT, &v) < 0 || v == 0)
        return bad(err, errlen, "pid", pid, "want a process id, 1..4194304");
    o->pid = (long)v;
    if (u64_of(tid, PID_LIMIT, &v) < 0 || v == 0)
        return bad(err, errlen, "tid", tid, "want a thread id, 1..4194304");
    o->tid = (long)v;
    if (call_of(call, &o->call) < 0)
        return bad(err, errlen, "call", call, "not a call the shim injects");
    if (i64_of(fdt, 0, INT_MAX, &fd) < 0)
        return bad(err, errlen, "fd", fdt, "want a descriptor number (or -1)");
    o->fd = (int)fd;
    if (fault_of(call, fault, &o->fault) < 0)
        return bad(err, errlen, "fault", fault, "not a fault the rules allow on that call");
    unsigned seen = 0;
    for (struct tok f = next(&rest); f.len > 0; f = next(&rest)) {
        const char *eq = memchr(f.s, '=', f.len);
        if (eq == NULL || eq == f.s)
            return bad(err, errlen, "field", f, "want KEY=VALUE");
        struct tok key = { f.s, (size_t)(eq - f.s) }, val = { eq + 1, f.len - key.len - 1 };
        if (keyed(key, val, o, err, errlen, &seen) < 0)
            return -1;
    }
    static const char *const need[] = { "n=", "rule=", "t=" };
    for (int k = K_N; k <= K_T; k++)
        if (!(seen & (1u << k)))
            return bad(err, errlen, "field", (struct tok){ need[k], strlen(need[k]) },
                       "missing");
    if (!(seen & (1u << K_C)))
        return bad(err, errlen, "field", (struct tok){ "c=", 2 }, "missing (--replay needs it)");
    if (!(seen & (1u << K_PROC)))
        return bad(err, errlen, "field", (struct tok){ "proc=", 5 },
                   "missing (--replay needs it)");
    int asked = (seen >> K_ASKED) & 1, ret = (seen >> K_RET) & 1;
    if (asked != ret)
        return bad(err, errlen, "field", asked ? (struct tok){ "ret=", 4 }
                                               : (struct tok){ "asked=", 6 },
                   "missing (asked= and ret= come together)");
    o->data = asked;
    if (point_check(seen, o, err, errlen) < 0)
        return -1;
    return 1;
}

long fi_log_parse(const char *text, size_t len, fi_logline_fn each, void *arg, char *err,
                  size_t errlen)
{
    long faults = 0, lineno = 0;
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
        struct fi_logline line;
        char why[200];
        lineno++;
        int r = fi_logline_parse(text + at, n, &line, why, sizeof why);
        if (r < 0) {
            if (errlen > 0)
                snprintf(err, errlen, "line %ld: %s", lineno, why);
            return -1;
        }
        if (r > 0) {
            if (each != NULL && each(&line, arg) != 0) {
                if (errlen > 0 && err[0] == '\0')
                    snprintf(err, errlen, "line %ld: refused", lineno);
                return -1;
            }
            faults++;
        }
        at += n + 1;
    }
    return faults;
}

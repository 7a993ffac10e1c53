/* rules.c: parses the rule language (grammar in rules.h). Pure: no I/O,
 * no allocation, no globals; every error names the rule and the problem. */
#include "rules.h"

#include "errnames.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define OPTIONS_WANT "when=, p=, after=, fd=, per=fd, peer=, local="

/* A bounded appender: counts what it would need (as snprintf). */
struct out {
    char *buf;
    size_t cap, len;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->len < o->cap ? o->buf + o->len : NULL,
                      o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

/* The lists of names.h's words that messages and the help show. */

/* Every call name (each once) then the group words: "read readv ... wait". */
static const char *calls_want(char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    const char *word;
    buf[0] = '\0';
    for (int c = 0; c < FI_C_COUNT; c++)
        if (fi_call_listed((enum fi_call)c))
            emit(&o, "%s%s", o.len ? " " : "", fi_call_name((enum fi_call)c));
    for (int g = 0; (word = fi_group_word(g, NULL, NULL)) != NULL; g++)
        emit(&o, " %s", word);
    return buf;
}

/* The faults whose calls include all of MASK, spelled as rules write them
 * ("short[=N]", "error=NAME"), separated by SEP and the last by LAST. */
static void emit_faults(struct out *o, unsigned mask, const char *sep, const char *last)
{
    int n = 0, shown = 0;
    for (int i = 0; i < FI_F_COUNT; i++)
        n += (fi_fault_calls(fi_fault_at(i)) & mask) == mask;
    for (int i = 0; i < FI_F_COUNT; i++) {
        enum fi_fault f = fi_fault_at(i);
        if ((fi_fault_calls(f) & mask) != mask)
            continue;
        emit(o, "%s%s%s", shown == 0 ? "" : shown == n - 1 ? last : sep, fi_fault_word(f),
             fi_value_spelling(fi_fault_value(f)));
        shown++;
    }
}

/* "short[=N], eintr, ...": every fault. */
static const char *faults_want(char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    buf[0] = '\0';
    emit_faults(&o, 0, ", ", ", ");
    return buf;
}

/* A piece of the input: [s, s+len). */
struct span {
    const char *s;
    size_t len;
};

/* Where a message goes, and the rule it is about. */
struct ctx {
    struct span rule;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(const struct ctx *c, const char *fmt, ...)
{
    if (c->errlen == 0)
        return -1;
    /* A very long rule is shortened so that what is wrong still fits. */
    int shown = c->rule.len > 160 ? 160 : (int)c->rule.len;
    int n = snprintf(c->err, c->errlen, "rule '%.*s%s': ", shown, c->rule.s,
                     c->rule.len > 160 ? "..." : "");
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int span_is(struct span sp, const char *word)
{
    return strlen(word) == sp.len && memcmp(sp.s, word, sp.len) == 0;
}

/* Decimal digits only, value <= max; 0 or -1. */
static int parse_u64(struct span sp, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (sp.len == 0)
        return -1;
    for (size_t i = 0; i < sp.len; i++) {
        if (sp.s[i] < '0' || sp.s[i] > '9')
            return -1;
        unsigned d = (unsigned)(sp.s[i] - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Splits SP at the first C: head before, tail after (tail.s NULL if none). */
static struct span split(struct span sp, char c, struct span *tail)
{
    const char *p = memchr(sp.s, c, sp.len);
    struct span head = { sp.s, p ? (size_t)(p - sp.s) : sp.len };
    tail->s = p ? p + 1 : NULL;
    tail->len = p ? sp.len - head.len - 1 : 0;
    return head;
}

/* The next option of SP: up to the next ':', except that peer= and local=
 * keep their own ':PORT' (and the colons of a bracketed IPv6 address). */
static struct span split_option(struct span sp, struct span *tail)
{
    size_t i = 0;
    int addr = (sp.len >= 5 && memcmp(sp.s, "peer=", 5) == 0) ? 5
             : (sp.len >= 6 && memcmp(sp.s, "local=", 6) == 0) ? 6 : 0;
    if (addr == 0)
        return split(sp, ':', tail);
    i = (size_t)addr;
    if (i < sp.len && sp.s[i] == '[')
        while (i < sp.len && sp.s[i] != ']')
            i++;
    while (i < sp.len && sp.s[i] != ':')
        i++;
    if (i + 1 < sp.len && sp.s[i] == ':' && sp.s[i + 1] >= '0' && sp.s[i + 1] <= '9')
        for (i++; i < sp.len && sp.s[i] != ':'; i++)
            ;
    struct span head = { sp.s, i };
    tail->s = i < sp.len ? sp.s + i + 1 : NULL;
    tail->len = i < sp.len ? sp.len - i - 1 : 0;
    return head;
}

static int parse_calls(const struct ctx *c, struct span sp, unsigned *mask)
{
    *mask = 0;
    for (;;) {
        struct span rest;
        struct span name = split(sp, ',', &rest);
        unsigned bit = fi_calls_named(name.s, name.len); /* splice: two families */
        if (bit == 0) {
            char want[512];
            if (name.len == 0)
                return fail(c, "empty call name (want %s)", calls_want(want, sizeof want));
            return fail(c, "unknown call '%.*s' (want %s)", (int)name.len, name.s,
                        calls_want(want, sizeof want));
        }
        *mask |= bit;
        if (rest.s == NULL)
            return 0;
        sp = rest;
    }
}

static int parse_fault(const struct ctx *c, struct span sp, struct fi_rule *r)
{
    struct span val;
    struct span word = split(sp, '=', &val);
    uint64_t n;
    int f = fi_fault_from_word(word.s, word.len);
    r->arg = 0;
    if (f < 0) {
        char want[256];
        if (word.len == 0)
            return fail(c, "missing fault (want %s)", faults_want(want, sizeof want));
        return fail(c, "unknown fault '%.*s' (want %s)", (int)word.len, word.s,
                    faults_want(want, sizeof want));
    }
    const char *w = fi_fault_word((enum fi_fault)f);
    r->fault = (enum fi_fault)f;
    switch (fi_fault_value(r->fault)) {
    case FI_V_NONE:
        if (val.s != NULL)
            return fail(c, "fault '%s' takes no value", w);
        return 0;
    case FI_V_BYTES:
        r->arg = 1;
        if (val.s == NULL)
            return 0;
        if (parse_u64(val, 0x7fffffff, &n) < 0 || n == 0)
            return fail(c, "%s=%.*s: want a byte count from 1 to 2147483647", w,
                        (int)val.len, val.s);
        r->arg = (long)n;
        return 0;
    case FI_V_ERRNO:
        if (val.s == NULL || val.len == 0)
            return fail(c, "%s needs a name, e.g. %s=ECONNABORTED", w, w);
        int e = fi_errno_from_name(val.s, val.len);
        if (e < 0)
            return fail(c, "%s=%.*s: not an errno.h name (e.g. ECONNRESET)", w,
                        (int)val.len, val.s);
        r->arg = e;
        return 0;
    case FI_V_MS:
        if (val.s == NULL)
            return fail(c, "%s needs milliseconds, e.g. %s=10", w, w);
        if (parse_u64(val, 3600000, &n) < 0)
            return fail(c, "%s=%.*s: want milliseconds from 0 to 3600000", w,
                        (int)val.len, val.s);
        r->arg = (long)n;
        return 0;
    }
    return -1;
}

#define WHEN_MAX ((uint64_t)1 << 62)

/* strace's FIRST[..LAST][+[STEP]]. */
static int parse_when(const struct ctx *c, struct span val, struct fi_rule *r)
{
    struct span step;
    struct span range = split(val, '+', &step);
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < range.len; i++)
        if (range.s[i] == '.' && range.s[i + 1] == '.') {
            dots = range.s + i;
            break;
        }
    struct span first = { range.s, dots ? (size_t)(dots - range.s) : range.len };
    struct span last = { dots ? dots + 2 : NULL, dots ? range.len - first.len - 2 : 0 };

    if (parse_u64(first, WHEN_MAX, &r->when_first) < 0 || r->when_first == 0)
        return fail(c, "when=%.*s: FIRST must be a call number from 1 "
                    "(want FIRST[..LAST][+STEP], e.g. when=3, when=3+, when=2..6+2)",
                    (int)val.len, val.s);
    r->when_last = r->when_first;
    r->when_step = 1;
    if (dots != NULL) {
        if (parse_u64(last, WHEN_MAX, &r->when_last) < 0)
            return fail(c, "when=%.*s: LAST must be a call number (e.g. when=2..6)",
                        (int)val.len, val.s);
        if (r->when_last < r->when_first)
            return fail(c, "when=%.*s: LAST is before FIRST", (int)val.len, val.s);
    }
    if (step.s != NULL) {
        if (dots == NULL)
            r->when_last = UINT64_MAX;
        if (step.len > 0 && (parse_u64(step, WHEN_MAX, &r->when_step) < 0 ||
                             r->when_step == 0))
            return fail(c, "when=%.*s: STEP must be a number from 1 (e.g. when=2+3)",
                        (int)val.len, val.s);
    }
    r->has_when = 1;
    return 0;
}

/* A probability: D+[.D*] or .D+, from 0 to 1, at most 18 decimals. */
static int parse_prob(const struct ctx *c, struct span val, struct fi_rule *r)
{
    uint64_t num = 0, den = 1;
    size_t i = 0, ndigits = 0, nfrac = 0;
    int dot = 0;
    for (; i < val.len; i++) {
        char ch = val.s[i];
        if (ch == '.' && !dot) {
            dot = 1;
            continue;
        }
        if (ch < '0' || ch > '9' || (!dot && num > 1) || nfrac >= 18)
            break;
        num = num * 10 + (uint64_t)(ch - '0');
        ndigits++;
        if (dot) {
            den *= 10;
            nfrac++;
        }
    }
    if (i != val.len || ndigits == 0 || num > den)
        return fail(c, "p=%.*s: want a probability from 0 to 1 (e.g. p=0.3)",
                    (int)val.len, val.s);
    r->has_p = 1;
    r->p_always = num == den;
    /* threshold = num/den * 2^64; den <= 10^18 and num <= den. */
    r->p_threshold = r->p_always ? UINT64_MAX
        : (uint64_t)(((unsigned __int128)num << 64) / den);
    return 0;
}

/* [ADDR][:PORT]: 1.2.3.4, 1.2.3.4:80, :80, [::1], [::1]:80. */
static int parse_addrsel(struct span val, struct fi_addrsel *sel)
{
    char text[64];
    struct span port = { NULL, 0 };
    size_t alen = val.len;
    sel->on = 1;
    sel->family = 0;
    sel->port = -1;
    if (val.len > 0 && val.s[0] == '[') {
        const char *close = memchr(val.s, ']', val.len);
        if (close == NULL)
            return -1;
        size_t n = (size_t)(close - val.s) - 1;
        if (n == 0 || n >= sizeof text)
            return -1;
        memcpy(text, val.s + 1, n);
        text[n] = '\0';
        if (inet_pton(AF_INET6, text, sel->addr) != 1)
            return -1;
        sel->family = AF_INET6;
        size_t used = n + 2;
        if (used < val.len) {
            if (val.s[used] != ':')
                return -1;
            port = (struct span){ val.s + used + 1, val.len - used - 1 };
        }
    } else {
        const char *colon = memchr(val.s, ':', val.len);
        if (colon != NULL) {
            alen = (size_t)(colon - val.s);
            port = (struct span){ colon + 1, val.len - alen - 1 };
        }
        if (alen > 0) {
            if (alen >= sizeof text)
                return -1;
            memcpy(text, val.s, alen);
            text[alen] = '\0';
            if (inet_pton(AF_INET, text, sel->addr) != 1)
                return -1;
            sel->family = AF_INET;
        } else if (colon == NULL) {
            return -1;
        }
    }
    if (port.s != NULL) {
        uint64_t n;
        if (parse_u64(port, 65535, &n) < 0)
            return -1;
        sel->port = (int)n;
    }
    return sel->family != 0 || sel->port >= 0 ? 0 : -1;
}

static int parse_option(const struct ctx *c, struct span sp, struct fi_rule *r,
                        unsigned *seen)
{
    struct span val;
    struct span key = split(sp, '=', &val);
    static const char *const keys[] = { "when", "p", "after", "fd", "per", "peer", "local" };
    int k = -1;
    for (int i = 0; i < 7; i++)
        if (span_is(key, keys[i]))
            k = i;
    if (k < 0) {
        if (key.len == 0)
            return fail(c, "empty option (want %s)", OPTIONS_WANT);
        return fail(c, "unknown option '%.*s' (want %s)", (int)key.len, key.s,
                    OPTIONS_WANT);
    }
    if (*seen & (1u << k))
        return fail(c, "option '%s' given twice", keys[k]);
    *seen |= 1u << k;
    if (val.s == NULL || val.len == 0)
        return fail(c, "option '%s' needs a value (e.g. %s)", keys[k],
                    (const char *const[]){ "when=3", "p=0.3", "after=65536",
                                           "fd=any", "per=fd", "peer=127.0.0.1:6379",
                                           "local=:8080" }[k]);
    uint64_t n;
    switch (k) {
    case 0:
        return parse_when(c, val, r);
    case 1:
        return parse_prob(c, val, r);
    case 2:
        if (parse_u64(val, (uint64_t)1 << 62, &r->after) < 0)
            return fail(c, "after=%.*s: want a byte count from 0 to 2^62",
                        (int)val.len, val.s);
        r->has_after = 1;
        return 0;
    case 3:
        if (span_is(val, "sock"))
            r->fdsel = FI_FD_SOCK;
        else if (span_is(val, "pipe"))
            r->fdsel = FI_FD_PIPE;
        else if (span_is(val, "any"))
            r->fdsel = FI_FD_ANY;
        else if (parse_u64(val, 0x7fffffff, &n) == 0) {
            r->fdsel = FI_FD_NUM;
            r->fdnum = (int)n;
        } else
            return fail(c, "fd=%.*s: want sock, pipe, any or a descriptor number",
                        (int)val.len, val.s);
        return 0;
    case 4:
        if (!span_is(val, "fd"))
            return fail(c, "per=%.*s: only per=fd is known", (int)val.len, val.s);
        r->per_fd = 1;
        return 0;
    default:
        if (parse_addrsel(val, k == 5 ? &r->peer : &r->local) < 0)
            return fail(c, "%s=%.*s: want [ADDR][:PORT], ADDR IPv4 or [IPv6], PORT 1..65535 "
                        "(e.g. %s=127.0.0.1:6379, %s=:8080, %s=[::1]:80)", keys[k],
                        (int)val.len, val.s, keys[k], keys[k], keys[k]);
        /* ip(7): port 0 is "any port" for bind; no socket's end the rules
         * could see ever has it, so such a rule could never match. */
        if ((k == 5 ? &r->peer : &r->local)->port == 0)
            return fail(c, "%s=%.*s: port 0 is no socket's end (the kernel picks a real "
                        "port at bind or connect); name the port the socket gets",
                        keys[k], (int)val.len, val.s);
        return 0;
    }
}

/* The fault and options must make sense for every call the rule names. */
static int check_fault_fits(const struct ctx *c, const struct fi_rule *r)
{
    unsigned fits = fi_fault_calls(r->fault);
    unsigned bad = r->calls & ~fits;
    const char *fname = fi_fault_word(r->fault);
    if (bad != 0 && (fits & ~(FI_RD_MASK | FI_WR_MASK)) == 0)
        return fail(c, "fault '%s' does not apply to %s (only to read-like and "
                    "write-like calls)", fname, fi_call_name(__builtin_ctz(bad)));
    if (bad != 0) {
        char takes[128];
        struct out o = { takes, sizeof takes, 0 };
        emit_faults(&o, FI_WAIT_MASK, ", ", " or ");
        return fail(c, "fault '%s' does not apply to %s (a readiness wait takes %s)",
                    fname, fi_call_name(__builtin_ctz(bad)), takes);
    }
    unsigned waits = r->calls & FI_WAIT_MASK;
    if (waits == 0)
        return 0;
    const char *wname = fi_call_name(__builtin_ctz(waits));
    const char *opt = r->fdsel != FI_FD_SOCK ? "fd=" : r->peer.on ? "peer="
                    : r->local.on ? "local=" : r->has_after ? "after="
                    : r->per_fd ? "per=" : NULL;
    if (opt != NULL)
        return fail(c, "option '%s' does not apply to %s (a rule on a readiness wait "
                    "matches every wait call)", opt, wname);
    return 0;
}

static int parse_rule(const struct ctx *c, struct fi_rule *r)
{
    struct span rest;
    struct span calls = split(c->rule, ':', &rest);
    memset(r, 0, sizeof *r);
    r->fdsel = FI_FD_SOCK;
    if (parse_calls(c, calls, &r->calls) < 0)
        return -1;
    if (rest.s == NULL)
        return fail(c, "missing ':FAULT' (want CALLS:FAULT[:OPTION]..., e.g. read:short=1)");
    struct span fault = split(rest, ':', &rest);
    if (parse_fault(c, fault, r) < 0)
        return -1;
    unsigned seen = 0;
    while (rest.s != NULL) {
        struct span opt = split_option(rest, &rest);
        if (parse_option(c, opt, r, &seen) < 0)
            return -1;
    }
    return check_fault_fits(c, r);
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

int fi_rules_parse(const char *text, struct fi_ruleset *out, char *err, size_t errlen)
{
    struct ctx c = { { text, 0 }, err, errlen };
    struct span all = { text, text ? strlen(text) : 0 };
    if (errlen > 0)
        err[0] = '\0';
    out->n = 0;
    while (all.len > 0 && is_space(all.s[0])) {
        all.s++;
        all.len--;
    }
    if (all.len == 0)
        return 0;                   /* no rule at all */
    for (;;) {
        struct span rest;
        struct span one = split(all, ';', &rest);
        while (one.len > 0 && is_space(one.s[0])) {
            one.s++;
            one.len--;
        }
        while (one.len > 0 && is_space(one.s[one.len - 1]))
            one.len--;
        c.rule = one;
        if (one.len == 0) {
            c.rule = all;
            return fail(&c, "empty rule (rules are separated by ';')");
        }
        if (out->n == FI_MAX_RULES)
            return fail(&c, "too many rules (at most %d)", FI_MAX_RULES);
        if (parse_rule(&c, &out->rule[out->n]) < 0)
            return -1;
        out->n++;
        if (rest.s == NULL)
            return 0;
        all = rest;
    }
}

int fi_number_parse(const char *what, const char *text, uint64_t min, uint64_t max,
                    uint64_t *out, char *err, size_t errlen)
{
    struct span sp = { text, strlen(text) };
    if (parse_u64(sp, max, out) == 0 && *out >= min)
        return 0;
    if (errlen > 0)
        snprintf(err, errlen, "%s '%s': want a whole number from %llu to %llu",
                 what, text, (unsigned long long)min, (unsigned long long)max);
    return -1;
}

int fi_seed_parse(const char *text, uint64_t *out, char *err, size_t errlen)
{
    return fi_number_parse("seed", text, 0, UINT64_MAX, out, err, errlen);
}

int fi_when_matches(const struct fi_rule *r, uint64_t k)
{
    if (!r->has_when)
        return 1;
    return k >= r->when_first && k <= r->when_last &&
           (k - r->when_first) % r->when_step == 0;
}

int fi_addrsel_matches(const struct fi_addrsel *sel, int family, const unsigned char *addr,
                       int port)
{
    static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (!sel->on)
        return 1;
    if (family != AF_INET && family != AF_INET6)
        return 0;                           /* unix sockets have no address or port */
    if (sel->port >= 0 && sel->port != port)
        return 0;
    if (sel->family == 0)
        return 1;
    if (sel->family == family)
        return memcmp(sel->addr, addr, family == AF_INET ? 4 : 16) == 0;
    /* An IPv4 rule on a dual-stack IPv6 socket: ::ffff:a.b.c.d. */
    return sel->family == AF_INET && family == AF_INET6 &&
           memcmp(addr, v4mapped, 12) == 0 && memcmp(addr + 12, sel->addr, 4) == 0;
}

/* ---- the help text ----------------------------------------------------- */

/* The CALLS lines: every call name goes on the first line whose families
 * hold all of that name's (splice, read-like and write-like, on its own);
 * the names, then TEXT from column COL (on a line of its own when the
 * names reach it). */
static const struct {
    unsigned families;              /* 1u << FI_FAM_* */
    int col;
    const char *text;
} call_lines[] = {
    { 1u << FI_FAM_READ, 46, "read-like   e.g. read,recv:short=1" },
    { 1u << FI_FAM_WRITE, 46, "write-like  e.g. send:eagain" },
    { 1u << FI_FAM_READ | 1u << FI_FAM_WRITE, 14,
      "read-like on a socket it reads, write-like on one it writes" },
    { 1u << FI_FAM_ACCEPT | 1u << FI_FAM_CONNECT | 1u << FI_FAM_CLOSE, 46,
      "e.g. accept:error=ECONNABORTED" },
    { 1u << FI_FAM_WAIT, 27, "readiness waits (ppoll, pselect, epoll_pwait[2] too)\n"
      "                                              e.g. epoll_wait:eintr:p=0.3" },
};

/* The families of every call spelled like C. */
static unsigned name_families(enum fi_call c)
{
    const char *name = fi_call_name(c);
    unsigned calls = fi_calls_named(name, strlen(name)), fams = 0;
    for (int i = 0; i < FI_C_COUNT; i++)
        if (calls & FI_BIT(i))
            fams |= 1u << fi_call_family((enum fi_call)i);
    return fams;
}

static int call_line_of(enum fi_call c)
{
    unsigned fams = name_families(c);
    for (size_t l = 0; l < sizeof call_lines / sizeof call_lines[0]; l++)
        if ((fams & ~call_lines[l].families) == 0)
            return (int)l;
    return -1;
}

static void emit_call_lines(struct out *o)
{
    for (size_t l = 0; l < sizeof call_lines / sizeof call_lines[0]; l++) {
        size_t start = o->len;
        for (int c = 0; c < FI_C_COUNT; c++)
            if (fi_call_listed((enum fi_call)c) && call_line_of((enum fi_call)c) == (int)l)
                emit(o, "%s%s", o->len == start ? "  " : " ", fi_call_name((enum fi_call)c));
        if (o->len == start)
            continue;
        int width = (int)(o->len - start);
        if (width >= call_lines[l].col) {
            emit(o, "\n");
            width = 0;
        }
        emit(o, "%*s%s\n", call_lines[l].col - width, "", call_lines[l].text);
    }
}

/* A fault's help: its spelling, then its text, each further line of it
 * under the first. */
static void emit_fault_help(struct out *o, enum fi_fault f)
{
    char spelled[32];
    snprintf(spelled, sizeof spelled, "%s%s", fi_fault_word(f),
             fi_value_spelling(fi_fault_value(f)));
    emit(o, "  %-13s ", spelled);
    for (const char *t = fi_fault_help(f); *t != '\0';) {
        const char *nl = strchr(t, '\n');
        int n = nl ? (int)(nl - t) : (int)strlen(t);
        emit(o, "%.*s\n", n, t);
        if (nl == NULL)
            break;
        emit(o, "%16s", "");
        t = nl + 1;
    }
}

size_t fi_rules_help_text(char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    const char *word, *help;
    if (len > 0)
        buf[0] = '\0';
    emit(&o, "RULE is CALLS:FAULT[:OPTION]...; several rules are separated by ';' (spaces\n"
             "around ';' allowed) or given as several -e. The first rule that fires wins.\n"
             "CALLS (comma-separated):\n");
    emit_call_lines(&o);
    for (int g = 0; (word = fi_group_word(g, NULL, &help)) != NULL; g++)
        emit(&o, "  %s%s\n", word, help);
    emit(&o, "  (__read_chk, __recv_chk, __recvfrom_chk, __poll_chk count as the plain call)\n"
             "FAULT:\n");
    for (int i = 0; i < FI_F_COUNT; i++)
        emit_fault_help(&o, fi_fault_at(i));
    emit(&o, "  (short, reset, eof, stall never fire on datagram, seqpacket or raw sockets;\n"
             "   a readiness wait takes only ");
    emit_faults(&o, FI_WAIT_MASK, ", ", ", ");
    emit(&o, ")\n"
"OPTION:\n"
"  when=FIRST[..LAST][+STEP]  matching calls to fire on, from 1 (as strace)\n"
"                e.g. when=3 (only 3), when=3+ (3 and later), when=2..6+2 (2, 4, 6)\n"
"  p=PROB        fire with probability PROB (0..1), see --seed  e.g. rd:eintr:p=0.3\n"
"  after=BYTES   fire only once BYTES moved through the fd    e.g. wr:reset:after=65536\n"
"  fd=sock|pipe|any|N  which descriptors (default sock)       e.g. read:short=1:fd=any\n"
"  peer=[ADDR][:PORT]  only sockets whose remote end is that  e.g. rd:reset:peer=:6379\n"
"  local=[ADDR][:PORT] only sockets whose local end is that   e.g. wr:short:local=:8080\n"
"                (IPv6 in brackets: peer=[::1]:8080)\n"
"  per=fd        count when= per descriptor                   e.g. read:eintr:when=1:per=fd\n"
"No when= and no p=: fire on every matching call.\n");
    return o.len;
}

/* ---- writing a parsed rule back ---------------------------------------- */

static void emit_calls(struct out *o, unsigned calls)
{
    const char *sep = "", *word;
    unsigned mask;
    for (int g = 0; (word = fi_group_word(g, &mask, NULL)) != NULL; g++)
        if ((calls & mask) == mask) {
            emit(o, "%s%s", sep, word);
            calls &= ~mask;
            sep = ",";
        }
    for (int i = 0; i < FI_C_COUNT; i++) {
        if (!(calls & FI_BIT(i)))
            continue;
        const char *name = fi_call_name((enum fi_call)i);
        emit(o, "%s%s", sep, name);
        calls &= ~fi_calls_named(name, strlen(name));  /* splice: one name, two families */
        sep = ",";
    }
}

/* p= as a decimal that parse_prob turns into the same threshold: the
 * threshold is floor(num * 2^64 / 10^18) for the 18-decimal num it came
 * from, and ceil(threshold * 10^18 / 2^64) gives that num back. */
static void emit_prob(struct out *o, const struct fi_rule *r)
{
    if (r->p_always) {
        emit(o, ":p=1");
        return;
    }
    const uint64_t den = 1000000000000000000ULL;
    unsigned __int128 scaled = (unsigned __int128)r->p_threshold * den;
    uint64_t num = (uint64_t)(scaled >> 64) + ((uint64_t)scaled != 0);
    char digits[24];
    snprintf(digits, sizeof digits, "%018llu", (unsigned long long)num);
    int n = 18;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    emit(o, ":p=0.%.*s", n, digits);
}

static void emit_addrsel(struct out *o, const char *key, const struct fi_addrsel *sel)
{
    char text[INET6_ADDRSTRLEN] = "";
    if (!sel->on)
        return;
    emit(o, ":%s=", key);
    if (sel->family == AF_INET && inet_ntop(AF_INET, sel->addr, text, sizeof text))
        emit(o, "%s", text);
    else if (sel->family == AF_INET6 && inet_ntop(AF_INET6, sel->addr, text, sizeof text))
        emit(o, "[%s]", text);
    if (sel->port >= 0)
        emit(o, ":%d", sel->port);
}

size_t fi_rule_format(const struct fi_rule *r, char *buf, size_t len)
{
    struct out o = { buf, len, 0 };
    if (len > 0)
        buf[0] = '\0';
    emit_calls(&o, r->calls);
    emit(&o, ":%s", fi_fault_word(r->fault));
    switch (fi_fault_value(r->fault)) {
    case FI_V_NONE:
        break;
    case FI_V_ERRNO:
        emit(&o, "=%s", fi_errno_name((int)r->arg));
        break;
    case FI_V_BYTES:
    case FI_V_MS:
        emit(&o, "=%ld", r->arg);
        break;
    }
    if (r->has_when) {
        emit(&o, ":when=%llu", (unsigned long long)r->when_first);
        if (r->when_last == UINT64_MAX)
            emit(&o, "+");
        else if (r->when_last != r->when_first || r->when_step != 1)
            emit(&o, "..%llu%s", (unsigned long long)r->when_last,
                 r->when_step != 1 ? "+" : "");
        if (r->when_step != 1)
            emit(&o, "%llu", (unsigned long long)r->when_step);
    }
    if (r->has_p)
        emit_prob(&o, r);
    if (r->has_after)
        emit(&o, ":after=%llu", (unsigned long long)r->after);
    if (r->fdsel == FI_FD_PIPE)
        emit(&o, ":fd=pipe");
    else if (r->fdsel == FI_FD_ANY)
        emit(&o, ":fd=any");
    else if (r->fdsel == FI_FD_NUM)
        emit(&o, ":fd=%d", r->fdnum);
    if (r->per_fd)
        emit(&o, ":per=fd");
    emit_addrsel(&o, "peer", &r->peer);
    emit_addrsel(&o, "local", &r->local);
    return o.len;
}

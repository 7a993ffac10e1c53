/* rules.c: parses the rule language (grammar in rules.h). Pure: no I/O,
 * no allocation, no globals; every error names the rule and the problem. */
#include "rules.h"

#include "errnames.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const call_names[FI_C_COUNT] = {
    "read", "readv", "recv", "recvfrom", "recvmsg", "recvmmsg", "splice",
    "write", "writev", "send", "sendto", "sendmsg", "sendmmsg", "sendfile", "splice",
    "accept", "accept4", "connect", "close",
    "poll", "select", "epoll_wait",
};

#define CALLS_WANT "read readv recv recvfrom recvmsg recvmmsg write writev send " \
                   "sendto sendmsg sendmmsg sendfile splice accept accept4 connect " \
                   "close poll select epoll_wait rd wr wait"
#define FAULTS_WANT "short[=N], eintr, eagain, reset, eof, stall, error=NAME, delay=MS"
#define OPTIONS_WANT "when=, p=, after=, fd=, per=fd, peer=, local="

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
        unsigned bit = 0;
        if (span_is(name, "rd"))
            bit = FI_RD_MASK;
        else if (span_is(name, "wr"))
            bit = FI_WR_MASK;
        else if (span_is(name, "wait"))
            bit = FI_WAIT_MASK;
        for (int i = 0; i < FI_C_COUNT; i++)      /* "splice" names two families */
            if (span_is(name, call_names[i]))
                bit |= 1u << i;
        if (bit == 0) {
            if (name.len == 0)
                return fail(c, "empty call name (want %s)", CALLS_WANT);
            return fail(c, "unknown call '%.*s' (want %s)", (int)name.len, name.s,
                        CALLS_WANT);
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
    static const struct { const char *w; enum fi_fault f; } plain[] = {
        { "eintr", FI_F_EINTR }, { "eagain", FI_F_EAGAIN },
        { "reset", FI_F_RESET }, { "eof", FI_F_EOF }, { "stall", FI_F_STALL },
    };
    r->arg = 0;
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (span_is(word, plain[i].w)) {
            if (val.s != NULL)
                return fail(c, "fault '%s' takes no value", plain[i].w);
            r->fault = plain[i].f;
            return 0;
        }
    }
    if (span_is(word, "short")) {
        r->fault = FI_F_SHORT;
        r->arg = 1;
        if (val.s == NULL)
            return 0;
        if (parse_u64(val, 0x7fffffff, &n) < 0 || n == 0)
            return fail(c, "short=%.*s: want a byte count from 1 to 2147483647",
                        (int)val.len, val.s);
        r->arg = (long)n;
        return 0;
    }
    if (span_is(word, "error")) {
        r->fault = FI_F_ERROR;
        if (val.s == NULL || val.len == 0)
            return fail(c, "error needs a name, e.g. error=ECONNABORTED");
        int e = fi_errno_from_name(val.s, val.len);
        if (e < 0)
            return fail(c, "error=%.*s: not an errno.h name (e.g. ECONNRESET)",
                        (int)val.len, val.s);
        r->arg = e;
        return 0;
    }
    if (span_is(word, "delay")) {
        r->fault = FI_F_DELAY;
        if (val.s == NULL)
            return fail(c, "delay needs milliseconds, e.g. delay=10");
        if (parse_u64(val, 3600000, &n) < 0)
            return fail(c, "delay=%.*s: want milliseconds from 0 to 3600000",
                        (int)val.len, val.s);
        r->arg = (long)n;
        return 0;
    }
    if (word.len == 0)
        return fail(c, "missing fault (want %s)", FAULTS_WANT);
    return fail(c, "unknown fault '%.*s' (want %s)", (int)word.len, word.s, FAULTS_WANT);
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
    static const char *const fault_names[] = {
        [FI_F_SHORT] = "short", [FI_F_EINTR] = "eintr", [FI_F_EAGAIN] = "eagain",
        [FI_F_RESET] = "reset", [FI_F_EOF] = "eof", [FI_F_ERROR] = "error",
        [FI_F_DELAY] = "delay", [FI_F_STALL] = "stall",
    };
    unsigned data = FI_RD_MASK | FI_WR_MASK;
    int stream_only = r->fault == FI_F_SHORT || r->fault == FI_F_RESET ||
                      r->fault == FI_F_EOF || r->fault == FI_F_STALL;
    unsigned bad = stream_only ? r->calls & ~data : 0;
    if (bad != 0)
        return fail(c, "fault '%s' does not apply to %s (only to read-like and "
                    "write-like calls)", fault_names[r->fault], call_names[__builtin_ctz(bad)]);
    unsigned waits = r->calls & FI_WAIT_MASK;
    if (waits == 0)
        return 0;
    const char *wname = call_names[__builtin_ctz(waits)];
    if (r->fault == FI_F_EAGAIN)
        return fail(c, "fault 'eagain' does not apply to %s (a readiness wait takes "
                    "eintr, error=NAME or delay=MS)", wname);
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

const char *fi_call_name(enum fi_call c)
{
    return call_names[c];
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

const char fi_rules_help[] =
"RULE is CALLS:FAULT[:OPTION]...; several rules are separated by ';' (spaces\n"
"around ';' allowed) or given as several -e. The first rule that fires wins.\n"
"CALLS (comma-separated):\n"
"  read readv recv recvfrom recvmsg recvmmsg   read-like   e.g. read,recv:short=1\n"
"  write writev send sendto sendmsg sendmmsg sendfile\n"
"                                              write-like  e.g. send:eagain\n"
"  splice      read-like on a socket it reads, write-like on one it writes\n"
"  accept accept4 connect close                e.g. accept:error=ECONNABORTED\n"
"  poll select epoll_wait   readiness waits (ppoll, pselect, epoll_pwait[2] too)\n"
"                                              e.g. epoll_wait:eintr:p=0.3\n"
"  rd  every read-like call   e.g. rd:eintr\n"
"  wr  every write-like call  e.g. wr:short=7\n"
"  wait  every readiness wait e.g. wait:eintr:p=0.3\n"
"  (__read_chk, __recv_chk, __recvfrom_chk, __poll_chk count as the plain call)\n"
"FAULT:\n"
"  short[=N]     the call moves at most N bytes (default 1)  e.g. read:short=3\n"
"  eintr         fail with EINTR, no call made               e.g. rd:eintr\n"
"                (connect: the attempt goes on; close: the fd is closed)\n"
"  eagain        fail with EAGAIN, no call made, only where the kernel could:\n"
"                non-blocking fd, MSG_DONTWAIT, or SO_RCVTIMEO/SO_SNDTIMEO set\n"
"                                                            e.g. recv:eagain\n"
"  reset         ECONNRESET, then reads give 0, writes EPIPE e.g. wr:reset\n"
"  eof           reads give 0 from then on                   e.g. read:eof:when=2\n"
"  stall         the peer goes silent on that fd: reads (or writes) wait or\n"
"                say EAGAIN, waits never report it ready     e.g. recv:stall:when=3\n"
"  error=NAME    fail with any errno.h name                  e.g. connect:error=ECONNREFUSED\n"
"  delay=MS      sleep MS milliseconds, then make the call   e.g. rd:delay=100\n"
"  (short, reset, eof, stall never fire on datagram, seqpacket or raw sockets;\n"
"   a readiness wait takes only eintr, error=NAME, delay=MS)\n"
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
"No when= and no p=: fire on every matching call.\n";

/* ---- writing a parsed rule back ---------------------------------------- */

/* A bounded appender for fi_rule_format: counts what it would need. */
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

static void emit_calls(struct out *o, unsigned calls)
{
    static const struct { const char *name; unsigned mask; } groups[] = {
        { "rd", FI_RD_MASK }, { "wr", FI_WR_MASK }, { "wait", FI_WAIT_MASK },
    };
    const char *sep = "";
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        if ((calls & groups[g].mask) == groups[g].mask) {
            emit(o, "%s%s", sep, groups[g].name);
            calls &= ~groups[g].mask;
            sep = ",";
        }
    unsigned splice = FI_BIT(FI_C_SPLICE_IN) | FI_BIT(FI_C_SPLICE_OUT);
    for (int i = 0; i < FI_C_COUNT; i++) {
        if (!(calls & FI_BIT(i)))
            continue;
        emit(o, "%s%s", sep, call_names[i]);
        if (FI_BIT(i) & splice)
            calls &= ~splice;           /* one name for both families */
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
    static const char *const plain[] = {
        [FI_F_EINTR] = "eintr", [FI_F_EAGAIN] = "eagain", [FI_F_RESET] = "reset",
        [FI_F_EOF] = "eof", [FI_F_STALL] = "stall",
    };
    struct out o = { buf, len, 0 };
    if (len > 0)
        buf[0] = '\0';
    emit_calls(&o, r->calls);
    if (r->fault == FI_F_SHORT)
        emit(&o, ":short=%ld", r->arg);
    else if (r->fault == FI_F_ERROR)
        emit(&o, ":error=%s", fi_errno_name((int)r->arg));
    else if (r->fault == FI_F_DELAY)
        emit(&o, ":delay=%ld", r->arg);
    else
        emit(&o, ":%s", plain[r->fault]);
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

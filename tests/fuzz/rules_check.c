/* rules_check.c: checks of the rule parser for fuzzing (see rules_check.h).
 *
 * The input, up to its first NUL, is the rule text, in a buffer of exactly
 * its size (under ASan a read past the NUL is caught). It is parsed with a
 * roomy message buffer and with a tiny one (the message must be cut, still
 * NUL-terminated, never written past). An accepted rule set is printed back
 * in the rule language (our own formatter, from the fields of rules.h) and
 * parsed again: the two must be equal field by field. fi_when_matches is
 * compared with the definition of when= on a few call numbers. The same text
 * also goes through fi_seed_parse and fi_number_parse.
 */
#include "rules_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnames.h"
#include "rules.h"
#include "input_name.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#define ERRCAP 512

static void bad(const char *text, const char *fmt, const char *detail)
{
    fprintf(stderr, "fuzz_rules: BREACH%s%s: ", fuzz_input_name ? " in " : "",
            fuzz_input_name ? fuzz_input_name : "");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\n  text: '%.200s'\n", text);
    abort();
}

/* Appends to OUT (capacity CAP) at *LEN. */
static void put(char *out, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > cap)
        abort(); /* our buffer is sized for any rule set; cannot happen */
    memcpy(out + *len, s, n + 1);
    *len += n;
}

/* FAULT[=ARG] as the rule language spells it. */
static void format_fault(const struct fi_rule *r, char *buf, size_t len)
{
    switch (r->fault) {
    case FI_F_SHORT: snprintf(buf, len, "short=%ld", r->arg); break;
    case FI_F_EINTR: snprintf(buf, len, "eintr"); break;
    case FI_F_EAGAIN: snprintf(buf, len, "eagain"); break;
    case FI_F_RESET: snprintf(buf, len, "reset"); break;
    case FI_F_EOF: snprintf(buf, len, "eof"); break;
    case FI_F_ERROR: snprintf(buf, len, "error=%s", fi_errno_name((int)r->arg)); break;
    case FI_F_DELAY: snprintf(buf, len, "delay=%ld", r->arg); break;
    case FI_F_STALL: snprintf(buf, len, "stall"); break;
    default: snprintf(buf, len, "?"); break;
    }
}

/* peer=/local= back as text: ADDR, [V6], :PORT. */
static void format_addrsel(const char *key, const struct fi_addrsel *sel, char *out,
                           size_t cap, size_t *len)
{
    char addr[INET6_ADDRSTRLEN], tmp[96];
    if (!sel->on)
        return;
    put(out, cap, len, key);
    if (sel->family != 0) {
        inet_ntop(sel->family, sel->addr, addr, sizeof addr);
        snprintf(tmp, sizeof tmp, sel->family == AF_INET6 ? "[%s]" : "%s", addr);
        put(out, cap, len, tmp);
    }
    if (sel->port >= 0) {
        snprintf(tmp, sizeof tmp, ":%d", sel->port);
        put(out, cap, len, tmp);
    }
}

static int same_addrsel(const struct fi_addrsel *a, const struct fi_addrsel *b)
{
    return a->on == b->on && (!a->on || (a->family == b->family && a->port == b->port &&
           memcmp(a->addr, b->addr, a->family == AF_INET6 ? 16 : 4) == 0));
}

/* The rule set in the rule language; p= is written with 18 decimals, which
 * gives back the very same threshold (see below). */
static void format_rules(const struct fi_ruleset *rs, char *out, size_t cap)
{
    size_t len = 0;
    char tmp[128];
    out[0] = '\0';
    for (int i = 0; i < rs->n; i++) {
        const struct fi_rule *r = &rs->rule[i];
        if (i)
            put(out, cap, &len, "; ");
        /* Group words first: splice's read half alone has no name of its
         * own, only rd gives it. Then each remaining call once. */
        static const struct { const char *name; unsigned mask; } groups[] = {
            { "rd", FI_RD_MASK }, { "wr", FI_WR_MASK }, { "wait", FI_WAIT_MASK },
        };
        unsigned calls = r->calls;
        int first = 1;
        for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
            if ((calls & groups[g].mask) != groups[g].mask)
                continue;
            if (!first)
                put(out, cap, &len, ",");
            put(out, cap, &len, groups[g].name);
            calls &= ~groups[g].mask;
            first = 0;
        }
        const unsigned splice = (1u << FI_C_SPLICE_IN) | (1u << FI_C_SPLICE_OUT);
        for (int c = 0; c < FI_C_COUNT; c++) {
            if (!(calls & (1u << c)))
                continue;
            if (!first)
                put(out, cap, &len, ",");
            put(out, cap, &len, fi_call_name((enum fi_call)c));
            if ((1u << c) & splice)
                calls &= ~splice;
            first = 0;
        }
        put(out, cap, &len, ":");
        format_fault(r, tmp, sizeof tmp);
        put(out, cap, &len, tmp);
        if (r->has_when) {
            snprintf(tmp, sizeof tmp, ":when=%llu", (unsigned long long)r->when_first);
            put(out, cap, &len, tmp);
            if (r->when_last == UINT64_MAX) {
                snprintf(tmp, sizeof tmp, "+%llu", (unsigned long long)r->when_step);
            } else {
                snprintf(tmp, sizeof tmp, "..%llu+%llu", (unsigned long long)r->when_last,
                         (unsigned long long)r->when_step);
            }
            put(out, cap, &len, tmp);
        }
        if (r->has_p) {
            if (r->p_always) {
                put(out, cap, &len, ":p=1");
            } else {
                /* threshold = floor(N * 2^64 / 10^18) for the N of 18
                 * decimals; N = ceil(threshold * 10^18 / 2^64) gives it back
                 * since 10^18 / 2^64 < 1. */
                unsigned __int128 t = r->p_threshold;
                unsigned long long n =
                    (unsigned long long)((t * 1000000000000000000ULL + (((unsigned __int128)1 << 64) - 1)) >> 64);
                snprintf(tmp, sizeof tmp, ":p=0.%018llu", n);
                put(out, cap, &len, tmp);
            }
        }
        if (r->has_after) {
            snprintf(tmp, sizeof tmp, ":after=%llu", (unsigned long long)r->after);
            put(out, cap, &len, tmp);
        }
        switch (r->fdsel) {
        case FI_FD_SOCK: break;
        case FI_FD_PIPE: put(out, cap, &len, ":fd=pipe"); break;
        case FI_FD_ANY: put(out, cap, &len, ":fd=any"); break;
        case FI_FD_NUM:
            snprintf(tmp, sizeof tmp, ":fd=%d", r->fdnum);
            put(out, cap, &len, tmp);
            break;
        }
        if (r->per_fd)
            put(out, cap, &len, ":per=fd");
        format_addrsel(":peer=", &r->peer, out, cap, &len);
        format_addrsel(":local=", &r->local, out, cap, &len);
    }
}

static int same_rule(const struct fi_rule *a, const struct fi_rule *b)
{
    return a->calls == b->calls && a->fault == b->fault && a->arg == b->arg &&
           a->has_when == b->has_when &&
           (!a->has_when || (a->when_first == b->when_first && a->when_last == b->when_last &&
                             a->when_step == b->when_step)) &&
           a->has_p == b->has_p &&
           (!a->has_p || (a->p_always == b->p_always && a->p_threshold == b->p_threshold)) &&
           a->has_after == b->has_after && (!a->has_after || a->after == b->after) &&
           a->fdsel == b->fdsel && (a->fdsel != FI_FD_NUM || a->fdnum == b->fdnum) &&
           a->per_fd == b->per_fd && same_addrsel(&a->peer, &b->peer) &&
           same_addrsel(&a->local, &b->local);
}

/* What rules.h promises of an accepted rule. */
static void check_rule(const char *text, const struct fi_rule *r)
{
    const unsigned all = (1u << FI_C_COUNT) - 1;
    const unsigned noshort = (1u << FI_C_ACCEPT) | (1u << FI_C_ACCEPT4) |
                             (1u << FI_C_CONNECT) | (1u << FI_C_CLOSE);
    if (r->calls == 0 || (r->calls & ~all))
        bad(text, "accepted a rule with calls mask %s", "out of range");
    if ((int)r->fault < FI_F_SHORT || r->fault > FI_F_STALL)
        bad(text, "accepted a rule with %s", "an unknown fault");
    if (r->fault == FI_F_SHORT && (r->arg < 1 || (r->calls & noshort)))
        bad(text, "accepted %s", "short with N < 1 or on accept/connect/close");
    if ((r->fault == FI_F_RESET || r->fault == FI_F_EOF || r->fault == FI_F_STALL) &&
        (r->calls & ~(unsigned)(FI_RD_MASK | FI_WR_MASK)))
        bad(text, "accepted %s", "reset/eof/stall on a call that is neither read- nor write-like");
    if ((r->calls & FI_WAIT_MASK) &&
        (!(r->fault == FI_F_EINTR || r->fault == FI_F_ERROR || r->fault == FI_F_DELAY) ||
         r->fdsel != FI_FD_SOCK || r->peer.on || r->local.on || r->has_after || r->per_fd))
        bad(text, "accepted %s", "a wait rule with a fault or option waits do not take");
    if ((r->peer.on && r->peer.family == 0 && r->peer.port < 0) ||
        (r->local.on && r->local.family == 0 && r->local.port < 0))
        bad(text, "accepted %s", "peer=/local= naming neither address nor port");
    if (r->fault == FI_F_ERROR && r->arg <= 0)
        bad(text, "accepted %s", "error= with no errno");
    if (r->fault == FI_F_DELAY && (r->arg < 0 || r->arg > 3600000))
        bad(text, "accepted %s", "delay= out of 0..3600000");
    if (r->has_when) {
        if (r->when_first < 1 || r->when_last < r->when_first || r->when_step < 1)
            bad(text, "accepted %s", "when= with FIRST < 1, LAST < FIRST or STEP < 1");
        uint64_t probe[] = {1, 2, 3, r->when_first, r->when_first + 1,
                            r->when_first + r->when_step, r->when_last, 1000003};
        for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
            uint64_t k = probe[i];
            if (k == 0)
                continue;
            int want = k >= r->when_first && k <= r->when_last &&
                       (k - r->when_first) % r->when_step == 0;
            if (fi_when_matches(r, k) != want)
                bad(text, "fi_when_matches differs from the definition of %s", "when=");
        }
    }
    if ((int)r->fdsel < FI_FD_SOCK || r->fdsel > FI_FD_NUM ||
        (r->fdsel == FI_FD_NUM && r->fdnum < 0))
        bad(text, "accepted %s", "a bad fd=");
}

/* A rejection: message present, NUL-terminated within ERRLEN, and when it
 * fits, starting with WHAT ("rule": faultinject.md wants a message that names
 * the rule; "seed" for a seed). */
static void check_message(const char *text, const char *err, size_t errlen, size_t cap,
                          const char *what)
{
    if (errlen == 0)
        return;
    if (memchr(err, '\0', errlen) == NULL)
        bad(text, "rejection message not NUL-terminated within errlen %s", "");
    for (size_t i = errlen; i < cap; i++)
        if (err[i] != 'Z')
            bad(text, "message written past errlen %s", "");
    if (errlen > 1 && err[0] == '\0')
        bad(text, "rejected with an empty message%s", "");
    if (errlen >= ERRCAP && strncmp(err, what, strlen(what)) != 0)
        bad(text, "message does not name the rule or value: '%s'", err);
}

void rules_check_input(const uint8_t *data, size_t size)
{
    size_t n = 0;
    while (n < size && data[n] != 0)
        n++;
    char *text = malloc(n + 1);
    if (!text)
        return;
    memcpy(text, data, n);
    text[n] = '\0';

    static struct fi_ruleset rs, rs2, rs3;
    char err[ERRCAP + 1], small[24];
    memset(err, 'Z', sizeof err);
    int rc = fi_rules_parse(text, &rs, err, ERRCAP);
    if (rc != 0 && rc != -1)
        bad(text, "fi_rules_parse returned %s", "neither 0 nor -1");
    if (rc < 0) {
        check_message(text, err, ERRCAP, sizeof err, "rule");
    } else {
        if (rs.n < 0 || rs.n > FI_MAX_RULES)
            bad(text, "accepted with a rule count %s", "out of 0..FI_MAX_RULES");
        for (int i = 0; i < rs.n; i++)
            check_rule(text, &rs.rule[i]);
    }
    /* A tiny buffer: the same verdict, a cut message, nothing past it. */
    size_t smalllen = 1 + (n ? (size_t)data[0] % 16 : 0);
    memset(small, 'Z', sizeof small);
    int rc2 = fi_rules_parse(text, &rs2, small, smalllen);
    if (rc2 != rc)
        bad(text, "the verdict depends on the message buffer's size%s", "");
    if (rc2 < 0)
        check_message(text, small, smalllen, sizeof small, "rule");
    else if (rs2.n != rs.n)
        bad(text, "two parses of one text differ%s", "");

    if (rc == 0) { /* round trip */
        char *back = malloc(FI_MAX_RULES * 512 + 1);
        if (back) {
            format_rules(&rs, back, FI_MAX_RULES * 512 + 1);
            if (fi_rules_parse(back, &rs3, err, ERRCAP) != 0) {
                fprintf(stderr, "fuzz_rules: read back: '%s' -> %s\n", back, err);
                bad(text, "the accepted rules, written back, are rejected%s", "");
            }
            if (rs3.n != rs.n)
                bad(text, "read back: %s", "a different number of rules");
            for (int i = 0; i < rs.n; i++)
                if (!same_rule(&rs.rule[i], &rs3.rule[i]) || !same_rule(&rs.rule[i], &rs2.rule[i])) {
                    fprintf(stderr, "fuzz_rules: read back as '%s'\n", back);
                    bad(text, "read back: %s", "a rule differs");
                }
            free(back);
        }
    }
    /* The command-line number parsers on the same text. */
    uint64_t v;
    memset(err, 'Z', sizeof err);
    if (fi_seed_parse(text, &v, err, ERRCAP) < 0)
        check_message(text, err, ERRCAP, sizeof err, "seed");
    memset(err, 'Z', sizeof err);
    if (fi_number_parse("--sweep-max", text, 1, 1000000, &v, err, ERRCAP) < 0) {
        if (strstr(err, "--sweep-max") == NULL)
            bad(text, "number message does not name the option: '%s'", err);
    } else if (v < 1 || v > 1000000) {
        bad(text, "fi_number_parse accepted a value %s", "out of range");
    }
    free(text);
}

/* rules.h: the rule language of faultinject.md, parsed into plain structs.
 *
 * Pure: no I/O, no allocation, no global state, safe from any thread or
 * signal handler. Errors go to a caller's buffer as one line that names the
 * rule and what is wrong, e.g.
 *   rule 'read:shrt': unknown fault 'shrt' (want short[=N], eintr, ...)
 *
 * Grammar (spaces and tabs allowed only around ';' and at both ends; the
 * call names, group words and faults are names.h's tables):
 *   RULES  := RULE (';' RULE)*            (an empty RULES means no rule)
 *   RULE   := CALLS ':' FAULT (':' OPTION)*
 *   CALLS  := NAME (',' NAME)*            NAME: read readv recv recvfrom
 *             recvmsg recvmmsg write writev send sendto sendmsg sendmmsg
 *             sendfile splice accept accept4 connect close poll select
 *             epoll_wait, rd (every read-like), wr (every write-like),
 *             wait (every readiness wait)
 *   FAULT  := short | short=N (1..2^31-1) | eintr | eagain | reset | eof
 *             | stall | error=ENAME (any errno.h name) | delay=MS (0..3600000)
 *   OPTION := when=FIRST[..LAST][+[STEP]]  (1 <= FIRST <= LAST, STEP >= 1,
 *                                           strace's -e inject syntax)
 *             | p=PROB    (decimal 0..1, e.g. 0.3, 1, .25, no exponent)
 *             | after=BYTES (0..2^62) | fd=sock|pipe|any|N (N 0..2^31-1)
 *             | per=fd | peer=[ADDR][:PORT] | local=[ADDR][:PORT]
 *               (ADDR: IPv4 dotted, or IPv6 in brackets; PORT 1..65535)
 * Each option at most once per rule. short is refused on accept, accept4,
 * connect and close; reset, eof and stall only on read-like and write-like
 * calls. A rule naming a readiness wait takes only eintr, error= and delay=,
 * and no fd=, peer=, local=, after= or per=. Numbers are decimal digits
 * only (no sign, no spaces, no overflow).
 */
#ifndef FI_RULES_H
#define FI_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"

#define FI_MAX_RULES 16

/* The calls (enum fi_call, 1u << FI_C_* in a rule's `calls`, FI_RD_MASK,
 * FI_WR_MASK, FI_WAIT_MASK) and the faults (enum fi_fault) are the tables
 * of names.h. */
enum fi_fdsel { FI_FD_SOCK, FI_FD_PIPE, FI_FD_ANY, FI_FD_NUM };

/* peer= / local=: which end of a socket a rule is aimed at. */
struct fi_addrsel {
    int on;                  /* the option was given */
    int family;              /* 0: any address; AF_INET or AF_INET6 */
    unsigned char addr[16];  /* network order: 4 bytes for AF_INET */
    int port;                /* -1: any port; else 0..65535 */
};

struct fi_rule {
    unsigned calls;          /* bitmask of 1u << FI_C_* */
    enum fi_fault fault;
    long arg;                /* short: N; error: errno; delay: ms; else 0 */
    int has_when;
    uint64_t when_first, when_last, when_step;  /* when_last UINT64_MAX: open */
    int has_p;
    uint64_t p_threshold;    /* fire iff hash < threshold ...            */
    int p_always;            /* ... or always when p=1                   */
    int has_after;
    uint64_t after;
    enum fi_fdsel fdsel;
    int fdnum;               /* for FI_FD_NUM */
    int per_fd;
    struct fi_addrsel peer;  /* peer=: the remote end */
    struct fi_addrsel local; /* local=: the local end */
};

struct fi_ruleset {
    int n;
    struct fi_rule rule[FI_MAX_RULES];
};

/* Parses TEXT (the FAULTINJECT_RULES / fi_set / -e syntax above) into *OUT.
 * 0 on success; -1 with a one-line message in ERR (always NUL-terminated
 * when errlen > 0, truncated to fit) and *OUT unspecified. Never allocates. */
int fi_rules_parse(const char *text, struct fi_ruleset *out, char *err, size_t errlen);

/* Parses a seed (decimal 0..2^64-1, as --seed and FAULTINJECT_SEED take).
 * 0, or -1 with a message naming the text in ERR. */
int fi_seed_parse(const char *text, uint64_t *out, char *err, size_t errlen);

/* Parses a decimal in [min, max] for a command-line option named WHAT.
 * 0, or -1 with "WHAT 'TEXT': ..." in ERR. */
int fi_number_parse(const char *what, const char *text, uint64_t min, uint64_t max,
                    uint64_t *out, char *err, size_t errlen);

/* Whether a rule with `when` fires on its call number K (K >= 1). */
int fi_when_matches(const struct fi_rule *r, uint64_t k);

/* Whether address FAMILY/ADDR (4 or 16 bytes, network order) with PORT
 * (host order) is what SEL names; an IPv4 selector also matches the
 * IPv4-mapped IPv6 form (::ffff:a.b.c.d) of a dual-stack socket. */
int fi_addrsel_matches(const struct fi_addrsel *sel, int family, const unsigned char *addr,
                       int port);

/* Writes R back as rule text (CALLS:FAULT[:OPTION]...) into BUF, in a
 * canonical spelling that fi_rules_parse turns into the same rule (options
 * left at their defaults are omitted). Returns the length it needed (as
 * snprintf: BUF is truncated and NUL-terminated when it is too small). */
size_t fi_rule_format(const struct fi_rule *r, char *buf, size_t len);

/* Writes the help text's rule reference (every word with an example, the
 * lists from names.h's tables), for faultrun, into BUF. Returns the length
 * it needed (as snprintf: truncated and NUL-terminated when too small). */
size_t fi_rules_help_text(char *buf, size_t len);

#endif

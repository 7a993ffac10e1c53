/* names.h: the two vocabularies of faultinject.md, one table each: the
 * calls (FI_CALLS) and the faults (FI_FAULTS), plus the group words that
 * name a family of calls (FI_GROUPS). Everything that spells, reads or
 * lists a call or a fault is derived from these tables: the enums below,
 * the rule parser, checker and formatter (rules.c), the log writer
 * (shim/filog.c through fi_fault_text) and reader (logparse.c), the help
 * text (fi_rules_help_text), and `make man-lint` checks that man
 * faultrun lists the same words.
 *
 * Adding a call or a fault is one line here plus its behaviour in the
 * shim. The enums stay compile-time constants, so the interposed calls'
 * fast path looks nothing up.
 *
 * Owner: names.c. Pure: no I/O, no allocation, no global state.
 */
#ifndef FI_NAMES_H
#define FI_NAMES_H

#include <stddef.h>

/* A call's family: what the rules and the checks treat it as. */
enum fi_family {
    FI_FAM_READ,     /* read-like: moves bytes in (rd) */
    FI_FAM_WRITE,    /* write-like: moves bytes out (wr) */
    FI_FAM_ACCEPT,
    FI_FAM_CONNECT,
    FI_FAM_CLOSE,
    FI_FAM_WAIT,     /* a readiness wait (wait) */
    FI_FAM_COUNT
};

/* The calls, in enum fi_call's order: X(ENUM, NAME, FAMILY).
 * A NAME on two lines is one word for two families (splice reads from a
 * socket, read-like, or writes to one, write-like): a rule's NAME takes
 * both, the log writes NAME for both and reads it back as the first, and
 * lists show NAME once, where its last line is. poll covers ppoll, select
 * pselect, epoll_wait epoll_pwait and epoll_pwait2. */
#define FI_CALLS(X)                           \
    X(READ,       "read",       READ)         \
    X(READV,      "readv",      READ)         \
    X(RECV,       "recv",       READ)         \
    X(RECVFROM,   "recvfrom",   READ)         \
    X(RECVMSG,    "recvmsg",    READ)         \
    X(RECVMMSG,   "recvmmsg",   READ)         \
    X(SPLICE_IN,  "splice",     READ)         \
    X(WRITE,      "write",      WRITE)        \
    X(WRITEV,     "writev",     WRITE)        \
    X(SEND,       "send",       WRITE)        \
    X(SENDTO,     "sendto",     WRITE)        \
    X(SENDMSG,    "sendmsg",    WRITE)        \
    X(SENDMMSG,   "sendmmsg",   WRITE)        \
    X(SENDFILE,   "sendfile",   WRITE)        \
    X(SPLICE_OUT, "splice",     WRITE)        \
    X(ACCEPT,     "accept",     ACCEPT)       \
    X(ACCEPT4,    "accept4",    ACCEPT)       \
    X(CONNECT,    "connect",    CONNECT)      \
    X(CLOSE,      "close",      CLOSE)        \
    X(POLL,       "poll",       WAIT)         \
    X(SELECT,     "select",     WAIT)         \
    X(EPOLL_WAIT, "epoll_wait", WAIT)

/* Words for every call of a family: X(WORD, FAMILY, HELP); HELP follows
 * WORD on its help line. */
#define FI_GROUPS(X)                                                   \
    X("rd",   READ,  "  every read-like call   e.g. rd:eintr")         \
    X("wr",   WRITE, "  every write-like call  e.g. wr:short=7")       \
    X("wait", WAIT,  "  every readiness wait e.g. wait:eintr:p=0.3")

/* What a fault's value is: none, short's optional byte count (1 when not
 * given), an errno.h name, milliseconds. */
enum fi_value { FI_V_NONE, FI_V_BYTES, FI_V_ERRNO, FI_V_MS };

/* The faults, in the order lists and help show them:
 * X(ENUM, VALUE_OF_ENUM, WORD, VALUE, REACH, HELP). REACH: the calls the
 * fault may be given on: DATA (read-like and write-like), NOWAIT (all but
 * the readiness waits), ANY. HELP: its help text after the spelling, one
 * string (a "\n" starts a line under the first). */
#define FI_FAULTS(X)                                                                    \
    X(SHORT,  0, "short",  BYTES, DATA,                                                 \
      "the call moves at most N bytes (default 1)  e.g. read:short=3")                  \
    X(EINTR,  1, "eintr",  NONE,  ANY,                                                  \
      "fail with EINTR, no call made               e.g. rd:eintr\n"                     \
      "(connect: the attempt goes on; close: the fd is closed)")                        \
    X(EAGAIN, 2, "eagain", NONE,  NOWAIT,                                               \
      "fail with EAGAIN, no call made, only where the kernel could:\n"                  \
      "non-blocking fd, MSG_DONTWAIT, or SO_RCVTIMEO/SO_SNDTIMEO set\n"                 \
      "                                            e.g. recv:eagain")                   \
    X(RESET,  3, "reset",  NONE,  DATA,                                                 \
      "ECONNRESET, then reads give 0, writes EPIPE e.g. wr:reset")                      \
    X(EOF,    4, "eof",    NONE,  DATA,                                                 \
      "reads give 0 from then on                   e.g. read:eof:when=2")               \
    X(STALL,  7, "stall",  NONE,  DATA,                                                 \
      "the peer goes silent on that fd: reads (or writes) wait or\n"                    \
      "say EAGAIN, waits never report it ready     e.g. recv:stall:when=3")             \
    X(ERROR,  5, "error",  ERRNO, ANY,                                                  \
      "fail with any errno.h name                  e.g. connect:error=ECONNREFUSED")    \
    X(DELAY,  6, "delay",  MS,    ANY,                                                  \
      "sleep MS milliseconds, then make the call   e.g. rd:delay=100")

/* ---- derived: the enums and masks (compile-time constants) ---- */

#define FI_CALL_ENUM_(e, name, fam) FI_C_##e,
enum fi_call { FI_CALLS(FI_CALL_ENUM_) FI_C_COUNT };

#define FI_FAULT_ENUM_(e, v, word, val, reach, help) FI_F_##e = v,
#define FI_FAULT_ONE_(e, v, word, val, reach, help) +1
enum fi_fault { FI_FAULTS(FI_FAULT_ENUM_) FI_F_COUNT = 0 FI_FAULTS(FI_FAULT_ONE_) };

#define FI_BIT(c) (1u << (c))
#define FI_IN_READ_(e, name, fam) | ((unsigned)(FI_FAM_##fam == FI_FAM_READ) << FI_C_##e)
#define FI_IN_WRITE_(e, name, fam) | ((unsigned)(FI_FAM_##fam == FI_FAM_WRITE) << FI_C_##e)
#define FI_IN_WAIT_(e, name, fam) | ((unsigned)(FI_FAM_##fam == FI_FAM_WAIT) << FI_C_##e)
#define FI_RD_MASK (0u FI_CALLS(FI_IN_READ_))
#define FI_WR_MASK (0u FI_CALLS(FI_IN_WRITE_))
#define FI_WAIT_MASK (0u FI_CALLS(FI_IN_WAIT_))
#define FI_ALL_MASK (FI_BIT(FI_C_COUNT) - 1u)

/* REACH of FI_FAULTS, as call masks. */
#define FI_REACH_DATA (FI_RD_MASK | FI_WR_MASK)
#define FI_REACH_NOWAIT (FI_ALL_MASK & ~FI_WAIT_MASK)
#define FI_REACH_ANY FI_ALL_MASK

/* ---- derived: lookups, for parsing, formatting and lists (never on an
 * interposed call's fast path) ---- */

/* The call's name as rules and the log spell it: "read", "accept4", ...
 * (both splice families: "splice"). */
const char *fi_call_name(enum fi_call c);

enum fi_family fi_call_family(enum fi_call c);

/* Whether C is where lists show its name: the last call of that name. */
int fi_call_listed(enum fi_call c);

/* The calls a rule's word WORD[0..LEN) names: a call's name (splice: both
 * families) or a group word; 0 when none. */
unsigned fi_calls_named(const char *word, size_t len);

/* The group words, in FI_GROUPS's order: I from 0; NULL past the end. */
const char *fi_group_word(int i, unsigned *calls, const char **help);

/* The faults in FI_FAULTS's order: the I-th (0 <= I < FI_F_COUNT). */
enum fi_fault fi_fault_at(int i);

/* The fault's word ("short", "error", ...), its value, and the calls it may
 * be given on (1u << FI_C_*). */
const char *fi_fault_word(enum fi_fault f);
enum fi_value fi_fault_value(enum fi_fault f);
unsigned fi_fault_calls(enum fi_fault f);
const char *fi_fault_help(enum fi_fault f);

/* How rules spell the value after the word: "", "[=N]", "=NAME", "=MS". */
const char *fi_value_spelling(enum fi_value v);

/* The fault whose word is WORD[0..LEN), or -1. */
int fi_fault_from_word(const char *word, size_t len);

#endif

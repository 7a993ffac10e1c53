/* suite.h: what every test of the server suite shares: the server under
 * test, the data the clients send, and the steps each test is made of.
 *
 * A test begins with suite_begin(), says what it feeds and expects
 * (suite_feed), starts the server (suite_start), drives clients and checks.
 * Every check that fails records the failure in the clause's row
 * (verdict.h) and ends the test; a test that cannot judge says why and
 * ends. A server that died is charged to the clause whose condition killed
 * it: SIGPIPE to S5, an exit right after an injected accept error to S4;
 * the test's own clause then says NOT JUDGED for that test. */
#ifndef SERVER_SUITE_H
#define SERVER_SUITE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "echoload.h"
#include "serverctl.h"
#include "verdict.h"

enum {
    POOL = 16 << 20,        /* random bytes the connections send */
    NCONN = 100,            /* S3, S4: connections at once */
    RUN_MS = 10000,         /* deadline of one scenario's traffic */
    HANG_MS = 4000,         /* a failure later than this into a test was a hang */
};

extern unsigned char *pool;
extern struct server srv;

/* The calls a plain server makes, by family. Names of names.h's table
 * (the rule language), a subset of rd, wr and the accept calls:
 * suite_call_words() checks them against it. */
#define RD "read,readv,recv,recvfrom,recvmsg"
#define WR "write,writev,send,sendto,sendmsg"
#define ACC "accept,accept4"

/* 0 if RD, WR and ACC each name only calls of their family (read-like,
 * write-like, accept) as the rule parser reads them; else -1 with what is
 * wrong in ERR. */
int suite_call_words(char *err, size_t len);

/* Starts TEST: its row is shown; skipped (NOT JUDGED) when the server
 * cannot start (S0 failed) or, with NEEDS_ECHO, when the plain echo or its
 * end fails (S1, S2) or the server stopped listening (S3), or, with
 * NEEDS_AT_ONCE, when it does not serve 100 connections at once (S3):
 * those rows then could not say anything of their own. With --fast,
 * or once the clause failed by a hang, the clause's later tests are skipped. */
enum { NEEDS_ECHO = 1, NEEDS_AT_ONCE = 2 };
void suite_begin(const char *test, int needs);

/* What the test sends and what it expects back (one line each, shown with
 * a failure). */
void suite_feed(const char *fed, const char *expected);

/* Starts the server with RULES (NULL: none) and ARGS. A plain start that
 * fails is S0's; a start under RULES that fails is the test's clause's. */
void suite_start(const char *test, const char *rules, const char *const *args);

/* Records a failure of CLAUSE in TEST (GOT: printf format) and ends the test. */
void suite_fail(const char *clause, const char *test, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Records that TEST cannot judge its clause (WHY: printf format) and ends it. */
void suite_not_judged(const char *test, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* For a check that failed: waits up to 300 ms for a server that is
 * exiting to be reaped (its sockets close before), so that its death is
 * what the next suite_require_alive() sees. */
void suite_settle(void);

/* If the server died: charged to the clause of its cause (see above), the
 * test ends. */
void suite_require_alive(const char *test);

/* If the server (alive) no longer listens: charged to S3 (it must keep
 * serving new connections), the test ends. Else 1. */
int suite_require_listening(const char *test);

/* For a test whose own checks are done: 1 if the server lives; else its
 * death is charged (SIGPIPE to S5, anything else to the test's clause)
 * and 0, the test going on to record its own verdict. */
int suite_charge_death(const char *test);

/* All of C[0..N) got their exact echo (CLAUSE fails otherwise; a dead
 * server is charged first by suite_require_alive). */
void suite_require_exact(const char *clause, const char *test, struct echo_conn *c, int n);

/* A new connection is served exactly afterwards. */
void suite_require_new_served(const char *clause, const char *test);

/* The faults of RULES[0..N) reached the server (each rule fired; a rule
 * on read/write calls fired on data-carrying calls; in a forking server,
 * in its children); else NOT JUDGED. An eagain rule that never fired
 * because every connection socket is blocking (where the kernel never
 * says EAGAIN), or an eintr rule that never fired (no call could be
 * interrupted), is noted, not held against the row. The rules that fired. */
int suite_require_faults(const char *test, const char *const *rules, int n);

/* Opens one connection, exchanges a byte, and says whether the server's
 * connection sockets are non-blocking (1), blocking (0) or unknown (-1);
 * remembered for suite_server_blocking(). */
int suite_probe_blocking(void);

/* 1 if the server's connection sockets are blocking (probed once, on a
 * plain start), 0 if not, -1 unknown. */
int suite_server_blocking(void);

/* 1 if the server catches some signal (SigCgt of /proc/PID/status, read
 * once after a plain start served a connection), 0 if none, -1 unknown. */
int suite_server_catches_signals(void);

/* RULES[0..N) into OUT without the faults the kernel could never give
 * this server: eagain when its sockets are blocking, eintr when it
 * catches no signal; each dropped kind noted on TEST's row. The count kept. */
int suite_drop_impossible(const char *test, const char *const *rules, int n, const char **out);

/* RULES[0..N) joined with " ; " into BUF. */
const char *suite_join(const char *const *rules, int n, char *buf, size_t len);

/* S6 after a scenario: recorded in the S6 row, not failing this test. */
void suite_s6_after(const char *test);

/* Connection I's data: a slice of the pool; N connections of MINLEN to
 * MAXLEN bytes (seeded). */
const unsigned char *suite_slice(unsigned i, size_t len);
void suite_conns(struct echo_conn *c, int n, size_t minlen, size_t maxlen, unsigned seed);

/* The tests, by clause (clauses_*.c). */
void S0_listens_within_5s(void **state);
void S1_echo_exact(void **state);
void S2_half_close(void **state);
void S3_100_concurrent(void **state);
void S3_silent_client_does_not_block(void **state);
void S3_1000_in_a_row(void **state);
void S3_bursts_of_100(void **state);
void S4_short_reads(void **state);
void S4_short_writes(void **state);
void S4_eintr_every_call(void **state);
void S4_spurious_eagain(void **state);
void S4_accept_econnaborted_emfile(void **state);
void S4_mixed(void **state);
void S4_sweep(void **state);
void S5_injected_reset_on_read(void **state);
void S5_injected_eof_on_read(void **state);
void S5_injected_reset_on_write(void **state);
void S5_injected_epipe_on_write(void **state);
void S5_client_rst(void **state);
void S5_client_closes_without_reading(void **state);
void S5_client_half_closes_then_rst(void **state);
void S5_sweep(void **state);
void S6_no_leaks(void **state);
void S7_sigterm_exit0(void **state);
void S7_sigint_exit0(void **state);
void S7_valgrind_clean(void **state);
void S8_idle_timeout(void **state);

#endif

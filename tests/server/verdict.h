/* verdict.h: the table of clause results, one row per clause S0-S8.
 * A row is FAIL if any of its tests failed, else NOT JUDGED if any of its
 * tests could not judge (skipped, or its faults never reached the server),
 * else PASS if a test passed it; a row no selected test touched is not
 * printed. Every failing test keeps its own message (never the first
 * reason repeated): what was fed, what was expected, what came back, the
 * server's last output lines, and the command that reruns that test alone.
 * The table goes to stdout; REPORT=junit:FILE or tap:FILE writes the same
 * rows, one testcase per clause, through report.h (NOT JUDGED as a skip
 * that says so, as check-wrap writes it). */
#ifndef SERVER_VERDICT_H
#define SERVER_VERDICT_H

/* The clause of a test: its first two characters ("S4_sweep" -> S4). */
void verdict_pass(const char *clause, const char *test);
/* FED, EXPECTED, GOT: one line each (GOT may hold several); appended with
 * the current server's output tail and the rerun command. */
void verdict_fail(const char *clause, const char *test, const char *fed, const char *expected,
                  const char *got);
void verdict_not_judged(const char *clause, const char *test, const char *why);
/* A remark shown on the row whatever its verdict (e.g. "eagain: n/a"). */
void verdict_note(const char *clause, const char *test, const char *note);

int verdict_failed(const char *clause);
int verdict_judged_not(const char *clause);
/* TEST itself failed its own clause. */
int verdict_test_failed(const char *test);
/* TEST's clause has passed a test. */
int verdict_passed_test(const char *test);
/* The clause's failures took long (a hang): its later tests are skipped. */
void verdict_mark_hung(const char *clause);
int verdict_hung(const char *clause);

/* A test of CLAUSE was selected (SERVER_SUITE_ONLY): its row is shown;
 * other rows only when another test charged them a failure. */
void verdict_select(const char *clause);

/* The test ran (its row is shown even if it recorded nothing). */
void verdict_touch(const char *clause);

/* Prints the table for SERVER; returns the number of rows that are FAIL
 * or NOT JUDGED (or touched and left without any verdict). */
int verdict_table(const char *server);

/* SPEC "junit:FILE" or "tap:FILE". 0, or -1 with a message on stderr. */
int verdict_report(const char *spec, const char *server);

/* The rerun command line for TEST, into BUF. */
void verdict_rerun(const char *test, char *buf, unsigned len);

#endif

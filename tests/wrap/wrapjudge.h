/* wrapjudge.h: runs each cmocka test of a wrap conformance file in its own
 * forked child, all of them at once, each under its own deadline, so that a
 * crash or a hang in one test (a broken candidate wrap.c) fails that test
 * with a reason and every other test is still judged, and a candidate that
 * hangs everywhere costs one deadline, not one per test.
 *
 * A test child reports through marker lines on its stderr ("@@tag text",
 * written by wtest.c and stubs.c): what it fed, the faults it set, what it
 * expected and got, why it could not judge, that its faults never fired,
 * that it called a stub; an exit() in the child (the candidate's: the
 * harness leaves by _exit) says "@@exit". The parent turns them, the
 * child's end and its other output (the candidate's own stderr) into one
 * record per test: "name<TAB>verdict<TAB>reason<TAB>fed<TAB>expected<TAB>
 * got<TAB>stderr", fields escaped (no tab or newline inside), verdict PASS,
 * FAIL or NOTJUDGED. scripts/check-wrap.sh reads them.
 *
 * Verdicts: a hang (no result by the deadline) or a crash FAILs; a test that
 * was skipped (not_judged()), called a stub, or set faults none of which
 * fired is NOTJUDGED, also when it failed (the failure then says nothing
 * about its clause); an exit() after "@@exitnotmine" (the test is about to
 * make calls that fail, and an exit there is another clause's failure) is
 * NOTJUDGED; else the test's own result. "@@pastend" (Readline wrote at or
 * past buf[maxlen], wtest.h) adds a record "L12_in_NAME" that FAILs (an L12
 * test itself FAILs instead), and a crash or hang that followed it makes
 * the test NOTJUDGED: the write was L12's failure, not its clause's.
 *
 * Environment:
 *   WRAP_RESULTS=FILE  append the records there
 *   WRAP_TIMEOUT=S     seconds per test (default 10)
 *   WRAP_JOBS=N        tests running at once (default: all of the file)
 *   WRAP_ONLY=LIST     run only these tests: space- or comma-separated test
 *                      names, clause ids (L2) or name prefixes ending in _
 *                      (L12_in_NAME runs test NAME)
 *   WRAP_VERBOSE=1     print the whole output of failing tests
 *   WRAP_SLOW=1        (Valgrind, coverage) smaller iteration counts
 */
#ifndef WRAP_WRAPJUDGE_H
#define WRAP_WRAPJUDGE_H

/* The suite's external names start with fi_: a candidate may use any other. */
#define wrap_run_tests fi_t_wrap_run_tests
#define wrap_exit      fi_t_wrap_exit

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Runs TESTS one per child; returns the number not passed (main's exit). */
int wrap_run_tests(const char *file, const struct CMUnitTest *tests, size_t n);

/* _exit(status), after writing coverage data in a --coverage build (a
 * forked test child never reaches exit()). */
void wrap_exit(int status) __attribute__((noreturn));

/* 1 if test NAME is selected by the list ONLY (see WRAP_ONLY above). */
int fi_t_selected(const char *name, const char *only);

/* Called in the test child when the test ends (returned, about to time
 * out, or exit() called): if it set faults and none fired, writes
 * "@@notjudged" (PASSED) or "@@unfired" (it failed: that failure says
 * nothing about the clause). In wtest.c. */
void fi_t_after_test(int passed);

#define WRAP_RUN(tests) wrap_run_tests(__FILE__, tests, sizeof(tests) / sizeof((tests)[0]))

#endif

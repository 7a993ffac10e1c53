/* harness.h: runs each cmocka test of a wrap conformance file in its own
 * forked child under a time limit, so that a crash or a hang in one test
 * (a broken candidate wrap.c) fails that test with a reason and every other
 * test is still judged.
 *
 * Environment:
 *   WRAP_RESULTS=FILE  append one line per test: "name PASS" or
 *                      "name FAIL reason" (read by scripts/check-wrap.sh)
 *   WRAP_TIMEOUT=S     seconds per test (default 60; tests guard their own
 *                      blocking calls with shorter limits)
 *   WRAP_ONLY=PREFIX   run only the tests whose name starts with PREFIX
 *   WRAP_VERBOSE=1     print the whole output of failing tests
 *   WRAP_SLOW=1        (Valgrind, coverage) smaller iteration counts
 */
#ifndef WRAP_HARNESS_H
#define WRAP_HARNESS_H

/* The suite's external names start with fi_: a candidate may use any other. */
#define wrap_run_tests fi_t_wrap_run_tests
#define wrap_exit      fi_t_wrap_exit

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Runs TESTS one per child; returns the number that failed (main's exit). */
int wrap_run_tests(const char *file, const struct CMUnitTest *tests, size_t n);

/* _exit(status), after writing coverage data in a --coverage build (a
 * forked test child never reaches exit()). */
void wrap_exit(int status) __attribute__((noreturn));

#define WRAP_RUN(tests) wrap_run_tests(__FILE__, tests, sizeof(tests) / sizeof((tests)[0]))

#endif

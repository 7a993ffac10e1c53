/* report.h: the one JUnit/TAP writer of the judges (check-server,
 * check-wrap): one testcase per clause row, PASS, FAIL or NOT JUDGED.
 * Both suites write NOT JUDGED the same way, as a skip that says so:
 *   JUnit  <skipped message="NOT JUDGED: WHY">DETAILS</skipped>
 *   TAP    ok N - NAME # SKIP NOT JUDGED: WHY
 * and FAIL as <failure message="FAIL: WHY">DETAILS</failure> /
 * "not ok N - NAME" followed by "# " lines (WHY, then DETAILS).
 * DETAILS are lines (what was fed, expected, got, stderr, the rerun
 * command). Text is escaped for XML (control bytes as \xNN); in TAP no
 * line break of the text can start a line of its own. */
#ifndef SUPPORT_REPORT_H
#define SUPPORT_REPORT_H

enum report_verdict { REPORT_PASS, REPORT_FAIL, REPORT_NOT_JUDGED };

struct report_row {
    const char *name;            /* "S3 concurrency", "L2 a line longer ..." */
    enum report_verdict verdict;
    const char *why;             /* one line (FAIL, NOT JUDGED); may be NULL */
    const char *details;         /* lines; may be NULL */
};

/* 0 if SPEC is "junit:FILE" or "tap:FILE" with a FILE, else -1. */
int report_spec_ok(const char *spec);

/* Writes ROWS[0..N) as SPEC says, the test suite named SUITE, SECS its
 * time (JUnit). 0, or -1 with a message on stderr (bad spec, cannot
 * write). */
int report_write(const char *spec, const char *suite, const struct report_row *rows, int n,
                 double secs);

#endif

/* verdict.c: clause rows, the table, and its JUnit/TAP report (report.h). */
#include "verdict.h"
#include "serverctl.h"
#include "report.h"
#include "traced.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ids[] = { "S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8" };
static const char *const names[] = { "start", "echo", "end", "concurrency",
                                     "faults that keep data", "faults that end a connection",
                                     "no leaks", "stop", "idle" };
/* The clause's one-line meaning, shown with every failure. */
static const char *const meanings[] = {
    "started as `SERVER PORT`, it listens and accepts a connection within 5 s",
    "every byte received comes back on its connection, in order, a-z as A-Z, nothing else",
    "after the client half-closes, the server sends what it still owes, then closes",
    "100 connections served at once, a stuck client delays no other, 1,000 connections "
    "in a row and in bursts of 100",
    "with short reads/writes, EINTR, spurious EAGAIN, ECONNABORTED and EMFILE injected, "
    "every echo stays complete and exact and new connections are served",
    "a connection ended by a reset, an early end of stream or EPIPE ends alone: the server "
    "survives (SIGPIPE included) and serves the others",
    "2 s after the last client: no zombie children, as many descriptors and threads as "
    "before the first client",
    "SIGTERM or SIGINT with no client connected: exit status 0 within 2 s; clean under "
    "Valgrind memcheck",
    "a connection idle longer than -t SECONDS is closed; a spurious EAGAIN is not idleness",
};
enum { NCLAUSE = sizeof ids / sizeof ids[0], MAX_ENTRIES = 40 };

enum kind { K_FAIL, K_NJ, K_NOTE };
struct entry {
    enum kind kind;
    char test[48];
    char *text;
};
static struct row {
    int touched, passed, hung, selected;
    int n, more; /* entries kept, and those past MAX_ENTRIES (counted) */
    struct entry e[MAX_ENTRIES];
} rows[NCLAUSE];

static int index_of(const char *c)
{
    for (int i = 0; i < NCLAUSE; i++)
        if (strncmp(c, ids[i], 2) == 0)
            return i;
    return -1;
}

static void add(const char *clause, enum kind k, const char *test, const char *text)
{
    int i = index_of(clause);
    if (i < 0)
        return;
    struct row *r = &rows[i];
    r->touched = 1;
    for (int j = 0; j < r->n; j++)
        if (r->e[j].kind == k && strcmp(r->e[j].test, test) == 0 && strcmp(r->e[j].text, text) == 0)
            return;
    if (r->n == MAX_ENTRIES) {
        r->more++;
        return;
    }
    r->e[r->n].kind = k;
    snprintf(r->e[r->n].test, sizeof r->e[r->n].test, "%s", test);
    r->e[r->n].text = strdup(text);
    if (r->e[r->n].text)
        r->n++;
}

static int count(int i, enum kind k)
{
    int n = 0;
    for (int j = 0; j < rows[i].n; j++)
        n += rows[i].e[j].kind == k;
    return n;
}

void verdict_select(const char *clause)
{
    int i = index_of(clause);
    if (i >= 0)
        rows[i].selected = 1;
}

/* Shown: a row a selected test belongs to, or one charged a failure by
 * another test (a death it caused). */
static int shown(int i)
{
    return rows[i].touched && (rows[i].selected || count(i, K_FAIL) > 0);
}

void verdict_touch(const char *clause)
{
    int i = index_of(clause);
    if (i >= 0)
        rows[i].touched = 1;
}

void verdict_pass(const char *clause, const char *test)
{
    (void)test;
    int i = index_of(clause);
    if (i >= 0)
        rows[i].touched = rows[i].passed = 1;
}

void verdict_rerun(const char *test, char *buf, unsigned len)
{
    snprintf(buf, len, "make check-server SERVER=%s SERVER_SUITE_ONLY=%s%s", cfg.server, test,
             cfg.traced && traced_elf_static(cfg.server) != 1 ? " SERVER_SUITE_FAULTRUN=1" : "");
}

void verdict_fail(const char *clause, const char *test, const char *fed, const char *expected,
                  const char *got)
{
    char tail[2048], rerun[512];
    server_log_tail(harness_current(), 6, tail, sizeof tail);
    verdict_rerun(test, rerun, sizeof rerun);
    size_t len = strlen(fed) + strlen(expected) + strlen(got) + strlen(tail) + strlen(rerun) + 256;
    char *text = malloc(len);
    if (text == NULL)
        return;
    snprintf(text, len, "fed:      %s\n      expected: %s\n      got:      %s\n%s%s\n      rerun:    %s",
             fed, expected, got,
             tail[0] ? "      server output (last lines):\n" : "      server output: (nothing)",
             tail, rerun);
    fprintf(stderr, "  %s FAIL (%.2s): %s\n", test, clause, got);
    add(clause, K_FAIL, test, text);
    free(text);
}

void verdict_not_judged(const char *clause, const char *test, const char *why)
{
    fprintf(stderr, "  %s: %.2s NOT JUDGED: %s\n", test, clause, why);
    add(clause, K_NJ, test, why);
}

void verdict_note(const char *clause, const char *test, const char *note)
{
    add(clause, K_NOTE, test, note);
}

int verdict_failed(const char *clause)
{
    int i = index_of(clause);
    return i >= 0 && count(i, K_FAIL) > 0;
}

int verdict_test_failed(const char *test)
{
    int i = index_of(test);
    for (int j = 0; i >= 0 && j < rows[i].n; j++)
        if (rows[i].e[j].kind == K_FAIL && strcmp(rows[i].e[j].test, test) == 0)
            return 1;
    return 0;
}

int verdict_passed_test(const char *test)
{
    int i = index_of(test);
    return i >= 0 && rows[i].passed;
}

int verdict_judged_not(const char *clause)
{
    int i = index_of(clause);
    return i >= 0 && count(i, K_NJ) > 0;
}

void verdict_mark_hung(const char *clause)
{
    int i = index_of(clause);
    if (i >= 0)
        rows[i].hung = 1;
}

int verdict_hung(const char *clause)
{
    int i = index_of(clause);
    return i >= 0 && rows[i].hung;
}

static const char *state(int i)
{
    if (count(i, K_FAIL))
        return "FAIL";
    if (count(i, K_NJ))
        return "NOT JUDGED";
    if (rows[i].passed)
        return "PASS";
    return "NOT JUDGED";
}

static int bad(int i)
{
    return shown(i) && strcmp(state(i), "PASS") != 0;
}

int verdict_table(const char *server)
{
    int nbad = 0;
    printf("\ncheck-server %s%s%s%s%s\n", server, cfg.netns ? "  (each run in its own network "
           "namespace: " : "  (no network namespace)", cfg.netns ? cfg.netns : "",
           cfg.netns ? ")" : "", cfg.traced ? "  (under faultrun --backend=trace)" : "");
    for (int i = 0; i < NCLAUSE; i++) {
        if (!shown(i))
            continue;
        nbad += bad(i);
        printf("  %-3s %-10s %s\n", ids[i], state(i), names[i]);
        if (bad(i))
            printf("      (%s)\n", meanings[i]);
        if (!rows[i].passed && rows[i].n == 0)
            printf("    - no test reached a verdict\n");
        for (int j = 0; j < rows[i].n; j++) {
            const struct entry *e = &rows[i].e[j];
            const char *k = e->kind == K_FAIL ? "FAIL" : e->kind == K_NJ ? "NOT JUDGED" : "note";
            if (e->kind == K_FAIL)
                printf("    - %s %s:\n      %s\n", e->test, k, e->text);
            else
                printf("    - %s %s: %s\n", e->test, k, e->text);
        }
        if (rows[i].more)
            printf("    - and %d more\n", rows[i].more);
    }
    fflush(stdout);
    return nbad;
}

/* ---- reports (report.h: the one writer both judges use) ---- */

/* Every entry of row I, one "TEST KIND: text" block each, into a new string. */
static char *row_text(int i)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (m == NULL)
        return NULL;
    for (int j = 0; j < rows[i].n; j++) {
        const struct entry *e = &rows[i].e[j];
        const char *k = e->kind == K_FAIL ? "FAIL" : e->kind == K_NJ ? "NOT JUDGED" : "note";
        fprintf(m, "%s %s: %s\n", e->test, k, e->text);
    }
    if (rows[i].more)
        fprintf(m, "and %d more\n", rows[i].more);
    fclose(m);
    return buf;
}

/* The first entry of KIND in row I, as "TEST: text" (its first line). */
static void first_of(int i, enum kind k, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int j = 0; j < rows[i].n; j++)
        if (rows[i].e[j].kind == k) {
            const char *t = rows[i].e[j].text;
            snprintf(buf, len, "%s: %.*s", rows[i].e[j].test, (int)strcspn(t, "\n"), t);
            return;
        }
}

int verdict_report(const char *spec, const char *server)
{
    struct report_row out[NCLAUSE];
    char names_buf[NCLAUSE][64], why[NCLAUSE][640], suite[600];
    int n = 0;
    for (int i = 0; i < NCLAUSE; i++) {
        if (!shown(i))
            continue;
        const char *st = state(i);
        snprintf(names_buf[n], sizeof names_buf[n], "%s %s", ids[i], names[i]);
        out[n].name = names_buf[n];
        out[n].verdict = strcmp(st, "PASS") == 0 ? REPORT_PASS
                         : strcmp(st, "FAIL") == 0 ? REPORT_FAIL : REPORT_NOT_JUDGED;
        why[n][0] = '\0';
        if (out[n].verdict == REPORT_FAIL)
            snprintf(why[n], sizeof why[n], "%s", meanings[i]);
        else if (out[n].verdict == REPORT_NOT_JUDGED) {
            first_of(i, K_NJ, why[n], sizeof why[n]);
            if (why[n][0] == '\0')
                snprintf(why[n], sizeof why[n], "no test reached a verdict");
        }
        out[n].why = why[n];
        out[n].details = out[n].verdict == REPORT_PASS ? NULL : row_text(i);
        n++;
    }
    snprintf(suite, sizeof suite, "check-server %s", server);
    int r = report_write(spec, suite, out, n, 0);
    for (int i = 0; i < n; i++)
        free((char *)out[i].details);
    return r;
}

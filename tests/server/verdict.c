/* verdict.c: clause rows, the table, JUnit and TAP reports. */
#include "verdict.h"
#include "harness.h"

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
    snprintf(buf, len, "make check-server SERVER=%s SERVER_SUITE_ONLY=%s", cfg.server, test);
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
    snprintf(text, len, "fed:      %s\n      expected: %s\n      got:      %s\n%s%s%s      rerun:    %s",
             fed, expected, got, tail[0] ? "      server output (last lines):\n" : "", tail,
             tail[0] ? "\n" : "", rerun);
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
    printf("\ncheck-server %s%s%s%s\n", server, cfg.netns ? "  (each run in its own network "
           "namespace: " : "  (no network namespace)", cfg.netns ? cfg.netns : "",
           cfg.netns ? ")" : "");
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

/* ---- reports ---- */

static void xml_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

static void row_text(FILE *f, int i, void (*put)(FILE *, const char *), const char *prefix)
{
    for (int j = 0; j < rows[i].n; j++) {
        const struct entry *e = &rows[i].e[j];
        const char *k = e->kind == K_FAIL ? "FAIL" : e->kind == K_NJ ? "NOT JUDGED" : "note";
        char head[128];
        snprintf(head, sizeof head, "%s%s %s: ", prefix, e->test, k);
        put(f, head);
        /* every line of the text behind PREFIX */
        const char *p = e->text;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            char *line = strndup(p, n);
            if (line) {
                put(f, line);
                free(line);
            }
            put(f, "\n");
            if (!nl)
                break;
            put(f, prefix);
            p = nl + 1;
        }
    }
}

static void put_plain(FILE *f, const char *s)
{
    fputs(s, f);
}

int verdict_report(const char *spec, const char *server)
{
    int junit = strncmp(spec, "junit:", 6) == 0, tap = strncmp(spec, "tap:", 4) == 0;
    const char *path = junit ? spec + 6 : tap ? spec + 4 : NULL;
    if (path == NULL || *path == '\0') {
        fprintf(stderr, "REPORT=%s: want junit:FILE or tap:FILE\n", spec);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "REPORT=%s: cannot write %s\n", spec, path);
        return -1;
    }
    int n = 0, nbad = 0;
    for (int i = 0; i < NCLAUSE; i++)
        if (shown(i)) {
            n++;
            nbad += bad(i);
        }
    if (junit) {
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"check-server ");
        xml_escaped(f, server);
        fprintf(f, "\" tests=\"%d\" failures=\"%d\">\n", n, nbad);
        for (int i = 0; i < NCLAUSE; i++) {
            if (!shown(i))
                continue;
            fprintf(f, "  <testcase classname=\"check-server\" name=\"%s %s\">\n", ids[i], names[i]);
            if (bad(i)) {
                fprintf(f, "    <failure message=\"%s: %s\">", state(i), meanings[i]);
                char *buf = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&buf, &len);
                if (m) {
                    row_text(m, i, put_plain, "");
                    fclose(m);
                    xml_escaped(f, buf);
                    free(buf);
                }
                fprintf(f, "</failure>\n");
            }
            fprintf(f, "  </testcase>\n");
        }
        fprintf(f, "</testsuite>\n");
    } else {
        fprintf(f, "TAP version 13\n1..%d\n", n);
        int k = 0;
        for (int i = 0; i < NCLAUSE; i++) {
            if (!shown(i))
                continue;
            fprintf(f, "%s %d - %s %s%s%s\n", bad(i) ? "not ok" : "ok", ++k, ids[i], names[i],
                    bad(i) ? " # " : "", bad(i) ? state(i) : "");
            if (bad(i)) {
                fprintf(f, "# %s\n", meanings[i]);
                row_text(f, i, put_plain, "# ");
            }
        }
    }
    int err = ferror(f);
    if (fclose(f) != 0 || err) {
        fprintf(stderr, "REPORT=%s: write error\n", spec);
        return -1;
    }
    return 0;
}

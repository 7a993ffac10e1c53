/* report.c: see report.h. */
#include "report.h"

#include <stdio.h>
#include <string.h>

int report_spec_ok(const char *spec)
{
    if (spec && strncmp(spec, "junit:", 6) == 0 && spec[6])
        return 0;
    if (spec && strncmp(spec, "tap:", 4) == 0 && spec[4])
        return 0;
    return -1;
}

static void xml_put(FILE *f, const char *s)
{
    for (; s && *s; s++) {
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

static void write_junit(FILE *f, const char *suite, const struct report_row *rows, int n,
                        double secs)
{
    int fails = 0, skips = 0;
    for (int i = 0; i < n; i++) {
        fails += rows[i].verdict == REPORT_FAIL;
        skips += rows[i].verdict == REPORT_NOT_JUDGED;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", f);
    xml_put(f, suite);
    fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"0\" skipped=\"%d\" time=\"%.0f\">\n", n,
            fails, skips, secs);
    for (int i = 0; i < n; i++) {
        const struct report_row *r = &rows[i];
        const char *el = r->verdict == REPORT_FAIL ? "failure" : "skipped";
        fputs("  <testcase classname=\"", f);
        fprintf(f, "%.*s", (int)strcspn(suite, " <>&\""), suite); /* "check-wrap" */
        fputs("\" name=\"", f);
        xml_put(f, r->name);
        fputs("\">", f);
        if (r->verdict != REPORT_PASS) {
            fprintf(f, "<%s message=\"%s", el, r->verdict == REPORT_FAIL ? "FAIL" : "NOT JUDGED");
            if (r->why && *r->why) {
                fputs(": ", f);
                xml_put(f, r->why);
            }
            fputs("\">", f);
            xml_put(f, r->details);
            fprintf(f, "</%s>", el);
        }
        fputs("</testcase>\n", f);
    }
    fputs("</testsuite>\n</testsuites>\n", f);
}

/* TEXT's lines, each as a "# " line; a control byte is shown as \xNN. */
static void tap_lines(FILE *f, const char *text)
{
    int bol = 1;
    for (const char *p = text; p && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (bol)
            fputs("# ", f);
        bol = c == '\n';
        if (c == '\n' || c == '\t' || c >= 0x20)
            fputc(c, f);
        else
            fprintf(f, "\\x%02x", c);
    }
    if (!bol)
        fputc('\n', f);
}

/* A one-line field: no line break (shown as \n). */
static void tap_one_line(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            fputs("\\n", f);
        else if (c == '#')
            fputs("\\#", f); /* a '#' in a description would start a directive */
        else if (c < 0x20)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

static void write_tap(FILE *f, const struct report_row *rows, int n)
{
    fprintf(f, "TAP version 13\n1..%d\n", n);
    for (int i = 0; i < n; i++) {
        const struct report_row *r = &rows[i];
        fprintf(f, "%s %d - ", r->verdict == REPORT_FAIL ? "not ok" : "ok", i + 1);
        tap_one_line(f, r->name);
        if (r->verdict == REPORT_NOT_JUDGED) {
            fputs(" # SKIP NOT JUDGED", f);
            if (r->why && *r->why) {
                fputs(": ", f);
                tap_one_line(f, r->why);
            }
        }
        fputc('\n', f);
        if (r->verdict == REPORT_FAIL && r->why && *r->why) {
            fputs("# FAIL: ", f);
            tap_one_line(f, r->why);
            fputc('\n', f);
        }
        if (r->verdict != REPORT_PASS)
            tap_lines(f, r->details);
    }
}

int report_write(const char *spec, const char *suite, const struct report_row *rows, int n,
                 double secs)
{
    if (report_spec_ok(spec) < 0) {
        fprintf(stderr, "REPORT=%s: want junit:FILE or tap:FILE\n", spec ? spec : "");
        return -1;
    }
    int junit = spec[0] == 'j';
    const char *path = strchr(spec, ':') + 1;
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "REPORT=%s: cannot write %s\n", spec, path);
        return -1;
    }
    if (junit)
        write_junit(f, suite, rows, n, secs);
    else
        write_tap(f, rows, n);
    int err = ferror(f);
    if (fclose(f) != 0 || err) {
        fprintf(stderr, "REPORT=%s: write error\n", spec);
        return -1;
    }
    return 0;
}

/* report_tool.c: report.h for shell and awk judges (check-wrap).
 *
 *   report_tool SPEC SUITE SECS < ROWS
 *
 * SPEC is junit:FILE or tap:FILE. ROWS, one record a line:
 *   ROW<TAB>NAME<TAB>VERDICT<TAB>WHY    VERDICT: PASS, FAIL or NOTJUDGED
 *   TXT<TAB>LINE                        a line of the last row's details
 * Exit 0, or 2 (bad usage or input, cannot write). */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ROWS = 256, LINE = 65536 };

static struct report_row rows[MAX_ROWS];
static char *details[MAX_ROWS];
static size_t dlen[MAX_ROWS];

static char *dup_field(const char *s)
{
    char *d = strdup(s ? s : "");
    if (d == NULL) {
        perror("report_tool");
        exit(2);
    }
    return d;
}

static void add_detail(int i, const char *line)
{
    size_t n = strlen(line);
    char *d = realloc(details[i], dlen[i] + n + 2);
    if (d == NULL) {
        perror("report_tool");
        exit(2);
    }
    memcpy(d + dlen[i], line, n);
    dlen[i] += n;
    d[dlen[i]++] = '\n';
    d[dlen[i]] = '\0';
    details[i] = d;
}

static int parse_verdict(const char *v, enum report_verdict *out)
{
    if (strcmp(v, "PASS") == 0)
        *out = REPORT_PASS;
    else if (strcmp(v, "FAIL") == 0)
        *out = REPORT_FAIL;
    else if (strcmp(v, "NOTJUDGED") == 0 || strcmp(v, "NOT JUDGED") == 0)
        *out = REPORT_NOT_JUDGED;
    else
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    static char line[LINE];
    int n = 0, lineno = 0;
    if (argc != 4 || report_spec_ok(argv[1]) < 0) {
        fprintf(stderr, "usage: report_tool junit:FILE|tap:FILE SUITE SECS < ROWS\n");
        return 2;
    }
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        char *save = NULL, *kind = strtok_r(line, "\t", &save);
        if (kind == NULL)
            continue;
        if (strcmp(kind, "TXT") == 0 && n > 0) {
            add_detail(n - 1, save ? save : "");
            continue;
        }
        char *name = strtok_r(NULL, "\t", &save), *v = strtok_r(NULL, "\t", &save);
        if (strcmp(kind, "ROW") != 0 || name == NULL || v == NULL || n == MAX_ROWS ||
            parse_verdict(v, &rows[n].verdict) < 0) {
            fprintf(stderr, "report_tool: line %d: want ROW<TAB>NAME<TAB>PASS|FAIL|NOTJUDGED"
                            "<TAB>WHY or TXT<TAB>LINE\n", lineno);
            return 2;
        }
        rows[n].name = dup_field(name);
        rows[n].why = dup_field(save);
        n++;
    }
    for (int i = 0; i < n; i++)
        rows[i].details = details[i];
    return report_write(argv[1], argv[2], rows, n, atof(argv[3])) < 0 ? 2 : 0;
}

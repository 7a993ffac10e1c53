/* logparse_check.c: checks of the log parser for fuzzing (see
 * logparse_check.h). The input is the whole log text, in a buffer of
 * exactly its size (under ASan a read past it is caught). */
#include "logparse_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errnames.h"
#include "input_name.h"
#include "logparse.h"

static void bad(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_logparse: BREACH%s%s: %s%s%.200s\n", fuzz_input_name ? " in " : "",
            fuzz_input_name ? fuzz_input_name : "", what, detail ? ": " : "",
            detail ? detail : "");
    abort();
}

static void fault_text(const struct fi_rule *r, char *buf, size_t len)
{
    static const char *const plain[] = {
        [FI_F_EINTR] = "eintr", [FI_F_EAGAIN] = "eagain", [FI_F_RESET] = "reset",
        [FI_F_EOF] = "eof", [FI_F_STALL] = "stall",
    };
    if (r->fault == FI_F_SHORT)
        snprintf(buf, len, "short=%ld", r->arg);
    else if (r->fault == FI_F_ERROR)
        snprintf(buf, len, "error=%s", fi_errno_name((int)r->arg));
    else if (r->fault == FI_F_DELAY)
        snprintf(buf, len, "delay=%ld", r->arg);
    else
        snprintf(buf, len, "%s", plain[r->fault]);
}

/* The line as filog.c writes it. */
static size_t line_text(const struct fi_logline *l, char *buf, size_t len)
{
    char fault[64], data[64] = "";
    fault_text(&l->fault, fault, sizeof fault);
    if (l->data)
        snprintf(data, sizeof data, " asked=%lld ret=%lld", l->asked, l->ret);
    int n = snprintf(buf, len, "%ld %ld %s %d %s n=%llu rule=%d t=%llu.%09u%s c=%llu proc=%s",
                     l->pid, l->tid, fi_call_name(l->call), l->fd, fault,
                     (unsigned long long)l->n, l->rule + 1, (unsigned long long)l->t_sec,
                     l->t_nsec, data, (unsigned long long)l->callno, l->proc);
    return (size_t)n;
}

static int same(const struct fi_logline *a, const struct fi_logline *b)
{
    return a->pid == b->pid && a->tid == b->tid && a->call == b->call && a->fd == b->fd &&
           a->fault.fault == b->fault.fault && a->fault.arg == b->fault.arg && a->n == b->n &&
           a->rule == b->rule && a->t_sec == b->t_sec && a->t_nsec == b->t_nsec &&
           a->data == b->data && (!a->data || (a->asked == b->asked && a->ret == b->ret)) &&
           a->callno == b->callno && strcmp(a->proc, b->proc) == 0;
}

static int each(const struct fi_logline *l, void *arg)
{
    long *seen = arg;
    char text[512], err[256];
    struct fi_logline again;
    (*seen)++;
    if (l->pid < 1 || l->pid > 4194304 || l->tid < 1 || l->tid > 4194304)
        bad("pid or tid out of range", NULL);
    if (l->fd < -1 || l->rule < 0 || l->rule >= FI_MAX_RULES || l->n == 0 || l->callno == 0 ||
        l->t_nsec > 999999999u || l->proc[0] != '0' ||
        strlen(l->proc) >= FI_LOG_PATH_MAX || (l->data && (l->asked < 0 || l->ret < -1)))
        bad("a field out of range was accepted", l->proc);
    if (!(l->fault.calls & FI_BIT(l->call)))
        bad("fault parsed for another call", fi_call_name(l->call));
    size_t n = line_text(l, text, sizeof text);
    if (n >= sizeof text)
        bad("line too long to write back", text);
    if (fi_logline_parse(text, n, &again, err, sizeof err) != 1)
        bad("written back, the line is refused", err);
    if (!same(l, &again))
        bad("written back, the line reads differently", text);
    return 0;
}

void logparse_check_input(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        abort();
    memcpy(text, data, size);
    char err[256], tiny[8];
    long seen = 0;
    long n = fi_log_parse(text, size, each, &seen, err, sizeof err);
    if (n >= 0 && n != seen)
        bad("fault count differs from the lines reported", NULL);
    if (n < 0) {
        long lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += text[i] == '\n';
        long at = -1;
        if (strncmp(err, "line ", 5) != 0 || sscanf(err + 5, "%ld", &at) != 1 || at < 1 ||
            at > lines || strlen(err) < 10)
            bad("a refusal that does not name its line", err);
    }
    long m = fi_log_parse(text, size, NULL, NULL, tiny, sizeof tiny);
    if (m != n || memchr(tiny, '\0', sizeof tiny) == NULL)
        bad("a small message buffer changed the result or was not terminated", NULL);
    free(text);
}

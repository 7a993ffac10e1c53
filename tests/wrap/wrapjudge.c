/* wrapjudge.c: see wrapjudge.h. One forked child per test, all started at once
 * (WRAP_JOBS at most), each in its own process group with its stdout and
 * stderr captured through one pipe; the parent kills a child's whole group
 * at its deadline or as soon as the child is gone (writers it forked go
 * too), then turns what it captured into one record. */
#include "clock.h"
#include "wrapjudge.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX   65536     /* output kept per test (its last part) */
#define MAX_TESTS 64
#define FIELD     8192      /* one escaped field of a record */

struct run {
    const struct CMUnitTest *t;
    pid_t pid;              /* 0: not started; -1: finished */
    int fd;                 /* the pipe's read end, -1 once at EOF */
    int status, timed_out, reaped;
    double start, end;
    size_t len;
    char state[96];         /* what a timed-out child was doing */
};

static struct run runs[MAX_TESTS];
static char outs[MAX_TESTS][OUT_MAX];

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : dflt;
}

/* ---- selection ---- */

/* The clause id of a test name: what comes before the first '_'. */
static size_t clause_len(const char *name)
{
    return strcspn(name, "_");
}

int fi_t_selected(const char *name, const char *only)
{
    if (only == NULL || *only == '\0')
        return 1;
    for (const char *p = only; *p;) {
        size_t n = strcspn(p, " ,");
        if (n > 7 && strncmp(p, "L12_in_", 7) == 0) { /* the test it came from */
            p += 7;
            n -= 7;
        }
        if (n > 0) {
            if ((strlen(name) == n && strncmp(name, p, n) == 0) ||
                (clause_len(name) == n && strncmp(name, p, n) == 0) ||
                (p[n - 1] == '_' && strncmp(name, p, n) == 0))
                return 1;
        }
        p += n;
        p += strspn(p, " ,");
    }
    return 0;
}

/* ---- the child ---- */

/* Present only in --coverage builds (gcc's and clang's gcov runtimes). */
extern void __gcov_dump(void) __attribute__((weak));

void wrap_exit(int status)
{
    fflush(NULL);
    if (__gcov_dump)
        __gcov_dump();
    _exit(status);
}

/* The harness's children leave by _exit: whoever calls exit() in a test
 * child is the candidate (its perr_exit, most often). */
static void mark_exit(int status, void *arg)
{
    char m[64];
    int n = snprintf(m, sizeof m, "\n@@exit %d\n", status);
    (void)arg;
    if (write(2, m, (size_t)n) < 0)
        return;
    fi_t_after_test(0);
}

/* A second before the parent's deadline: whether the faults fired, while
 * the child can still say it; then the default action, later. */
static void before_deadline(int sig)
{
    (void)sig;
    fi_t_after_test(0);
    signal(SIGALRM, SIG_DFL);
    alarm(6);
}

static void run_child(const struct CMUnitTest *t, int outfd, int timeout)
{
    struct CMUnitTest one = *t;
    int rc;

    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    dup2(outfd, 1);
    dup2(outfd, 2);
    close(outfd);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);   /* EPIPE tests; the library leaves it alone */
    struct sigaction sa = { .sa_handler = before_deadline, .sa_flags = SA_RESTART };
    sigaction(SIGALRM, &sa, NULL);
    alarm(timeout > 1 ? (unsigned)timeout - 1 : 1);
    on_exit(mark_exit, NULL);
    rc = _cmocka_run_group_tests(t->name, &one, 1, NULL, NULL);
    alarm(0);
    fi_t_after_test(rc == 0);
    wrap_exit(rc == 0 ? 0 : 1);
}

/* ---- the parent ---- */

/* Interrupted (^C, a CI timeout): the tests' process groups go too; they
 * are not in ours, so nothing else would stop them. */
static void on_interrupt(int sig)
{
    for (size_t i = 0; i < MAX_TESTS; i++)
        if (runs[i].pid > 0)
            kill(-runs[i].pid, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void start(struct run *r, int timeout)
{
    int fds[2];

    if (pipe(fds) < 0) {
        perror("check-wrap: pipe");
        exit(2);
    }
    fflush(NULL);
    r->start = now_s();
    r->pid = fork();
    if (r->pid < 0) {
        perror("check-wrap: fork");
        exit(2);
    }
    if (r->pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < MAX_TESTS; i++)  /* the others' pipes */
            if (runs[i].pid > 0 && runs[i].fd >= 0)
                close(runs[i].fd);
        run_child(r->t, fds[1], timeout);
    }
    setpgid(r->pid, r->pid);    /* also here: no race with the kill below */
    close(fds[1]);
    r->fd = fds[0];
    fcntl(r->fd, F_SETFL, O_NONBLOCK);
}

static void take_output(struct run *r, char *out)
{
    char tmp[4096];
    ssize_t n;

    while ((n = read(r->fd, tmp, sizeof tmp)) > 0) {
        if (r->len + (size_t)n > OUT_MAX - 1) {
            /* full: the oldest half goes, the end is what tells */
            size_t drop = OUT_MAX / 2;
            memmove(out, out + drop, r->len - drop);
            r->len -= drop;
        }
        memcpy(out + r->len, tmp, (size_t)n);
        r->len += (size_t)n;
    }
    if (n == 0) {
        close(r->fd);
        r->fd = -1;
    }
}

/* "asleep in a system call" or "running": the state of PID's threads. */
static void describe(pid_t pid, char *state, size_t size)
{
    char path[64], buf[512];
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    snprintf(state, size, "state unknown");
    if ((f = fopen(path, "r")) == NULL)
        return;
    if (fgets(buf, sizeof buf, f)) {
        char *p = strrchr(buf, ')');
        if (p && p[1] == ' ') {
            char s = p[2];
            snprintf(state, size, "%s",
                     s == 'R' ? "still running: a busy loop?" :
                     s == 'S' || s == 'D' ? "asleep, blocked in a system call" :
                     "stopped or gone");
        }
    }
    fclose(f);
}

/* The child is gone or out of time: kill its group, collect the rest. */
static void finish(struct run *r, char *out)
{
    double drain_until = now_s() + 2;

    r->end = now_s();
    kill(-r->pid, SIGKILL);
    if (!r->reaped) {
        kill(r->pid, SIGKILL);
        while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
            ;
    }
    while (r->fd >= 0 && now_s() < drain_until) {
        struct pollfd p = { .fd = r->fd, .events = POLLIN };
        poll(&p, 1, 100);
        take_output(r, out);
    }
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    out[r->len] = '\0';
    r->pid = -1;
}

/* ---- turning the output into a record ---- */

/* Appends SRC[0..n) to DST escaped: no tab, newline or control byte. */
static void esc_cat(char *dst, size_t size, const char *src, size_t n)
{
    size_t d = strlen(dst);

    for (size_t i = 0; i < n && d + 5 < size; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '\n')
            d += (size_t)snprintf(dst + d, size - d, "\\n");
        else if (c == '\t')
            d += (size_t)snprintf(dst + d, size - d, "\\t");
        else if (c == '\r')
            d += (size_t)snprintf(dst + d, size - d, "\\r");
        else if (c < 32 || c == 127)
            d += (size_t)snprintf(dst + d, size - d, "\\x%02x", c);
        else
            dst[d++] = (char)c;
    }
    dst[d] = '\0';
}

struct parsed {
    char reason[FIELD], fed[FIELD], expected[FIELD], got[FIELD], err[FIELD];
    char notjudged[FIELD], unfired[FIELD], stub[128], where[256];
    char pastend[FIELD], exit_not_mine[FIELD];
    int exit_marker, exit_status, skipped, has_error;
};

static int starts(const char *line, const char *prefix)
{
    return strncmp(line, prefix, strlen(prefix)) == 0;
}

/* Keeps the last KEEP items of a " | "-separated list. */
static void push(char *list, size_t size, const char *item, size_t n, int keep)
{
    int count = 1;
    for (const char *p = list; (p = strstr(p, " | ")) != NULL; p += 3)
        count++;
    if (*list && count >= keep) {
        char *p = strstr(list, " | ");
        memmove(list, p + 3, strlen(p + 3) + 1);
    }
    if (*list)
        esc_cat(list, size, " | ", 3);
    esc_cat(list, size, item, n);
}

static void parse(const char *out, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    for (const char *l = out; *l;) {
        size_t n = strcspn(l, "\n");
        char line[FIELD];
        snprintf(line, sizeof line, "%.*s", (int)(n < FIELD - 1 ? n : FIELD - 1), l);
        if (starts(line, "@@fed "))
            push(p->fed, sizeof p->fed, line + 6, strlen(line + 6), 4);
        else if (starts(line, "@@faults ")) {
            char item[FIELD];
            snprintf(item, sizeof item, "faults: %.8000s", line + 9);
            push(p->fed, sizeof p->fed, item, strlen(item), 4);
        }
        else if (starts(line, "@@expected "))
            snprintf(p->expected, sizeof p->expected, "%s", line + 11);
        else if (starts(line, "@@got "))
            snprintf(p->got, sizeof p->got, "%s", line + 6);
        else if (starts(line, "@@notjudged "))
            snprintf(p->notjudged, sizeof p->notjudged, "%s", line + 12);
        else if (starts(line, "@@unfired "))
            snprintf(p->unfired, sizeof p->unfired, "%s", line + 10);
        else if (starts(line, "@@pastend "))
            snprintf(p->pastend, sizeof p->pastend, "%s", line + 10);
        else if (starts(line, "@@exitnotmine "))
            snprintf(p->exit_not_mine, sizeof p->exit_not_mine, "%s", line + 14);
        else if (starts(line, "@@stub "))
            snprintf(p->stub, sizeof p->stub, "%s", line + 7);
        else if (starts(line, "@@exit ")) {
            p->exit_marker = 1;
            p->exit_status = atoi(line + 7);
        } else if (starts(line, "@@"))
            ;
        else if (starts(line, "SUMMARY: ") && !p->has_error) {
            esc_cat(p->reason, sizeof p->reason, line, strlen(line));
            p->has_error = 1;
        } else if (starts(line, "ERROR: ") && !p->has_error) {
            esc_cat(p->reason, sizeof p->reason, line + 7, strlen(line + 7));
            p->has_error = 1;
        } else if (starts(line, "[  ERROR   ] --- ") && !p->has_error &&
                   !strstr(line, "[   LINE")) {
            esc_cat(p->reason, sizeof p->reason, line + 17, strlen(line + 17));
            p->has_error = 1;
        } else if (starts(line, "Test failed with exception: ")) {
            p->reason[0] = '\0';
            esc_cat(p->reason, sizeof p->reason, "crashed: ", 9);
            esc_cat(p->reason, sizeof p->reason, line + 28, strlen(line + 28));
            p->has_error = 1;
        } else if (starts(line, "[   LINE   ] --- ")) {
            char *e = strstr(line, ": error: Failure!");
            if (e)
                *e = '\0';
            snprintf(p->where, sizeof p->where, "%s", line + 17);
        } else if (starts(line, "[  SKIPPED ]"))
            p->skipped = 1;
        else if (line[0] == '[' || line[0] == '\0' || strstr(line, " FAILED TEST"))
            ;               /* cmocka's own lines */
        else
            push(p->err, sizeof p->err, line, strlen(line), 5);
        l += n;
        if (*l == '\n')
            l++;
    }
}

static int is_l12(const char *name)
{
    return strncmp(name, "L12_", 4) == 0;
}

static const char *verdict_of(const struct run *r, struct parsed *p, int timeout)
{
    char why[FIELD];
    const char *v = "FAIL";

    why[0] = '\0';
    if (r->timed_out) {         /* a hang fails, faults fired or not */
        snprintf(why, sizeof why, "hung: no result after %d s (%s)%s", timeout,
                 r->state, p->unfired[0] ? "; none of its faults fired" : "");
    } else if (p->unfired[0]) { /* the failure is the faults' absence */
        v = "NOTJUDGED";
        snprintf(why, sizeof why, "it failed, but %.8000s", p->unfired);
    } else if (p->stub[0]) {
        v = "NOTJUDGED";
        snprintf(why, sizeof why, "it calls %s, which the candidate does not "
                 "define as the contract declares it (see that function's row)",
                 p->stub);
    } else if (p->exit_marker && p->exit_not_mine[0]) {
        v = "NOTJUDGED";
        snprintf(why, sizeof why, "the candidate ended the test process "
                 "(exit(%d)) in a failed call: %.8000s", p->exit_status,
                 p->exit_not_mine);
    } else if (p->exit_marker) {
        snprintf(why, sizeof why, "the candidate ended the test process: "
                 "exit(%d) was called (its perr_exit?), where the clause wants "
                 "a return", p->exit_status);
    } else if (WIFSIGNALED(r->status)) {
        snprintf(why, sizeof why, "crashed: killed by signal %d (%s)",
                 WTERMSIG(r->status), strsignal(WTERMSIG(r->status)));
    } else if (WEXITSTATUS(r->status) == 0) {
        if (p->notjudged[0]) {
            v = "NOTJUDGED";
            snprintf(why, sizeof why, "%s", p->notjudged);
        } else if (p->skipped) {
            v = "NOTJUDGED";
            snprintf(why, sizeof why, "the test was skipped");
        } else {
            v = "PASS";
        }
    } else if (p->has_error) {
        snprintf(why, sizeof why, "%s", p->reason);
    } else {
        snprintf(why, sizeof why, "the test process exited with status %d",
                 WEXITSTATUS(r->status));
    }
    /* A write past buf[maxlen] is L12's (wtest.h): in an L12 test it is
     * the failure; elsewhere a test it stopped says nothing of its own
     * clause, and report() adds the L12_in_ row. */
    if (p->pastend[0] && is_l12(r->t->name)) {
        v = "FAIL";
        snprintf(why, sizeof why, "%s", p->pastend);
        p->where[0] = '\0';
    } else if (p->pastend[0] && strcmp(v, "FAIL") == 0 &&
               strstr(p->pastend, "guard page") != NULL) {
        /* the fault ended it: cmocka's handler, or exit(-1) in a thread */
        v = "NOTJUDGED";
        snprintf(why, sizeof why, "Readline wrote past buf[maxlen] and the "
                 "test could not go on: that is L12's failure (L12_in_%s)",
                 r->t->name);
    }
    if (p->where[0] && strcmp(v, "FAIL") == 0 && p->has_error &&
        strlen(why) + strlen(p->where) + 4 < sizeof why) {
        strcat(why, " (");
        strcat(why, p->where);
        strcat(why, ")");
    }
    snprintf(p->reason, sizeof p->reason, "%s", why);
    return v;
}

static int report(struct run *r, const char *out, int timeout, int results)
{
    static struct parsed p;
    const char *v;

    parse(out, &p);
    v = verdict_of(r, &p, timeout);
    if (strcmp(v, "PASS") == 0)
        printf("[  OK  ] %s (%.2f s)\n", r->t->name, r->end - r->start);
    else
        printf("[ %s ] %s: %s\n", strcmp(v, "FAIL") == 0 ? "FAIL" : "NOT JUDGED",
               r->t->name, p.reason);
    if (strcmp(v, "PASS") != 0 && getenv("WRAP_VERBOSE"))
        printf("%s\n", out);
    if (results >= 0)
        dprintf(results, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r->t->name, v,
                p.reason, p.fed, p.expected, p.got, p.err);
    if (p.pastend[0] && !is_l12(r->t->name)) {
        static char why[FIELD];
        why[0] = '\0';
        esc_cat(why, sizeof why, p.pastend, strlen(p.pastend));
        printf("[ FAIL ] L12_in_%s: %s\n", r->t->name, why);
        if (results >= 0)
            dprintf(results, "L12_in_%s\tFAIL\t%s (in test %s)\t%s\tReadline "
                    "writes nothing at or beyond buf[maxlen]\t%s\t%s\n",
                    r->t->name, why, r->t->name, p.fed, why, p.err);
        return 1 + (strcmp(v, "PASS") != 0);
    }
    return strcmp(v, "PASS") != 0;
}

int wrap_run_tests(const char *file, const struct CMUnitTest *tests, size_t n)
{
    const char *only = getenv("WRAP_ONLY");
    const char *rpath = getenv("WRAP_RESULTS");
    int timeout = env_int("WRAP_TIMEOUT", 10), jobs = env_int("WRAP_JOBS", 0);
    int results = -1, failed = 0, running = 0;
    size_t sel = 0, next = 0;

    for (size_t i = 0; i < n && sel < MAX_TESTS; i++)
        if (fi_t_selected(tests[i].name, only))
            runs[sel++] = (struct run){ .t = &tests[i], .fd = -1 };
    if (sel == 0)
        return 0;
    if (rpath && *rpath &&
        (results = open(rpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        perror(rpath);
        return 2;
    }
    if (jobs <= 0)
        jobs = (int)sel;
    signal(SIGINT, on_interrupt);
    signal(SIGTERM, on_interrupt);
    signal(SIGHUP, on_interrupt);
    while (next < sel || running > 0) {
        struct pollfd pf[MAX_TESTS];
        int np = 0;

        while (next < sel && running < jobs) {
            start(&runs[next++], timeout);
            running++;
        }
        for (size_t i = 0; i < next; i++)
            if (runs[i].pid > 0 && runs[i].fd >= 0)
                pf[np++] = (struct pollfd){ .fd = runs[i].fd, .events = POLLIN };
        poll(pf, (nfds_t)np, 20);
        for (size_t i = 0; i < next; i++) {
            struct run *r = &runs[i];
            if (r->pid <= 0)
                continue;
            if (r->fd >= 0)
                take_output(r, outs[i]);
            if (waitpid(r->pid, &r->status, WNOHANG) == r->pid)
                r->reaped = 1;
            else if (now_s() - r->start > timeout) {
                describe(r->pid, r->state, sizeof r->state);
                r->timed_out = 1;
            } else
                continue;
            finish(r, outs[i]);
            running--;
        }
    }
    printf("== %s\n", file);
    for (size_t i = 0; i < sel; i++)
        failed += report(&runs[i], outs[i], timeout, results);
    fflush(stdout);
    if (results >= 0)
        close(results);
    return failed;
}

/* test_evloop: faultinject.md's "Readiness agrees" and "Faithful", judged on
 * a whole event-loop program: evserver (edge-triggered epoll, nginx's read
 * and write habits) under the shim, one rule at a time, p=0.3, fixed seed.
 *
 *   test_evloop EVSERVER SHIM WORKDIR
 *
 * Each case starts evserver under the shim with one rule, runs many
 * concurrent connections of random binary data through it (tests/evloop/
 * evclient.c), and passes only when
 *  - every connection got its exact echo and end of stream before its own
 *    deadline (a stranded connection fails as "stalled");
 *  - the shim's log shows the rule's fault injected on the calls it names,
 *    at least MIN_FIRED times (a case where nothing fired tested nothing,
 *    and fails);
 *  - the server is alive at the end and exits 0 on SIGTERM.
 * A first case runs evserver without the shim: if that fails, the server is
 * wrong, not the shim.
 * Logs and the server's output stay in WORKDIR for a look after a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "evclient.h"
#include "procstat.h"
#include "proc_spawn.h"

enum {
    CONNS = 48,              /* at once */
    MIN_LEN = 16 * 1024,
    MAX_LEN = 400 * 1024,
    CONN_DEADLINE_MS = 20000, /* generous under load; a stranded connection never ends */
    START_MS = 10000,
    MIN_FIRED = 10,           /* a case where (almost) nothing fired tested nothing */
};
#define SEED 20260801ULL

static const char *evserver, *shim, *workdir;

struct fired {
    long lines;    /* every line of the log */
    long matching; /* lines with the rule's fault on one of its calls */
};

static unsigned long long next_rand(unsigned long long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The port evserver printed in OUT, waiting for it under a deadline. */
static int read_port(const char *out, pid_t pid)
{
    long long deadline = now_ms() + START_MS;
    do {
        char line[256];
        int port = -1;
        FILE *f = fopen(out, "r");
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "evserver: listening on 127.0.0.1:%d", &port) == 1)
                break;
        if (f)
            fclose(f);
        if (port > 0)
            return port;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return -1;
        poll(NULL, 0, 10); /* polling interval, not a synchronisation */
    } while (ms_left(deadline) > 0);
    return -1;
}

static int in_list(const char *word, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(word, *list) == 0)
            return 1;
    return 0;
}

/* Counts the log's lines, and those whose call (field 3) is in CALLS and
 * whose fault (field 5, up to '=') is FAULT. */
static struct fired count_fired(const char *log, const char *const *calls, const char *fault)
{
    struct fired r = {0, 0};
    char line[1024], call[64], f[64];
    FILE *fp = fopen(log, "r");
    while (fp && fgets(line, sizeof line, fp)) {
        long pid, tid, fd;
        r.lines++;
        if (sscanf(line, "%ld %ld %63s %ld %63s", &pid, &tid, call, &fd, f) != 5)
            continue;
        f[strcspn(f, "=")] = '\0';
        r.matching += in_list(call, calls) && strcmp(f, fault) == 0;
    }
    if (fp)
        fclose(fp);
    return r;
}

static const char *const read_calls[] = {"read", "readv", "recv", "recvfrom", "recvmsg",
                                         "recvmmsg", "splice", NULL};
static const char *const write_calls[] = {"write", "writev", "send", "sendto", "sendmsg",
                                          "sendmmsg", "sendfile", "splice", NULL};
static const char *const wait_calls[] = {"epoll_wait", "epoll_pwait", "epoll_pwait2", NULL};

/* Runs the load against evserver started under RULES (NULL: no shim) and
 * fails the test on any wrong, missing or late byte. */
static void echo_under(const char *name, const char *rules, const char *const *calls,
                       const char *fault)
{
    char log[512], out[512];
    snprintf(log, sizeof log, "%s/evloop.%s.log", workdir, name);
    snprintf(out, sizeof out, "%s/evloop.%s.out", workdir, name);
    unlink(log);
    unlink(out);

    char *argv[] = {(char *)evserver, "0", NULL};
    struct spawn_opts o = {.shim = rules ? shim : NULL, .rules = rules, .seed = 7,
                           .log = rules ? log : NULL, .out = out};
    pid_t pid = spawn_program(argv, &o);
    assert_true(pid > 0);
    int port = read_port(out, pid);
    if (port < 0) {
        proc_kill(pid);
        fail_msg("%s: evserver did not start listening (see %s)", name, out);
    }

    unsigned long long rng = SEED;
    struct ev_conn *c = calloc(CONNS, sizeof *c);
    unsigned char *data = malloc(MAX_LEN);
    assert_non_null(c);
    assert_non_null(data);
    for (size_t i = 0; i < MAX_LEN; i++)
        data[i] = (unsigned char)next_rand(&rng);
    size_t total = 0;
    for (int i = 0; i < CONNS; i++) {
        /* each its own length and its own window of the random bytes */
        c[i].len = MIN_LEN + (size_t)(next_rand(&rng) % (MAX_LEN - MIN_LEN));
        size_t off = (size_t)(next_rand(&rng) % (MAX_LEN - c[i].len + 1));
        c[i].data = data + off;
        /* Half of them wait for each echo before sending more: nothing new
         * arrives to raise an edge that would rescue a stranded connection,
         * and the server waits often (wait:eintr has waits to hit). */
        c[i].lockstep = i % 2;
        total += c[i].len;
    }
    long long t0 = now_ms();
    int bad = ev_run(c, CONNS, port, CONN_DEADLINE_MS, SEED + 1);
    long long ms = now_ms() - t0;
    int shown = 0;
    for (int i = 0; i < CONNS && shown < 5; i++) {
        char why[256];
        if (ev_check(&c[i], why, sizeof why) < 0) {
            print_message("%s: connection %d: %s\n", name, i, why);
            shown++;
        }
    }
    free(c);
    free(data);

    int alive = proc_alive(pid), status = 0;
    char sbuf[64];
    int stopped = proc_stop(pid, SIGTERM, 5000, &status);
    struct fired f = {0, 0};
    if (rules)
        f = count_fired(log, calls, fault);
    print_message("%s: %d connections, %zu bytes each way, %d failed, %.1f s; "
                  "faults logged %ld, %ld of them %s on its calls\n",
                  name, CONNS, total, bad, (double)ms / 1000.0, f.lines, f.matching, fault ? fault : "-");
    if (bad)
        fail_msg("%s: %d of %d connections did not get their exact echo in time "
                 "(server output %s, log %s)", name, bad, CONNS, out, log);
    if (!alive)
        fail_msg("%s: evserver died during the load (see %s)", name, out);
    if (stopped < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: evserver did not exit 0 on SIGTERM: %s", name,
                 stopped < 0 ? "still running" : proc_status_str(status, sbuf, sizeof sbuf));
    if (rules && f.matching < MIN_FIRED)
        fail_msg("%s: %ld %s faults injected (log %s has %ld lines), fewer than %d: "
                 "the case tested (almost) nothing", name, f.matching, fault, log, f.lines, MIN_FIRED);
}

static void evserver_echoes_without_the_shim(void **state)
{
    (void)state;
    echo_under("noshim", NULL, NULL, NULL);
}

static void readiness_agrees_rd_short(void **state)
{
    (void)state;
    echo_under("rd_short", "rd:short:p=0.3", read_calls, "short");
}

static void readiness_agrees_rd_eagain(void **state)
{
    (void)state;
    echo_under("rd_eagain", "rd:eagain:p=0.3", read_calls, "eagain");
}

static void readiness_agrees_wr_short(void **state)
{
    (void)state;
    echo_under("wr_short", "wr:short:p=0.3", write_calls, "short");
}

static void readiness_agrees_wr_eagain(void **state)
{
    (void)state;
    echo_under("wr_eagain", "wr:eagain:p=0.3", write_calls, "eagain");
}

static void readiness_agrees_wait_eintr(void **state)
{
    (void)state;
    echo_under("wait_eintr", "wait:eintr:p=0.3", wait_calls, "eintr");
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_evloop EVSERVER SHIM WORKDIR\n");
        return 2;
    }
    evserver = argv[1];
    shim = argv[2];
    workdir = argv[3];
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evserver_echoes_without_the_shim),
        cmocka_unit_test(readiness_agrees_rd_short),
        cmocka_unit_test(readiness_agrees_rd_eagain),
        cmocka_unit_test(readiness_agrees_wr_short),
        cmocka_unit_test(readiness_agrees_wr_eagain),
        cmocka_unit_test(readiness_agrees_wait_eintr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

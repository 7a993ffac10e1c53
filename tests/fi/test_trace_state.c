/* test_trace_state.c: the trace backend's per-descriptor options
 * (faultinject.md, OPTION: per=fd, after=, peer=, local=) on fr_tstate,
 * built -static by gcc (glibc) and by musl-gcc, as users run faultrun;
 * where a rule's faults are the shim's too, the dynamic build under
 * --backend=preload must log the same fault lines. fr_tstate makes two
 * TCP connections over loopback to a listener this test binds to port 0
 * (then a third on the first's number: "reuse"); every test checks each
 * call's result and the bytes that arrived (fr_tstate's "sN got B ok"),
 * the summary, and the log read back with the common parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frtest.h"
#include "logparse.h"
#include "names.h"

static const char *const progs[] = { FI_BUILD_DIR "/tests/fi/fr_tstate",
                                     FI_BUILD_DIR "/tests/fi/fr_tstate_musl" };
#define NPROGS 2
#define DYN FI_BUILD_DIR "/tests/fi/fr_tstate_dyn"

#define MAX_LINES 32
struct logbook {
    struct fi_logline line[MAX_LINES];
    int n;
};

static int collect(const struct fi_logline *l, void *arg)
{
    struct logbook *b = arg;
    if (b->n < MAX_LINES)
        b->line[b->n++] = *l;
    return 0;
}

static int port;                        /* the last run's listener's */

/* LOG read back into B (none written: no line). */
static void read_log(struct logbook *b, const char *log)
{
    static char text[65536];
    char err[256];
    b->n = 0;
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    if (fi_log_parse(text, n, collect, b, err, sizeof err) < 0)
        fail_msg("log does not parse: %s: %s", err, text);
}

/* RULE with %d for the listener's port (given once or twice, as PORT
 * and PORT+DELTA). Runs faultrun [BACKEND] -l LOG -e RULE -- PROG LFD
 * reuse on a fresh listener on 127.0.0.1:0 and reads LOG back. */
/* fr_tstate's arguments after LFD: "reuse" and EXTRA, or MODE's (NULL-ended). */
static const char *extra;
static const char *const *mode;

static void run(struct logbook *b, const char *rule, int delta, const char *backend,
                const char *prog)
{
    char log[PATH_MAX], text_rule[128], lfdarg[16];
    int lfd = socket(AF_INET, SOCK_STREAM, 0);       /* no CLOEXEC: fr_tstate's */
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_true(lfd >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 8), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    snprintf(text_rule, sizeof text_rule, rule, port + delta);
    snprintf(lfdarg, sizeof lfdarg, "%d", lfd);
    fr_path(log, "state.log");
    const char *const reuse[] = { "reuse", extra, NULL };
    const char *const *m = mode != NULL ? mode : reuse;
    const char *argv[] = { backend != NULL ? backend : "--backend=auto", "-l", log, "-e", text_rule, "--",
                           prog, lfdarg, m[0], m[1], m[1] != NULL ? m[2] : NULL };
    fr_run_env(NULL, FR_FAULTRUN, argv[0], argv[1], argv[2], argv[3], argv[4], argv[5],
               argv[6], argv[7], argv[8], argv[9], argv[10], (char *)NULL);
    close(lfd);
    read_log(b, log);
}

static void expect_out(const char *fmt, ...)
{
    char want[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    if (strstr(fr_out, want) == NULL)
        fail_msg("output lacks '%s': %s", want, fr_out);
}

/* Each "cN write K -> ..." line: EIO where FAILS has "N.K", else 100. */
static void expect_writes(const char *fails)
{
    static const int blocks[] = { 0, 4, 4, 2 };
    char key[32];
    for (int c = 1; c <= 3; c++)
        for (int k = 1; k <= blocks[c]; k++) {
            snprintf(key, sizeof key, " %d.%d ", c, k);
            expect_out("c%d write %d -> %s\n", c, k, strstr(fails, key) ? "EIO" : "100");
        }
}

/* The descriptor numbers fr_tstate used: c1's (= c3's), c2's, s1's, s2's. */
static void fds(int *c1, int *c2, int *s1, int *s2)
{
    int c3;
    if (sscanf(strstr(fr_out, "c3 fd ") ? strstr(fr_out, "c3 fd ") : "", "c3 fd %d c1 %d", &c3,
               c1) != 2 || c3 != *c1)
        fail_msg("no 'c3 fd N c1 N' (the same number): %s", fr_out);
    /* fr_tstate: c1 = socket, s1 = accept, c2, s2: the lowest numbers in turn */
    *s1 = *c1 + 1;
    *c2 = *c1 + 2;
    *s2 = *c1 + 3;
}

/* Line I of B: CALL on FD (-1: any) FAULT (ARG), n=N, asked 100 (data
 * calls) and RET. */
static void expect_fault(const struct logbook *b, int i, enum fi_call call, int fd,
                         enum fi_fault fault, long arg, uint64_t n, long long ret)
{
    if (i >= b->n)
        fail_msg("log has %d lines, want line %d", b->n, i + 1);
    const struct fi_logline *l = &b->line[i];
    int data = call != FI_C_CONNECT;
    if (l->call != call || (fd >= 0 && l->fd != fd) || l->fault.fault != fault ||
        l->fault.arg != arg || l->n != n || l->rule != 0 || l->data != data ||
        (data && (l->asked != 100 || l->ret != ret)))
        fail_msg("log line %d is '%.*s'; want %s fd %d %s (%ld) n=%llu asked=100 ret=%lld", i + 1,
                 (int)l->textlen, l->text, fi_call_name(call), fd, fi_fault_word(fault), arg,
                 (unsigned long long)n, ret);
}

/* Line I of B: CALL on FD, error=EIO, n=N, asked 100 (data calls), ret -1. */
static void expect_line(const struct logbook *b, int i, enum fi_call call, int fd, uint64_t n)
{
    expect_fault(b, i, call, fd, FI_F_ERROR, EIO, n, -1);
}

/* The shim's log for RULE on the dynamic build has B's fault lines
 * (call, descriptor, fault, n=, rule=, asked=, ret=). */
static void expect_shim_agrees(const struct logbook *b, const char *rule, int delta)
{
    struct logbook s;
    run(&s, rule, delta, "--backend=preload", DYN);
    fr_expect_exit(0);
    if (s.n != b->n)
        fail_msg("preload logged %d faults for '%s', trace %d", s.n, rule, b->n);
    for (int i = 0; i < b->n; i++) {
        const struct fi_logline *x = &b->line[i], *y = &s.line[i];
        if (x->call != y->call || x->fd != y->fd || x->fault.fault != y->fault.fault ||
            x->fault.arg != y->fault.arg || x->n != y->n || x->rule != y->rule ||
            x->asked != y->asked || x->ret != y->ret)
            fail_msg("line %d: trace '%.*s', preload '%.*s'", i + 1, (int)x->textlen, x->text,
                     (int)y->textlen, y->text);
    }
}

/* per=fd: when=2 is each descriptor's second write (c3, on c1's number
 * after a close, starts again; so does c1's number closed and given back
 * to the same socket: the close alone says so); c2's first write, the
 * process's second, does not fire. Without per=fd when=2 is that one
 * write alone. */
static void STATE_per_fd_counts_each_descriptor_apart(void **state)
{
    (void)state;
    struct logbook b;
    int c1, c2, s1, s2;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:error=EIO:when=2:per=fd", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" 1.2 2.2 3.2 ");
        expect_out("s1 got 300 ok\n");
        expect_out("s2 got 300 ok\n");
        expect_out("s3 got 100 ok\n");
        fr_expect_err("10 calls matched, 3 faults injected, 0 could not fire");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 3);
        expect_line(&b, 0, FI_C_WRITE, c1, 2);
        expect_line(&b, 1, FI_C_WRITE, c2, 2);
        expect_line(&b, 2, FI_C_WRITE, c1, 2);
        if (p == 0)
            expect_shim_agrees(&b, "write:error=EIO:when=2:per=fd", 0);

        /* a number closed and given back to the same socket starts again */
        const char *const db[] = { "dupback", NULL };
        int n1, n2;
        mode = db;
        run(&b, "write:error=EIO:when=2:per=fd", 0, NULL, progs[p]);
        mode = NULL;
        fr_expect_exit(0);
        expect_out("c1 write 1 -> 100\nc1 write 2 -> EIO\n");
        expect_out("c1 write 3 -> 100\nc1 write 4 -> EIO\n");
        expect_out("s1 got 200 ok\n");
        if (sscanf(strstr(fr_out, "c1 fd ") ? strstr(fr_out, "c1 fd ") : "", "c1 fd %d again %d",
                   &n1, &n2) != 2 || n1 != n2)
            fail_msg("not the same number again: %s", fr_out);
        assert_int_equal(b.n, 2);
        expect_line(&b, 0, FI_C_WRITE, n1, 2);
        expect_line(&b, 1, FI_C_WRITE, n1, 2);
        if (p == 0) {
            mode = db;
            expect_shim_agrees(&b, "write:error=EIO:when=2:per=fd", 0);
            mode = NULL;
        }

        run(&b, "write:error=EIO:when=2", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" 2.1 ");
        expect_out("s2 got 300 ok\n");
        fr_expect_err("10 calls matched, 1 faults injected, 0 could not fire");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, FI_C_WRITE, c2, 2);
    }
}

/* after=200: a write fires once 200 bytes went through its descriptor
 * (each's third and fourth); c3 on c1's number starts from 0 and never
 * gets there; after=400 is never reached; reads count too (after=150:
 * each server's third read). */
static void STATE_after_counts_the_bytes_of_each_descriptor(void **state)
{
    (void)state;
    struct logbook b;
    int c1, c2, s1, s2;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:error=EIO:after=200", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" 1.3 1.4 2.3 2.4 ");
        expect_out("s1 got 200 ok\n");
        expect_out("s2 got 200 ok\n");
        expect_out("s3 got 200 ok\n");
        fr_expect_err("10 calls matched, 4 faults injected, 0 could not fire");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 4);
        expect_line(&b, 0, FI_C_WRITE, c1, 5);
        expect_line(&b, 1, FI_C_WRITE, c2, 6);
        expect_line(&b, 2, FI_C_WRITE, c1, 7);
        expect_line(&b, 3, FI_C_WRITE, c2, 8);
        if (p == 0)
            expect_shim_agrees(&b, "write:error=EIO:after=200", 0);

        run(&b, "write:error=EIO:after=400", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        expect_out("s1 got 400 ok\n");
        expect_out("s2 got 400 ok\n");
        fr_expect_err("10 calls matched, 0 faults injected, 0 could not fire");
        assert_int_equal(b.n, 0);

        run(&b, "read:error=EIO:after=150", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        expect_out("s1 read 3 -> EIO\ns1 recv 1 -> 100\ns1 got 200 ok\n");
        expect_out("s2 read 3 -> EIO\ns2 recv 1 -> 100\ns2 got 200 ok\n");
        expect_out("s3 read 3 -> EIO\ns3 recv 1 -> 0\ns3 got 200 ok\n");
        fr_expect_err("9 calls matched, 3 faults injected, 0 could not fire");
        assert_int_equal(b.n, 3);
        expect_line(&b, 0, FI_C_READ, s1, 3);
        expect_line(&b, 1, FI_C_READ, s2, 6);
        expect_line(&b, 2, FI_C_READ, s1, 9);  /* s3 = s1's number again */
        if (p == 0)
            expect_shim_agrees(&b, "read:error=EIO:after=150", 0);
    }
}

/* peer=127.0.0.1:PORT: every client write (their remote end is the
 * listener's port); peer= naming PORT+1 matches nothing. local=:PORT:
 * every server read (accepted on PORT), no client write (an ephemeral
 * local port). peer= on connect: the address it connects to. */
static void STATE_peer_and_local_match_the_socket_ends(void **state)
{
    (void)state;
    struct logbook b;
    int c1, c2, s1, s2;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:error=EIO:peer=127.0.0.1:%d", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" 1.1 1.2 1.3 1.4 2.1 2.2 2.3 2.4 3.1 3.2 ");
        expect_out("s1 got 0 ok\n");
        expect_out("s3 got 0 ok\n");
        fr_expect_err("10 calls matched, 10 faults injected, 0 could not fire");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 10);
        for (int i = 0; i < 8; i++)
            expect_line(&b, i, FI_C_WRITE, i % 2 ? c2 : c1, (uint64_t)i + 1);
        expect_line(&b, 8, FI_C_WRITE, c1, 9);
        expect_line(&b, 9, FI_C_WRITE, c1, 10);
        if (p == 0)
            expect_shim_agrees(&b, "write:error=EIO:peer=127.0.0.1:%d", 0);

        run(&b, "write:error=EIO:peer=:%d", 1, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        expect_out("s1 got 400 ok\n");
        fr_expect_err("0 calls matched, 0 faults injected, 0 could not fire");
        assert_int_equal(b.n, 0);

        run(&b, "read:error=EIO:local=:%d", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        expect_out("s1 read 1 -> EIO\ns1 recv 1 -> 100\ns1 got 0 ok\n");
        expect_out("s2 read 1 -> EIO\ns2 recv 1 -> 100\ns2 got 0 ok\n");
        expect_out("s3 read 1 -> EIO\ns3 recv 1 -> 100\ns3 got 0 ok\n");
        fr_expect_err("3 calls matched, 3 faults injected, 0 could not fire");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 3);
        expect_line(&b, 0, FI_C_READ, s1, 1);
        expect_line(&b, 1, FI_C_READ, s2, 2);
        expect_line(&b, 2, FI_C_READ, s1, 3);
        if (p == 0)
            expect_shim_agrees(&b, "read:error=EIO:local=:%d", 0);

        run(&b, "write:error=EIO:local=:%d", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        fr_expect_err("0 calls matched, 0 faults injected, 0 could not fire");
        assert_int_equal(b.n, 0);

        run(&b, "connect:error=EIO:when=2:peer=127.0.0.1:%d", 0, NULL, progs[p]);
        fr_expect_exit(2);
        expect_out("setup c2: EIO\n");
        fr_expect_err("2 calls matched, 1 faults injected, 0 could not fire");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, FI_C_CONNECT, -1, 2);

        run(&b, "connect:error=EIO:peer=127.0.0.1:%d", 1, NULL, progs[p]);
        fr_expect_exit(0);
        expect_out("s3 got 200 ok\n");
        fr_expect_err("0 calls matched, 0 faults injected, 0 could not fire");
    }
}

/* reset: ECONNRESET now, then the descriptor reads end of stream (a
 * recv too, with 300 bytes queued) and writes fail with EPIPE, raising
 * SIGPIPE (fr_tstate dies of it; with SIGPIPE ignored it goes on); the
 * other descriptors and a new one on the same number are untouched. eof:
 * the read returns 0 and so does every later one; a write with eof goes
 * out. */
static void STATE_reset_and_eof_stay_with_the_descriptor(void **state)
{
    (void)state;
    struct logbook b;
    int c1, c2, s1, s2;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "read:reset:when=2", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        expect_out("s1 read 2 -> ECONNRESET\ns1 recv 1 -> 0\ns1 got 100 ok\n");
        expect_out("s2 read 5 -> 0\ns2 got 400 ok\n");
        expect_out("s3 read 3 -> 0\ns3 got 200 ok\n");
        fr_expect_err("1 faults injected, 0 could not fire");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 1);
        expect_fault(&b, 0, FI_C_READ, s1, FI_F_RESET, 0, 2, -1);
        if (p == 0)
            expect_shim_agrees(&b, "read:reset:when=2", 0);

        run(&b, "write:reset:when=3", 0, NULL, progs[p]);
        if (!WIFSIGNALED(fr_status) || WTERMSIG(fr_status) != SIGPIPE)
            fail_msg("want death by SIGPIPE, got status 0x%x: %s", fr_status, fr_out);
        expect_out("c1 write 2 -> ECONNRESET\nc2 write 2 -> 100\n");
        if (strstr(fr_out, "c1 write 3") != NULL)
            fail_msg("c1's write 3 returned: %s", fr_out);
        assert_int_equal(b.n, 1);
        expect_fault(&b, 0, FI_C_WRITE, -1, FI_F_RESET, 0, 3, -1);

        extra = "nosig";
        run(&b, "write:reset:when=3", 0, NULL, progs[p]);
        extra = NULL;
        fr_expect_exit(0);
        expect_out("c1 write 2 -> ECONNRESET\nc2 write 2 -> 100\nc1 write 3 -> EPIPE\n"
                   "c2 write 3 -> 100\nc1 write 4 -> EPIPE\nc2 write 4 -> 100\n");
        expect_out("s1 got 100 ok\n");
        expect_out("s2 got 400 ok\n");
        expect_out("c3 write 1 -> 100\nc3 write 2 -> 100\n");
        expect_out("s3 got 200 ok\n");
        fr_expect_err("1 faults injected, 0 could not fire");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 1);
        expect_fault(&b, 0, FI_C_WRITE, c1, FI_F_RESET, 0, 3, -1);

        run(&b, "read:eof:when=2", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_out("s1 read 2 -> 0\ns1 recv 1 -> 0\ns1 got 100 ok\n");
        expect_out("s2 got 400 ok\n");
        expect_out("s3 got 200 ok\n");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 1);
        expect_fault(&b, 0, FI_C_READ, s1, FI_F_EOF, 0, 2, 0);
        if (p == 0)
            expect_shim_agrees(&b, "read:eof:when=2", 0);

        run(&b, "write:eof:when=2", 0, NULL, progs[p]);
        fr_expect_exit(0);
        expect_writes(" ");
        expect_out("s2 got 400 ok\n");
        fds(&c1, &c2, &s1, &s2);
        assert_int_equal(b.n, 1);
        expect_fault(&b, 0, FI_C_WRITE, c2, FI_F_EOF, 0, 2, 100);
    }
}

/* The number after WHAT in the output ("parent write -> 100 in %ld"). */
static long out_number(const char *what)
{
    const char *at = strstr(fr_out, what);
    if (at == NULL)
        fail_msg("output lacks '%s': %s", what, fr_out);
    return strtol(at + strlen(what), NULL, 10);
}

/* Every wait on a reset (eof) descriptor reports it at once: readable,
 * and for reset HUP and ERR too (poll's 0x19; select's read set), on
 * each wait when level-triggered, once when edge-triggered (the second
 * wait then times out: 200 ms); the descriptor reads end of stream. The
 * shim says the same. The raw calls check their argument registers come
 * back as passed (the timeout the backend made 0 is put back). */
static void STATE_waits_report_a_reset_or_eof_descriptor_ready(void **state)
{
    (void)state;
    static const char *const kinds[] = { "poll", "ppoll", "select", "pselect", "epoll_wait",
                                         "epoll_pwait", "epoll_wait", "epoll_pwait",
                                         "raw_poll", "raw_ppoll", "raw_pselect6",
                                         "raw_epoll_wait" };
    struct logbook b;
    for (int p = 0; p < NPROGS + 1; p++)
        for (int f = 0; f < 2; f++)
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
                int et = k == 6 || k == 7, sel = strstr(kinds[k], "select") != NULL;
                if (k >= 8 && p == NPROGS)
                    continue;               /* raw calls: the shim does not see them */
                const char *const m[] = { "wait", kinds[k], et ? "et" : NULL };
                unsigned bits = sel ? 0x1 : f == 0 ? 0x19 : 0x1;
                mode = m;
                run(&b, f == 0 ? "read:reset:when=1" : "read:eof:when=1", 0,
                    p < NPROGS ? NULL : "--backend=preload", p < NPROGS ? progs[p] : DYN);
                mode = NULL;
                fr_expect_exit(0);
                expect_out("s1 read 1 -> %s\n%s 1 -> 1 ev 0x%x in ", f == 0 ? "ECONNRESET" : "0",
                           kinds[k], bits);
                if (et)
                    expect_out("%s 2 -> 0 ev 0x0 in ", kinds[k]);
                else
                    expect_out("%s 2 -> 1 ev 0x%x in ", kinds[k], bits);
                expect_out("s1 read 2 -> 0\n");
                char what[64];
                snprintf(what, sizeof what, "%s 1 -> 1 ev 0x%x in ", kinds[k], bits);
                long ms = out_number(what);
                if (ms > 1000)
                    fail_msg("the first wait took %ld ms: %s", ms, fr_out);
                assert_int_equal(b.n, 1);
                expect_fault(&b, 0, FI_C_READ, -1, f == 0 ? FI_F_RESET : FI_F_EOF, 0, 1,
                             f == 0 ? -1 : 0);
            }
}

/* The milliseconds of output line WHAT ("s1 read 1 -> EAGAIN in "):
 * within LO..HI. */
static void expect_ms(const char *what, long lo, long hi)
{
    long ms = out_number(what);
    if (ms < lo || ms > hi)
        fail_msg("'%s' took %ld ms, want %ld..%ld: %s", what, ms, lo, hi, fr_out);
}

/* The only log line: CALL stall n=1 asked=ASKED ret=RET. */
static void expect_stall_line(const struct logbook *b, enum fi_call call, long long asked,
                              long long ret)
{
    assert_int_equal(b->n, 1);
    const struct fi_logline *l = &b->line[0];
    if (l->call != call || l->fault.fault != FI_F_STALL || l->n != 1 || !l->data ||
        l->asked != asked || l->ret != ret)
        fail_msg("log line is '%.*s'; want %s stall n=1 asked=%lld ret=%lld", (int)l->textlen,
                 l->text, fi_call_name(call), asked, ret);
}

/* stall: the peer goes silent. A read still gets the bytes queued when
 * it began (60, then 40), then never more: poll does not report the 100
 * bytes that came later (poll, select, an epoll set holding it level-
 * triggered: 200 ms, 0), a non-blocking read says EAGAIN, a
 * read with SO_RCVTIMEO 300 ms waits it out, then EAGAIN, every time; a
 * blocking read without one is restarted by SA_RESTART alarms and ended
 * by a signal without it (EINTR at 350 ms). A write still fills the room
 * the queue has (100 bytes), the next one waits out SO_SNDTIMEO. The log
 * line is the stalling call's. The shim does the same. */
static void STATE_stall_silences_the_peer(void **state)
{
    (void)state;
    struct logbook b;
    for (int p = 0; p < NPROGS + 1; p++) {
        const char *backend = p < NPROGS ? NULL : "--backend=preload";
        const char *prog = p < NPROGS ? progs[p] : DYN;
        const char *const to[] = { "stall", "rdtimeo", NULL },
                          *const sg[] = { "stall", "rdsig", NULL }, *const wr[] = { "stall", "wr", NULL };
        static const char *const waits[3][3] = { { "poll", "select", "epoll_wait" },
                                                 { "ppoll", "pselect", "epoll_pwait" },
                                                 { "poll", "select", "epoll_wait" } };
        for (int w = 0; w < 3; w++) {
            const char *const nb[] = { "stall", "rdnb", waits[p][w], NULL };
            char what[64];
            mode = nb;
            run(&b, "read:stall:when=1", 0, backend, prog);
            fr_expect_exit(0);
            expect_out("s1 read 1 -> 60 in ");
            expect_out("s1 read 2 -> 40 in ");
            snprintf(what, sizeof what, "s1 %s 1 -> 0 ev 0x0 in ", waits[p][w]);
            expect_ms(what, 190, 1500);
            expect_out("s1 read 3 -> EAGAIN in ");
            fr_expect_err("3 calls matched, 1 faults injected, 0 could not fire");
            expect_stall_line(&b, FI_C_READ, 60, 60);
        }

        mode = to;
        run(&b, "read:stall:when=1", 0, backend, prog);
        fr_expect_exit(0);
        expect_ms("s1 read 1 -> EAGAIN in ", 290, 1500);
        expect_out("s1 read 2 -> EAGAIN\n");
        expect_ms("raw read kept in ", 290, 1500);
        expect_stall_line(&b, FI_C_READ, 100, -1);

        mode = sg;
        run(&b, "read:stall:when=1", 0, backend, prog);
        fr_expect_exit(0);
        expect_ms("s1 read 1 -> EINTR in ", 340, 1500);
        long alarms = out_number("alarms ");
        if (alarms < 2 || alarms > 3)
            fail_msg("%ld alarms restarted the read, want 3: %s", alarms, fr_out);
        expect_out("raw epoll_ctl -> 0 kept\n");
        expect_stall_line(&b, FI_C_READ, 100, -1);

        mode = wr;
        run(&b, "write:stall:when=1", 0, backend, prog);
        fr_expect_exit(0);
        expect_out("c1 write 1 -> 100 in ");
        expect_ms("c1 write 2 -> EAGAIN in ", 290, 1500);
        expect_stall_line(&b, FI_C_WRITE, 100, 100);
        mode = NULL;
    }
}

/* delay=500: the parent's write runs 500 ms late and moves its 100
 * bytes; meanwhile the supervisor serves the child, whose stopped write
 * (a pipe, not matched) and send go through at once. */
static void STATE_delay_holds_the_call_and_serves_the_others(void **state)
{
    (void)state;
    struct logbook b;
    char log[PATH_MAX];
    for (int p = 0; p < NPROGS + 1; p++) {
        fr_path(log, "delay.log");
        if (p < NPROGS)
            FR_RUN(FR_FAULTRUN, "-l", log, "-e", "write:delay=500", "--", progs[p], "delay");
        else                            /* the shim does the same */
            FR_RUN(FR_FAULTRUN, "--backend=preload", "-l", log, "-e", "write:delay=500", "--",
                   DYN, "delay");
        fr_expect_exit(0);
        expect_out("parent got 100 ok\n");
        expect_out("child send -> 100 in ");
        expect_out("child got 100 ok\n");
        expect_out("child saw the parent %s\n", p < NPROGS ? "stopped" : "run");
        long late = out_number("parent write -> 100 in ");
        long tick = out_number("child tick in ");
        if (late < 500 || late > 1300 || tick > 250)
            fail_msg("parent's write took %ld ms (want 500), the child's tick %ld (want "
                     "little): %s", late, tick, fr_out);
        fr_expect_err("1 calls matched, 1 faults injected, 0 could not fire");
        read_log(&b, log);
        assert_int_equal(b.n, 1);
        const struct fi_logline *l = &b.line[0];
        if (l->call != FI_C_WRITE || l->fault.fault != FI_F_DELAY || l->fault.arg != 500 ||
            l->n != 1 || !l->data || l->asked != 100 || l->ret != 100)
            fail_msg("log line is '%.*s'; want write delay=500 n=1 asked=100 ret=100",
                     (int)l->textlen, l->text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(STATE_per_fd_counts_each_descriptor_apart),
        cmocka_unit_test(STATE_after_counts_the_bytes_of_each_descriptor),
        cmocka_unit_test(STATE_peer_and_local_match_the_socket_ends),
        cmocka_unit_test(STATE_delay_holds_the_call_and_serves_the_others),
        cmocka_unit_test(STATE_reset_and_eof_stay_with_the_descriptor),
        cmocka_unit_test(STATE_waits_report_a_reset_or_eof_descriptor_ready),
        cmocka_unit_test(STATE_stall_silences_the_peer),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

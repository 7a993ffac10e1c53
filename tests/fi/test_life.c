/* test_life.c: programs that sandbox themselves (SANDBOX_*), close every
 * inherited descriptor and re-exec (CLOSERS_*), read a datagram socket
 * beside a stream (WHEN_*), and talk to a peer that resets (RECORDS_*),
 * run under faultrun as users run them (faultinject.md: Never silent,
 * Faithful, Replay, peer=). The COMMAND is fr_life (fr_life.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fiutil.h"
#include "frtest.h"

#define FR_LIFE FI_BUILD_DIR "/tests/fi/fr_life"

/* The numbers of rule I's summary line; fails if there is none. */
static void rule_line(int i, long *matched, long *injected, long *blocked)
{
    char key[32];
    snprintf(key, sizeof key, "faultrun: rule %d '", i);
    const char *p = strstr(fr_err, key);
    if (p == NULL)
        fail_msg("no summary line for rule %d: %s", i, fr_err);
    p = strstr(p, "': ");
    assert_non_null(p);
    if (sscanf(p, "': %ld calls matched, %ld faults injected, %ld could not fire", matched,
               injected, blocked) != 3)
        fail_msg("summary line for rule %d unreadable: %s", i, fr_err);
}

static void expect_out(const char *text)
{
    if (strstr(fr_out, text) == NULL)
        fail_msg("stdout lacks '%s': %s\nstderr: %s", text, fr_out, fr_err);
}

/* Under a filter that kills on fcntl, getsockopt, fstat, getpeername,
 * gettid, getpid, openat...: the shim asks the kernel nothing, so the
 * program lives; eagain fires where the cache knows the descriptor is
 * non-blocking (set by fcntl before the filter, SOCK_NONBLOCK after it)
 * and not on the blocking one; short fires on all three; the log is
 * written; the summary names the sandbox. */
static void SANDBOX_not_killed_faults_fire_where_known(void **state)
{
    (void)state;
    long m, inj, blk;
    FR_RUN(FR_FAULTRUN, "-e", "rd:eagain", "--", FR_LIFE, "sandbox");
    if (WIFSIGNALED(fr_status))
        fail_msg("killed by signal %d (SIGSYS %d): %s", WTERMSIG(fr_status), SIGSYS, fr_err);
    fr_expect_exit(0);
    /* Whether the peer's FIN is queued cannot be asked there (a poll of
     * the shim's own), so no read-side eagain or short fires on a stream:
     * counted, with the reason. */
    expect_out("A=4 B=4 C=4\n");
    rule_line(1, &m, &inj, &blk);
    assert_int_equal(m, 3);
    assert_int_equal(inj, 0);
    fr_expect_err("3 could not fire (1: blocking descriptor; 2: seccomp sandbox)");
    fr_expect_err("faultrun: 1 process ran in a seccomp sandbox: fr_life (proc 0);");

    char log[PATH_MAX], text[4096];
    fr_path(log, "sandbox.log");
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "rd:short=1", "--", FR_LIFE, "sandbox");
    fr_expect_exit(0);
    expect_out("A=4 B=4 C=4\n");
    rule_line(1, &m, &inj, &blk);
    assert_int_equal(inj, 0);
    fr_expect_err("3 could not fire (3: seccomp sandbox)");
    /* A fault that needs no state fires there, and is logged. */
    FR_RUN(FR_FAULTRUN, "-l", log, "-e", "rd:error=EIO:when=3", "--", FR_LIFE, "sandbox");
    fr_expect_exit(0);
    expect_out("A=4 B=4 C=Input/output error\n");
    assert_true(fiu_slurp(log, text, sizeof text) > 0);
    assert_int_equal(fr_count(text, " error=EIO "), 1);
    /* pid and tid, from the cache: the same, nonzero */
    long pid = 0, tid = 0;
    assert_int_equal(sscanf(text, "%ld %ld read", &pid, &tid), 2);
    assert_true(pid > 0);
    assert_int_equal(pid, tid);
}

/* Each way a program closes every inherited descriptor before it re-execs
 * (sshd): the run's counters still count every image's faults, and the
 * log names each image (x=), so no two points collide. */
static void CLOSERS_counts_survive_and_images_numbered(void **state)
{
    (void)state;
    static const char *const hows[] = { "closefrom", "close_range", "loop", "raw" };
    for (size_t i = 0; i < sizeof hows / sizeof hows[0]; i++) {
        long m, inj, blk;
        char log[PATH_MAX], text[4096];
        fr_path(log, "closers.log");
        FR_RUN(FR_FAULTRUN, "-l", log, "-e", "read:short=1", "--", FR_LIFE, "close", hows[i],
               "2");
        fr_expect_exit(0);
        expect_out("image 2 read 1\nimage 1 read 1\nimage 0 read 1\n");
        rule_line(1, &m, &inj, &blk);
        if (inj != 3)
            fail_msg("%s: %ld faults counted, 3 injected: %s", hows[i], inj, fr_err);
        fr_expect_no_err("warning");
        assert_true(fiu_slurp(log, text, sizeof text) > 0);
        assert_int_equal(fr_count(text, "\n"), 3);
        assert_int_equal(fr_count(text, " proc=0 o="), 1);
        assert_int_equal(fr_count(text, " proc=0 x=1 o="), 1);
        assert_int_equal(fr_count(text, " proc=0 x=2 o="), 1);
    }
}

/* The memfd is spared only while it is there: once a raw close gave its
 * number away and the program put its own file there, close() closes the
 * program's file. */
static void CLOSERS_a_number_given_away_is_the_programs(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "rd:eintr", "--", FR_LIFE, "retake");
    fr_expect_exit(0);
    expect_out("closed=0 open-after=0\n");
}

/* rd:reset:when=3 beside a datagram socketpair read twice per round:
 * the datagram reads take no when= number (a reset cannot apply there),
 * so the reset lands on the TCP stream's 3rd read; the datagram reads are
 * counted as could not fire, with their reason. */
static void WHEN_message_socket_calls_take_no_number(void **state)
{
    (void)state;
    long m, inj, blk;
    FR_RUN(FR_FAULTRUN, "-e", "rd:reset:when=3", "--", FR_LIFE, "dgram");
    fr_expect_exit(0);
    expect_out("reset at tcp read 3 (ECONNRESET)\n");
    rule_line(1, &m, &inj, &blk);
    assert_int_equal(inj, 1);
    assert_int_equal(blk, 6);
    fr_expect_err("6 could not fire (6: message socket)");
}

/* A C echo server that echoes 5 of the 10 bytes and closes at once: the
 * unread rest makes its close a reset, after which getpeername fails on
 * the client. peer=127.0.0.1:PORT still names the client's socket (its
 * peer was recorded at connect): 20 runs, 20 injected. */
static void RECORDS_peer_after_the_peer_reset_20_of_20(void **state)
{
    (void)state;
    enum { RUNS = 20 };
    struct sockaddr_in sa;
    int lst = fiu_listen(&sa);
    pid_t server = fork();
    assert_true(server >= 0);
    if (server == 0) {
        for (int i = 0; i < RUNS; i++) {
            int c = accept(lst, NULL, NULL);
            if (c < 0)
                _exit(1);
            char buf[5];
            ssize_t n = read(c, buf, sizeof buf);
            if (n > 0 && write(c, buf, (size_t)n) != n)
                _exit(1);
            close(c);
        }
        _exit(0);
    }
    close(lst);
    char port[16], rule[64];
    snprintf(port, sizeof port, "%d", ntohs(sa.sin_port));
    snprintf(rule, sizeof rule, "rd:short=1:peer=127.0.0.1:%s", port);
    int injected_runs = 0, reset_seen = 0;
    for (int i = 0; i < RUNS; i++) {
        long m, inj, blk;
        FR_RUN(FR_FAULTRUN, "-e", rule, "--", FR_LIFE, "peer", port);
        fr_expect_exit(0);
        rule_line(1, &m, &inj, &blk);
        /* Matched, fired or not: after the server's FIN a short read
         * could not fire (faultinject.md), and that is counted too. */
        injected_runs += m > 0 && inj + blk > 0;
        reset_seen += strstr(fr_out, "getpeername=ok") == NULL;
    }
    assert_int_equal(fiu_wait(server), 0);
    print_message("peer=: %d of %d runs matched; getpeername failed in %d\n", injected_runs,
                  RUNS, reset_seen);
    assert_int_equal(injected_runs, RUNS);
    assert_true(reset_seen > 0);        /* the case is real: the kernel forgot the peer */
}

/* The server side: the peer is recorded when accept returns (with the
 * address it filled in, or getpeername right then when given none), on
 * accept's fast path too (no rule names accept), so a client that resets
 * before the first read is still the socket's peer. */
static void RECORDS_accepted_peer_after_its_reset(void **state)
{
    (void)state;
    static const char *const hows[] = { "null", "addr" };
    for (size_t i = 0; i < 2; i++) {
        long m, inj, blk;
        FR_RUN(FR_FAULTRUN, "-e", "rd:short=1:peer=127.0.0.1", "--", FR_LIFE, "accepted",
               hows[i]);
        fr_expect_exit(0);
        expect_out("getpeername=");
        if (strstr(fr_out, "getpeername=ok") != NULL)
            fail_msg("%s: the kernel still knew the peer: the case is not made", hows[i]);
        rule_line(1, &m, &inj, &blk);
        if (m < 1 || inj + blk < 1)
            fail_msg("accept(%s): peer= matched nothing after the reset: %s", hows[i], fr_err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(SANDBOX_not_killed_faults_fire_where_known),
        cmocka_unit_test(CLOSERS_counts_survive_and_images_numbered),
        cmocka_unit_test(CLOSERS_a_number_given_away_is_the_programs),
        cmocka_unit_test(WHEN_message_socket_calls_take_no_number),
        cmocka_unit_test(RECORDS_peer_after_the_peer_reset_20_of_20),
        cmocka_unit_test(RECORDS_accepted_peer_after_its_reset),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

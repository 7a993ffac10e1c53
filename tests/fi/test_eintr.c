/* test_eintr.c: eintr fires only where a signal could have interrupted
 * the call (faultinject.md, eintr; signal(7)), run under faultrun as users
 * run it, so the summary's reasons are seen. Clause ids: EINTR_. The
 * COMMAND is this program itself ("child CASE"), so that each case starts
 * in a fresh process with no handler, then installs what it needs:
 *   none      no handler: a blocking read, poll, select; epoll_wait
 *   restart   SIGWINCH caught with SA_RESTART: a blocking read; poll; a
 *             read on a socket with SO_RCVTIMEO
 *   plain     SIGWINCH caught without SA_RESTART: a blocking read
 *   blocked   the same, blocked with pthread_sigmask: a blocking read;
 *             ppoll with a mask that lets it in
 *   nonblock  the same: read on O_NONBLOCK, recv with MSG_DONTWAIT,
 *             connect on a non-blocking socket
 * Each prints NAME=R for every call (R: what it returned, or the errno
 * name) on one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frtest.h"

#define SELF FI_BUILD_DIR "/tests/fi/test_eintr"

/* ---- the child: one case, in a fresh process ---------------------------- */

static void say(const char *name, long r)
{
    if (r < 0)
        printf("%s=%s ", name, strerrorname_np(errno));
    else
        printf("%s=%ld ", name, r);
}

static void on_winch(int sig)
{
    (void)sig;
}

static void catch_winch(int flags)
{
    struct sigaction sa = { .sa_handler = on_winch, .sa_flags = flags };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
}

/* A socketpair with 8 bytes queued in SV[0]; exits 3 if not. */
static void pair8(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || write(sv[1], "abcdefgh", 8) != 8)
        exit(3);
}

static long read4(int fd)
{
    char b[16];
    return read(fd, b, 4);
}

static long poll1(int fd, const sigset_t *mask)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    struct timespec ts = { 1, 0 };
    return mask != NULL ? ppoll(&p, 1, &ts, mask) : poll(&p, 1, 1000);
}

static void child_none(void)
{
    int sv[2];
    pair8(sv);
    say("read", read4(sv[0]));
    say("poll", poll1(sv[0], NULL));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(sv[0], &rd);
    struct timeval tv = { 1, 0 };
    say("select", select(sv[0] + 1, &rd, NULL, NULL, &tv));
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLOUT }, got;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) < 0)
        exit(3);
    say("epoll", epoll_wait(ep, &got, 1, 1000));
}

static void child_restart(void)
{
    int sv[2];
    catch_winch(SA_RESTART);
    pair8(sv);
    say("read", read4(sv[0]));
    say("poll", poll1(sv[0], NULL));
    struct timeval tv = { 5, 0 };
    if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        exit(3);
    say("timed", read4(sv[0]));
}

static void child_plain(void)
{
    int sv[2];
    catch_winch(0);
    pair8(sv);
    say("read", read4(sv[0]));
}

static void child_blocked(void)
{
    int sv[2];
    sigset_t winch, none;
    catch_winch(0);
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    sigemptyset(&none);
    if (pthread_sigmask(SIG_BLOCK, &winch, NULL) != 0)
        exit(3);
    pair8(sv);
    say("read", read4(sv[0]));
    say("ppoll", poll1(sv[0], &none));
}

static void child_nonblock(void)
{
    int sv[2];
    char b[4];
    catch_winch(0);
    pair8(sv);
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
        exit(3);
    say("read", read4(sv[0]));
    if (fcntl(sv[0], F_SETFL, 0) < 0)
        exit(3);
    say("recv", recv(sv[0], b, sizeof b, MSG_DONTWAIT));
    /* A listener of our own: the connection is made at once, or goes on. */
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0)
        exit(3);
    long r = connect(c, (struct sockaddr *)&a, sizeof a);
    say("connect", r < 0 && errno == EINPROGRESS ? 0 : r);
}

static int child(const char *which)
{
    static const struct {
        const char *name;
        void (*run)(void);
    } cases[] = { { "none", child_none }, { "restart", child_restart },
                  { "plain", child_plain }, { "blocked", child_blocked },
                  { "nonblock", child_nonblock } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(which, cases[i].name) == 0) {
            cases[i].run();
            printf("\n");
            return 0;
        }
    fprintf(stderr, "test_eintr: no case %s\n", which);
    return 2;
}

/* ---- the tests: faultrun runs a child ---------------------------------- */

static void expect_out(const char *text)
{
    if (strstr(fr_out, text) == NULL)
        fail_msg("stdout lacks '%s': %s\nstderr: %s", text, fr_out, fr_err);
}

/* A process that catches no signal: a blocking read and poll are never
 * interrupted (no handler to run, and a stop signal does not interrupt
 * them); epoll_wait is (signal(7), stop signals). */
static void EINTR_no_handler_only_where_a_stop_signal_interrupts(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "--", SELF, "child", "none");
    fr_expect_exit(0);
    expect_out("read=4 ");
    fr_expect_err("'read:eintr': 1 calls matched, 0 faults injected, 1 could not fire "
                  "(1: no signal caught)");
    FR_RUN(FR_FAULTRUN, "-e", "poll:eintr", "-e", "select:eintr", "-e", "epoll_wait:eintr",
           "--", SELF, "child", "none");
    fr_expect_exit(0);
    expect_out("read=4 poll=1 select=1 epoll=EINTR ");
    fr_expect_err("'poll:eintr': 1 calls matched, 0 faults injected, 1 could not fire "
                  "(1: no signal caught)");
    fr_expect_err("'select:eintr': 1 calls matched, 0 faults injected, 1 could not fire "
                  "(1: no signal caught)");
    fr_expect_err("'epoll_wait:eintr': 1 calls matched, 1 faults injected, 0 could not fire");
}

/* SA_RESTART: the blocking read would be restarted, poll and a read with
 * a receive timeout never are. */
static void EINTR_sa_restart_restarts_only_untimed_socket_calls(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "-e", "poll:eintr", "--", SELF, "child",
           "restart");
    fr_expect_exit(0);
    expect_out("read=4 poll=EINTR timed=EINTR ");
    fr_expect_err("'read:eintr': 2 calls matched, 1 faults injected, 1 could not fire "
                  "(1: SA_RESTART would restart it)");
    fr_expect_err("'poll:eintr': 1 calls matched, 1 faults injected, 0 could not fire");
}

static void EINTR_fires_with_a_handler_without_sa_restart(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "--", SELF, "child", "plain");
    fr_expect_exit(0);
    expect_out("read=EINTR ");
    fr_expect_err("'read:eintr': 1 calls matched, 1 faults injected, 0 could not fire");
}

/* Blocked in the calling thread, the signal cannot interrupt it; ppoll
 * sleeps with the mask it is given. */
static void EINTR_not_while_the_signal_is_blocked(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read:eintr", "-e", "poll:eintr", "--", SELF, "child",
           "blocked");
    fr_expect_exit(0);
    expect_out("read=4 ppoll=EINTR ");
    fr_expect_err("'read:eintr': 1 calls matched, 0 faults injected, 1 could not fire "
                  "(1: no signal caught)");
    fr_expect_err("'poll:eintr': 1 calls matched, 1 faults injected, 0 could not fire");
}

/* A call that cannot sleep is never interrupted, handler or not. */
static void EINTR_never_on_a_call_that_cannot_sleep(void **state)
{
    (void)state;
    FR_RUN(FR_FAULTRUN, "-e", "read,recv,connect:eintr", "--", SELF, "child", "nonblock");
    fr_expect_exit(0);
    expect_out("read=4 recv=4 connect=0 ");
    fr_expect_err("': 3 calls matched, 0 faults injected, 3 could not fire "
                  "(3: call never sleeps)");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(EINTR_no_handler_only_where_a_stop_signal_interrupts),
        cmocka_unit_test(EINTR_sa_restart_restarts_only_untimed_socket_calls),
        cmocka_unit_test(EINTR_fires_with_a_handler_without_sa_restart),
        cmocka_unit_test(EINTR_not_while_the_signal_is_blocked),
        cmocka_unit_test(EINTR_never_on_a_call_that_cannot_sleep),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

/* test_wrap_conn.c: A1-A2 (Accept), C1-C3 (Connect), CL1 (Close). */
#include "wtest.h"

#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_storage addr;
static socklen_t addrlen;
static int lfd = -1;

static int setup_listener(void **state)
{
    (void)state;
    lfd = fi_t_tcp_listener(&addr, &addrlen);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fi_t_clear();
    if (lfd >= 0)
        close(lfd);
    return 0;
}

static int dial(void)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&addr, addrlen) < 0)
        fail_msg("test's connect: %s", strerror(errno));
    return c;
}

/* A accepted S and C are the two ends of one connection. */
static void same_connection(int s, int c)
{
    char b[4];
    if (s < 0)
        fail_msg("Accept returned %d (errno %s)", s, strerror(errno));
    fi_t_write_all(c, "ping", 4);
    fi_t_read_all(s, b, 4);
    expect_bytes(b, "ping", 4);
}

static void A1_retries_eintr_and_econnaborted(void **state)
{
    (void)state;
    int c = dial(), s;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;

    fi_t_faults("accept,accept4:eintr:when=1;accept,accept4:error=ECONNABORTED:when=2..3");
    s = Accept(lfd, (struct sockaddr *)&peer, &plen);
    expect_fired(3);
    same_connection(s, c);
    if (plen != sizeof peer || peer.sin_family != AF_INET)
        fail_msg("Accept: peer address not filled (len %u)", (unsigned)plen);
    close(s);
    close(c);
}

static void A2_pending_network_errors_retried_or_returned(void **state)
{
    (void)state;
    /* accept(2): Linux passes these on from the new connection; Accept may
     * retry them (A1 allows it) or return them (A2), never exit or change
     * errno: an exit is A2's breach, not A1's */
    const char *names[] = { "EPROTO", "ENETDOWN", "ENOPROTOOPT", "EHOSTDOWN",
                            "ENONET", "EHOSTUNREACH", "ENETUNREACH" };
    const int errs[] = { EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
                         EHOSTUNREACH, ENETUNREACH };

    for (int i = 0; i < 7; i++) {
        int c = dial(), s;
        fi_t_faults("accept,accept4:error=%s:when=1", names[i]);
        fi_t_note("expected", "Accept(lfd, NULL, NULL) with accept() failing "
                  "%s once returns the connection (retried) or -1 errno %s",
                  names[i], names[i]);
        errno = 0;
        s = Accept(lfd, NULL, NULL);
        if (s == -1 && errno != errs[i])
            fail_msg("Accept with %s: -1 errno %s", names[i], strerror(errno));
        fi_t_clear();
        if (s == -1)
            s = Accept(lfd, NULL, NULL);
        same_connection(s, c);
        close(s);
        close(c);
    }
}

static void A2_resource_errors_return(void **state)
{
    (void)state;
    const char *names[] = { "EMFILE", "ENFILE", "ENOBUFS", "ENOMEM" };
    const int errs[] = { EMFILE, ENFILE, ENOBUFS, ENOMEM };
    int c = dial(), s;

    for (int i = 0; i < 4; i++) {
        fi_t_faults("accept,accept4:error=%s:when=1", names[i]);
        fi_t_note("expected", "Accept(lfd, NULL, NULL) with accept() failing "
                  "%s returns -1 errno %s", names[i], names[i]);
        errno = 0;
        s = Accept(lfd, NULL, NULL);
        if (s != -1 || errno != errs[i])
            fail_msg("Accept with %s: returned %d errno %s", names[i], s,
                     strerror(errno));
    }
    fi_t_clear();
    s = Accept(lfd, NULL, NULL);            /* and the server goes on */
    same_connection(s, c);
    close(s);
    close(c);
}

static void A2_real_emfile_returns(void **state)
{
    (void)state;
    int c = dial(), s, top;
    struct rlimit rl;

    int filled = 0;
    static int dups[70000];

    getrlimit(RLIMIT_NOFILE, &rl);
    if (fi_t_under_valgrind()) {
        /* Valgrind keeps descriptors of its own above a limit it shows
         * lowered: fill the table up to that limit instead */
        while (filled < 70000 && (dups[filled] = dup(lfd)) >= 0)
            filled++;
        if (errno != EMFILE)
            not_judged("could not fill the descriptor table: %s", strerror(errno));
    } else {
        top = dup(lfd);     /* the lowest free number: cap the table there */
        close(top);
        struct rlimit low = { (rlim_t)top, rl.rlim_max };
        if (setrlimit(RLIMIT_NOFILE, &low) < 0)
            fail_msg("setrlimit: %s", strerror(errno));
    }
    errno = 0;
    s = Accept(lfd, NULL, NULL);
    int e = errno;
    setrlimit(RLIMIT_NOFILE, &rl);
    while (filled > 0)
        close(dups[--filled]);
    if (s != -1 || e != EMFILE)
        fail_msg("Accept at the fd limit: returned %d errno %s, want -1 EMFILE",
                 s, strerror(e));
    if (fi_t_under_valgrind()) {
        /* Valgrind's accept() took the connection and closed it over its
         * limit: the server goes on with the next one */
        close(c);
        c = dial();
    }
    struct pollfd pl = { .fd = lfd, .events = POLLIN };
    if (poll(&pl, 1, 3000) != 1)
        fail_msg("the connection is no longer queued after EMFILE");
    s = Accept(lfd, NULL, NULL);
    same_connection(s, c);
    close(s);
    close(c);
}

static void A2_other_failures_return(void **state)
{
    (void)state;
    int u = socket(AF_INET, SOCK_STREAM, 0);

    expect_err(Accept(u, NULL, NULL), EINVAL);      /* not listening */
    close(u);
    expect_err(Accept(-1, NULL, NULL), EBADF);
    fi_t_set_nonblock(lfd);
    expect_err(Accept(lfd, NULL, NULL), EAGAIN);
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    expect_err(Accept(d, NULL, NULL), EOPNOTSUPP);
    close(d);
}

static void C1_connect_returns_zero(void **state)
{
    (void)state;
    int c = socket(AF_INET, SOCK_STREAM, 0), s;
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;

    expect_ret(Connect(c, (struct sockaddr *)&addr, addrlen), 0);
    if (getpeername(c, (struct sockaddr *)&peer, &plen) < 0)
        fail_msg("not connected after Connect: %s", strerror(errno));
    s = accept(lfd, NULL, NULL);
    same_connection(s, c);
    close(s);
    close(c);
}

static void C2_eintr_waits_never_reconnects(void **state)
{
    (void)state;
    int c = socket(AF_INET, SOCK_STREAM, 0), s;

    /* call 1: the attempt goes on, EINTR returned; any later connect()
     * on it fails with EALREADY and counts as a second firing */
    fi_t_faults("connect:eintr:when=1;connect:error=EALREADY:when=2+");
    expect_ret(Connect(c, (struct sockaddr *)&addr, addrlen), 0);
    expect_fired(1);        /* a second connect() fires the EALREADY rule */
    fi_t_clear();
    s = accept(lfd, NULL, NULL);
    same_connection(s, c);
    close(s);
    close(c);
}

static void C2_eintr_then_failure_reported(void **state)
{
    (void)state;
    struct sockaddr_storage ref;
    socklen_t rlen;
    int holder, c = socket(AF_INET, SOCK_STREAM, 0);

    fi_t_refused_addr(&ref, &rlen, &holder);
    fi_t_faults("connect:eintr:when=1;connect:error=EALREADY:when=2+");
    expect_err(Connect(c, (struct sockaddr *)&ref, rlen), ECONNREFUSED);
    expect_fired(1);        /* a second connect() fires the EALREADY rule */
    close(c);
    close(holder);
}

static void C3_refused_and_other_errors(void **state)
{
    (void)state;
    struct sockaddr_storage ref;
    socklen_t rlen;
    int holder, c = socket(AF_INET, SOCK_STREAM, 0);

    fi_t_refused_addr(&ref, &rlen, &holder);     /* the kernel's own refusal */
    fi_t_note("fed", "Connect to a loopback port bound but not listening: "
              "the kernel refuses");
    expect_err(Connect(c, (struct sockaddr *)&ref, rlen), ECONNREFUSED);
    close(c);
    close(holder);
    c = socket(AF_INET, SOCK_STREAM, 0);
    fi_t_faults("connect:error=ETIMEDOUT:when=1");
    expect_err(Connect(c, (struct sockaddr *)&addr, addrlen), ETIMEDOUT);
    fi_t_faults("connect:error=ENETUNREACH:when=1");
    expect_err(Connect(c, (struct sockaddr *)&addr, addrlen), ENETUNREACH);
    close(c);
    expect_err(Connect(-1, (struct sockaddr *)&addr, addrlen), EBADF);
}

static void CL1_close_returns_zero_and_closes(void **state)
{
    (void)state;
    int p[2];

    fi_t_pair_unix(p);
    fi_t_note("fed", "Close(fd %d), an open socket, then Close of the same "
              "number again and Close(-1)", p[0]);
    expect_ret(Close(p[0]), 0);
    if (fcntl(p[0], F_GETFD) != -1 || errno != EBADF)
        fail_msg("descriptor still open after Close");
    expect_err(Close(p[0]), EBADF);
    expect_err(Close(-1), EBADF);
    close(p[1]);
}

static void CL1_eintr_counts_as_closed(void **state)
{
    (void)state;
    int p[2];

    fi_t_pair_unix(p);
    /* close:eintr closes the descriptor then returns EINTR, as Linux does;
     * a second close() on that number is caught by the second rule */
    fi_t_faults("close:eintr:fd=%d:when=1;close:error=EIO:fd=%d:when=2+", p[0], p[0]);
    expect_ret(Close(p[0]), 0);
    expect_fired(1);        /* a second close() fires the EIO rule */
    fi_t_clear();
    if (fcntl(p[0], F_GETFD) != -1)
        fail_msg("descriptor still open after Close");
    close(p[1]);
}

static void CL1_other_failure_and_state_dropped(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    int p[2];
    char buf[64];

    fi_t_pair_unix(p);
    fi_t_rcv_timeout(p[0], 3000);
    fi_t_write_all(p[1], "l1\nleft\n", 8);
    expect_ret(Readline(p[0], buf, sizeof buf), 3);
    /* take from the kernel what Readline left there, if anything */
    while (recv(p[0], buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
    fi_t_faults("close:error=EIO:fd=%d:when=1", p[0]);
    expect_err(Close(p[0]), EIO);
    fi_t_clear();
    /* Linux frees the number even when close() fails; the shim may follow
     * it or not: either way the number now reads a new stream */
    if (fcntl(p[0], F_GETFD) < 0) {
        int q[2], num = p[0];
        close(p[1]);
        fi_t_pair_unix(q);
        if (q[0] != num) {
            dup2(q[0], num);
            close(q[0]);
        }
        p[1] = q[1];
        fi_t_rcv_timeout(num, 3000);
    }
    fi_t_write_all(p[1], "new\n", 4);
    /* Readline's state for the number was dropped whatever close() said */
    expect_ret(Readline(p[0], buf, sizeof buf), 4);
    if (memcmp(buf, "new\n", 4) != 0)
        fail_msg("after a failed Close, Readline returned old bytes '%s'", buf);
    Close(p[0]);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(A1_retries_eintr_and_econnaborted, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(A2_pending_network_errors_retried_or_returned, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(A2_resource_errors_return, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(A2_real_emfile_returns, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(A2_other_failures_return, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(C1_connect_returns_zero, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(C2_eintr_waits_never_reconnects, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(C2_eintr_then_failure_reported, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(C3_refused_and_other_errors, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(CL1_close_returns_zero_and_closes, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(CL1_eintr_counts_as_closed, setup_listener, teardown),
        cmocka_unit_test_setup_teardown(CL1_other_failure_and_state_dropped, setup_listener, teardown),
    };
    return WRAP_RUN(tests);
}

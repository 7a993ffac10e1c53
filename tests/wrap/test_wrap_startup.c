/* test_wrap_startup.c: P1, P2. The exit paths run in a forked child whose
 * exit status and stderr are checked. */
#include "wtest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct outcome {
    int exited, status, signaled, returned;
    long ret;
    char err[4096];
};

/* Runs FN in a child with stderr captured; FN's return value is reported
 * through exit code 0 and the "RET=" marker on stderr if it returns. */
static void in_child(long (*fn)(void *), void *arg, struct outcome *o)
{
    int p[2], status;
    pid_t pid;
    size_t len = 0;
    ssize_t r;

    memset(o, 0, sizeof *o);
    if (pipe(p) < 0)
        fail_msg("pipe");
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 2);
        alarm(10);
        long ret = fn(arg);
        fprintf(stderr, "\nRET=%ld\n", ret);
        wrap_exit(0);
    }
    close(p[1]);
    while ((r = read(p[0], o->err + len, sizeof o->err - 1 - len)) > 0)
        len += (size_t)r;
    close(p[0]);
    waitpid(pid, &status, 0);
    o->exited = WIFEXITED(status);
    o->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o->signaled = WIFSIGNALED(status);
    char *m = strstr(o->err, "\nRET=");
    if (m) {
        o->returned = 1;
        o->ret = atol(m + 5);
    }
}

static long call_perr_exit(void *arg)
{
    errno = *(int *)arg;
    perr_exit("p1-marker-message");
    return 12345;
}

static void P1_message_and_strerror_then_nonzero_exit(void **state)
{
    (void)state;
    int errs[] = { ECONNRESET, EMFILE, EPIPE };
    struct outcome o;

    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        in_child(call_perr_exit, &errs[i], &o);
        if (o.returned)
            fail_msg("perr_exit returned instead of exiting");
        if (!o.exited)
            fail_msg("perr_exit did not exit normally (signal?)");
        if (o.status == 0)
            fail_msg("perr_exit exited with status 0");
        if (!strstr(o.err, "p1-marker-message"))
            fail_msg("stderr lacks the message: '%s'", o.err);
        if (!strstr(o.err, strerror(errs[i])))
            fail_msg("stderr lacks strerror(%d) '%s': '%s'", errs[i],
                     strerror(errs[i]), o.err);
    }
}

static long socket_ok(void *arg)
{
    (void)arg;
    int fd = Socket(AF_INET, SOCK_STREAM, 0);
    return fcntl(fd, F_GETFD) >= 0 ? fd : -1000;
}

static long socket_bad(void *arg)
{
    (void)arg;
    return Socket(12345, SOCK_STREAM, 0);   /* EAFNOSUPPORT */
}

static long bind_ok(void *arg)
{
    (void)arg;
    struct sockaddr_in a = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return Bind(fd, (struct sockaddr *)&a, sizeof a);
}

static long bind_in_use(void *arg)
{
    (void)arg;
    struct sockaddr_storage sa;
    socklen_t len;
    int l = fi_t_tcp_listener(&sa, &len);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    (void)l;
    errno = 0;
    return Bind(fd, (struct sockaddr *)&sa, len);   /* EADDRINUSE */
}

static long listen_ok(void *arg)
{
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    return Listen(fd, 5);
}

static long listen_bad(void *arg)
{
    (void)arg;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    return Listen(fd, 5);                 /* EOPNOTSUPP */
}

static void expect_returned(long (*fn)(void *), long lo, const char *what)
{
    struct outcome o;
    in_child(fn, NULL, &o);
    if (!o.returned)
        fail_msg("%s on success did not return (status %d): %s", what,
                 o.status, o.err);
    if (o.ret < lo)
        fail_msg("%s on success returned %ld", what, o.ret);
}

/* How the candidate's own perr_exit ends a process: its exit status, or
 * -1 if it returns or dies by a signal (P1's failures, judged in P1). */
static int perr_exit_status(void)
{
    static int status = -2;
    int e = EADDRINUSE;
    struct outcome o;

    if (status == -2) {
        in_child(call_perr_exit, &e, &o);
        status = o.exited && !o.returned ? o.status : -1;
    }
    return status;
}

/* It exits without returning, as perr_exit does: what perr_exit prints and
 * its exit status are P1's (CS:APP's unix_error exits 0: P1 fails, and a
 * Socket that calls it meets P2). */
static void expect_exit(long (*fn)(void *), const char *what)
{
    struct outcome o;
    in_child(fn, NULL, &o);
    fi_t_note("expected", "%s on failure calls perr_exit: the process exits "
              "(status %d, as perr_exit's own), never returns", what,
              perr_exit_status() >= 0 ? perr_exit_status() : 1);
    if (o.returned) {
        fi_t_note("got", "returned %ld", o.ret);
        fail_msg("%s on failure returned %ld instead of calling perr_exit",
                 what, o.ret);
    }
    if (!o.exited) {
        fi_t_note("got", "killed by signal (status %d)", o.status);
        fail_msg("%s on failure: want an exit, got killed by a signal", what);
    }
    if (o.status == 0 && perr_exit_status() != 0) {
        fi_t_note("got", "exit status 0, stderr \"%s\"", fi_t_esc(o.err, strlen(o.err)));
        fail_msg("%s on failure exited 0, while perr_exit exits %d: it does "
                 "not end through perr_exit", what, perr_exit_status());
    }
}

static void P2_socket_returns_fd_or_exits(void **state)
{
    (void)state;
    expect_returned(socket_ok, 0, "Socket");
    expect_exit(socket_bad, "Socket");     /* EAFNOSUPPORT */
}

static void P2_bind_returns_zero_or_exits(void **state)
{
    (void)state;
    struct outcome o;
    in_child(bind_ok, NULL, &o);
    if (!o.returned || o.ret != 0)
        fail_msg("Bind on success: want 0 returned, got returned=%d ret=%ld",
                 o.returned, o.ret);
    expect_exit(bind_in_use, "Bind");      /* EADDRINUSE */
}

static void P2_listen_returns_zero_or_exits(void **state)
{
    (void)state;
    struct outcome o;
    in_child(listen_ok, NULL, &o);
    if (!o.returned || o.ret != 0)
        fail_msg("Listen on success: want 0 returned, got returned=%d ret=%ld",
                 o.returned, o.ret);
    expect_exit(listen_bad, "Listen");     /* EOPNOTSUPP */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(P1_message_and_strerror_then_nonzero_exit),
        cmocka_unit_test(P2_socket_returns_fd_or_exits),
        cmocka_unit_test(P2_bind_returns_zero_or_exits),
        cmocka_unit_test(P2_listen_returns_zero_or_exits),
    };
    return WRAP_RUN(tests);
}

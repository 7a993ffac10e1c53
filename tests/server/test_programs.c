/* test_programs.c: our own programs beyond the contract: the servers'
 * command line (-b, -m, -t, -v, --help, bad arguments) and the client.
 *   test_programs SERVER CLIENT [LIBFAULTINJECT.SO]
 * Every step is bounded (spawned programs are waited for with a timeout,
 * sockets use poll deadlines).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "netio.h"
#include "netsock.h"
#include "proc_spawn.h"

static const char *server, *client, *shim;
static pid_t srv = -1;
static char outfile[64];

static int teardown(void **state)
{
    (void)state;
    if (srv > 0)
        proc_stop(srv, SIGTERM, 2000, NULL);
    srv = -1;
    if (outfile[0])
        unlink(outfile);
    outfile[0] = '\0';
    return 0;
}

/* Runs ARGV with stdin from IN_PATH (NULL: /dev/null), stdout+stderr into
 * a temp file (stdout into OUT_PATH if given); exit status or -1 on timeout. */
static int run_io(char *const argv[], const char *in_path, const char *out_path, int timeout_ms)
{
    snprintf(outfile, sizeof outfile, "/tmp/test-programs-XXXXXX");
    int fd = mkstemp(outfile);
    assert_true(fd >= 0);
    pid_t pid = fork();
    if (pid == 0) {
        int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
        int out = out_path ? open(out_path, O_WRONLY) : fd;
        dup2(in, 0);
        dup2(out, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd);
    int st;
    if (proc_wait(pid, timeout_ms, &st) < 0) {
        proc_kill(pid);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(char *const argv[], const char *in_path, int timeout_ms)
{
    return run_io(argv, in_path, NULL, timeout_ms);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[4 << 20];
    *len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static int output_has(const char *needle)
{
    size_t n;
    char *s = slurp(outfile, &n);
    s[n < (4 << 20) ? n : n - 1] = 0;
    return strstr(s, needle) != NULL;
}

static int start_server_shim(const char *const *extra, const char *log, const char *rules)
{
    char ps[16];
    int port = net_free_port();
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[12] = { (char *)server, ps };
    int n = 2;
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = (char *)extra[i];
    argv[n] = NULL;
    struct spawn_opts o = { .out = log, .shim = rules ? shim : NULL, .rules = rules };
    srv = spawn_program(argv, &o);
    assert_true(srv > 0);
    assert_int_equal(net_wait_listen(port, 5000, srv), 0);
    return port;
}

static int start_server(const char *const *extra, const char *log)
{
    return start_server_shim(extra, log, NULL);
}

static char *temp_log(void)
{
    snprintf(outfile, sizeof outfile, "/tmp/test-programs-XXXXXX");
    int fd = mkstemp(outfile);
    assert_true(fd >= 0);
    close(fd);
    return outfile;
}

/* One byte through FD and back, mapped. */
static void exchange(int fd)
{
    char b = 'e';
    size_t got;
    assert_int_equal(net_write_all(fd, &b, 1, 3000), 1);
    assert_int_equal(net_read_all(fd, &b, 1, &got, 3000), NET_FULL);
    assert_int_equal(b, 'E');
}

/* ---- server command line ---- */

static void S0_help_exits_0(void **state)
{
    (void)state;
    char *argv[] = { (char *)server, "--help", NULL };
    assert_int_equal(run(argv, NULL, 5000), 0);
    assert_true(output_has("usage:"));
}

static void S0_bad_arguments_exit_2(void **state)
{
    (void)state;
    static const char *const bad[][4] = {
        { NULL }, { "0" }, { "65536" }, { "80x" }, { "8080", "-t", "-1" }, { "8080", "-t" },
        { "8080", "-m", "0" }, { "8080", "-q" }, { "8080", "9090" }, { "8080", "--bogus" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *argv[6] = { (char *)server };
        for (int k = 0; k < 4 && bad[i][k]; k++)
            argv[1 + k] = (char *)bad[i][k];
        int st = run(argv, NULL, 5000);
        if (st != 2)
            fail_msg("%s %s %s: status %d, want 2", server, bad[i][0] ? bad[i][0] : "",
                     bad[i][1] ? bad[i][1] : "", st);
        assert_true(output_has("usage:"));
        unlink(outfile);
    }
}

static void S0_bad_bind_address(void **state)
{
    (void)state;
    char *argv[] = { (char *)server, "8080", "-b", "not-an-address", NULL };
    assert_int_equal(run(argv, NULL, 5000), 2);
    assert_true(output_has("bad address"));
}

static void S0_bind_option(void **state)
{
    (void)state;
    static const char *const args[] = { "-b", "127.0.0.2", NULL };
    int port = start_server(args, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
    inet_pton(AF_INET, "127.0.0.2", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char b = 'k';
    size_t got;
    assert_int_equal(net_write_all(fd, &b, 1, 2000), 1);
    assert_int_equal(net_read_all(fd, &b, 1, &got, 2000), NET_FULL);
    assert_int_equal(b, 'K');
    close(fd);
    /* not on 127.0.0.1 */
    assert_true(net_connect(port, 2000) < 0);
}

static void S0_verbose_logs_connections(void **state)
{
    (void)state;
    static const char *const args[] = { "-v", NULL };
    snprintf(outfile, sizeof outfile, "/tmp/test-programs-XXXXXX");
    int lfd = mkstemp(outfile);
    close(lfd);
    int port = start_server(args, outfile);
    int fd = net_connect(port, 2000);
    assert_true(fd >= 0);
    shutdown(fd, SHUT_WR);
    char b;
    size_t got;
    assert_int_equal(net_read_all(fd, &b, 1, &got, 2000), NET_EOF);
    close(fd);
    assert_int_equal(proc_stop(srv, SIGTERM, 2000, NULL), 0);
    srv = -1;
    assert_true(output_has("listening on 127.0.0.1"));
    assert_true(output_has("client 127.0.0.1:"));
}

/* -m 1: a second client waits in the backlog until the first is gone. */
static void S3_max_clients_cap(void **state)
{
    (void)state;
    static const char *const args[] = { "-m", "1", NULL };
    int port = start_server(args, NULL);
    int a = net_connect(port, 2000), b = net_connect(port, 2000);
    assert_true(a >= 0 && b >= 0);
    char c = 'a';
    size_t got;
    assert_int_equal(net_write_all(a, &c, 1, 2000), 1);
    assert_int_equal(net_read_all(a, &c, 1, &got, 2000), NET_FULL);
    c = 'b';
    assert_int_equal(net_write_all(b, &c, 1, 2000), 1);
    /* not served while A holds the only slot */
    assert_int_equal(net_read_all(b, &c, 1, &got, 300), NET_TIMEOUT);
    close(a);
    assert_int_equal(net_read_all(b, &c, 1, &got, 3000), NET_FULL);
    assert_int_equal(c, 'B');
    close(b);
}

/* -t 0: no idle limit; a silent client stays connected. */
static void S8_idle_zero_means_never(void **state)
{
    (void)state;
    static const char *const args[] = { "-t", "0", NULL };
    int port = start_server(args, NULL);
    int fd = net_connect(port, 2000);
    char c;
    size_t got;
    assert_int_equal(net_read_all(fd, &c, 1, &got, 1500), NET_TIMEOUT);
    c = 'x';
    assert_int_equal(net_write_all(fd, &c, 1, 2000), 1);
    assert_int_equal(net_read_all(fd, &c, 1, &got, 2000), NET_FULL);
    assert_int_equal(c, 'X');
    close(fd);
}

static void S0_ipv6_bind_and_log(void **state)
{
    (void)state;
    static const char *const args[] = { "-b", "::1", "-v", NULL };
    int port = start_server(args, temp_log());
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port) };
    inet_pton(AF_INET6, "::1", &a.sin6_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        skip(); /* no IPv6 loopback here */
    }
    exchange(fd);
    close(fd);
    assert_int_equal(proc_stop(srv, SIGTERM, 2000, NULL), 0);
    srv = -1;
    assert_true(output_has("client ::1:"));
}

/* EMFILE from accept: logged with -v, backed off, the client still served. */
static void S4_accept_emfile_backs_off(void **state)
{
    (void)state;
    static const char *const args[] = { "-v", NULL };
    if (shim == NULL)
        skip();
    int port = start_server_shim(args, temp_log(), "accept,accept4:error=EMFILE:when=1..2");
    int fd = net_connect(port, 2000);
    assert_true(fd >= 0);
    exchange(fd);
    close(fd);
    assert_int_equal(proc_stop(srv, SIGTERM, 2000, NULL), 0);
    srv = -1;
    assert_true(output_has("backing off"));
}

/* Our choice beyond S7: SIGTERM with a client connected still exits 0
 * within 2 s (the thread server waits up to 1 s for its clients; the fork
 * server's children finish their client on their own). */
static void S7_sigterm_with_client_connected(void **state)
{
    (void)state;
    int port = start_server(NULL, NULL);
    int fd = net_connect(port, 2000);
    assert_true(fd >= 0);
    exchange(fd);
    int st = 0;
    assert_int_equal(proc_stop(srv, SIGTERM, 2000, &st), 0);
    srv = -1;
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fd);
}

/* ---- client ---- */

static void client_echoes_stdin(void **state)
{
    (void)state;
    char in[] = "/tmp/test-programs-in-XXXXXX", ps[16];
    int fd = mkstemp(in);
    static unsigned char data[3 << 20];
    unsigned long long seed = 7;
    net_fill_random(data, sizeof data, &seed);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    int port = start_server(NULL, NULL);
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[] = { (char *)client, "-h", "localhost", ps, NULL };
    int st = run(argv, in, 10000);
    unlink(in);
    assert_int_equal(st, 0);
    size_t n;
    unsigned char *out = (unsigned char *)slurp(outfile, &n);
    assert_int_equal(n, sizeof data);
    for (size_t i = 0; i < n; i++) {
        unsigned char want = data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 : data[i];
        if (out[i] != want)
            fail_msg("byte %zu: %02x, want %02x", i, out[i], want);
    }
}

static void client_no_server_status_1(void **state)
{
    (void)state;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", net_free_port());
    char *argv[] = { (char *)client, ps, NULL };
    assert_int_equal(run(argv, NULL, 5000), 1);
    assert_true(output_has("cannot connect"));
    unlink(outfile);
    char *argv2[] = { (char *)client, "-h", "no-such-host.invalid", ps, NULL };
    assert_int_equal(run(argv2, NULL, 10000), 1);
}

static void client_bad_usage(void **state)
{
    (void)state;
    char *a1[] = { (char *)client, NULL };
    char *a2[] = { (char *)client, "0", NULL };
    char *a3[] = { (char *)client, "-x", "80", NULL };
    char *a4[] = { (char *)client, "80", "81", NULL };
    char *a5[] = { (char *)client, "--help", NULL };
    char *a6[] = { (char *)client, "-h", NULL };
    assert_int_equal(run(a1, NULL, 5000), 2);
    unlink(outfile);
    assert_int_equal(run(a2, NULL, 5000), 2);
    unlink(outfile);
    assert_int_equal(run(a3, NULL, 5000), 2);
    unlink(outfile);
    assert_int_equal(run(a4, NULL, 5000), 2);
    unlink(outfile);
    assert_int_equal(run(a6, NULL, 5000), 2);
    unlink(outfile);
    assert_int_equal(run(a5, NULL, 5000), 0);
    assert_true(output_has("usage:"));
}

/* The server closes before the end of input: status 1 and a message. */
static void client_server_closes_early(void **state)
{
    (void)state;
    static const char *const args[] = { "-t", "1", NULL };
    int port = start_server(args, NULL);
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    /* stdin that never ends: a pipe whose writer stays open, idle */
    int p[2];
    assert_int_equal(pipe(p), 0);
    char *argv[] = { (char *)client, ps, NULL };
    snprintf(outfile, sizeof outfile, "/tmp/test-programs-XXXXXX");
    int fd = mkstemp(outfile);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(p[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fd);
    close(p[0]);
    int st;
    int r = proc_wait(pid, 5000, &st);
    close(p[1]);
    if (r < 0)
        proc_kill(pid);
    assert_int_equal(r, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    assert_true(output_has("closed the connection"));
}

/* The client's own failures: status 1 and a message naming what failed. */
static void client_stdout_error(void **state)
{
    (void)state;
    char in[] = "/tmp/test-programs-in-XXXXXX", ps[16];
    int fd = mkstemp(in);
    assert_int_equal(write(fd, "hello\n", 6), 6);
    close(fd);
    int port = start_server(NULL, NULL);
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[] = { (char *)client, ps, NULL };
    int st = run_io(argv, in, "/dev/full", 10000);
    unlink(in);
    assert_int_equal(st, 1);
    assert_true(output_has("standard output"));
}

static void client_stdin_error(void **state)
{
    (void)state;
    char ps[16];
    int port = start_server(NULL, NULL);
    snprintf(ps, sizeof ps, "%d", port);
    char *argv[] = { (char *)client, ps, NULL };
    assert_int_equal(run(argv, "/", 10000), 1); /* read() of a directory: EISDIR */
    assert_true(output_has("standard input"));
}

/* A server that resets the connection mid-stream. */
static void client_reset_by_server(void **state)
{
    (void)state;
    char in[] = "/tmp/test-programs-in-XXXXXX", ps[16];
    int fd = mkstemp(in);
    static char data[4 << 20];
    memset(data, 'r', sizeof data);
    assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
    close(fd);
    struct sockaddr_in a;
    int lfd = net_listen(&a, 1);
    assert_true(lfd >= 0);
    snprintf(ps, sizeof ps, "%d", ntohs(a.sin_port));
    char *argv[] = { (char *)client, ps, NULL };
    snprintf(outfile, sizeof outfile, "/tmp/test-programs-XXXXXX");
    int ofd = mkstemp(outfile);
    pid_t pid = fork();
    if (pid == 0) {
        int i = open(in, O_RDONLY);
        dup2(i, 0);
        dup2(ofd, 1);
        dup2(ofd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(ofd);
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    assert_int_equal(poll(&p, 1, 5000), 1);
    int cfd = accept(lfd, NULL, NULL);
    char buf[1000];
    size_t got;
    net_read_all(cfd, buf, sizeof buf, &got, 5000); /* it is sending */
    net_close_rst(cfd);
    close(lfd);
    int st;
    int r = proc_wait(pid, 5000, &st);
    if (r < 0)
        proc_kill(pid);
    unlink(in);
    assert_int_equal(r, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s SERVER CLIENT [LIBFAULTINJECT.SO]\n", argv[0]);
        return 2;
    }
    server = argv[1];
    client = argv[2];
    shim = argc == 4 ? argv[3] : NULL;
    signal(SIGPIPE, SIG_IGN);
    alarm(120);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(S0_help_exits_0, teardown),
        cmocka_unit_test_teardown(S0_bad_arguments_exit_2, teardown),
        cmocka_unit_test_teardown(S0_bad_bind_address, teardown),
        cmocka_unit_test_teardown(S0_bind_option, teardown),
        cmocka_unit_test_teardown(S0_verbose_logs_connections, teardown),
        cmocka_unit_test_teardown(S3_max_clients_cap, teardown),
        cmocka_unit_test_teardown(S8_idle_zero_means_never, teardown),
        cmocka_unit_test_teardown(S0_ipv6_bind_and_log, teardown),
        cmocka_unit_test_teardown(S4_accept_emfile_backs_off, teardown),
        cmocka_unit_test_teardown(S7_sigterm_with_client_connected, teardown),
        cmocka_unit_test_teardown(client_echoes_stdin, teardown),
        cmocka_unit_test_teardown(client_no_server_status_1, teardown),
        cmocka_unit_test_teardown(client_bad_usage, teardown),
        cmocka_unit_test_teardown(client_server_closes_early, teardown),
        cmocka_unit_test_teardown(client_stdout_error, teardown),
        cmocka_unit_test_teardown(client_stdin_error, teardown),
        cmocka_unit_test_teardown(client_reset_by_server, teardown),
    };
    return cmocka_run_group_tests_name(server, tests, NULL, NULL);
}

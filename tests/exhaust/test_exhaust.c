/* test_exhaust: resource exhaustion, for real (no shim), against any
 * echo-server binary (server-contract.md).
 *
 *   test_exhaust SERVER...      runs the group once per server
 *
 * S4/A2  real EMFILE: the server runs with RLIMIT_NOFILE set low in the
 *        child before exec, so accept() fails with EMFILE for real once its
 *        descriptor table is full; it keeps running and serves again once
 *        clients leave.
 * A2     the same with the limit lowered on the running server (prlimit)
 *        to its lowest free descriptor, which a fork server's parent meets
 *        too (it keeps no client descriptor), then restored.
 * S3     500 idle connections (slowloris: connect and send nothing, or one
 *        byte) do not stop another client from being served.
 * S8     the idle timeout (-t) then closes all 500 (EOF or reset, polled
 *        under a deadline), not before it has passed.
 * Every step is under a deadline; nothing sleeps to synchronise.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "netio.h"
#include "procstat.h"
#include "proc_spawn.h"

#define NOFILE_LOW   24     /* the server's descriptor limit in the EMFILE tests */
#define N_IDLE       500    /* slowloris connections */
#define IDLE_S       2      /* -t for the slowloris test */
#define STEP_MS      5000   /* deadline of one network step */

static const char *g_server; /* the binary under test (set per group) */

struct fx {
    pid_t pid;
    int port;
    int fds[N_IDLE + 64];
    int nfds;
};

/* Starts g_server PORT ARGS... with RLIMIT_NOFILE = NOFILE (0: unchanged)
 * in the child: the limit is lowered in this process just around fork and
 * restored at once (spawn_program forks; the child inherits it; this test
 * is single-threaded). Retries on a fresh port if the first is taken. */
static int start_server(struct fx *f, rlim_t nofile, const char *a1, const char *a2,
                        const char *a3, const char *a4)
{
    char port[16];
    for (int attempt = 0; attempt < 3; attempt++) {
        f->port = net_free_port();
        snprintf(port, sizeof port, "%d", f->port);
        char *argv[] = {(char *)g_server, port, (char *)a1, (char *)a2, (char *)a3,
                        (char *)a4, NULL};
        struct rlimit old, low;
        getrlimit(RLIMIT_NOFILE, &old);
        low = old;
        if (nofile) {
            low.rlim_cur = nofile;
            setrlimit(RLIMIT_NOFILE, &low);
        }
        f->pid = spawn_program(argv, NULL);
        setrlimit(RLIMIT_NOFILE, &old);
        if (f->pid < 0)
            return -1;
        if (net_wait_listen(f->port, STEP_MS, f->pid) == 0)
            return 0;
        proc_kill(f->pid);
        f->pid = -1;
    }
    return -1;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->pid = -1;
    /* 500 client sockets here: raise the soft limit to the hard one. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < f->nfds; i++)
        if (f->fds[i] >= 0)
            close(f->fds[i]);
    if (f->pid > 0)
        proc_kill(f->pid);
    free(f);
    return 0;
}

static unsigned char upper(unsigned char b)
{
    return b >= 'a' && b <= 'z' ? (unsigned char)(b - 'a' + 'A') : b;
}

/* Sends MSG on FD and reads its echo within TIMEOUT_MS: 0 when exact,
 * 1 when the server ended the connection (a prefix of the echo came
 * back), -1 on a wrong byte or no answer in time. */
static int echo_once(int fd, const char *msg, int timeout_ms)
{
    size_t n = strlen(msg), got = 0;
    char back[256];
    assert_true(n <= sizeof back);
    if (net_write_all(fd, msg, n, timeout_ms) != (ssize_t)n)
        return errno == EPIPE || errno == ECONNRESET ? 1 : -1;
    enum net_end e = net_read_all(fd, back, n, &got, timeout_ms);
    for (size_t i = 0; i < got; i++)
        if ((unsigned char)back[i] != upper((unsigned char)msg[i]))
            return -1;
    if (e == NET_FULL)
        return 0;
    return e == NET_EOF || e == NET_RESET ? 1 : -1;
}

/* A new client: connect, one exact echo, half-close, end of stream. */
static void assert_new_client_served(int port, const char *why)
{
    int fd = net_connect(port, STEP_MS);
    if (fd < 0)
        fail_msg("%s: connect: %s", why, strerror(errno));
    int r = echo_once(fd, "after the storm: abc-xyz\n", STEP_MS);
    shutdown(fd, SHUT_WR);
    char c;
    size_t got = 0;
    enum net_end e = net_read_all(fd, &c, 1, &got, STEP_MS);
    close(fd);
    if (r != 0)
        fail_msg("%s: a new client got no exact echo (%d)", why, r);
    if (e != NET_EOF || got != 0)
        fail_msg("%s: S2: no end of stream after the half-close", why);
}

/* S6: descriptors back to BASE (and no zombie) within 2 s. */
static void assert_fds_back(pid_t pid, int base, const char *why)
{
    long long deadline = now_ms() + 2000;
    int fds, z;
    while ((fds = proc_count_fds(pid)) != base || (z = proc_count_zombies(pid)) != 0) {
        if (ms_left(deadline) == 0)
            fail_msg("%s: S6: %d descriptors (baseline %d), %d zombies 2 s after the clients left",
                     why, fds, base, proc_count_zombies(pid));
        poll(NULL, 0, 10); /* polling pace */
    }
}

/* Descriptors of PID numbered below LIMIT (accept() fails with EMFILE
 * once all of 0..LIMIT-1 are taken; descriptors inherited from us may sit
 * above it). -1 if PID is gone. */
static int fds_below(pid_t pid, int limit)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && atoi(e->d_name) < limit)
            n++;
    closedir(d);
    return n;
}

/* CPU time (user + system, in ms) PID has used so far, or -1. */
static long cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* S4/A2 with a real EMFILE: clients connect one by one, each served, until
 * the server's descriptor table is full (its /proc fd count reaches the
 * limit) or twice the limit have been served (a fork server's parent keeps
 * no client descriptor, so its table never fills). The next client then
 * waits in the backlog while accept() fails with EMFILE; once one client
 * leaves it is served (or ended cleanly: the server may shed it), the
 * server is alive throughout, and after everyone left the descriptors are
 * back and a new client is served. */
static void S4_real_emfile_then_serves_again(void **state)
{
    struct fx *f = *state;
    if (start_server(f, NOFILE_LOW, NULL, NULL, NULL, NULL) < 0)
        fail_msg("S0: %s did not listen with RLIMIT_NOFILE %d", g_server, NOFILE_LOW);
    int base = proc_count_fds(f->pid);
    assert_true(base > 0 && base < NOFILE_LOW);
    int full = 0;
    char msg[64];
    while (f->nfds < 2 * NOFILE_LOW) {
        int fd = net_connect(f->port, STEP_MS);
        if (fd < 0)
            fail_msg("client %d: connect: %s", f->nfds, strerror(errno));
        f->fds[f->nfds++] = fd;
        snprintf(msg, sizeof msg, "client %d says hello\n", f->nfds);
        int r = echo_once(fd, msg, STEP_MS);
        if (r != 0)
            fail_msg("S3: client %d (of a limit of %d descriptors) not served: %d",
                     f->nfds, NOFILE_LOW, r);
        if (fds_below(f->pid, NOFILE_LOW) >= NOFILE_LOW) {
            full = 1;
            break;
        }
    }
    if (!proc_alive(f->pid))
        fail_msg("A2: the server died with %d clients", f->nfds);
    if (!full) {
        /* Fork server: 2x the limit served at once; the parent is fine. */
        printf("# %s: %d clients at once with RLIMIT_NOFILE %d, table never full\n",
               g_server, f->nfds, NOFILE_LOW);
    } else {
        /* The table is full: this client's accept() fails with EMFILE. */
        int waiting = net_connect(f->port, STEP_MS);
        if (waiting < 0)
            fail_msg("connect while the server's table is full: %s", strerror(errno));
        f->fds[f->nfds++] = waiting;
        const char *wmsg = "waiting in the backlog\n";
        assert_int_equal(net_write_all(waiting, wmsg, strlen(wmsg), STEP_MS), (ssize_t)strlen(wmsg));
        long cpu0 = cpu_ms(f->pid);
        long long t0 = now_ms();
        /* Is accept() retried in a hot loop? Measured over 300 ms, reported only. */
        struct pollfd pw = {.fd = waiting, .events = POLLIN};
        int early = poll(&pw, 1, 300);
        long spent = cpu_ms(f->pid) - cpu0, wall = now_ms() - t0;
        if (early == 0 && spent * 4 > wall)
            printf("# %s: %ld ms of CPU in %ld ms while accept() fails with EMFILE (busy loop?)\n",
                   g_server, spent, wall);
        if (!proc_alive(f->pid))
            fail_msg("A2: the server died when accept() failed with EMFILE");
        close(f->fds[0]); /* one leaves: a descriptor is free again */
        f->fds[0] = -1;
        char back[64];
        size_t got = 0;
        enum net_end e = net_read_all(waiting, back, strlen(wmsg), &got, STEP_MS);
        for (size_t i = 0; i < got; i++)
            if ((unsigned char)back[i] != upper((unsigned char)wmsg[i]))
                fail_msg("S1: wrong echo byte %zu for the client that waited", i);
        if (e == NET_TIMEOUT)
            fail_msg("A2: the client that waited during EMFILE got no answer %d ms after "
                     "a descriptor was freed", STEP_MS);
        if (e == NET_ERROR)
            fail_msg("the client that waited: %s", strerror(errno));
    }
    if (!proc_alive(f->pid))
        fail_msg("A2: the server died");
    for (int i = 0; i < f->nfds; i++)
        if (f->fds[i] >= 0) {
            close(f->fds[i]);
            f->fds[i] = -1;
        }
    assert_fds_back(f->pid, base, "after EMFILE");
    assert_new_client_served(f->port, "A2: after EMFILE");
    assert_new_client_served(f->port, "A2: after EMFILE (second)");
}

/* The lowest descriptor number PID does not use: with RLIMIT_NOFILE set
 * to it, its next accept() fails with EMFILE. -1 if PID is gone. */
static int lowest_free_fd(pid_t pid)
{
    for (int n = 0; n < 4096; n++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, n);
        if (access(path, F_OK) != 0)
            return errno == ENOENT ? n : -1;
    }
    return -1;
}

/* A2 for a server whose listener holds no client descriptor (a fork
 * server's parent): its own limit is lowered while it runs (prlimit) to
 * its lowest free descriptor number, so accept() fails with EMFILE for
 * real; a client then waits unserved, the server stays up; with the limit
 * restored the client is served. Works for either server. */
static void A2_real_emfile_until_limit_restored(void **state)
{
    struct fx *f = *state;
    if (start_server(f, 0, NULL, NULL, NULL, NULL) < 0)
        fail_msg("S0: %s did not listen", g_server);
    assert_new_client_served(f->port, "before the limit is lowered");
    assert_fds_back(f->pid, proc_count_fds(f->pid), "before the limit is lowered");
    int base = proc_count_fds(f->pid);
    struct rlimit old, low;
    assert_int_equal(prlimit(f->pid, RLIMIT_NOFILE, NULL, &old), 0);
    int lowest = lowest_free_fd(f->pid);
    assert_true(lowest > 0);
    low = old;
    low.rlim_cur = (rlim_t)lowest;
    assert_int_equal(prlimit(f->pid, RLIMIT_NOFILE, &low, NULL), 0);

    int fd = net_connect(f->port, STEP_MS); /* completes in the backlog */
    if (fd < 0)
        fail_msg("%s: connect with the server at its limit: %s",
                 proc_alive(f->pid) ? "" : "A2: the server died", strerror(errno));
    f->fds[f->nfds++] = fd;
    const char *msg = "wait for a descriptor\n";
    assert_int_equal(net_write_all(fd, msg, strlen(msg), STEP_MS), (ssize_t)strlen(msg));
    /* No descriptor is free: nothing can come back. 300 ms of silence
     * shows the limit took effect (an answer would mean no EMFILE). */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    long cpu0 = cpu_ms(f->pid);
    long long t0 = now_ms();
    int r = poll(&p, 1, 300);
    long spent = cpu_ms(f->pid) - cpu0, wall = now_ms() - t0;
    if (r != 0 && !proc_alive(f->pid))
        fail_msg("A2: the server died when accept() failed with EMFILE");
    if (r != 0)
        fail_msg("the server answered with RLIMIT_NOFILE at %d: no EMFILE happened", lowest);
    if (spent * 4 > wall)
        printf("# %s: %ld ms of CPU in %ld ms while accept() fails with EMFILE (busy loop?)\n",
               g_server, spent, wall);
    if (!proc_alive(f->pid))
        fail_msg("A2: the server died when accept() failed with EMFILE");

    assert_int_equal(prlimit(f->pid, RLIMIT_NOFILE, &old, NULL), 0);
    char back[64];
    size_t got = 0;
    enum net_end e = net_read_all(fd, back, strlen(msg), &got, STEP_MS);
    if (e != NET_FULL)
        fail_msg("A2: the waiting client not served within %d ms of the limit's return (%d)",
                 STEP_MS, (int)e);
    for (size_t i = 0; i < got; i++)
        if ((unsigned char)back[i] != upper((unsigned char)msg[i]))
            fail_msg("S1: wrong echo byte %zu for the client that waited", i);
    close(fd);
    f->fds[--f->nfds] = -1;
    assert_fds_back(f->pid, base, "after EMFILE");
    assert_new_client_served(f->port, "A2: after EMFILE");
}

/* S3 and S8 with N_IDLE silent or one-byte clients. */
static void S3_S8_500_idle_clients_then_closed(void **state)
{
    struct fx *f = *state;
    char idle[16], cap[16];
    snprintf(idle, sizeof idle, "%d", IDLE_S);
    snprintf(cap, sizeof cap, "%d", N_IDLE + 50);
    if (start_server(f, 0, "-t", idle, "-m", cap) < 0)
        fail_msg("S0: %s did not listen", g_server);
    int base = proc_count_fds(f->pid), kids0 = proc_count_descendants(f->pid);
    long long t_connect[N_IDLE];
    for (int i = 0; i < N_IDLE; i++) {
        int fd = net_connect(f->port, STEP_MS);
        if (fd < 0)
            fail_msg("idle client %d: connect: %s", i, strerror(errno));
        t_connect[i] = now_ms();
        f->fds[f->nfds++] = fd;
        if (i % 2 == 1 && net_write_all(fd, "z", 1, STEP_MS) != 1) /* one byte */
            fail_msg("idle client %d: send: %s", i, strerror(errno));
    }
    /* Every one accepted: a descriptor (thread server) or a child (fork
     * server) each. Polled; the idle timeout has not run out yet. */
    long long deadline = now_ms() + STEP_MS;
    for (;;) {
        int held = proc_count_fds(f->pid) - base, kids = proc_count_descendants(f->pid) - kids0;
        if (held >= N_IDLE || kids >= N_IDLE)
            break;
        if (ms_left(deadline) == 0)
            fail_msg("S3: only %d descriptors / %d children for %d connections after %d ms",
                     held, kids, N_IDLE, STEP_MS);
        poll(NULL, 0, 10); /* polling pace */
    }
    /* S3: another client is served while all of them hold on. */
    long long t_served = now_ms();
    assert_new_client_served(f->port, "S3: with 500 idle clients");
    long long still_open_at = now_ms();
    int closed_meanwhile = 0;
    for (int i = 0; i < N_IDLE; i++) {
        struct pollfd p = {.fd = f->fds[i], .events = POLLIN};
        char c;
        if (poll(&p, 1, 0) == 1 && recv(f->fds[i], &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
            closed_meanwhile++;
    }
    /* S8: every idle connection closed by the server, after the timeout. */
    int open = N_IDLE;
    int echoed[N_IDLE] = {0};
    long long close_at[N_IDLE];
    deadline = now_ms() + (IDLE_S * 3 + 10) * 1000;
    struct pollfd *pf = calloc(N_IDLE, sizeof *pf);
    assert_non_null(pf);
    for (int i = 0; i < N_IDLE; i++)
        pf[i] = (struct pollfd){.fd = f->fds[i], .events = POLLIN};
    while (open > 0) {
        int r = poll(pf, N_IDLE, ms_left(deadline));
        if (r == 0)
            break;
        for (int i = 0; i < N_IDLE && r > 0; i++) {
            if (pf[i].fd < 0 || pf[i].revents == 0)
                continue;
            char buf[8];
            ssize_t n = recv(pf[i].fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) {
                if (i % 2 == 0 || n != 1 || buf[0] != 'Z' || echoed[i])
                    fail_msg("S1: idle client %d got %zd unexpected bytes", i, n);
                echoed[i] = 1;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (n < 0 && errno != ECONNRESET)
                fail_msg("idle client %d: %s", i, strerror(errno));
            close_at[i] = now_ms(); /* end of stream or reset */
            pf[i].fd = -1;
            open--;
        }
    }
    free(pf);
    if (open > 0)
        fail_msg("S8: %d of %d idle connections still open %d s after -t %d", open, N_IDLE,
                 IDLE_S * 3 + 10, IDLE_S);
    for (int i = 0; i < N_IDLE; i++) {
        if (i % 2 == 1 && !echoed[i])
            fail_msg("S1: idle client %d never got its one byte back", i);
        /* The server accepted after our connect, so its idle clock started
         * later; allow half the timeout for clock granularity. */
        if (close_at[i] - t_connect[i] < IDLE_S * 500)
            fail_msg("S8: idle client %d closed after %lld ms, the timeout is %d s", i,
                     close_at[i] - t_connect[i], IDLE_S);
    }
    printf("# %s: %d idle connections held, another client served in %lld ms "
           "(%d of them closed meanwhile), all closed by -t %d\n",
           g_server, N_IDLE, still_open_at - t_served, closed_meanwhile, IDLE_S);
    if (closed_meanwhile > N_IDLE / 10)
        fail_msg("S3: the other client was served only as idle ones were closed (%d)",
                 closed_meanwhile);
    for (int i = 0; i < f->nfds; i++) {
        close(f->fds[i]);
        f->fds[i] = -1;
    }
    assert_fds_back(f->pid, base, "after the idle clients");
    assert_new_client_served(f->port, "S8: after the idle clients");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_exhaust SERVER...\n");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(S4_real_emfile_then_serves_again, setup, teardown),
        cmocka_unit_test_setup_teardown(A2_real_emfile_until_limit_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(S3_S8_500_idle_clients_then_closed, setup, teardown),
    };
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        g_server = argv[i];
        const char *base = strrchr(argv[i], '/');
        failed += _cmocka_run_group_tests(base ? base + 1 : argv[i], tests,
                                          sizeof tests / sizeof tests[0], NULL, NULL);
    }
    return failed ? 1 : 0;
}

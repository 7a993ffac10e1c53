/* bench_servers.c: `make bench` for the echo servers (a measurement, not a
 * test: it fails only if a server cannot be started).
 *   bench_servers SERVER_FORK SERVER_THREAD SERVER_BARE
 * Both servers are measured against SERVER_BARE, a bare single-threaded
 * blocking echo loop doing the same work (read, upper-case, write back), in
 * the same run, so the ratios do not depend on the machine or its load:
 * 1. One stream: MiB/s echoed with 64 KiB writes (goals: thread server
 *    >= 90%, fork server >= 80% of the bare loop's). The three take turns,
 *    ROUNDS times, and each keeps its best round: a burst of load from
 *    elsewhere then lowers one round, not one server's figure.
 * 2. Connections per second of short sessions (connect, 100 bytes, read
 *    the echo, close) with 1, 16 and 64 concurrent clients.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "netio.h"
#include "proc_spawn.h"

enum { CHUNK = 64 * 1024, STREAM_MS = 600, ROUNDS = 5, CONN_MS = 1200 };

static double stream_echo(int port)
{
    int fd = net_connect(port, 2000);
    if (fd < 0)
        return -1;
    static char out[CHUNK], in[CHUNK];
    memset(out, 'a', sizeof out);
    long long t0 = now_ms(), end = t0 + STREAM_MS;
    size_t sent = 0, got = 0;
    while (now_ms() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN | (sent - got < 64 * CHUNK ? POLLOUT : 0) };
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (p.revents & POLLIN) {
            ssize_t n = recv(fd, in, sizeof in, MSG_DONTWAIT);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (p.revents & POLLOUT) {
            ssize_t n = send(fd, out, sizeof out, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
        }
    }
    double secs = (now_ms() - t0) / 1000.0;
    net_close_rst(fd);
    return got / secs / (1 << 20);
}

struct cworker {
    int port;
    long long end;
    long sessions, errors;
};

static void *conn_worker(void *arg)
{
    struct cworker *w = arg;
    char msg[100], back[128];
    memset(msg, 'x', sizeof msg);
    while (now_ms() < w->end) {
        int fd = net_connect(w->port, 2000);
        if (fd < 0) {
            w->errors++;
            continue;
        }
        size_t got = 0;
        if (net_write_all(fd, msg, sizeof msg, 2000) == (ssize_t)sizeof msg) {
            shutdown(fd, SHUT_WR);
            net_read_all(fd, back, sizeof back, &got, 2000);
        }
        close(fd);
        if (got == sizeof msg)
            w->sessions++;
        else
            w->errors++;
    }
    return NULL;
}

static double conns_per_sec(int port, int nclients)
{
    struct cworker w[64];
    pthread_t t[64];
    long long t0 = now_ms();
    for (int i = 0; i < nclients; i++) {
        w[i] = (struct cworker){ .port = port, .end = t0 + CONN_MS };
        pthread_create(&t[i], NULL, conn_worker, &w[i]);
    }
    long total = 0, errors = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(t[i], NULL);
        total += w[i].sessions;
        errors += w[i].errors;
    }
    double secs = (now_ms() - t0) / 1000.0;
    if (errors)
        fprintf(stderr, "  (%ld failed sessions)\n", errors);
    return total / secs;
}

static pid_t start(const char *path, int *port)
{
    char ps[16];
    *port = net_free_port();
    snprintf(ps, sizeof ps, "%d", *port);
    char *argv[] = { (char *)path, ps, NULL };
    pid_t pid = spawn_program(argv, NULL);
    if (pid < 0 || net_wait_listen(*port, 5000, pid) < 0) {
        fprintf(stderr, "bench: %s did not start\n", path);
        proc_kill(pid);
        return -1;
    }
    return pid;
}

int main(int argc, char **argv)
{
    static const int conc[] = { 1, 16, 64 };
    double cps[3][3], mibs[3] = { 0, 0, 0 };
    int port[3];
    pid_t pid[3] = { -1, -1, -1 };
    if (argc != 4) {
        fprintf(stderr, "usage: %s SERVER_FORK SERVER_THREAD SERVER_BARE\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (int s = 0; s < 3; s++)
        if ((pid[s] = start(argv[1 + s], &port[s])) < 0) {
            for (int k = 0; k < s; k++)
                proc_kill(pid[k]);
            return 1;
        }
    for (int r = 0; r < ROUNDS; r++)
        for (int s = 0; s < 3; s++) {
            double m = stream_echo(port[s]);
            if (m > mibs[s])
                mibs[s] = m;
        }
    for (int s = 0; s < 3; s++) {
        for (int c = 0; c < 3; c++)
            cps[s][c] = conns_per_sec(port[s], conc[c]);
        proc_stop(pid[s], SIGTERM, 2000, NULL);
    }
    printf("\nserver bench (loopback, one run; the bare echo loop is the ceiling)\n");
    printf("  one stream, 64 KiB writes, echoed (best of %d rounds of %d ms):\n", ROUNDS, STREAM_MS);
    const char *names[] = { "server_fork", "server_thread", "bare loop (ceiling)" };
    static const int goal[] = { 80, 90 };
    printf("    %-20s %7.0f MiB/s\n", names[2], mibs[2]);
    for (int s = 0; s < 2; s++)
        printf("    %-20s %7.0f MiB/s = %3.0f%% of the bare loop (goal >= %d%%)\n", names[s],
               mibs[s], 100 * mibs[s] / mibs[2], goal[s]);
    printf("  short sessions (connect, 100 bytes, echo, close), per second:\n");
    printf("    %-20s %10s %10s %10s\n", "", "1 client", "16", "64");
    for (int s = 0; s < 3; s++) {
        printf("    %-20s", names[s]);
        for (int c = 0; c < 3; c++)
            printf(" %10.0f", cps[s][c]);
        printf("\n");
    }
    for (int s = 0; s < 2; s++) {
        printf("    %-20s", s ? "thread/ceiling" : "fork/ceiling");
        for (int c = 0; c < 3; c++)
            printf(" %9.0f%%", 100 * cps[s][c] / cps[2][c]);
        printf("   (goal >= %d%%)\n", s ? 50 : 25);
    }
    return 0;
}

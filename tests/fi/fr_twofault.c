/* fr_twofault.c: a COMMAND with a known two-fault bug, for test_shrink.
 *
 *   fr_twofault MSGS [flaky COUNTERFILE] [hang PIDFILE] [any 1]
 *
 * Reads MSGS 8-byte messages from a stream socketpair it feeds itself:
 * message 1 is the header, MSGS the trailer. Each message's first read is
 * read(2), the only call the tests' rules name; what a short read left and
 * what an EINTR interrupted is read again with recv(2). So the read(2)
 * calls are the same whatever is injected, and a replay finds every kept
 * point however many lines were deleted (replay points today count every
 * call of a name: a retried read(2) would move the later ones).
 *
 * The bug: a short read of the header leaves a "partial" flag set (never
 * cleared), and an EINTR on the trailer with that flag set takes a wrong
 * path: exit 1. Any one fault alone, and any other pair, is survived.
 * flaky: every third run (counted in COUNTERFILE) fails anyway, whatever
 * was injected. hang: the bug hangs instead, in the program and in a
 * child it forked into its process group (both pids appended to PIDFILE).
 * any: an EINTR on any message after the short header is the bug, so a
 * log holds many minimal pairs, and which one a shrink finds depends on
 * the order it tries subsets in.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_usr1(int sig)
{
    (void)sig;
}

/* Every third call over all runs: 1 (the counter lives in PATH). */
static int third_time(const char *path)
{
    long n = 0;
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 0;
        fclose(f);
    }
    n++;
    f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%ld\n", n) < 0 || fclose(f) != 0)
        exit(99);
    return n % 3 == 0;
}

static void record_pid(const char *path, pid_t pid)
{
    FILE *f = fopen(path, "a");
    if (f == NULL)
        exit(99);
    fprintf(f, "%d\n", (int)pid);
    fclose(f);
}

static void hang(const char *pidfile)
{
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    if (child < 0)
        exit(99);
    record_pid(pidfile, getpid());
    record_pid(pidfile, child);
    for (;;)
        pause();
}

/* The rest of a message, after a short read or an EINTR, by recv(2). */
static void read_rest(int fd, char *buf, size_t have, size_t want)
{
    while (have < want) {
        ssize_t n = recv(fd, buf + have, want - have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            exit(98);
        have += (size_t)n;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 97;
    long msgs = strtol(argv[1], NULL, 10);
    const char *pidfile = NULL;
    int any = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "flaky") == 0 && third_time(argv[i + 1]))
            return 1;
        if (strcmp(argv[i], "hang") == 0)
            pidfile = argv[i + 1];
        if (strcmp(argv[i], "any") == 0)
            any = 1;
    }
    /* A caught signal without SA_RESTART: eintr can fire on a blocking read. */
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    int sv[2];
    if (msgs < 2 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 97;
    int partial = 0;
    for (long m = 1; m <= msgs; m++) {
        char out[8], in[8];
        memset(out, (int)('a' + m % 26), sizeof out);
        if (write(sv[1], out, sizeof out) != (ssize_t)sizeof out)
            return 96;
        ssize_t n = read(sv[0], in, sizeof in);
        if (n < 0 && errno == EINTR) {
            if ((m == msgs || any) && partial) {     /* the bug */
                if (pidfile != NULL)
                    hang(pidfile);
                fprintf(stderr, "fr_twofault: trailer interrupted after a short header\n");
                return 1;
            }
            n = 0;
        } else if (n < 0) {
            return 95;
        } else if (n < (ssize_t)sizeof in && m == 1) {
            partial = 1;                    /* never cleared */
        }
        read_rest(sv[0], in, (size_t)n, sizeof in);
        if (memcmp(in, out, sizeof in) != 0)
            return 94;
    }
    return 0;
}

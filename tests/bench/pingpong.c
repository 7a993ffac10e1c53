/* pingpong: the cost of a traced call, for make bench (scripts/bench_trace.sh).
 *
 *   pingpong N
 *
 * Built -static, so that faultrun runs it under the trace backend. Two
 * threads share an AF_UNIX stream socketpair; for each of N pairs the
 * first writes 64 bytes and reads the 64 the second sends back (the second
 * reads them and writes them back): 2 reads and 2 writes a pair. Every
 * byte is checked. Prints `pingpong: pairs=N ns_per_pair=X` (the loop
 * alone, CLOCK_MONOTONIC: start-up and exec are not counted); exit 0, or 1
 * with a message if a call failed or a byte came back wrong, 2 on usage.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MSG = 64 };

static long pairs;
static int sv[2];

/* All LEN bytes of FD (a read may return part; EINTR retried). 0, or -1. */
static int read_all(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t r = write(fd, buf + put, len - put);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        put += (size_t)r;
    }
    return 0;
}

/* The second side: reads each message and writes it back. */
static void *pong(void *arg)
{
    unsigned char buf[MSG];
    (void)arg;
    for (long i = 0; i < pairs; i++)
        if (read_all(sv[1], buf, MSG) < 0 || write_all(sv[1], buf, MSG) < 0)
            return (void *)1;
    return NULL;
}

int main(int argc, char **argv)
{
    char *end;
    if (argc != 2 || (pairs = strtol(argv[1], &end, 10)) <= 0 || *end) {
        fprintf(stderr, "usage: pingpong N (pairs of 64-byte write+read)\n");
        return 2;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        perror("pingpong: socketpair");
        return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, pong, NULL) != 0) {
        fprintf(stderr, "pingpong: pthread_create failed\n");
        return 1;
    }
    unsigned char out[MSG], in[MSG];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < pairs; i++) {
        for (int k = 0; k < MSG; k++)
            out[k] = (unsigned char)(i * 31 + k);
        if (write_all(sv[0], out, MSG) < 0 || read_all(sv[0], in, MSG) < 0) {
            fprintf(stderr, "pingpong: pair %ld: %s\n", i, strerror(errno));
            return 1;
        }
        if (memcmp(in, out, MSG) != 0) {
            fprintf(stderr, "pingpong: pair %ld: the bytes came back changed\n", i);
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    void *r;
    pthread_join(t, &r);
    if (r != NULL) {
        fprintf(stderr, "pingpong: the second thread failed: %s\n", strerror(errno));
        return 1;
    }
    double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
    printf("pingpong: pairs=%ld ns_per_pair=%.0f\n", pairs, ns / (double)pairs);
    return 0;
}

/* evclient.h: many echo connections at once against an echo server that
 * follows server-contract.md S1/S2, every byte checked, each connection under
 * its own deadline. One poll() loop, non-blocking sockets, no threads.
 *
 * Each connection sends its DATA in chunks of random size (from SEED) while
 * reading the echo as it comes (with LOCKSTEP: sends the next chunk only once
 * the echo of the last one is back), half-closes once all is sent, and must then
 * read the whole echo (a-z as A-Z, every other byte unchanged) followed by
 * end of stream, before its deadline. */
#ifndef EVLOOP_EVCLIENT_H
#define EVLOOP_EVCLIENT_H

#include <stddef.h>

struct ev_conn {
    /* in */
    const unsigned char *data;
    size_t len;
    int lockstep;       /* one chunk in flight at a time */
    /* out */
    size_t sent, got;
    size_t first_bad;   /* offset of the first wrong byte, or (size_t)-1 */
    int eof;            /* end of stream read after the whole echo */
    int err;            /* errno of a failed call, 0 if none */
    int timed_out;      /* still going at its deadline */
    long long ms;       /* how long it took */
    /* private */
    int fd, connected, shut;
    long long t_start, deadline;
};

/* Runs CONNS[0..N) against 127.0.0.1:PORT, each for at most DEADLINE_MS from
 * its connect. Returns the number of connections that did not get their
 * exact echo and end of stream in time (0: all good). */
int ev_run(struct ev_conn *conns, int n, int port, int deadline_ms, unsigned long long seed);

/* 0 if C got its exact echo and end of stream, else -1 with a one-line
 * reason in WHY. */
int ev_check(const struct ev_conn *c, char *why, size_t whylen);

#endif

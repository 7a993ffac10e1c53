/* options.h: the command line both servers share.
 *   server_X PORT [-b ADDR] [-t IDLE_SECONDS] [-m MAX_CLIENTS] [-v]
 */
#ifndef OPTIONS_H
#define OPTIONS_H

struct server_opts {
    const char *addr;   /* S0: -b, default 127.0.0.1 */
    unsigned short port;
    int idle_s;         /* S8: -t, default 60 */
    int max_clients;    /* -m, default 1024: over it, clients wait in the backlog */
    int verbose;        /* -v: one line per connection on stderr */
};

/* Fills O from ARGV. Returns -1 when the program should go on, else the
 * status to exit with: 0 after --help, 2 after a message on bad usage. */
int server_parse_args(int argc, char **argv, struct server_opts *o);

#endif

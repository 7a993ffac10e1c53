/* options.c: parses and checks the servers' command line. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s PORT [-b ADDR] [-t IDLE_SECONDS] [-m MAX_CLIENTS] [-v]\n"
            "  Echo server: sends back every byte it receives, a-z mapped to A-Z.\n"
            "  PORT             TCP port to listen on (1-65535)\n"
            "  -b ADDR          address to bind (default 127.0.0.1; IPv4 or IPv6)\n"
            "  -t IDLE_SECONDS  close a connection idle that long (default 60, 0: never)\n"
            "  -m MAX_CLIENTS   clients served at once (default 1024); more wait\n"
            "  -v               log connections on stderr\n"
            "  --help           this text\n",
            prog);
}

/* Whole-string decimal in [lo, hi], or -1. */
static long parse_num(const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    return v;
}

static int bad(const char *prog, const char *what, const char *val)
{
    fprintf(stderr, "%s: %s: '%s'\n", prog, what, val);
    usage(stderr, prog);
    return 2;
}

int server_parse_args(int argc, char **argv, struct server_opts *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *prog = argc > 0 && argv[0] ? argv[0] : "server";
    long v;
    int c;

    o->addr = "127.0.0.1";
    o->port = 0;
    o->idle_s = 60;
    o->max_clients = 1024;
    o->verbose = 0;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":b:t:m:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->addr = optarg;
            break;
        case 't':
            if ((v = parse_num(optarg, 0, INT_MAX / 1000)) < 0)
                return bad(prog, "bad idle timeout (seconds, 0 or more)", optarg);
            o->idle_s = (int)v;
            break;
        case 'm':
            if ((v = parse_num(optarg, 1, 1 << 20)) < 0)
                return bad(prog, "bad client limit (1 or more)", optarg);
            o->max_clients = (int)v;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            usage(stdout, prog);
            return 0;
        case ':':
            fprintf(stderr, "%s: option -%c needs a value\n", prog, optopt);
            usage(stderr, prog);
            return 2;
        default:
            if (optopt)
                fprintf(stderr, "%s: unknown option -%c\n", prog, optopt);
            else
                fprintf(stderr, "%s: unknown option %s\n", prog, argv[optind - 1]);
            usage(stderr, prog);
            return 2;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "%s: %s\n", prog, argc - optind < 1 ? "missing PORT" : "too many arguments");
        usage(stderr, prog);
        return 2;
    }
    if ((v = parse_num(argv[optind], 1, 65535)) < 0)
        return bad(prog, "bad port (1-65535)", argv[optind]);
    o->port = (unsigned short)v;
    return -1;
}

/* faultrun.h: faultrun's options, shared by its main (faultrun.c) and the
 * sweep loop (sweep.c). */
#ifndef FI_FAULTRUN_H
#define FI_FAULTRUN_H

#include <stdint.h>

struct fr_opts {
    char rules[8192];        /* every -e, joined with ';' */
    int nrules;              /* rules in it */
    const char *last_rule;   /* the last -e as given */
    uint64_t seed;
    const char *log;
    const char *only;
    int sweep;
    uint64_t sweep_max;
    char **argv;             /* COMMAND [ARG...] */
};

/* Sweep: exactly one rule, without when= or p=; exits 2 with a message
 * otherwise (before anything runs). */
void fr_sweep_check(const struct fr_opts *o);

/* Runs COMMAND once per injection point (rule firing only at call 1, 2,
 * ...) until a run where it did not fire or sweep_max runs; one line per
 * run on stderr. 0 if every run exited 0, else 1. The environment is set. */
int fr_sweep(const struct fr_opts *o);

/* execvp(ARGV) or exit 127/126 with a message. */
void fr_exec(char **argv) __attribute__((noreturn));

#endif

/* test_accept_arm.c: an injected eagain on accept/accept4 re-arms the
 * listener's EPOLLET registration (faultinject.md, Readiness agrees; the
 * shim's slow_accept, the trace backend's tracearm.h), as users run
 * faultrun: the shim on fr_taccept_dyn (--backend=preload), the trace
 * backend on fr_taccept built -static by gcc (glibc) and by musl-gcc.
 * fr_taccept is an edge-triggered accept loop (Go's netpoller: accept
 * until EAGAIN, then wait for the next edge) serving clients that come
 * one after another: a fake EAGAIN with the connection still queued
 * strands it unless the listener is re-armed (it says "stranded" after
 * 2 s without an edge and exits 3). Every run checks every client
 * served (each echo's byte), each log line an accept's (or accept4's)
 * eagain, as many as the summary says, enough of them, and the time;
 * a replayed log is re-armed too; a blocking listener gets none (its
 * accept sleeps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frtest.h"
#include "logparse.h"
#include "names.h"

#define NPROGS 3
static const char *const progs[NPROGS] = { FI_BUILD_DIR "/tests/fi/fr_taccept_dyn",
                                           FI_BUILD_DIR "/tests/fi/fr_taccept",
                                           FI_BUILD_DIR "/tests/fi/fr_taccept_musl" };
static const char *const backends[NPROGS] = { "--backend=preload", "--backend=trace",
                                              "--backend=trace" };
#define CLIENTS "24"
#define MIN_FAULTS 4                    /* p=0.5 over 24+ accepts: far more */
#define BOUND_S 5.0                     /* a stranded run takes 2 s more per edge lost */

struct tally {
    int lines, wrong;
    const struct fi_logline *bad;
    enum fi_call call;
    enum fi_fault fault;
};

static int count(const struct fi_logline *l, void *arg)
{
    struct tally *t = arg;
    t->lines++;
    if (l->call != t->call || l->fault.fault != t->fault || l->data) {
        t->wrong++;
        t->bad = l;
    }
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The log at LOG parsed into *T (no log: no line). */
static void read_log(const char *log, struct tally *t)
{
    static char text[1 << 20];
    char err[256];
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return;
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    if (fi_log_parse(text, len, count, t, err, sizeof err) < 0)
        fail_msg("log does not parse: %s", err);
}

/* Every PROG under "CALL:FAULT:p=0.5" (CALL: WHICH's name; FAULT:
 * eagain or error=EAGAIN): every client served within BOUND_S, at least MIN_FAULTS faults fired,
 * each a log line of CALL's, as many as the summary says. */
static void expect_served(enum fi_call which, const char *fault, enum fi_fault want)
{
    const char *call = fi_call_name(which);
    for (int p = 0; p < NPROGS; p++) {
        char log[PATH_MAX], rule[64], want_text[96];
        snprintf(rule, sizeof rule, "%s:%s:p=0.5", call, fault);
        fr_path(log, "accept.log");
        double t0 = now();
        FR_RUN(FR_FAULTRUN, backends[p], "-l", log, "-e", rule, "--", progs[p], CLIENTS, call);
        double took = now() - t0;
        if (strstr(fr_out, "stranded") != NULL)
            fail_msg("%s under '%s' was stranded (no re-arm?): %s", progs[p], rule, fr_out);
        if (strstr(fr_out, "ok " CLIENTS " clients,") == NULL)
            fail_msg("%s under '%s': %s%s", progs[p], rule, fr_out, fr_err);
        fr_expect_exit(0);
        fr_expect_no_err("not yet");
        fr_expect_no_err("could not be re-armed");
        struct tally t = { .call = which, .fault = want };
        read_log(log, &t);
        if (t.wrong > 0)
            fail_msg("log line '%.*s' is not %s's %s", (int)t.bad->textlen, t.bad->text, call,
                     fault);
        if (t.lines < MIN_FAULTS)
            fail_msg("%s under '%s': only %d faults fired", progs[p], rule, t.lines);
        snprintf(want_text, sizeof want_text, " %d faults injected, 0 could not fire", t.lines);
        fr_expect_err(want_text);
        if (took > BOUND_S)
            fail_msg("%s under '%s' took %.1f s", progs[p], rule, took);
        print_message("%s '%s': %d faults, %.2f s: %s", progs[p], rule, t.lines, took, fr_out);
    }
}

static void ACCEPT_ARM_eagain_on_accept_re_arms_the_listener(void **state)
{
    (void)state;
    expect_served(FI_C_ACCEPT, "eagain", FI_F_EAGAIN);
}

static void ACCEPT_ARM_eagain_on_accept4_re_arms_the_listener(void **state)
{
    (void)state;
    expect_served(FI_C_ACCEPT4, "eagain", FI_F_EAGAIN);
}

/* error=EAGAIN is the same fault under another name: re-armed too. */
static void ACCEPT_ARM_error_EAGAIN_on_accept_re_arms_the_listener(void **state)
{
    (void)state;
    expect_served(FI_C_ACCEPT, "error=EAGAIN", FI_F_ERROR);
}

/* --replay of such a run's log: the faults at the same accepts (at least
 * MIN_FAULTS of them met again), re-armed too (a replay's registrations
 * recorded: tracereplay.c): every client served. */
static void ACCEPT_ARM_a_replayed_accept4_eagain_is_re_armed(void **state)
{
    (void)state;
    for (int p = 0; p < NPROGS; p++) {
        char log[PATH_MAX], want[96];
        fr_path(log, "accept.log");
        FR_RUN(FR_FAULTRUN, backends[p], "-l", log, "-e", "accept4:eagain:p=0.5", "--",
               progs[p], CLIENTS, "accept4");
        fr_expect_exit(0);
        struct tally t = { .call = FI_C_ACCEPT4, .fault = FI_F_EAGAIN };
        read_log(log, &t);
        if (t.lines < MIN_FAULTS || t.wrong > 0)
            fail_msg("%s: %d faults (%d wrong): %s", progs[p], t.lines, t.wrong, fr_err);
        FR_RUN(FR_FAULTRUN, backends[p], "--replay", log, "--", progs[p], CLIENTS, "accept4");
        if (strstr(fr_out, "ok " CLIENTS " clients,") == NULL)
            fail_msg("%s, replayed: %s%s", progs[p], fr_out, fr_err);
        fr_expect_exit(0);
        /* the accepts' sequence depends on when each client comes: most
         * points, not all, are met again */
        snprintf(want, sizeof want, " of %d recorded faults found their point", t.lines);
        const char *at = strstr(fr_err, want);
        while (at != NULL && at > fr_err && at[-1] >= '0' && at[-1] <= '9')
            at--;
        if (at == NULL || atoi(at) < MIN_FAULTS)
            fail_msg("%s, replayed: too few faults met again: %s", progs[p], fr_err);
    }
}

/* A blocking listener's accept sleeps until a connection comes: the
 * kernel never says EAGAIN there, so the rule cannot fire (p=1: every
 * accept asked), and every client is served. */
static void ACCEPT_ARM_no_eagain_on_a_blocking_listener(void **state)
{
    (void)state;
    for (int p = 0; p < NPROGS; p++) {
        char log[PATH_MAX];
        fr_path(log, "accept.log");
        FR_RUN(FR_FAULTRUN, backends[p], "-l", log, "-e", "accept:eagain", "--", progs[p], "8", "accept",
               "block");
        if (strstr(fr_out, "ok 8 clients,") == NULL)
            fail_msg("%s, blocking: %s%s", progs[p], fr_out, fr_err);
        fr_expect_exit(0);
        struct tally t = { .call = FI_C_ACCEPT, .fault = FI_F_EAGAIN };
        read_log(log, &t);
        if (t.lines != 0)
            fail_msg("%s: %d eagain on a blocking listener", progs[p], t.lines);
        fr_expect_err(" 0 faults injected, 8 could not fire");
        fr_expect_err("blocking descriptor");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ACCEPT_ARM_eagain_on_accept_re_arms_the_listener),
        cmocka_unit_test(ACCEPT_ARM_eagain_on_accept4_re_arms_the_listener),
        cmocka_unit_test(ACCEPT_ARM_error_EAGAIN_on_accept_re_arms_the_listener),
        cmocka_unit_test(ACCEPT_ARM_a_replayed_accept4_eagain_is_re_armed),
        cmocka_unit_test(ACCEPT_ARM_no_eagain_on_a_blocking_listener),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

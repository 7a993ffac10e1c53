/* test_trace_arm.c: the trace backend's EPOLLET re-arm (faultinject.md,
 * Readiness agrees; tracearm.h), on fr_tarm built -static by gcc (glibc)
 * and by musl-gcc, as users run faultrun. fr_tarm reads a non-blocking
 * socket in an EPOLLET set only after each edge, as Go's netpoller does:
 * a fake EAGAIN, or a short read it takes for "drained", strands it
 * unless the descriptor is re-armed (it then says "stranded" after 2 s
 * without an edge and exits 3). Every test checks each byte, the
 * registered data on each event, the registers around each read (fr_tarm
 * exits 4 if one changed), the log read back with the common parser, the
 * summary's count, and the time; under a signal storm, that every signal
 * is handled. */
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

static const char *const progs[] = { FI_BUILD_DIR "/tests/fi/fr_tarm",
                                     FI_BUILD_DIR "/tests/fi/fr_tarm_musl" };
#define NPROGS 2
#define SIZE "262144"
#define BOUND_S 5.0                     /* a stranded run takes 2 s more per edge lost */

struct tally {
    int lines, wrong;
    const struct fi_logline *bad;
    enum fi_fault want;
};

static int count(const struct fi_logline *l, void *arg)
{
    struct tally *t = arg;
    t->lines++;
    if (l->call != FI_C_READ || l->fault.fault != t->want || !l->data) {
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

/* PROG under RULE (ARG: "sig" for a signal storm, or NULL): every byte,
 * faults fired on reads (each a log line, as many as the summary says),
 * within BOUND_S; with the storm, every signal sent handled. */
static void expect_exact_with(const char *rule, enum fi_fault fault, const char *arg)
{
    for (int p = 0; p < NPROGS; p++) {
        char log[PATH_MAX], err[256], want[96];
        static char text[1 << 20];
        fr_path(log, "arm.log");
        double t0 = now();
        FR_RUN(FR_FAULTRUN, "-l", log, "-e", rule, "--", progs[p], SIZE, arg);
        double took = now() - t0;
        if (strstr(fr_out, "stranded") != NULL)
            fail_msg("%s under '%s' was stranded (no re-arm?): %s", progs[p], rule, fr_out);
        if (strstr(fr_out, "ok " SIZE " bytes,") == NULL)
            fail_msg("%s under '%s': %s", progs[p], rule, fr_out);
        long handled = -1, sent = -2;
        const char *sig = strstr(fr_out, "signals ");
        if (arg != NULL && (sig == NULL || sscanf(sig, "signals %ld/%ld", &handled, &sent) != 2 ||
                            handled != sent || sent < 100))
            fail_msg("%s under '%s': signals lost or too few sent: %s", progs[p], rule, fr_out);
        fr_expect_exit(0);
        fr_expect_err("backend trace: statically linked");
        fr_expect_no_err("not yet");
        FILE *f = fopen(log, "r");
        if (f == NULL)
            fail_msg("%s under '%s': no fault fired (no log): %s", progs[p], rule, fr_err);
        size_t len = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[len] = '\0';
        struct tally t = { .want = fault };
        if (fi_log_parse(text, len, count, &t, err, sizeof err) < 0)
            fail_msg("log does not parse: %s", err);
        if (t.wrong > 0)
            fail_msg("log line '%.*s' is not a read's %s", (int)t.bad->textlen, t.bad->text,
                     fi_fault_word(fault));
        /* enough faults that many came after the writer was done */
        if (t.lines < 8)
            fail_msg("%s under '%s': only %d faults fired", progs[p], rule, t.lines);
        snprintf(want, sizeof want, " %d faults injected", t.lines);
        fr_expect_err(want);
        if (took > BOUND_S)
            fail_msg("%s under '%s' took %.1f s", progs[p], rule, took);
        print_message("%s '%s': %d faults, %.2f s: %s", progs[p], rule, t.lines, took, fr_out);
    }
}

static void expect_exact(const char *rule, enum fi_fault fault)
{
    expect_exact_with(rule, fault, NULL);
}

/* A fake EAGAIN on a read after the edge's first: re-armed, the next
 * epoll_wait reports the bytes still queued. */
static void TRACE_ARM_eagain_on_an_EPOLLET_reader_is_re_armed(void **state)
{
    (void)state;
    expect_exact("rd:eagain:p=0.5", FI_F_EAGAIN);
}

/* A cut read the program takes for "drained": re-armed as well. */
static void TRACE_ARM_short_on_an_EPOLLET_reader_is_re_armed(void **state)
{
    (void)state;
    expect_exact("rd:short=7:p=0.5", FI_F_SHORT);
}

/* The re-arm blocks the thread's signals while it runs epoll_ctl in it:
 * they stay pending and are handled after, none lost. A storm of
 * real-time signals (none merged) keeps some arriving while the tracer
 * holds the reader; each of RUNS runs must handle every one (a re-arm
 * that dropped the signals it met loses some in about one run of four
 * here: several runs). */
static void TRACE_ARM_no_signal_is_lost_around_the_re_arm(void **state)
{
    (void)state;
    for (int run = 0; run < 2; run++) {
        expect_exact_with("rd:eagain:p=0.5", FI_F_EAGAIN, "sig");
        expect_exact_with("rd:short=7:p=0.5", FI_F_SHORT, "sig");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TRACE_ARM_eagain_on_an_EPOLLET_reader_is_re_armed),
        cmocka_unit_test(TRACE_ARM_short_on_an_EPOLLET_reader_is_re_armed),
        cmocka_unit_test(TRACE_ARM_no_signal_is_lost_around_the_re_arm),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

/* test_trace_restart.c: a call a signal interrupts is one call of the
 * program under either backend (faultinject.md, Backends: "the same
 * rules, log, summary ... work through either"): when the handler has
 * SA_RESTART the kernel restarts the read and it is still the program's
 * first read (when= counts it once; a lowered count holds through the
 * restart); without SA_RESTART the read returns EINTR and the program's
 * retry is a second call. fr_trestart (static: glibc and musl, under
 * --backend=trace) must print and log what its dynamic build prints and
 * logs under the shim, and what the clause says, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frtest.h"
#include "logparse.h"

#define DYN  FI_BUILD_DIR "/tests/fi/fr_trestart_dyn"
static const char *const statics[] = { FI_BUILD_DIR "/tests/fi/fr_trestart",
                                       FI_BUILD_DIR "/tests/fi/fr_trestart_musl" };

struct seen {
    char out[65536];
    int lines;
    struct fi_logline l;        /* the one fault line */
};

static int one(const struct fi_logline *l, void *arg)
{
    struct seen *s = arg;
    s->l = *l;
    s->lines++;
    return 0;
}

static void run(struct seen *s, const char *backend, const char *rule, const char *prog,
                const char *mode)
{
    char log[PATH_MAX], err[256];
    static char text[8192];
    fr_path(log, "restart.log");
    FR_RUN(FR_FAULTRUN, backend, "-l", log, "-e", rule, "--", prog, mode);
    if (fr_status != 0)
        fail_msg("%s %s under %s '%s': exit %d\n%s%s", prog, mode, backend, rule, fr_status,
                 fr_out, fr_err);
    snprintf(s->out, sizeof s->out, "%s", fr_out);
    s->lines = 0;
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    if (fi_log_parse(text, n, one, s, err, sizeof err) < 0)
        fail_msg("log: %s", err);
}

/* RULE on MODE: the shim's run prints WANT and logs one fault with
 * result RET; each static build under trace prints and logs the same. */
static void same_under_both(const char *rule, const char *mode, const char *want,
                            long long ret)
{
    struct seen pre, tr;
    run(&pre, "--backend=preload", rule, DYN, mode);
    assert_string_equal(pre.out, want);
    assert_int_equal(pre.lines, 1);
    assert_int_equal(pre.l.ret, ret);
    for (int i = 0; i < 2; i++) {
        run(&tr, "--backend=trace", rule, statics[i], mode);
        if (strcmp(tr.out, want) != 0)
            fail_msg("%s under trace printed:\n%sthe shim's run printed:\n%s", statics[i],
                     tr.out, want);
        assert_int_equal(tr.lines, 1);
        assert_int_equal(tr.l.call, pre.l.call);
        assert_int_equal(tr.l.fault.fault, pre.l.fault.fault);
        assert_int_equal(tr.l.fault.arg, pre.l.fault.arg);
        assert_int_equal(tr.l.n, pre.l.n);
        assert_int_equal(tr.l.asked, pre.l.asked);
        assert_int_equal(tr.l.ret, ret);
    }
}

static void RESTARTED_read_is_one_call_so_when2_is_the_next_read(void **state)
{
    (void)state;
    same_under_both("read:short=1:when=2:fd=sock", "restart",
                    "read 1: ret 4 errno 0 data abcd\n"
                    "read 2: ret 1 errno 0 data e\n"
                    "read 3: ret 3 errno 0 data fgh\n"
                    "signals 1\n", 1);
}

static void RESTARTED_read_keeps_its_lowered_count(void **state)
{
    (void)state;
    same_under_both("read:short=2:when=1:fd=sock", "restart",
                    "read 1: ret 2 errno 0 data ab\n"
                    "read 2: ret 2 errno 0 data cd\n"
                    "read 3: ret 4 errno 0 data efgh\n"
                    "signals 1\n", 2);
}

static void EINTR_then_retry_is_two_calls(void **state)
{
    (void)state;
    same_under_both("read:short=1:when=2:fd=sock", "norestart",
                    "read 1: ret -1 errno 4 data \n"
                    "read 2: ret 1 errno 0 data a\n"
                    "read 3: ret 3 errno 0 data bcd\n"
                    "read 4: ret 4 errno 0 data efgh\n"
                    "signals 1\n", 1);
}

static void EINTR_ends_the_fault_it_carried_logged_as_failed(void **state)
{
    (void)state;
    same_under_both("read:short=2:when=1:fd=sock", "norestart",
                    "read 1: ret -1 errno 4 data \n"
                    "read 2: ret 4 errno 0 data abcd\n"
                    "read 3: ret 4 errno 0 data efgh\n"
                    "signals 1\n", -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(RESTARTED_read_is_one_call_so_when2_is_the_next_read),
        cmocka_unit_test(RESTARTED_read_keeps_its_lowered_count),
        cmocka_unit_test(EINTR_then_retry_is_two_calls),
        cmocka_unit_test(EINTR_ends_the_fault_it_carried_logged_as_failed),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

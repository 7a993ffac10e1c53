/* test_logparse.c: the log parser (logparse.h) and the rule writer
 * (fi_rule_format), alone: what --replay and --sweep are built on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "logparse.h"
#include "rules.h"

static void LOG_line_read_back_field_by_field(void **state)
{
    (void)state;
    static const char line[] = "4242 4243 recv 7 short=100 n=3 rule=2 t=5821.000123456 "
                               "asked=512 ret=100 c=9 proc=0.2.11 later=field";
    struct fi_logline l;
    char err[256];
    assert_int_equal(fi_logline_parse(line, strlen(line), &l, err, sizeof err), 1);
    assert_int_equal(l.pid, 4242);
    assert_int_equal(l.tid, 4243);
    assert_int_equal(l.call, FI_C_RECV);
    assert_int_equal(l.fd, 7);
    assert_int_equal(l.fault.fault, FI_F_SHORT);
    assert_int_equal(l.fault.arg, 100);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.rule, 1);
    assert_int_equal(l.t_sec, 5821);
    assert_int_equal(l.t_nsec, 123456);
    assert_int_equal(l.data, 1);
    assert_int_equal(l.asked, 512);
    assert_int_equal(l.ret, 100);
    assert_int_equal(l.callno, 9);
    assert_string_equal(l.proc, "0.2.11");
    static const char other[] = "1 1 connect 3 error=ECONNREFUSED n=1 rule=16 "
                                "t=0.000000001 c=1 proc=0";
    assert_int_equal(fi_logline_parse(other, strlen(other), &l, err, sizeof err), 1);
    assert_int_equal(l.fault.fault, FI_F_ERROR);
    assert_int_equal(l.fault.arg, ECONNREFUSED);
    assert_int_equal(l.data, 0);
    assert_int_equal(l.rule, 15);
    assert_int_equal(fi_logline_parse("  ", 2, &l, err, sizeof err), 0);
    assert_int_equal(fi_logline_parse("# x", 3, &l, err, sizeof err), 0);
}

static void LOG_whole_log_counts_faults_and_names_bad_lines(void **state)
{
    (void)state;
    static const char text[] =
        "1 1 read 3 eintr n=1 rule=1 t=1.000000000 asked=5 ret=-1 c=1 proc=0\n"
        "\n# kept out\n"
        "1 1 write 4 eagain n=2 rule=1 t=1.000000001 asked=5 ret=-1 c=2 proc=0.1\n";
    char err[256] = "";
    assert_int_equal(fi_log_parse(text, strlen(text), NULL, NULL, err, sizeof err), 2);
    static const char bad[] = "1 1 read 3 eintr n=1 rule=1 t=1.000000000 c=1 proc=0\n"
                              "1 1 read 3 eintr n=1 rule=1 t=1.000000000 c=1 proc=0 ret\n";
    assert_int_equal(fi_log_parse(bad, strlen(bad), NULL, NULL, err, sizeof err), -1);
    assert_string_equal(err, "line 2: field 'ret': want KEY=VALUE");
    static const char nul[] = "1 1 read 3 eintr n=1 rule=1 t=1.000000000 c=1 proc=0\0x";
    assert_int_equal(fi_log_parse(nul, sizeof nul - 1, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 1: "));
}

/* Every rule written back parses to a rule written the same way, with the
 * same meaning (the fields compared one by one). */
static void SWEEP_rule_format_round_trips(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "read:eintr", "rd:short", "wr:short=7:when=3", "rd,wr:eintr:p=0.3",
        "read,recv:short=1:when=2..6+2", "accept:error=ECONNABORTED:when=2..4",
        "wr:reset:after=65536", "read:eof:when=3+", "read:eof:when=3+4",
        "read:eintr:when=5..5+3", "rd:eintr:p=1", "rd:eintr:p=0", "rd:eintr:p=.000000000000000001",
        "read:short=1:fd=any:per=fd", "read:eintr:fd=17", "read:eintr:fd=pipe",
        "rd:reset:peer=127.0.0.1:6379", "wr:short:local=:8080", "recv:stall:peer=[::1]:80",
        "recv:stall:peer=[::ffff:1.2.3.4]", "rd:delay=100:peer=10.0.0.1", "splice:eintr",
        "rd,splice:eintr", "wait:eintr:p=0.25", "poll,epoll_wait:delay=5",
        "sendfile,sendmmsg,recvmmsg:eagain", "close:eintr", "connect:error=EWOULDBLOCK",
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        struct fi_ruleset a, b;
        char err[256], text[512], again[512];
        if (fi_rules_parse(rules[i], &a, err, sizeof err) < 0)
            fail_msg("%s", err);
        size_t n = fi_rule_format(&a.rule[0], text, sizeof text);
        assert_int_equal(n, strlen(text));
        if (fi_rules_parse(text, &b, err, sizeof err) < 0)
            fail_msg("'%s' written as '%s': %s", rules[i], text, err);
        fi_rule_format(&b.rule[0], again, sizeof again);
        assert_string_equal(text, again);
        const struct fi_rule *x = &a.rule[0], *y = &b.rule[0];
        if (x->calls != y->calls || x->fault != y->fault || x->arg != y->arg ||
            x->has_when != y->has_when || x->when_first != y->when_first ||
            x->when_last != y->when_last || x->when_step != y->when_step ||
            x->has_p != y->has_p || x->p_threshold != y->p_threshold ||
            x->p_always != y->p_always || x->has_after != y->has_after ||
            x->after != y->after || x->fdsel != y->fdsel || x->fdnum != y->fdnum ||
            x->per_fd != y->per_fd || memcmp(&x->peer, &y->peer, sizeof x->peer) != 0 ||
            memcmp(&x->local, &y->local, sizeof x->local) != 0)
            fail_msg("'%s' written as '%s' means another rule", rules[i], text);
    }
    /* Truncation as snprintf: the length it needed, a terminated prefix. */
    struct fi_ruleset a;
    char err[64], small[8];
    assert_int_equal(fi_rules_parse("read:short=100:when=1..3", &a, err, sizeof err), 0);
    assert_int_equal(fi_rule_format(&a.rule[0], small, sizeof small),
                     strlen("read:short=100:when=1..3"));
    assert_string_equal(small, "read:sh");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(LOG_line_read_back_field_by_field),
        cmocka_unit_test(LOG_whole_log_counts_faults_and_names_bad_lines),
        cmocka_unit_test(SWEEP_rule_format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_names.c: names.h's tables are whole: every call and every fault has
 * its names, and each is read back as itself by the rule parser, the rule
 * writer (fi_rule_format), the log's fault text (fi_fault_text) and the
 * log parser, and is listed in the help. A call or fault added to an enum
 * without its names, or a name one of them cannot read back, fails here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "logparse.h"
#include "names.h"
#include "rules.h"

static char err[512];

/* A value for fault F as a rule writes it (the bare word when it takes none). */
static void fault_rule_text(enum fi_fault f, char *buf, size_t len)
{
    static const char *const value[] = {
        [FI_V_NONE] = "", [FI_V_BYTES] = "=7", [FI_V_ERRNO] = "=EPIPE", [FI_V_MS] = "=10",
    };
    snprintf(buf, len, "%s%s", fi_fault_word(f), value[fi_fault_value(f)]);
}

static void NAMES_every_call_has_a_name_and_a_family(void **state)
{
    (void)state;
    unsigned rd = 0, wr = 0, wait = 0;
    for (int c = 0; c < FI_C_COUNT; c++) {
        const char *name = fi_call_name((enum fi_call)c);
        if (name == NULL || name[0] == '\0')
            fail_msg("call %d has no name", c);
        enum fi_family fam = fi_call_family((enum fi_call)c);
        if ((unsigned)fam >= FI_FAM_COUNT)
            fail_msg("call %s has no family", name);
        rd |= fam == FI_FAM_READ ? FI_BIT(c) : 0;
        wr |= fam == FI_FAM_WRITE ? FI_BIT(c) : 0;
        wait |= fam == FI_FAM_WAIT ? FI_BIT(c) : 0;
        if (!(fi_calls_named(name, strlen(name)) & FI_BIT(c)))
            fail_msg("call %s is not read back by its name", name);
    }
    assert_int_equal(rd, FI_RD_MASK);
    assert_int_equal(wr, FI_WR_MASK);
    assert_int_equal(wait, FI_WAIT_MASK);
    /* the values stay what they were (a new call goes last) */
    assert_int_equal(FI_C_READ, 0);
    assert_int_equal(FI_C_SPLICE_IN, 6);
    assert_int_equal(FI_C_SPLICE_OUT, 14);
    assert_int_equal(FI_C_CLOSE, 18);
    assert_int_equal(FI_C_EPOLL_WAIT, 21);
}

static void NAMES_every_fault_has_a_word_once(void **state)
{
    (void)state;
    int seen[FI_F_COUNT] = { 0 };
    for (int i = 0; i < FI_F_COUNT; i++) {
        enum fi_fault f = fi_fault_at(i);
        assert_true((unsigned)f < FI_F_COUNT);
        seen[f]++;
    }
    for (int f = 0; f < FI_F_COUNT; f++) {
        if (seen[f] != 1)
            fail_msg("fault %d listed %d times", f, seen[f]);
        const char *w = fi_fault_word((enum fi_fault)f);
        if (w == NULL || w[0] == '\0')
            fail_msg("fault %d has no word", f);
        assert_int_equal(fi_fault_from_word(w, strlen(w)), f);
        if (fi_fault_help((enum fi_fault)f) == NULL || fi_fault_help((enum fi_fault)f)[0] == 0)
            fail_msg("fault %s has no help", w);
        if (fi_fault_calls((enum fi_fault)f) == 0)
            fail_msg("fault %s fits no call", w);
    }
    assert_int_equal(FI_F_SHORT, 0);
    assert_int_equal(FI_F_ERROR, 5);
    assert_int_equal(FI_F_DELAY, 6);
    assert_int_equal(FI_F_STALL, 7);
}

/* Every fault on every call: parsed where it fits (refused elsewhere),
 * written back and parsed again to the same rule, logged and read back. */
static void NAMES_parse_format_log_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c < FI_C_COUNT; c++) {
        for (int f = 0; f < FI_F_COUNT; f++) {
            char fault[64], rule[128], back[256], line[256];
            struct fi_ruleset rs, again;
            fault_rule_text((enum fi_fault)f, fault, sizeof fault);
            snprintf(rule, sizeof rule, "%s:%s", fi_call_name((enum fi_call)c), fault);
            int fits = (fi_fault_calls((enum fi_fault)f) & FI_BIT(c)) != 0;
            int got = fi_rules_parse(rule, &rs, err, sizeof err);
            if (!fits) {
                if (got == 0)
                    fail_msg("'%s' parsed, but %s does not fit it", rule, fault);
                continue;
            }
            if (got < 0)
                fail_msg("'%s': %s", rule, err);
            assert_int_equal(rs.rule[0].fault, f);
            assert_true(rs.rule[0].calls & FI_BIT(c));
            fi_rule_format(&rs.rule[0], back, sizeof back);
            if (fi_rules_parse(back, &again, err, sizeof err) < 0)
                fail_msg("'%s' written back as '%s': %s", rule, back, err);
            assert_memory_equal(&again.rule[0], &rs.rule[0], sizeof rs.rule[0]);

            char text[FI_LOG_FAULT_MAX];
            assert_true(fi_fault_text(&rs.rule[0], text) > 0);
            if (strncmp(text, fi_fault_word((enum fi_fault)f),
                        strlen(fi_fault_word((enum fi_fault)f))) != 0)
                fail_msg("%s logged as '%s'", fault, text);
            snprintf(line, sizeof line, "1 1 %s 3 %s n=1 rule=1 t=1.000000001 c=1 proc=0",
                     fi_call_name((enum fi_call)c), text);
            struct fi_logline l;
            if (fi_logline_parse(line, strlen(line), &l, err, sizeof err) != 1)
                fail_msg("'%s': %s", line, err);
            assert_int_equal(l.fault.fault, f);
            assert_int_equal(l.fault.arg, rs.rule[0].arg);
            /* the log names a call by its name: the first call of it */
            const char *name = fi_call_name((enum fi_call)c);
            assert_int_equal(l.call, __builtin_ctz(fi_calls_named(name, strlen(name))));
            assert_string_equal(fi_call_name(l.call), name);
        }
    }
}

/* The messages and the help list every name the parser takes. */
static void NAMES_listed_in_messages_and_help(void **state)
{
    (void)state;
    char help[8192], word[64];
    struct fi_ruleset rs;
    assert_true(fi_rules_help_text(help, sizeof help) < sizeof help);
    assert_int_equal(fi_rules_parse("nosuchcall:eintr", &rs, err, sizeof err), -1);
    char calls_err[sizeof err];
    memcpy(calls_err, err, sizeof err);
    assert_int_equal(fi_rules_parse("read:nosuchfault", &rs, err, sizeof err), -1);
    for (int c = 0; c < FI_C_COUNT; c++) {
        snprintf(word, sizeof word, " %s ", fi_call_name((enum fi_call)c));
        if (strstr(calls_err, word) == NULL)
            fail_msg("'unknown call' lacks%s: %s", word, calls_err);
        snprintf(word, sizeof word, " %s", fi_call_name((enum fi_call)c));
        if (strstr(help, word) == NULL)
            fail_msg("help lacks call '%s'", word + 1);
    }
    const char *g;
    for (int i = 0; (g = fi_group_word(i, NULL, NULL)) != NULL; i++) {
        snprintf(word, sizeof word, "  %s  ", g);
        if (strstr(help, word) == NULL)
            fail_msg("help lacks group '%s'", g);
    }
    for (int f = 0; f < FI_F_COUNT; f++) {
        snprintf(word, sizeof word, "%s%s", fi_fault_word((enum fi_fault)f),
                 fi_value_spelling(fi_fault_value((enum fi_fault)f)));
        if (strstr(err, word) == NULL)
            fail_msg("'unknown fault' lacks %s: %s", word, err);
        char line[80];
        snprintf(line, sizeof line, "\n  %s ", word);
        if (strstr(help, line) == NULL)
            fail_msg("help lacks fault '%s'", word);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(NAMES_every_call_has_a_name_and_a_family),
        cmocka_unit_test(NAMES_every_fault_has_a_word_once),
        cmocka_unit_test(NAMES_parse_format_log_round_trip),
        cmocka_unit_test(NAMES_listed_in_messages_and_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_rules.c: the rule language of faultinject.md ("Rules"), parsed by
 * faultinject/common/rules.c alone (no shim). Test names start with the spec
 * section: CALLS_, FAULT_, OPT_ (OPTION), LOUD_ (loud on bad input). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <errno.h>

#include "rules.h"

#include <arpa/inet.h>
#include <sys/socket.h>

static struct fi_ruleset rs;
static char err[512];

static void parse_ok(const char *text)
{
    int r = fi_rules_parse(text, &rs, err, sizeof err);
    if (r != 0)
        fail_msg("'%s' refused: %s", text ? text : "(null)", err);
}

/* A bad rule: -1, and the message names the rule and contains WHAT. */
static void parse_bad(const char *text, const char *rule, const char *what)
{
    int r = fi_rules_parse(text, &rs, err, sizeof err);
    if (r != -1)
        fail_msg("'%s' accepted", text);
    char named[256];
    snprintf(named, sizeof named, "rule '%s'", rule);
    if (strstr(err, named) == NULL || strstr(err, what) == NULL)
        fail_msg("'%s': message '%s' lacks \"%s\" or \"%s\"", text, err, named, what);
}

static void CALLS_every_name_and_rd_wr(void **state)
{
    (void)state;
    static const char *const names[FI_C_COUNT] = { "read", "readv", "recv", "recvfrom",
        "recvmsg", "recvmmsg", "splice", "write", "writev", "send", "sendto", "sendmsg",
        "sendmmsg", "sendfile", "splice", "accept", "accept4", "connect", "close",
        "poll", "select", "epoll_wait" };
    const unsigned splice = (1u << FI_C_SPLICE_IN) | (1u << FI_C_SPLICE_OUT);
    for (int i = 0; i < FI_C_COUNT; i++) {
        char text[64];
        snprintf(text, sizeof text, "%s:eintr", names[i]);
        parse_ok(text);
        assert_int_equal(rs.n, 1);
        /* splice is one name for both of its families */
        assert_int_equal(rs.rule[0].calls, (splice >> i) & 1u ? splice : 1u << i);
        assert_string_equal(fi_call_name((enum fi_call)i), names[i]);
    }
    parse_ok("wait:eintr");
    assert_int_equal(rs.rule[0].calls, FI_WAIT_MASK);
    parse_ok("rd:eintr");
    assert_int_equal(rs.rule[0].calls, FI_RD_MASK);
    assert_true(rs.rule[0].calls & (1u << FI_C_RECVMSG));
    assert_false(rs.rule[0].calls & (1u << FI_C_WRITE));
    parse_ok("wr:eintr");
    assert_int_equal(rs.rule[0].calls, FI_WR_MASK);
    assert_true(rs.rule[0].calls & (1u << FI_C_SENDMSG));
    assert_false(rs.rule[0].calls & (1u << FI_C_ACCEPT));
    parse_ok("read,recv,accept4:eintr");
    assert_int_equal(rs.rule[0].calls,
                     (1u << FI_C_READ) | (1u << FI_C_RECV) | (1u << FI_C_ACCEPT4));
}

static void CALLS_separators_and_spaces(void **state)
{
    (void)state;
    parse_ok("read:short=1;rd:eintr:p=0.3 ; accept:error=ECONNABORTED:when=2..4\t;  "
             "wr:reset:after=65536  ");
    assert_int_equal(rs.n, 4);
    assert_int_equal(rs.rule[0].fault, FI_F_SHORT);
    assert_int_equal(rs.rule[1].fault, FI_F_EINTR);
    assert_int_equal(rs.rule[2].fault, FI_F_ERROR);
    assert_int_equal(rs.rule[3].fault, FI_F_RESET);
    parse_ok("");
    assert_int_equal(rs.n, 0);
    parse_ok("   ");
    assert_int_equal(rs.n, 0);
    parse_ok(NULL);
    assert_int_equal(rs.n, 0);
}

static void FAULT_every_word(void **state)
{
    (void)state;
    parse_ok("read:short");
    assert_int_equal(rs.rule[0].fault, FI_F_SHORT);
    assert_int_equal(rs.rule[0].arg, 1);
    parse_ok("read:short=4096");
    assert_int_equal(rs.rule[0].arg, 4096);
    parse_ok("read:short=2147483647");
    assert_int_equal(rs.rule[0].arg, 2147483647L);
    parse_ok("read:eintr");
    assert_int_equal(rs.rule[0].fault, FI_F_EINTR);
    parse_ok("read:eagain");
    assert_int_equal(rs.rule[0].fault, FI_F_EAGAIN);
    parse_ok("read:reset");
    assert_int_equal(rs.rule[0].fault, FI_F_RESET);
    parse_ok("write:eof");
    assert_int_equal(rs.rule[0].fault, FI_F_EOF);
    parse_ok("connect:delay=250");
    assert_int_equal(rs.rule[0].fault, FI_F_DELAY);
    assert_int_equal(rs.rule[0].arg, 250);
    parse_ok("close:delay=0");
    assert_int_equal(rs.rule[0].arg, 0);
}

static void FAULT_error_takes_any_errno_name(void **state)
{
    (void)state;
    static const struct { const char *name; int e; } names[] = {
        { "EPERM", EPERM }, { "ECONNABORTED", ECONNABORTED }, { "ECONNRESET", ECONNRESET },
        { "EWOULDBLOCK", EWOULDBLOCK }, { "ENOTSUP", ENOTSUP }, { "EHWPOISON", EHWPOISON },
        { "EDEADLOCK", EDEADLOCK }, { "EMFILE", EMFILE }, { "ETIMEDOUT", ETIMEDOUT },
        { "EPIPE", EPIPE }, { "ENOBUFS", ENOBUFS }, { "EIO", EIO },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "accept:error=%s", names[i].name);
        parse_ok(text);
        assert_int_equal(rs.rule[0].fault, FI_F_ERROR);
        assert_int_equal(rs.rule[0].arg, names[i].e);
    }
}

static void OPT_when_strace_syntax(void **state)
{
    (void)state;
    parse_ok("read:eintr:when=3");
    assert_true(rs.rule[0].has_when);
    assert_false(fi_when_matches(&rs.rule[0], 2));
    assert_true(fi_when_matches(&rs.rule[0], 3));
    assert_false(fi_when_matches(&rs.rule[0], 4));
    parse_ok("read:eintr:when=3+");
    assert_false(fi_when_matches(&rs.rule[0], 2));
    assert_true(fi_when_matches(&rs.rule[0], 3));
    assert_true(fi_when_matches(&rs.rule[0], 4));
    assert_true(fi_when_matches(&rs.rule[0], 1000000));
    parse_ok("read:eintr:when=2+3");
    assert_true(fi_when_matches(&rs.rule[0], 2));
    assert_false(fi_when_matches(&rs.rule[0], 3));
    assert_true(fi_when_matches(&rs.rule[0], 5));
    assert_true(fi_when_matches(&rs.rule[0], 8));
    assert_false(fi_when_matches(&rs.rule[0], 9));
    parse_ok("read:eintr:when=2..6+2");
    int fired[9] = { 0 };
    for (int k = 1; k <= 8; k++)
        fired[k] = fi_when_matches(&rs.rule[0], (uint64_t)k);
    int want[9] = { 0, 0, 1, 0, 1, 0, 1, 0, 0 };
    assert_memory_equal(fired, want, sizeof want);
    parse_ok("read:eintr:when=2..4");
    assert_false(fi_when_matches(&rs.rule[0], 1));
    assert_true(fi_when_matches(&rs.rule[0], 2));
    assert_true(fi_when_matches(&rs.rule[0], 3));
    assert_true(fi_when_matches(&rs.rule[0], 4));
    assert_false(fi_when_matches(&rs.rule[0], 5));
    parse_ok("read:eintr:when=2..4+");
    assert_true(fi_when_matches(&rs.rule[0], 3));
    assert_false(fi_when_matches(&rs.rule[0], 5));
    parse_ok("read:eintr");
    assert_false(rs.rule[0].has_when);
    assert_true(fi_when_matches(&rs.rule[0], 1));
    assert_true(fi_when_matches(&rs.rule[0], 77));
}

static void OPT_p_after_fd_per(void **state)
{
    (void)state;
    parse_ok("rd:eintr:p=0.3");
    assert_true(rs.rule[0].has_p);
    assert_false(rs.rule[0].p_always);
    /* 0.3 * 2^64 */
    assert_true(rs.rule[0].p_threshold > 5534023222112865484ULL - 1000);
    assert_true(rs.rule[0].p_threshold < 5534023222112865484ULL + 1000);
    parse_ok("rd:eintr:p=1");
    assert_true(rs.rule[0].p_always);
    parse_ok("rd:eintr:p=1.000");
    assert_true(rs.rule[0].p_always);
    parse_ok("rd:eintr:p=0");
    assert_int_equal(rs.rule[0].p_threshold, 0);
    parse_ok("rd:eintr:p=.5");
    assert_int_equal(rs.rule[0].p_threshold, 1ULL << 63);
    parse_ok("rd:eintr:p=0.000000000000000001");
    assert_true(rs.rule[0].p_threshold > 0);
    parse_ok("wr:reset:after=65536");
    assert_true(rs.rule[0].has_after);
    assert_int_equal(rs.rule[0].after, 65536);
    parse_ok("read:eintr");
    assert_int_equal(rs.rule[0].fdsel, FI_FD_SOCK);
    assert_false(rs.rule[0].per_fd);
    parse_ok("read:eintr:fd=pipe");
    assert_int_equal(rs.rule[0].fdsel, FI_FD_PIPE);
    parse_ok("read:eintr:fd=any");
    assert_int_equal(rs.rule[0].fdsel, FI_FD_ANY);
    parse_ok("read:eintr:fd=17");
    assert_int_equal(rs.rule[0].fdsel, FI_FD_NUM);
    assert_int_equal(rs.rule[0].fdnum, 17);
    parse_ok("read:eintr:fd=sock:per=fd:when=2:p=0.5:after=3");
    assert_true(rs.rule[0].per_fd);
    assert_int_equal(rs.rule[0].when_first, 2);
}

static void LOUD_bad_calls_and_faults(void **state)
{
    (void)state;
    parse_bad("reed:eintr", "reed:eintr", "unknown call 'reed'");
    parse_bad("read,,write:eintr", "read,,write:eintr", "empty call name");
    parse_bad("read", "read", "missing ':FAULT'");
    parse_bad("read:", "read:", "missing fault");
    parse_bad("read:shrt", "read:shrt", "unknown fault 'shrt'");
    parse_bad("read:eintr=2", "read:eintr=2", "takes no value");
    parse_bad("read:short=0", "read:short=0", "short=0");
    parse_bad("read:short=-1", "read:short=-1", "short=-1");
    parse_bad("read:short=2147483648", "read:short=2147483648", "from 1 to");
    parse_bad("read:short=3x", "read:short=3x", "short=3x");
    parse_bad("read:error", "read:error", "error needs a name");
    parse_bad("read:error=EFOO", "read:error=EFOO", "not an errno.h name");
    parse_bad("read:error=econnreset", "read:error=econnreset", "not an errno.h name");
    parse_bad("read:delay", "read:delay", "delay needs");
    parse_bad("read:delay=3600001", "read:delay=3600001", "0 to 3600000");
    parse_bad("read:delay=1s", "read:delay=1s", "delay=1s");
    parse_bad("Read:eintr", "Read:eintr", "unknown call");
}

static void LOUD_fault_must_fit_the_call(void **state)
{
    (void)state;
    parse_bad("accept:eof", "accept:eof", "'eof' does not apply to accept");
    parse_bad("rd,accept4:reset", "rd,accept4:reset", "'reset' does not apply to accept4");
    parse_bad("connect:short=2", "connect:short=2", "'short' does not apply to connect");
    parse_bad("close:short", "close:short", "'short' does not apply to close");
    parse_bad("close:reset", "close:reset", "does not apply to close");
    parse_ok("accept,accept4,connect,close:eintr");
    parse_ok("accept,connect:error=EMFILE");
    parse_ok("close:delay=1");
}

static void LOUD_bad_options(void **state)
{
    (void)state;
    parse_bad("read:eintr:when=0", "read:eintr:when=0", "FIRST must be");
    parse_bad("read:eintr:when=x", "read:eintr:when=x", "when=x");
    parse_bad("read:eintr:when=", "read:eintr:when=", "needs a value");
    parse_bad("read:eintr:when", "read:eintr:when", "needs a value");
    parse_bad("read:eintr:when=5..3", "read:eintr:when=5..3", "LAST is before FIRST");
    parse_bad("read:eintr:when=2..x", "read:eintr:when=2..x", "LAST must be");
    parse_bad("read:eintr:when=2+0", "read:eintr:when=2+0", "STEP must be");
    parse_bad("read:eintr:when=2+x", "read:eintr:when=2+x", "STEP must be");
    parse_bad("read:eintr:when=-1", "read:eintr:when=-1", "FIRST must be");
    parse_bad("read:eintr:when=99999999999999999999", "read:eintr:when=99999999999999999999",
              "FIRST must be");
    parse_bad("read:eintr:p=1.5", "read:eintr:p=1.5", "probability");
    parse_bad("read:eintr:p=2", "read:eintr:p=2", "probability");
    parse_bad("read:eintr:p=abc", "read:eintr:p=abc", "probability");
    parse_bad("read:eintr:p=.", "read:eintr:p=.", "probability");
    parse_bad("read:eintr:p=0.3x", "read:eintr:p=0.3x", "probability");
    parse_bad("read:eintr:p=-0.1", "read:eintr:p=-0.1", "probability");
    parse_bad("read:eintr:p=1e-3", "read:eintr:p=1e-3", "probability");
    parse_bad("read:eintr:p=0.1234567890123456789", "read:eintr:p=0.1234567890123456789",
              "probability");
    parse_bad("read:eintr:after=-5", "read:eintr:after=-5", "after=-5");
    parse_bad("read:eintr:after=1k", "read:eintr:after=1k", "after=1k");
    parse_bad("read:eintr:fd=file", "read:eintr:fd=file", "fd=file");
    parse_bad("read:eintr:fd=-1", "read:eintr:fd=-1", "fd=-1");
    parse_bad("read:eintr:per=process", "read:eintr:per=process", "only per=fd");
    parse_bad("read:eintr:often=1", "read:eintr:often=1", "unknown option 'often'");
    parse_bad("read:eintr:", "read:eintr:", "empty option");
    parse_bad("read:eintr:when=1:when=2", "read:eintr:when=1:when=2", "'when' given twice");
    parse_bad("read:eintr:p=0.1:p=0.2", "read:eintr:p=0.1:p=0.2", "'p' given twice");
}

static void LOUD_names_the_bad_rule_among_many(void **state)
{
    (void)state;
    parse_bad("read:eintr; write:bogus ;recv:eagain", "write:bogus", "unknown fault 'bogus'");
    parse_bad("read:eintr;;write:eintr", ";write:eintr", "empty rule");
    parse_bad("read:eintr;", "", "empty rule");
    char many[1024] = "";
    for (int i = 0; i <= FI_MAX_RULES; i++)
        strcat(many, i ? ";rd:eintr" : "rd:eintr");
    parse_bad(many, "rd:eintr", "too many rules");
    char longrule[600] = "read";
    while (strlen(longrule) < 500)
        strcat(longrule, ",read");
    strcat(longrule, ":nope");
    assert_int_equal(fi_rules_parse(longrule, &rs, err, sizeof err), -1);
    assert_non_null(strstr(err, "...': unknown fault 'nope'"));
    /* A short buffer still gets a terminated, truncated message. */
    char tiny[8];
    assert_int_equal(fi_rules_parse("read:nope", &rs, tiny, sizeof tiny), -1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_int_equal(fi_rules_parse("read:nope", &rs, tiny, 0), -1);
}

static void LOUD_numbers_for_the_command_line(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(fi_seed_parse("0", &v, err, sizeof err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(fi_seed_parse("18446744073709551615", &v, err, sizeof err), 0);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(fi_seed_parse("18446744073709551616", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "seed '18446744073709551616'"));
    assert_int_equal(fi_seed_parse("-1", &v, err, sizeof err), -1);
    assert_int_equal(fi_seed_parse("", &v, err, sizeof err), -1);
    assert_int_equal(fi_seed_parse("12a", &v, err, sizeof err), -1);
    assert_int_equal(fi_number_parse("--sweep-max", "0", 1, 10, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "--sweep-max '0'"));
    assert_int_equal(fi_number_parse("--sweep-max", "11", 1, 10, &v, err, sizeof err), -1);
    assert_int_equal(fi_number_parse("--sweep-max", "10", 1, 10, &v, err, sizeof err), 0);
    assert_int_equal(v, 10);
}

static void HELP_lists_every_rule_word(void **state)
{
    (void)state;
    static const char *const words[] = { "read", "readv", "recv", "recvfrom", "recvmsg",
        "write", "writev", "send", "sendto", "sendmsg", "accept", "accept4", "connect",
        "close", "rd", "wr", "short", "eintr", "eagain", "reset", "eof", "error=", "delay=",
        "when=", "p=", "after=", "fd=", "per=fd", "e.g." };
    char help[8192];
    assert_true(fi_rules_help_text(help, sizeof help) < sizeof help);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(help, words[i]) == NULL)
            fail_msg("help lacks '%s'", words[i]);
}

/* peer=/local= take [ADDR][:PORT]; the colons are theirs, not the rule's. */
static void OPT_peer_local_address_and_port(void **state)
{
    (void)state;
    unsigned char v4[4], v6[16];
    parse_ok("rd:reset:peer=127.0.0.1:6379");
    inet_pton(AF_INET, "127.0.0.1", v4);
    assert_true(rs.rule[0].peer.on);
    assert_int_equal(rs.rule[0].peer.family, AF_INET);
    assert_memory_equal(rs.rule[0].peer.addr, v4, 4);
    assert_int_equal(rs.rule[0].peer.port, 6379);
    assert_false(rs.rule[0].local.on);
    parse_ok("wr:short:local=:8080:when=2");
    assert_int_equal(rs.rule[0].local.family, 0);
    assert_int_equal(rs.rule[0].local.port, 8080);
    assert_int_equal(rs.rule[0].when_first, 2);
    parse_ok("recv:eintr:peer=[::1]:80:local=10.0.0.1");
    inet_pton(AF_INET6, "::1", v6);
    assert_int_equal(rs.rule[0].peer.family, AF_INET6);
    assert_memory_equal(rs.rule[0].peer.addr, v6, 16);
    assert_int_equal(rs.rule[0].peer.port, 80);
    assert_int_equal(rs.rule[0].local.family, AF_INET);
    assert_int_equal(rs.rule[0].local.port, -1);
    parse_ok("read:eof:peer=[::1]");
    assert_int_equal(rs.rule[0].peer.port, -1);
    /* matching: an IPv4 rule also matches a dual-stack socket's mapped form */
    unsigned char mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 };
    parse_ok("rd:reset:peer=127.0.0.1:6379");
    assert_true(fi_addrsel_matches(&rs.rule[0].peer, AF_INET, v4, 6379));
    assert_true(fi_addrsel_matches(&rs.rule[0].peer, AF_INET6, mapped, 6379));
    assert_false(fi_addrsel_matches(&rs.rule[0].peer, AF_INET, v4, 6380));
    assert_false(fi_addrsel_matches(&rs.rule[0].peer, AF_INET6, v6, 6379));
    assert_false(fi_addrsel_matches(&rs.rule[0].peer, AF_UNIX, v4, 6379));
    parse_bad("rd:reset:peer=", "rd:reset:peer=", "needs a value");
    parse_bad("rd:reset:peer=:", "rd:reset:peer=:", "peer=:");
    parse_bad("rd:reset:peer=localhost", "rd:reset:peer=localhost", "want [ADDR][:PORT]");
    parse_bad("rd:reset:peer=1.2.3.4:65536", "rd:reset:peer=1.2.3.4:65536", "PORT 1..65535");
    /* port 0 is no socket's end: such a rule could never match */
    parse_bad("rd:reset:peer=:0", "rd:reset:peer=:0", "port 0 is no socket's end");
    parse_bad("rd:reset:peer=127.0.0.1:0", "rd:reset:peer=127.0.0.1:0", "port 0");
    parse_bad("wr:short:local=:0", "wr:short:local=:0", "local=:0: port 0");
    parse_bad("wr:short:local=[::1]:0", "wr:short:local=[::1]:0", "port 0");
    parse_bad("rd:reset:local=[::1", "rd:reset:local=[::1", "local=[::1");
    parse_bad("rd:reset:local=::1", "rd:reset:local=::1", "local=::1");
    parse_bad("rd:reset:peer=1.2.3.4:1:peer=:2", "rd:reset:peer=1.2.3.4:1:peer=:2",
              "'peer' given twice");
}

/* stall is a data-call fault; a readiness wait takes eintr, error=, delay= only. */
static void FAULT_stall_and_wait_rules(void **state)
{
    (void)state;
    parse_ok("recv:stall:when=3");
    assert_int_equal(rs.rule[0].fault, FI_F_STALL);
    parse_ok("wait:eintr:p=0.3");
    parse_ok("epoll_wait:error=EBADF");
    parse_ok("poll,select:delay=5:when=2+");
    parse_ok("rd,wait:eintr:p=0.1");
    parse_bad("accept:stall", "accept:stall", "'stall' does not apply to accept");
    parse_bad("poll:short", "poll:short", "'short' does not apply to poll");
    parse_bad("wait:eagain", "wait:eagain", "'eagain' does not apply to poll");
    parse_bad("epoll_wait:reset", "epoll_wait:reset", "does not apply to epoll_wait");
    parse_bad("select:eintr:fd=3", "select:eintr:fd=3", "'fd=' does not apply to select");
    parse_bad("wait:eintr:per=fd", "wait:eintr:per=fd", "'per=' does not apply");
    parse_bad("poll:eintr:after=10", "poll:eintr:after=10", "'after=' does not apply");
    parse_bad("poll:eintr:peer=:80", "poll:eintr:peer=:80", "'peer=' does not apply");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(CALLS_every_name_and_rd_wr),
        cmocka_unit_test(CALLS_separators_and_spaces),
        cmocka_unit_test(FAULT_every_word),
        cmocka_unit_test(FAULT_error_takes_any_errno_name),
        cmocka_unit_test(OPT_when_strace_syntax),
        cmocka_unit_test(OPT_p_after_fd_per),
        cmocka_unit_test(LOUD_bad_calls_and_faults),
        cmocka_unit_test(LOUD_fault_must_fit_the_call),
        cmocka_unit_test(LOUD_bad_options),
        cmocka_unit_test(OPT_peer_local_address_and_port),
        cmocka_unit_test(FAULT_stall_and_wait_rules),
        cmocka_unit_test(LOUD_names_the_bad_rule_among_many),
        cmocka_unit_test(LOUD_numbers_for_the_command_line),
        cmocka_unit_test(HELP_lists_every_rule_word),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

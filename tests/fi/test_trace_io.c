/* test_trace_io.c: the trace backend's data path (faultinject.md, FAULT
 * and Backends: "short lowers the call's size argument"; the write-side
 * rule; eagain after a wait or MSG_PEEK), on fr_tio built -static by gcc
 * (glibc) and by musl-gcc, as users run faultrun. fr_tio makes every call
 * as a raw syscall that checks its argument registers, iovec array and
 * msghdr are as it passed them (exit 4 otherwise); every test checks
 * each byte (fr_tio's "ok N bytes"), the program's view of each call,
 * the summary and the log read back with the common parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frtest.h"
#include "logparse.h"
#include "names.h"

static const char *const progs[] = { FI_BUILD_DIR "/tests/fi/fr_tio",
                                     FI_BUILD_DIR "/tests/fi/fr_tio_musl" };
#define NPROGS 2
static const char *const reads[] = { "read", "readv", "recv", "recvfrom", "recvmsg" };
static const char *const writes[] = { "write", "writev", "send", "sendto", "sendmsg" };

#define MAX_LINES 32
struct logbook {
    struct fi_logline line[MAX_LINES];
    int n;
};

static int collect(const struct fi_logline *l, void *arg)
{
    struct logbook *b = arg;
    if (b->n < MAX_LINES)
        b->line[b->n++] = *l;
    return 0;
}

/* Runs faultrun -l LOG -e RULE -- PROG ARGS... and reads LOG back. */
static void run(struct logbook *b, const char *rule, const char *prog, const char *a1,
                const char *a2, const char *a3, const char *a4)
{
    char log[PATH_MAX], err[256];
    static char text[65536];
    fr_path(log, "io.log");
    fr_run_env(NULL, FR_FAULTRUN, "-l", log, "-e", rule, "--", prog, a1, a2, a3, a4,
               (char *)NULL);
    if (strstr(fr_out, "CHANGED") != NULL)
        fail_msg("%s under '%s': %s", prog, rule, fr_out);
    b->n = 0;
    FILE *f = fopen(log, "r");
    if (f == NULL)
        return;                         /* nothing injected: no log written */
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    if (fi_log_parse(text, len, collect, b, err, sizeof err) < 0)
        fail_msg("log does not parse: %s: %s", err, text);
}

static void expect_out(const char *fmt, ...)
{
    char want[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof want, fmt, ap);
    va_end(ap);
    if (strstr(fr_out, want) == NULL)
        fail_msg("output lacks '%s': %s", want, fr_out);
}

static enum fi_call call_of(const char *name)
{
    for (int c = 0; c < FI_C_COUNT; c++)
        if (strcmp(fi_call_name((enum fi_call)c), name) == 0)
            return (enum fi_call)c;
    fail_msg("no call '%s'", name);
    return FI_C_COUNT;
}

/* Line I of B: CALL's FAULT (ARG), the program asked ASKED and got RET, c=CALLNO. */
static void expect_line(const struct logbook *b, int i, const char *call, enum fi_fault fault,
                        long long arg, long long asked, long long ret, uint64_t callno)
{
    if (i >= b->n)
        fail_msg("log has %d lines, want line %d (%s)", b->n, i + 1, call);
    const struct fi_logline *l = &b->line[i];
    if (l->call != call_of(call) || l->fault.fault != fault || l->fault.arg != arg ||
        !l->data || l->asked != asked || l->ret != ret || l->callno != callno)
        fail_msg("log line %d is '%.*s'; want %s %s arg %lld asked=%lld ret=%lld c=%llu", i + 1,
                 (int)l->textlen, l->text, call, fi_fault_word(fault), arg, asked, ret,
                 (unsigned long long)callno);
}

/* short=5 on each read-like call: 64 bytes arrive 5 at a time (the last
 * read 4), the rest stays queued, and nothing the program passed changed. */
static void TRACE_IO_short_on_every_read_call_moves_at_most_N(void **state)
{
    (void)state;
    struct logbook b;
    char rule[64];
    for (int p = 0; p < NPROGS; p++)
        for (size_t c = 0; c < sizeof reads / sizeof *reads; c++) {
            snprintf(rule, sizeof rule, "%s:short=5", reads[c]);
            run(&b, rule, progs[p], "rd", reads[c], NULL, NULL);
            fr_expect_exit(0);
            expect_out("ok 64 bytes\n");
            expect_out("%s 1 -> 5\n%s 2 -> 5\n", reads[c], reads[c]);
            expect_out("%s 13 -> 4\nok", reads[c]);
            fr_expect_err("13 calls matched, 13 faults injected, 0 could not fire");
            assert_int_equal(b.n, 13);
            for (int i = 0; i < 13; i++)
                expect_line(&b, i, reads[c], FI_F_SHORT, 5, 64 - 5 * i, i < 12 ? 5 : 4,
                            (uint64_t)i + 1);
        }
}

/* short=100 on each write-like call: a unix stream send queue surely takes
 * 4480 bytes (roomrule.h's floor) when empty, so each cut write moves
 * exactly that, never 100; the last 2080 fit whole (could not fire). */
static void TRACE_IO_short_on_every_write_call_moves_the_room_never_less(void **state)
{
    (void)state;
    struct logbook b;
    char rule[64];
    for (int p = 0; p < NPROGS; p++)
        for (size_t c = 0; c < sizeof writes / sizeof *writes; c++) {
            snprintf(rule, sizeof rule, "%s:short=100", writes[c]);
            run(&b, rule, progs[p], "wr", writes[c], "20000", NULL);
            fr_expect_exit(0);
            expect_out("ok 20000 bytes\n");
            for (int i = 1; i <= 4; i++)
                expect_out("%s %d -> 4480\n", writes[c], i);
            expect_out("%s 5 -> 2080\n", writes[c]);
            fr_expect_err("5 calls matched, 4 faults injected, 1 could not fire "
                          "(1: send queue had room)");
            assert_int_equal(b.n, 4);
            for (int i = 0; i < 4; i++)
                expect_line(&b, i, writes[c], FI_F_SHORT, 100, 20000 - 4480 * i, 4480,
                            (uint64_t)i + 1);
        }
}

/* eintr (a handler without SA_RESTART), error= and eagain (non-blocking)
 * on each data call: the call is not made, the program sees the errno
 * once, then every byte. */
static void TRACE_IO_eintr_error_eagain_on_every_data_call(void **state)
{
    (void)state;
    struct logbook b;
    char rule[64];
    for (int p = 0; p < NPROGS; p++)
        for (size_t c = 0; c < 10; c++) {
            int rd = c < 5;
            const char *call = rd ? reads[c] : writes[c - 5];
            const char *what = rd ? "rd" : "wr", *size = rd ? "sig" : "64";
            const char *sig = rd ? NULL : "sig";
            snprintf(rule, sizeof rule, "%s:eintr:when=1", call);
            run(&b, rule, progs[p], what, call, size, sig);
            fr_expect_exit(0);
            expect_out("%s 1 -> EINTR\n%s 2 -> 64\nok 64 bytes\n", call, call);
            assert_int_equal(b.n, 1);
            expect_line(&b, 0, call, FI_F_EINTR, 0, 64, -1, 1);

            snprintf(rule, sizeof rule, "%s:error=ECONNABORTED:when=1", call);
            run(&b, rule, progs[p], what, call, rd ? "" : "64", NULL);
            fr_expect_exit(0);
            expect_out("%s 1 -> ECONNABORTED\n%s 2 -> 64\nok 64 bytes\n", call, call);
            assert_int_equal(b.n, 1);
            expect_line(&b, 0, call, FI_F_ERROR, ECONNABORTED, 64, -1, 1);

            /* a write's eagain needs a send queue past its room: full */
            snprintf(rule, sizeof rule, "%s:eagain:when=%d", call, rd ? 1 : 2);
            if (rd)
                run(&b, rule, progs[p], "rd", call, "nb", NULL);
            else
                run(&b, rule, progs[p], "full", call, NULL, NULL);
            fr_expect_exit(0);
            if (rd)
                expect_out("%s 1 -> EAGAIN\n%s 2 -> 64\nok 64 bytes\n", call, call);
            else
                expect_out("%s 1 -> 8000\n%s 2 -> EAGAIN\n%s 3 -> 16\n", call, call, call);
            assert_int_equal(b.n, 1);
            expect_line(&b, 0, call, FI_F_EAGAIN, 0, rd ? 64 : 16, -1, rd ? 1 : 2);
        }
}

/* The write side's rule: eagain only on a non-blocking descriptor whose
 * send queue is past the room the kernel surely has; short never where
 * the whole write fits that room. */
static void TRACE_IO_write_eagain_only_when_the_send_queue_is_full(void **state)
{
    (void)state;
    struct logbook b;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:eagain", progs[p], "wr", "write", "16", "nb");
        fr_expect_exit(0);
        expect_out("write 1 -> 16\nok 16 bytes\n");
        fr_expect_err("1 calls matched, 0 faults injected, 1 could not fire "
                      "(1: send queue had room)");
        assert_int_equal(b.n, 0);
        run(&b, "write:eagain", progs[p], "wr", "write", "16", NULL);
        fr_expect_exit(0);
        expect_out("write 1 -> 16\nok 16 bytes\n");
        fr_expect_err("1 could not fire (1: blocking descriptor)");
        run(&b, "write:short=1", progs[p], "wr", "write", "16", NULL);
        fr_expect_exit(0);
        expect_out("write 1 -> 16\nok 16 bytes\n");
        fr_expect_err("1 could not fire (1: send queue had room)");
        /* 8000 bytes queued (past 4480): the next write may find no room */
        run(&b, "write:eagain:when=2", progs[p], "full", "write", NULL, NULL);
        fr_expect_exit(0);
        expect_out("write 2 -> EAGAIN\nwrite 3 -> 16\nwrite 4 -> 16\nok 8032 bytes\n");
        fr_expect_err("1 faults injected, 0 could not fire");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, "write", FI_F_EAGAIN, 0, 16, -1, 2);
    }
}

/* Each wait reports the socket readable: the read right after it gets no
 * eagain (the kernel would have answered with data), the next read of
 * the same drain loop does (8 bytes still queued, nothing shown). epoll's
 * registration data is not the descriptor's number. */
static void TRACE_IO_no_eagain_on_the_read_right_after_a_wait_said_readable(void **state)
{
    (void)state;
    static const char *const kinds[] = { "poll", "ppoll", "select", "pselect6", "epoll_wait",
                                         "epoll_pwait", "epoll_pwait2" };
    struct logbook b;
    for (int p = 0; p < NPROGS; p++)
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            run(&b, "read:eagain", progs[p], "wait", kinds[k], NULL, NULL);
            fr_expect_exit(0);
            expect_out("%s -> 1\nread 1 -> 8\nread 2 -> EAGAIN\n%s -> 1\nread 3 -> 8\n"
                       "ok 16 bytes\n", kinds[k], kinds[k]);
            fr_expect_err("3 calls matched, 1 faults injected, 2 could not fire "
                          "(2: a wait or peek had shown it ready)");
            assert_int_equal(b.n, 1);
            expect_line(&b, 0, "read", FI_F_EAGAIN, 0, 8, -1, 2);
        }
}

/* A wait said writable: the write right after it gets no eagain though
 * the queue is past its room; the one after does; the retry after the
 * next wait does not. */
static void TRACE_IO_no_write_eagain_right_after_a_wait_said_writable(void **state)
{
    (void)state;
    struct logbook b;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:eagain:when=2+", progs[p], "wwait", NULL, NULL, NULL);
        fr_expect_exit(0);
        expect_out("write 1 -> 8000\nwrite 2 -> 16\nwrite 3 -> EAGAIN\nwrite 4 -> 16\n"
                   "ok 8032 bytes\n");
        fr_expect_err("4 calls matched, 1 faults injected, 2 could not fire "
                      "(2: a wait or peek had shown it ready)");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, "write", FI_F_EAGAIN, 0, 16, -1, 3);
    }
}

/* MSG_PEEK showed 16 bytes: the next recv is cut no lower than those
 * (asking 32: 16, not 1), and asking no more than those it is not cut. */
static void TRACE_IO_short_never_below_what_msg_peek_showed(void **state)
{
    (void)state;
    struct logbook b;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "recv:short=1:when=2", progs[p], "peek", "32", NULL, NULL);
        fr_expect_exit(0);
        expect_out("peek 1 -> 16\nrecv 2 -> 16\nrecv 3 -> 16\nok 32 bytes\n");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, "recv", FI_F_SHORT, 1, 32, 16, 2);
        run(&b, "recv:short=1:when=2", progs[p], "peek", "16", NULL, NULL);
        fr_expect_exit(0);
        expect_out("peek 1 -> 16\nrecv 2 -> 16\nrecv 3 -> 16\nok 32 bytes\n");
        fr_expect_err("1 could not fire (1: a wait or peek had shown it ready)");
        assert_int_equal(b.n, 0);
    }
}

/* A cut vector is copied below the red zone up to 16 iovecs (tracexfer.h):
 * 10 one-byte iovecs are; 18 are not, and the call counts "not yet". */
static void TRACE_IO_a_long_cut_vector_is_not_yet_copied(void **state)
{
    (void)state;
    struct logbook b;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "readv:short=10:when=1", progs[p], "rd", "readv", "many", NULL);
        fr_expect_exit(0);
        expect_out("readv 1 -> 10\nreadv 2 -> 54\nok 64 bytes\n");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, "readv", FI_F_SHORT, 10, 64, 10, 1);
        run(&b, "readv:short=18:when=1", progs[p], "rd", "readv", "many", NULL);
        fr_expect_exit(0);
        expect_out("readv 1 -> 64\nok 64 bytes\n");
        fr_expect_err("1 could not fire (1: not yet under the trace backend)");
        assert_int_equal(b.n, 0);
    }
}

/* TCP: a fresh connection's empty send queue surely takes 1824 bytes
 * (roomrule.h's floor for AF_INET, read through the tracee's socket), so
 * the first cut write moves exactly that; later ones (SIOCOUTQ: bytes not
 * yet acknowledged) no more. */
static void TRACE_IO_tcp_write_short_moves_the_floor_of_an_empty_queue(void **state)
{
    (void)state;
    struct logbook b;
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:short=1", progs[p], "wr", "write", "20000", "tcp");
        fr_expect_exit(0);
        expect_out("write 1 -> 1824\n");
        expect_out("ok 20000 bytes\n");
        assert_true(b.n >= 10);
        expect_line(&b, 0, "write", FI_F_SHORT, 1, 20000, 1824, 1);
        for (int i = 1; i < b.n; i++)
            if (b.line[i].ret < 1 || b.line[i].ret > 1824)
                fail_msg("write %d moved %lld: past the floor", i + 1, b.line[i].ret);
    }
}

/* A datagram is a message: short would lose its tail, so it never fires
 * there (the call counts); the 64-byte message arrives whole. */
static void TRACE_IO_short_never_cuts_a_datagram(void **state)
{
    (void)state;
    struct logbook b;
    char rule[64];
    for (int p = 0; p < NPROGS; p++)
        for (size_t c = 0; c < sizeof reads / sizeof *reads; c++) {
            snprintf(rule, sizeof rule, "%s:short=5", reads[c]);
            run(&b, rule, progs[p], "rd", reads[c], "dgram", NULL);
            fr_expect_exit(0);
            expect_out("%s 1 -> 64\nok 64 bytes\n", reads[c]);
            fr_expect_err("1 calls matched, 0 faults injected, 1 could not fire "
                          "(1: message socket)");
            assert_int_equal(b.n, 0);
        }
}

/* A pipe (fd=pipe): a write of at most PIPE_BUF bytes is atomic, never
 * cut; a longer one moves at least the pages surely free (64 KiB less
 * two pages when empty). */
static void TRACE_IO_pipe_writes_are_atomic_or_cut_to_the_free_pages(void **state)
{
    (void)state;
    struct logbook b;
    long page = sysconf(_SC_PAGESIZE);
    char want[64];
    for (int p = 0; p < NPROGS; p++) {
        run(&b, "write:short=1:fd=pipe", progs[p], "wr", "write", "16", "pipe");
        fr_expect_exit(0);
        expect_out("write 1 -> 16\nok 16 bytes\n");
        fr_expect_err("0 faults injected");
        fr_expect_err("atomic pipe write)");    /* (and stdout, a pipe here) */
        run(&b, "write:short=1:fd=pipe", progs[p], "wr", "write", "60000", "pipe");
        fr_expect_exit(0);
        snprintf(want, sizeof want, "write 1 -> %ld\n", 65536 - 2 * page);
        expect_out("%s", want);
        expect_out("ok 60000 bytes\n");
        fr_expect_err("1 faults injected");
        assert_int_equal(b.n, 1);
        expect_line(&b, 0, "write", FI_F_SHORT, 1, 60000, 65536 - 2 * page, 1);
    }
}

/* The calls that move more than one buffer (xfer.c's): splice from a
 * socket and recvmmsg cut to 5 bytes (recvmmsg: the first message alone,
 * xfer.c's rule), sendfile, splice to a socket and sendmmsg to the
 * room; error= on each, then every byte. */
static void TRACE_IO_sendfile_splice_and_mmsg_short_and_error(void **state)
{
    (void)state;
    static const struct { const char *arg, *call; int reading; } x[] = {
        { "splice_in", "splice", 1 }, { "recvmmsg", "recvmmsg", 1 },
        { "sendfile", "sendfile", 0 }, { "splice_out", "splice", 0 },
        { "sendmmsg", "sendmmsg", 0 },
    };
    struct logbook b;
    char rule[64];
    for (int p = 0; p < NPROGS; p++)
        for (size_t c = 0; c < sizeof x / sizeof *x; c++) {
            int mm = strstr(x[c].call, "mmsg") != NULL;
            snprintf(rule, sizeof rule, "%s:short=%d", x[c].call, x[c].reading ? 5 : 100);
            run(&b, rule, progs[p], "xfer", x[c].arg, NULL, NULL);
            fr_expect_exit(0);
            expect_out("ok %d bytes\n", x[c].reading ? 64 : 20000);
            if (x[c].reading) {
                expect_out("%s 1 -> 5\n%s 2 -> 5\n", x[c].arg, x[c].arg);
                assert_true(b.n >= 13);
                for (int i = 0; i < 12; i++)
                    expect_line(&b, i, x[c].call, FI_F_SHORT, 5, 64 - 5 * i, mm ? 1 : 5,
                                (uint64_t)i + 1);
            } else {
                for (int i = 1; i <= 3; i++)
                    expect_out("%s %d -> 4480\n", x[c].arg, i);
                assert_int_equal(b.n, 4);
                for (int i = 0; i < 4; i++)
                    expect_line(&b, i, x[c].call, FI_F_SHORT, 100, 20000 - 4480 * i,
                                mm ? 1 : 4480, (uint64_t)i + 1);
            }
            snprintf(rule, sizeof rule, "%s:error=ECONNABORTED:when=1", x[c].call);
            run(&b, rule, progs[p], "xfer", x[c].arg, NULL, NULL);
            fr_expect_exit(0);
            expect_out("%s 1 -> ECONNABORTED\n%s 2 -> %d\nok", x[c].arg, x[c].arg,
                       x[c].reading ? 64 : 20000);
            assert_int_equal(b.n, 1);
            expect_line(&b, 0, x[c].call, FI_F_ERROR, ECONNABORTED, x[c].reading ? 64 : 20000,
                        -1, 1);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(TRACE_IO_short_on_every_read_call_moves_at_most_N),
        cmocka_unit_test(TRACE_IO_short_on_every_write_call_moves_the_room_never_less),
        cmocka_unit_test(TRACE_IO_eintr_error_eagain_on_every_data_call),
        cmocka_unit_test(TRACE_IO_write_eagain_only_when_the_send_queue_is_full),
        cmocka_unit_test(TRACE_IO_no_eagain_on_the_read_right_after_a_wait_said_readable),
        cmocka_unit_test(TRACE_IO_no_write_eagain_right_after_a_wait_said_writable),
        cmocka_unit_test(TRACE_IO_short_never_below_what_msg_peek_showed),
        cmocka_unit_test(TRACE_IO_tcp_write_short_moves_the_floor_of_an_empty_queue),
        cmocka_unit_test(TRACE_IO_a_long_cut_vector_is_not_yet_copied),
        cmocka_unit_test(TRACE_IO_short_never_cuts_a_datagram),
        cmocka_unit_test(TRACE_IO_pipe_writes_are_atomic_or_cut_to_the_free_pages),
        cmocka_unit_test(TRACE_IO_sendfile_splice_and_mmsg_short_and_error),
    };
    return cmocka_run_group_tests(tests, fr_group_setup, fr_group_teardown);
}

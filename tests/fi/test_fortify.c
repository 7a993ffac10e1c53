/* test_fortify.c: built with -O2 -D_FORTIFY_SOURCE=2, so that read, recv
 * and recvfrom into fixed arrays become __read_chk, __recv_chk and
 * __recvfrom_chk; faultinject.md: they "count as the plain call". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "faultinject.h"
#include "clock.h"
#include "fiutil.h"
#include "shimtest.h"

#if !defined(_FORTIFY_SOURCE) || _FORTIFY_SOURCE < 1 || !defined(__OPTIMIZE__)
#error "test_fortify.c must be built with -O2 -D_FORTIFY_SOURCE=2"
#endif

/* What a hardened build calls instead of read, recv and recvfrom (gcc
 * -O2 -D_FORTIFY_SOURCE=2 emits them for the calls below; clang 14 does
 * not, so the tests also call them by name). */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                       struct sockaddr *from, socklen_t *fromlen);

/* Sizes the compiler cannot see, so the checked variants are called. */
static volatile size_t ten = 10, three = 3;

static void CALLS_read_chk_counts_as_read(void **state)
{
    (void)state;
    int sv[2];
    char buf[16];
    fiu_pair(sv);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    assert_int_equal(fi_set("read:short=1"), 0);
    assert_int_equal(read(sv[0], buf, ten), 1);
    assert_int_equal(__read_chk(sv[0], buf + 1, ten, sizeof buf - 1), 1);
    assert_memory_equal(buf, "01", 2);
    assert_int_equal(fi_set("read:eintr"), 0);
    assert_int_equal(__read_chk(sv[0], buf, ten, sizeof buf), -1);
    assert_int_equal(errno, EINTR);
    assert_int_equal(fi_fired(), 1);
    fi_clear();
    assert_int_equal(read(sv[0], buf + 2, ten), 8);
    assert_memory_equal(buf, "0123456789", 10);
    close(sv[0]);
    close(sv[1]);
}

static void CALLS_recv_chk_and_recvfrom_chk(void **state)
{
    (void)state;
    int sv[2];
    char buf[16];
    fiu_pair(sv);
    assert_int_equal(write(sv[1], "0123456789", 10), 10);
    /* eagain fires only where the kernel could say it: non-blocking. */
    assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(fi_set("recv:short=2;recvfrom:eagain"), 0);
    assert_int_equal(__recv_chk(sv[0], buf, ten, sizeof buf, 0), 2);
    assert_int_equal(__recvfrom_chk(sv[0], buf + 2, ten, sizeof buf - 2, 0, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(recvfrom(sv[0], buf + 2, ten, 0, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(fi_set("recvfrom:short=3"), 0);
    assert_int_equal(__recvfrom_chk(sv[0], buf + 2, ten, sizeof buf - 2, 0, NULL, NULL), 3);
    fi_clear();
    assert_int_equal(recv(sv[0], buf + 5, ten, 0), 5);
    assert_memory_equal(buf, "0123456789", 10);
    /* Idle: straight through. */
    assert_int_equal(write(sv[1], "abc", 3), 3);
    assert_int_equal(read(sv[0], buf, three), 3);
    close(sv[0]);
    close(sv[1]);
}

/* The overflow check of a hardened build survives the shim: glibc aborts. */
static void CALLS_chk_overflow_still_aborts(void **state)
{
    (void)state;
    static volatile size_t too_big = 32;
    for (int which = 0; which < 3; which++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int sv[2];
            char small[16];
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 2);                      /* glibc's message */
            socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
            if (write(sv[1], "0123456789", 10) != 10)
                exit(3);
            fi_set("rd:short=1");
            if (which == 0)
                exit(__read_chk(sv[0], small, too_big, sizeof small) < 0 ? 4 : 0);
            else if (which == 1)
                __recv_chk(sv[0], small, too_big, sizeof small, 0);
            else
                __recvfrom_chk(sv[0], small, too_big, sizeof small, 0, NULL, NULL);
            exit(0);
        }
        int status = fiu_wait(pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGABRT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(CALLS_read_chk_counts_as_read, setup, teardown),
        cmocka_unit_test_setup_teardown(CALLS_recv_chk_and_recvfrom_chk, setup, teardown),
        cmocka_unit_test_setup_teardown(CALLS_chk_overflow_still_aborts, setup, teardown),
    };
    if (!fi_active()) {
        fprintf(stderr, "test_fortify: run me with LD_PRELOAD=libfaultinject.so\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}

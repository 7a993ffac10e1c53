/* test_noshim.c: faultinject.h in a process without the shim
 * (faultinject.md, "In-process control": -1 with errno ENOSYS). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "faultinject.h"

static void CTL_without_the_shim_every_call_is_enosys(void **state)
{
    (void)state;
    assert_false(fi_active());
    errno = 0;
    assert_int_equal(fi_set("read:eintr"), -1);
    assert_int_equal(errno, ENOSYS);
    errno = 0;
    assert_int_equal(fi_clear(), -1);
    assert_int_equal(errno, ENOSYS);
    errno = 0;
    assert_int_equal(fi_fired(), -1);
    assert_int_equal(errno, ENOSYS);
    errno = 0;
    assert_null(fi_error());
    assert_int_equal(errno, ENOSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(CTL_without_the_shim_every_call_is_enosys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

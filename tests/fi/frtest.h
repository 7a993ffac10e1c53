/* frtest.h: running faultrun as a user does, for the faultrun suites
 * (test_faultrun, test_summary, test_sweep, test_replay): a temporary
 * folder per suite, one run's exit status and captured output, and checks
 * on them that fail the test with what was seen. */
#ifndef FRTEST_H
#define FRTEST_H

#include <stddef.h>

#ifndef FI_BUILD_DIR
#error "FI_BUILD_DIR: the build directory (absolute)"
#endif
#define FR_FAULTRUN FI_BUILD_DIR "/faultinject/faultrun"
#define FR_SHIM     FI_BUILD_DIR "/faultinject/libfaultinject.so"
#define FR_PROG     FI_BUILD_DIR "/tests/fi/fi_prog"
#define FR_PROG2    FI_BUILD_DIR "/tests/fi/fr_prog"
#define FR_STATIC   FI_BUILD_DIR "/tests/fi/fr_static"

extern char fr_tmpdir[256];
extern char fr_out[65536], fr_err[65536];
extern int fr_status;

/* cmocka group setup/teardown: make and remove fr_tmpdir. */
int fr_group_setup(void **state);
int fr_group_teardown(void **state);

/* BUF (PATH_MAX) = fr_tmpdir/NAME, removed if it was there. */
void fr_path(char *buf, const char *name);

/* Runs the NULL-ended argument list with ENV (as fiu_run: NAME=VALUE,
 * "-NAME" unsets); sets fr_status, fr_out, fr_err; fails on a timeout. */
void fr_run_env(char *const env[], ...);
#define FR_RUN(...) fr_run_env(NULL, __VA_ARGS__, (char *)NULL)
#define FR_RUN_ENV(env, ...) fr_run_env(env, __VA_ARGS__, (char *)NULL)

void fr_expect_exit(int code);
void fr_expect_err(const char *text);
void fr_expect_no_err(const char *text);
int fr_exists(const char *path);
int fr_count(const char *hay, const char *needle);

#endif

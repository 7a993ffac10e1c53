/* frtest.c: see frtest.h. */
#include "frtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fiutil.h"

char fr_tmpdir[256];
char fr_out[65536], fr_err[65536];
int fr_status;

int fr_group_setup(void **state)
{
    (void)state;
    snprintf(fr_tmpdir, sizeof fr_tmpdir, "/tmp/fi-test-XXXXXX");
    return mkdtemp(fr_tmpdir) ? 0 : -1;
}

int fr_group_teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fr_tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

void fr_path(char *buf, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", fr_tmpdir, name);
    unlink(buf);
}

void fr_run_env(char *const env[], ...)
{
    char *argv[64];
    int n = 0;
    va_list ap;
    va_start(ap, env);
    while ((argv[n] = va_arg(ap, char *)) != NULL && n < 63)
        n++;
    va_end(ap);
    argv[n] = NULL;
    fr_status = fiu_run(argv, env, fr_out, sizeof fr_out, fr_err, sizeof fr_err, 30);
    if (fr_status == -1)
        fail_msg("%s timed out", argv[0]);
}

void fr_expect_exit(int code)
{
    if (!WIFEXITED(fr_status) || WEXITSTATUS(fr_status) != code)
        fail_msg("want exit %d, got status 0x%x; stderr: %s", code, fr_status, fr_err);
}

void fr_expect_err(const char *text)
{
    if (strstr(fr_err, text) == NULL)
        fail_msg("stderr lacks '%s': %s", text, fr_err);
}

void fr_expect_no_err(const char *text)
{
    if (strstr(fr_err, text) != NULL)
        fail_msg("stderr has '%s': %s", text, fr_err);
}

int fr_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fr_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* faultinject.h: in-process control of libfaultinject.so.
 *
 * A test running under the shim (LD_PRELOAD=libfaultinject.so, or faultrun)
 * changes the rules between test cases. Header-only: each call looks the
 * shim up at run time, so a program built with this header runs with or
 * without the shim; without it every call fails with ENOSYS.
 *
 *   fi_set(rules)  replaces every rule with RULES (same syntax as
 *                  FAULTINJECT_RULES, ';'-separated); counters start again.
 *                  0, or -1 (errno EINVAL, message from fi_error()) and the
 *                  old rules stay.
 *   fi_clear()     removes every rule; 0.
 *   fi_fired()     faults injected since the last fi_set/fi_clear.
 *   fi_error()     message of the last failed fi_set (NULL without the shim).
 */
#ifndef FAULTINJECT_H
#define FAULTINJECT_H

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

#ifndef RTLD_DEFAULT
#define RTLD_DEFAULT ((void *)0)
#endif

/* The shim exports these; the fi_* wrappers below find them with dlsym. */
#define FI__SYM_SET   "faultinject_set"
#define FI__SYM_CLEAR "faultinject_clear"
#define FI__SYM_FIRED "faultinject_fired"
#define FI__SYM_ERROR "faultinject_error"

static inline void *fi__lookup(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    if (p == NULL)
        errno = ENOSYS;
    return p;
}

/* 1 when this process runs under the shim, else 0. */
static inline int fi_active(void)
{
    int saved = errno;
    int on = fi__lookup(FI__SYM_SET) != NULL;
    errno = saved;
    return on;
}

static inline int fi_set(const char *rules)
{
    int (*f)(const char *) = (int (*)(const char *))fi__lookup(FI__SYM_SET);
    return f ? f(rules) : -1;
}

static inline int fi_clear(void)
{
    int (*f)(void) = (int (*)(void))fi__lookup(FI__SYM_CLEAR);
    return f ? f() : -1;
}

static inline long fi_fired(void)
{
    long (*f)(void) = (long (*)(void))fi__lookup(FI__SYM_FIRED);
    return f ? f() : -1;
}

static inline const char *fi_error(void)
{
    const char *(*f)(void) = (const char *(*)(void))fi__lookup(FI__SYM_ERROR);
    return f ? f() : NULL;
}

#endif

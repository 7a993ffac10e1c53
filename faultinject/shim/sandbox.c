/* sandbox.c: whether this process is under a seccomp filter, and its ids
 * for the log once it may not ask (see sandbox.h). */
#include "sandbox.h"

#include "real.h"

#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Atomic int fi_sandbox_on;
static _Atomic pid_t pid_cache;
static __thread pid_t tid_cache;

REAL(syscall, long, (long, ...))

pid_t fi_self_pid(void)
{
    if (!fi_sandboxed())
        return getpid();
    return atomic_load_explicit(&pid_cache, memory_order_relaxed);
}

pid_t fi_self_tid(void)
{
    if (!fi_sandboxed())
        return tid_cache = (pid_t)get_syscall()(SYS_gettid);
    return tid_cache != 0 ? tid_cache : fi_self_pid();
}

void fi_sandbox_after_fork(void)
{
    if (fi_sandboxed())
        return;         /* no getpid: a forked sandboxed child logs its parent's pid */
    atomic_store(&pid_cache, getpid());
    tid_cache = 0;
}

/* "Seccomp:\t2" in /proc/self/status: a filter came with the exec. */
static int inherited_filter(void)
{
    char buf[4096];
    long fd = get_syscall()(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long n = get_syscall()(SYS_read, fd, buf, sizeof buf - 1);
    get_syscall()(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *p = strstr(buf, "\nSeccomp:");
    if (p == NULL)
        return 0;
    p += strlen("\nSeccomp:");
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '1' || *p == '2';
}

void fi_sandbox_init(void)
{
    get_syscall();
    atomic_store(&pid_cache, getpid());
    if (inherited_filter())
        atomic_store(&fi_sandbox_on, 1);
}

void fi_sandbox_enter(void)
{
    if (fi_sandboxed())
        return;
    atomic_store(&pid_cache, getpid());
    tid_cache = (pid_t)get_syscall()(SYS_gettid);
    atomic_store(&fi_sandbox_on, 1);
}

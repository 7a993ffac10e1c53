/* tracee.c: registers, memory and descriptors of a stopped tracee (see tracee.h). */
#include "tracee.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#define X32_BIT 0x40000000L

int ft_call_at(pid_t tid, struct ft_call *c)
{
    struct __ptrace_syscall_info info;
    long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info);
    if (n < 0)
        return -1;
    if (info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
        errno = EINVAL;
        return -1;
    }
    c->nr = (long)info.seccomp.nr;
    memcpy(c->args, info.seccomp.args, sizeof c->args);
    c->native = info.arch == AUDIT_ARCH_X86_64 && !(c->nr & X32_BIT);
    return 0;
}

static int edit(pid_t tid, int which, uint64_t val)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
        return -1;
    switch (which) {
    case -2: r.rax = val; break;
    case -1: r.orig_rax = val; break;
    case 0: r.rdi = val; break;
    case 1: r.rsi = val; break;
    case 2: r.rdx = val; break;
    case 3: r.r10 = val; break;
    case 4: r.r8 = val; break;
    default: r.r9 = val; break;
    }
    return ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 ? -1 : 0;
}

int ft_set_nr(pid_t tid, long nr)
{
    return edit(tid, -1, (uint64_t)nr);
}

int ft_set_arg(pid_t tid, int arg, uint64_t val)
{
    return edit(tid, arg, val);
}

int ft_set_ret(pid_t tid, long long ret)
{
    return edit(tid, -2, (uint64_t)ret);
}

int ft_get_ret(pid_t tid, long long *ret)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
        return -1;
    *ret = (long long)r.rax;
    return 0;
}

int ft_get_sp(pid_t tid, uint64_t *sp)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
        return -1;
    *sp = r.rsp;
    return 0;
}

int ft_set_args(pid_t tid, const uint64_t args[6], unsigned mask)
{
    struct user_regs_struct r;
    if (mask == 0)
        return 0;
    if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
        return -1;
    unsigned long long *reg[6] = { &r.rdi, &r.rsi, &r.rdx, &r.r10, &r.r8, &r.r9 };
    for (int i = 0; i < 6; i++)
        if (mask & (1u << i))
            *reg[i] = args[i];
    return ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0 ? -1 : 0;
}

int ft_peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int ft_poke(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
    struct iovec local = { (void *)buf, len }, remote = { (void *)(uintptr_t)addr, len };
    return process_vm_writev(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

int ft_fd_stat(pid_t pid, int fd, struct stat *st)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, fd);
    return stat(path, st);
}

int ft_pidfd(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int ft_fd_copy(int pidfd, int fd)
{
    return pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* The hex mask after KEY in /proc/PID[/task/TID]/status TEXT. */
static int mask_of(const char *text, const char *key, uint64_t *out)
{
    const char *p = strstr(text, key);
    if (p == NULL)
        return -1;
    unsigned long long v;
    if (sscanf(p + strlen(key), " %llx", &v) != 1)
        return -1;
    *out = v;
    return 0;
}

static ssize_t slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

int ft_sigmasks(pid_t pid, pid_t tid, uint64_t *caught, uint64_t *blocked)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
    if (slurp(path, text, sizeof text) < 0)
        return -1;
    return mask_of(text, "SigCgt:", caught) < 0 || mask_of(text, "SigBlk:", blocked) < 0 ? -1 : 0;
}

pid_t ft_tgid(pid_t tid, pid_t *ppid)
{
    char path[64], text[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
    if (slurp(path, text, sizeof text) < 0)
        return -1;
    const char *p = strstr(text, "\nTgid:");
    unsigned long t;
    if (p == NULL || sscanf(p + 6, " %lu", &t) != 1)
        return -1;
    const char *q = strstr(text, "\nPPid:");
    unsigned long pp;
    *ppid = q != NULL && sscanf(q + 6, " %lu", &pp) == 1 ? (pid_t)pp : -1;
    return (pid_t)t;
}

int ft_kernel_check(char *why, size_t whylen)
{
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
        (major < 5 || (major == 5 && minor < 6))) {
        snprintf(why, whylen, "Linux %s is too old: the trace backend needs Linux >= 5.6 "
                 "(PTRACE_GET_SYSCALL_INFO, 5.3; pidfd_getfd, 5.6)", u.release);
        return -1;
    }
    int self = ft_pidfd(getpid());
    if (self < 0) {
        snprintf(why, whylen, "the kernel has no pidfd_open (Linux >= 5.3 needed): %s",
                 strerror(errno));
        return -1;
    }
    int copy = ft_fd_copy(self, 0);
    int e = errno;
    close(self);
    if (copy < 0 && e == ENOSYS) {
        snprintf(why, whylen, "the kernel has no pidfd_getfd (Linux >= 5.6 needed)");
        return -1;
    }
    if (copy >= 0)
        close(copy);
    unsigned trace = SECCOMP_RET_TRACE;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &trace) < 0) {
        snprintf(why, whylen, "the kernel cannot stop a call for a tracer (seccomp "
                 "SECCOMP_RET_TRACE): %s", strerror(errno));
        return -1;
    }
    return 0;
}

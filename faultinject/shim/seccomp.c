/* seccomp.c: seeing a seccomp filter arrive, and what the shim learns of
 * every open descriptor just before it does (see seccomp.h). */
#include "seccomp.h"

#include "classify.h"
#include "fdflags.h"
#include "fdstate.h"
#include "filog.h"
#include "proc.h"
#include "real.h"
#include "sandbox.h"
#include "sockends.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define EXPORT FI_EXPORT

REAL(prctl, int, (int, ...))
REAL(syscall, long, (long, ...))

void fi_seccomp_resolve(void)
{
    get_prctl();
    get_syscall();
}

/* What the kernel says of open descriptor FD, into the caches the shim
 * reads once it may no longer ask. */
static void learn(int fd)
{
    syscall_fn sys = get_syscall();
    long fl = sys(SYS_fcntl, fd, F_GETFL);
    if (fl < 0)
        return;                                 /* not open */
    fi_fdflags_set_nonblocking(fd, (fl & O_NONBLOCK) != 0);
    struct stat st;
    if (sys(SYS_fstat, fd, &st) < 0)
        return;
    struct fi_fdinfo info = { .kind = S_ISSOCK(st.st_mode) ? FI_K_SOCK
                                      : S_ISFIFO(st.st_mode) ? FI_K_PIPE : FI_K_OTHER,
                              .ident = fi_file_ident(&st) };
    if (info.kind == FI_K_SOCK) {
        socklen_t len = sizeof info.socktype;
        if (sys(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &info.socktype, &len) < 0)
            info.socktype = SOCK_STREAM;
        for (int reading = 0; reading < 2; reading++) {
            struct timeval tv = { 0, 0 };
            len = sizeof tv;
            if (sys(SYS_getsockopt, fd, SOL_SOCKET, reading ? SO_RCVTIMEO : SO_SNDTIMEO, &tv,
                    &len) == 0)
                fi_fdflags_set_timeout(fd, reading, (uint64_t)tv.tv_sec * 1000000000u +
                                                        (uint64_t)tv.tv_usec * 1000u);
        }
        fi_ends_learn(fd);
    }
    struct fi_fdinfo had;
    if (!fi_fd_info(fd, &had) || had.ident != info.ident)
        fi_fd_set_info(fd, &info);
}

/* Every open descriptor, from /proc/self/fd (getdents64: no malloc);
 * without /proc, every number below FI_FD_CAP that fcntl finds open. */
static void learn_all(void)
{
    syscall_fn sys = get_syscall();
    long dir = sys(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        for (int fd = 0; fd < FI_FD_CAP; fd++)
            learn(fd);
        return;
    }
    char buf[4096];
    long n;
    while ((n = sys(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            const char *name = buf + off + 19;          /* struct linux_dirent64's d_name */
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, sizeof reclen);
            off += reclen;
            if (name[0] < '0' || name[0] > '9')
                continue;
            long fd = 0;
            for (const char *p = name; *p >= '0' && *p <= '9'; p++)
                fd = fd * 10 + (*p - '0');
            if (fd != dir && fd < FI_FD_CAP)
                learn((int)fd);
        }
    }
    sys(SYS_close, dir);
}

/* Just before the filter goes in: learn, then stop asking. */
static void entering(void)
{
    if (fi_sandboxed())
        return;                                 /* a second filter: known already */
    int e = errno;
    learn_all();
    fi_log_hold();
    fi_proc_sandboxed();
    fi_sandbox_enter();                         /* from now on, no call of our own */
    errno = e;
}

EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP)
        entering();
    return get_prctl()(option, a2, a3, a4, a5);
}

/* Pure pass-through, but for seccomp(SECCOMP_SET_MODE_*) (seccomp(2):
 * glibc has no wrapper, so programs call it this way). */
EXPORT long syscall(long number, ...)
{
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_seccomp &&
        (a[0] == SECCOMP_SET_MODE_FILTER || a[0] == SECCOMP_SET_MODE_STRICT))
        entering();
    return get_syscall()(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

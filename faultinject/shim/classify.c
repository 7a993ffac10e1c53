/* classify.c: what a descriptor is, asked of the kernel once and cached
 * in fdstate (see classify.h). */
#include "classify.h"

#include "sandbox.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>

uint64_t fi_file_ident(const struct stat *st)
{
    /* never 0, which means "unknown" */
    return (((uint64_t)st->st_ino * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)st->st_dev) | 1;
}

/* Asks the kernel what FD is; -1 if it is not open. In a seccomp sandbox
 * the kernel is not asked (sandbox.h): a descriptor whose kind was not
 * recorded is treated as not open (the call goes to libc untouched). */
static int fill_info(int fd, struct fi_fdinfo *info)
{
    struct stat st;
    if (fi_sandboxed())
        return -1;
    if (fstat(fd, &st) < 0)
        return -1;
    info->kind = S_ISSOCK(st.st_mode) ? FI_K_SOCK : S_ISFIFO(st.st_mode) ? FI_K_PIPE
                                                                         : FI_K_OTHER;
    info->socktype = 0;
    if (info->kind == FI_K_SOCK) {
        socklen_t len = sizeof info->socktype;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &info->socktype, &len) < 0)
            info->socktype = SOCK_STREAM;
    }
    info->ident = fi_file_ident(&st);
    return 0;
}

int fi_look_at(int fd, struct fi_fdinfo *info)
{
    if (fi_fd_info(fd, info))
        return 0;
    int saved = errno;
    int r = fill_info(fd, info);
    if (r == 0)
        fi_fd_set_info(fd, info);
    errno = saved;
    return r;
}

int fi_recheck(int fd, struct fi_fdinfo *info)
{
    int saved = errno;
    struct fi_fdinfo now;
    if (fi_sandboxed())
        return 0;               /* no fstat in a sandbox: trust the close paths */
    int r = fill_info(fd, &now);
    if (r == 0 && info->ident == 0) {
        info->ident = now.ident;                /* recorded at creation: adopt */
        fi_fd_set_info(fd, info);
    } else if (r == 0 && now.ident != info->ident) {
        fi_fd_identify(fd, now.ident);          /* another file: forget */
        *info = now;
        fi_fd_set_info(fd, info);
    }
    errno = saved;
    return r;
}


/* fdlife.c: where descriptors begin and end, as far as the shim can see
 * (fdstate.h): every call that hands out a descriptor or closes one
 * without going through close() is interposed only to drop the state
 * recorded for that number; none is ever injected. fdopen is watched too:
 * a socket handed to stdio is reported to the run's summary (tally.h).
 */
#include "fdstate.h"
#include "io.h"
#include "real.h"
#include "shim.h"
#include "replay.h"
#include "tally.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define EXPORT FI_EXPORT

REAL(socket, int, (int, int, int))
REAL(socketpair, int, (int, int, int, int *))
REAL(pipe, int, (int *))
REAL(pipe2, int, (int *, int))
REAL(dup, int, (int))
REAL(dup2, int, (int, int))
REAL(dup3, int, (int, int, int))
REAL(fdopen, FILE *, (int, const char *))
REAL(fclose, int, (FILE *))
REAL(pclose, int, (FILE *))
REAL(closedir, int, (DIR *))
REAL(close_range, int, (unsigned, unsigned, int))
REAL(closefrom, void, (int))
REAL(epoll_create, int, (int))
REAL(epoll_create1, int, (int))

void fi_fdlife_resolve(void)
{
    get_socket(); get_socketpair(); get_pipe(); get_pipe2();
    get_dup(); get_dup2(); get_dup3(); get_fdopen(); get_fclose(); get_pclose(); get_closedir();
    get_close_range(); get_closefrom(); get_epoll_create(); get_epoll_create1();
}

/* A descriptor the kernel just handed out starts with no state. */
static int fresh(int fd)
{
    fi_fd_forget(fd);
    return fd;
}

static int fresh_pair(int r, const int fds[2])
{
    if (r == 0) {
        fresh(fds[0]);
        fresh(fds[1]);
    }
    return r;
}

EXPORT int socket(int domain, int type, int proto)
{
    return fresh(get_socket()(domain, type, proto));
}

EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
    return fresh_pair(get_socketpair()(domain, type, proto, sv), sv);
}

EXPORT int pipe(int fds[2])
{
    return fresh_pair(get_pipe()(fds), fds);
}

EXPORT int pipe2(int fds[2], int flags)
{
    return fresh_pair(get_pipe2()(fds, flags), fds);
}

EXPORT int dup(int fd)
{
    return fresh(get_dup()(fd));
}

/* dup2/dup3 close FD2 first (silently), then make it a copy of FD. */
EXPORT int dup2(int fd, int fd2)
{
    if (fd == fd2)   /* dup(2): with newfd == oldfd, dup2() does nothing */
        return get_dup2()(fd, fd2);
    return fresh(get_dup2()(fd, fd2));
}

EXPORT int dup3(int fd, int fd2, int flags)
{
    return fresh(get_dup3()(fd, fd2, flags));
}

EXPORT int epoll_create(int size)
{
    return fresh(get_epoll_create()(size));
}

EXPORT int epoll_create1(int flags)
{
    return fresh(get_epoll_create1()(flags));
}

/* A socket handed to stdio while rules are active: glibc's own reads and
 * writes inside stdio are beyond the shim's reach; the summary says so. */
EXPORT FILE *fdopen(int fd, const char *mode)
{
    FILE *f = get_fdopen()(fd, mode);
    struct fi_fdinfo info;
    if (f != NULL && (fi_engine_any_rule() ||
                      fi_replay_active()) &&
        fi_look_at(fd, &info) == 0 && info.kind == FI_K_SOCK)
        fi_tally_stdio_socket(fd);
    return f;
}

/* The stream's descriptor, taken before the stream (and it) goes. */
static int fd_of(FILE *f)
{
    int e = errno;
    int fd = f != NULL ? fileno(f) : -1;
    errno = e;
    return fd;
}

EXPORT int fclose(FILE *f)
{
    int fd = fd_of(f);
    int r = get_fclose()(f);
    fi_fd_forget(fd);
    return r;
}

EXPORT int pclose(FILE *f)
{
    int fd = fd_of(f);
    int r = get_pclose()(f);
    fi_fd_forget(fd);
    return r;
}

EXPORT int closedir(DIR *d)
{
    int e = errno;
    int fd = dirfd(d);      /* closedir(NULL) is undefined: no check */
    errno = e;
    int r = get_closedir()(d);
    fi_fd_forget(fd);
    return r;
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    close_range_fn f = get_close_range();
    if (f == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int r = f(first, last, flags);
    if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
        fi_fd_forget_range(first, last);
    return r;
}

EXPORT void closefrom(int low)
{
    closefrom_fn f = get_closefrom();
    if (f != NULL)
        f(low);
    if (low >= 0)
        fi_fd_forget_range((unsigned)low, ~0u);
}

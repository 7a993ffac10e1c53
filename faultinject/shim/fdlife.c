/* fdlife.c: where descriptors begin and end, as far as the shim can see
 * (fdstate.h): every call that hands out a descriptor or closes one
 * without going through close() is interposed only to drop the state
 * recorded for that number (and, in a seccomp sandbox, to record what the
 * call itself says of the new one: fdflags.h, sandbox.h); none is ever
 * injected. fdopen is watched too: a socket handed to stdio is reported
 * to the run's summary (tally.h). close_range and closefrom spare the
 * run's counter memfd (run.h), so that exec'd children still find it.
 */
#include "fdflags.h"
#include "fdstate.h"
#include "fdlife.h"
#include "sandbox.h"
#include "sockends.h"
#include "real.h"
#include "classify.h"
#include "replay.h"
#include "tally.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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
REAL(open, int, (const char *, int, ...))
REAL(open64, int, (const char *, int, ...))
REAL(openat, int, (int, const char *, int, ...))
REAL(openat64, int, (int, const char *, int, ...))
REAL(__open_2, int, (const char *, int))
REAL(__open64_2, int, (const char *, int))
REAL(__openat_2, int, (int, const char *, int))
REAL(__openat64_2, int, (int, const char *, int))
REAL(eventfd, int, (unsigned, int))

void fi_fdlife_resolve(void)
{
    get_socket(); get_socketpair(); get_pipe(); get_pipe2();
    get_dup(); get_dup2(); get_dup3(); get_fdopen(); get_fclose(); get_pclose(); get_closedir();
    get_close_range(); get_closefrom(); get_epoll_create(); get_epoll_create1();
    get_open(); get_open64(); get_openat(); get_openat64(); get___open_2(); get___open64_2();
    get___openat_2(); get___openat64_2(); get_eventfd();
    fi_fdflags_resolve();
    fi_ends_resolve();
}

/* A descriptor the kernel just handed out starts with no state. */
static int fresh(int fd)
{
    fi_fd_forget(fd);
    fi_fdflags_forget(fd);
    fi_ends_forget(fd);
    return fd;
}

/* ... and in a sandbox, what its creation says: KIND (FI_K_OTHER: not
 * known, left to the kernel), TYPE (a socket's), O_NONBLOCK. */
static int made(int fd, enum fi_fdkind kind, int type, int nonblocking)
{
    fresh(fd);
    fi_fd_created(fd);                  /* its ordinal (fdstate.h, replay points) */
    if (fd < 0 || !fi_sandboxed())
        return fd;
    fi_fdflags_fresh(fd, nonblocking, kind == FI_K_SOCK);
    if (kind != FI_K_OTHER)
        fi_fd_set_info(fd, &(struct fi_fdinfo){ .kind = kind, .socktype = type });
    return fd;
}

static int made_pair(int r, const int fds[2], enum fi_fdkind kind, int type, int nonblocking)
{
    if (r == 0) {
        made(fds[0], kind, type, nonblocking);
        made(fds[1], kind, type, nonblocking);
    }
    return r;
}

/* A copy of FD: the same open file description, socket and ends. */
static int copied(int fd, int nfd)
{
    fresh(nfd);
    fi_fd_created(nfd);
    if (nfd >= 0) {
        fi_ends_copy(fd, nfd);
        if (fi_sandboxed()) {
            struct fi_fdinfo info;
            fi_fdflags_copy(fd, nfd);
            if (fi_fd_info(fd, &info))
                fi_fd_set_info(nfd, &info);
        }
    }
    return nfd;
}

/* socket(2): SOCK_NONBLOCK and SOCK_CLOEXEC ride on the type. */
#define TYPE_OF(t) ((t) & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))

EXPORT int socket(int domain, int type, int proto)
{
    return made(get_socket()(domain, type, proto), FI_K_SOCK, TYPE_OF(type),
                (type & SOCK_NONBLOCK) != 0);
}

EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
    return made_pair(get_socketpair()(domain, type, proto, sv), sv, FI_K_SOCK, TYPE_OF(type),
                     (type & SOCK_NONBLOCK) != 0);
}

EXPORT int pipe(int fds[2])
{
    return made_pair(get_pipe()(fds), fds, FI_K_PIPE, 0, 0);
}

EXPORT int pipe2(int fds[2], int flags)
{
    return made_pair(get_pipe2()(fds, flags), fds, FI_K_PIPE, 0, (flags & O_NONBLOCK) != 0);
}

/* open and its family: the mode argument is there only with O_CREAT or
 * O_TMPFILE (open(2)); it is read the way glibc reads it. */
static mode_t mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

static int opened(int fd, int flags)
{
    return made(fd, FI_K_OTHER, 0, (flags & O_NONBLOCK) != 0);
}

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return opened(get_open()(path, flags, mode), flags);
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    open64_fn f = get_open64();
    return opened(f != NULL ? f(path, flags, mode) : get_open()(path, flags, mode), flags);
}

EXPORT int openat(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    return opened(get_openat()(dir, path, flags, mode), flags);
}

EXPORT int openat64(int dir, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_of(flags, ap);
    va_end(ap);
    openat64_fn f = get_openat64();
    return opened(f != NULL ? f(dir, path, flags, mode) : get_openat()(dir, path, flags, mode),
                  flags);
}

/* The fortified forms a hardened build calls (no mode: glibc checks). */
EXPORT int __open_2(const char *path, int flags)
{
    return opened(get___open_2()(path, flags), flags);
}

EXPORT int __open64_2(const char *path, int flags)
{
    __open64_2_fn f = get___open64_2();
    return opened(f != NULL ? f(path, flags) : get___open_2()(path, flags), flags);
}

EXPORT int __openat_2(int dir, const char *path, int flags)
{
    return opened(get___openat_2()(dir, path, flags), flags);
}

EXPORT int __openat64_2(int dir, const char *path, int flags)
{
    __openat64_2_fn f = get___openat64_2();
    return opened(f != NULL ? f(dir, path, flags) : get___openat_2()(dir, path, flags), flags);
}

EXPORT int eventfd(unsigned count, int flags)
{
    return made(get_eventfd()(count, flags), FI_K_OTHER, 0, (flags & EFD_NONBLOCK) != 0);
}

int fi_fdlife_accepted(int listener, int nfd, struct sockaddr *addr, socklen_t *alen,
                       int flags)
{
    if (nfd < 0)
        return nfd;
    int e = errno;
    struct fi_fdinfo info;
    /* accept(2): on Linux the new socket does not inherit O_NONBLOCK; its
     * type is the listener's, and socket(7) timeouts are copied from it. */
    int type = fi_sandboxed() && fi_fd_info(listener, &info) ? info.socktype : 0;
    made(nfd, type != 0 ? FI_K_SOCK : FI_K_OTHER, type, (flags & SOCK_NONBLOCK) != 0);
    if (fi_sandboxed()) {
        fi_fdflags_set_nonblocking(nfd, (flags & SOCK_NONBLOCK) != 0);
        fi_fdflags_copy_timeouts(listener, nfd);
    }
    fi_ends_accepted(listener, nfd, addr, alen);
    errno = e;
    return nfd;
}

int fi_fdlife_connected(int fd, const struct sockaddr *to, socklen_t tolen, int r)
{
    /* connect(2): EINPROGRESS (and EINTR, EAGAIN for AF_UNIX) leave the
     * attempt going on: the peer is the address given. */
    if (r == 0 || errno == EINPROGRESS || errno == EINTR || errno == EAGAIN)
        fi_ends_connected(fd, to, tolen);
    return r;
}

void fi_fdlife_closed(int fd)
{
    int e = errno;
    fresh(fd);
    errno = e;
}

/* The run's memfd, if it is still open at its number (sandbox.h: no
 * fstat there, the number is trusted). */
static int run_fd_checked(void)
{
    return fi_sandboxed() ? fi_run_fd_number() : fi_run_fd();
}

int fi_fdlife_spared(int fd)
{
    return fd >= 0 && fd == fi_run_fd_number() && fd == run_fd_checked();
}

/* A socket descriptor passed in an SCM_RIGHTS message (unix(7)): a new
 * number, a copy of another process's socket, nothing known of it yet. */
void fi_fdlife_received(const struct msghdr *msg)
{
    if (msg == NULL || msg->msg_control == NULL || msg->msg_controllen < sizeof(struct cmsghdr))
        return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c != NULL;
         c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            __builtin_memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            fresh(fd);
            fi_fd_created(fd);
        }
    }
}

EXPORT int dup(int fd)
{
    return copied(fd, get_dup()(fd));
}

/* dup2/dup3 close FD2 first (silently), then make it a copy of FD. */
EXPORT int dup2(int fd, int fd2)
{
    if (fd == fd2)   /* dup(2): with newfd == oldfd, dup2() does nothing */
        return get_dup2()(fd, fd2);
    return copied(fd, get_dup2()(fd, fd2));
}

EXPORT int dup3(int fd, int fd2, int flags)
{
    return copied(fd, get_dup3()(fd, fd2, flags));
}

/* A new descriptor with no more to record than its ordinal. */
static int created(int fd)
{
    fresh(fd);
    fi_fd_created(fd);
    return fd;
}

EXPORT int epoll_create(int size)
{
    return created(get_epoll_create()(size));
}

EXPORT int epoll_create1(int flags)
{
    return created(get_epoll_create1()(flags));
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
        fi_tally_stdio_socket();
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
    fresh(fd);
    return r;
}

EXPORT int pclose(FILE *f)
{
    int fd = fd_of(f);
    int r = get_pclose()(f);
    fresh(fd);
    return r;
}

EXPORT int closedir(DIR *d)
{
    int e = errno;
    int fd = dirfd(d);      /* closedir(NULL) is undefined: no check */
    errno = e;
    int r = get_closedir()(d);
    fresh(fd);
    return r;
}

static void forget_range(unsigned first, unsigned last)
{
    fi_fd_forget_range(first, last);
    fi_fdflags_forget_range(first, last);
    fi_ends_forget_range(first, last);
}

/* close_range over FIRST..LAST, less the run's memfd: two ranges around
 * it (a program that closes every inherited descriptor, as sshd does
 * before it re-execs, would otherwise leave its exec'd images without
 * the run's counters). */
static int close_around(close_range_fn f, unsigned first, unsigned last, int flags)
{
    int keep = fi_run_fd_number();
    if (keep < 0 || (unsigned)keep < first || (unsigned)keep > last || run_fd_checked() != keep)
        return f(first, last, flags);
    int r = 0;
    if ((unsigned)keep > first)
        r = f(first, (unsigned)keep - 1, flags);
    if (r == 0 && (unsigned)keep < last)
        r = f((unsigned)keep + 1, last, flags);
    return r;
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    close_range_fn f = get_close_range();
    if (f == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (first > last) {                 /* close_range(2): EINVAL, as the kernel says */
        errno = EINVAL;
        return -1;
    }
    int r = close_around(f, first, last, flags);
    if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
        forget_range(first, last);
    return r;
}

/* closefrom(3): close_range(LOW, ~0U, 0) where the kernel has it. */
EXPORT void closefrom(int low)
{
    closefrom_fn f = get_closefrom();
    close_range_fn cr = get_close_range();
    if (low >= 0 && (cr == NULL || close_around(cr, (unsigned)low, ~0u, 0) != 0) && f != NULL)
        f(low);
    if (low >= 0)
        forget_range((unsigned)low, ~0u);
}

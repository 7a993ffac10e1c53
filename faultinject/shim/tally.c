/* tally.c: this process's counts and its attachment to the run's block
 * (see tally.h). */
#include "tally.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct fi_run *shared;
static struct fi_run_counts own;

struct fi_run *fi_run_shared(void)
{
    return shared;
}

struct fi_run_counts *fi_run_counts(void)
{
    return shared != NULL ? &shared->c : &own;
}

void fi_tally(int rule, enum fi_tally what)
{
    fi_counts_tally(fi_run_counts(), rule, what);
}

void fi_tally_blocked(int rule, enum fi_why why)
{
    fi_counts_blocked(fi_run_counts(), rule, why);
}

void fi_tally_reached(int rule, uint64_t k)
{
    fi_counts_reached(fi_run_counts(), rule, k);
}

void fi_tally_stdio_socket(void)
{
    atomic_fetch_add_explicit(&fi_run_counts()->stdio_sockets, 1, memory_order_relaxed);
}

static _Atomic int run_fd = -1;
static uint64_t run_ino, run_dev;       /* the memfd's identity, set with run_fd */

int fi_run_fd(void)
{
    int fd = atomic_load_explicit(&run_fd, memory_order_relaxed);
    if (fd < 0)
        return fd;
    /* Still ours? A raw close (or a dup2 onto it) may have given the
     * number to the program: then it is the program's to close. */
    struct stat st;
    int e = errno;
    int ours = syscall(SYS_fstat, fd, &st) == 0 && (uint64_t)st.st_ino == run_ino &&
               (uint64_t)st.st_dev == run_dev;
    errno = e;
    if (!ours)
        atomic_store(&run_fd, -1);
    return ours ? fd : -1;
}

int fi_run_fd_number(void)
{
    return atomic_load_explicit(&run_fd, memory_order_relaxed);
}

static void set_run_fd(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return;
    run_ino = (uint64_t)st.st_ino;
    run_dev = (uint64_t)st.st_dev;
    atomic_store(&run_fd, fd);
}

/* The decimal in environment variable NAME, or -1. */
static long env_number(const char *name)
{
    const char *s = getenv(name);
    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    return *end == '\0' && v >= 0 && v <= 1 << 22 ? v : -1;
}

/* The block as faultrun holds it, for a process whose inherited copy was
 * closed: opened again at FD's number (or as high as may be), so that its
 * own exec'd images find it too. */
static struct fi_run *reopen_block(int fd)
{
    long pid = env_number(FI_RUN_PID_ENV);
    if (pid <= 0 || fd > 1 << 20)
        return NULL;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fd);
    int nfd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR);    /* inherited by exec */
    if (nfd < 0)
        return NULL;
    struct fi_run *run = fi_run_map(nfd);
    if (run == NULL) {
        syscall(SYS_close, nfd);
        return NULL;
    }
    int at = (int)syscall(SYS_fcntl, nfd, F_DUPFD, fd);  /* FD itself when it is free */
    if (at >= 0) {
        syscall(SYS_close, nfd);
        nfd = at;
    }
    set_run_fd(nfd);
    if (nfd != fd) {
        char num[16];
        snprintf(num, sizeof num, "%d", nfd);
        setenv(FI_RUN_ENV, num, 1);     /* at load: no other thread yet */
    }
    atomic_fetch_add(&run->c.reattached, 1);
    return run;
}

struct fi_run *fi_run_attach(void)
{
    long fd = env_number(FI_RUN_ENV);
    if (fd < 0)
        return NULL;
    struct fi_run *run = fi_run_map((int)fd);
    if (run != NULL)
        set_run_fd((int)fd);
    else
        run = reopen_block((int)fd);
    shared = run;
    return run;
}


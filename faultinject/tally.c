/* tally.c: the run's shared block and its counters (see run.h, tally.h). */
#include "tally.h"

#include "run.h"

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
    if (rule < 0 || rule >= FI_MAX_RULES || (unsigned)what > FI_T_BLOCKED)
        return;
    atomic_fetch_add_explicit(&fi_run_counts()->rule[rule][what], 1, memory_order_relaxed);
}

void fi_tally_blocked(int rule, enum fi_why why)
{
    if (rule < 0 || rule >= FI_MAX_RULES)
        return;
    if ((unsigned)why < FI_WHY_COUNT)
        atomic_fetch_add_explicit(&fi_run_counts()->why[rule][why], 1, memory_order_relaxed);
    fi_tally(rule, FI_T_BLOCKED);
}

void fi_tally_reached(int rule, uint64_t k)
{
    if (rule < 0 || rule >= FI_MAX_RULES)
        return;
    _Atomic uint64_t *m = &fi_run_counts()->max_k[rule];
    uint64_t old = atomic_load_explicit(m, memory_order_relaxed);
    while (old < k && !atomic_compare_exchange_weak_explicit(m, &old, k, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

void fi_tally_stdio_socket(int fd)
{
    (void)fd;
    atomic_fetch_add_explicit(&fi_run_counts()->stdio_sockets, 1, memory_order_relaxed);
}

struct fi_run *fi_run_create(int *fdp)
{
    int fd = (int)syscall(SYS_memfd_create, "faultrun", 0);   /* inherited by exec */
    if (fd < 0)
        return NULL;
    int high = fcntl(fd, F_DUPFD, 100);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    if (ftruncate(fd, (off_t)sizeof(struct fi_run)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    struct fi_run *run = mmap(NULL, sizeof *run, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (run == MAP_FAILED) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    run->magic = FI_RUN_MAGIC;
    shared = run;
    *fdp = fd;
    return run;
}

void fi_run_reset(struct fi_run *run)
{
    uint32_t n = atomic_load(&run->nprocs);
    for (uint32_t i = 0; i < n && i < FI_RUN_PROCS; i++)
        atomic_store(&run->proc[i].pid, 0);
    atomic_store(&run->nprocs, 0);
    memset(&run->c, 0, sizeof run->c);
}

/* Whether FD is faultrun's memfd: its link reads "/memfd:faultrun ...".
 * A program may have closed it and opened something else there, which
 * must never be mapped and written. */
static int is_our_memfd(int fd)
{
    char link[64], target[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0)
        return 0;
    target[n] = '\0';
    return strncmp(target, "/memfd:faultrun", 15) == 0;
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

/* Maps FD if it is the run's block; NULL if not. */
static struct fi_run *map_block(int fd)
{
    struct stat st;
    if (!is_our_memfd(fd) || fstat(fd, &st) < 0 || st.st_size != (off_t)sizeof(struct fi_run))
        return NULL;
    struct fi_run *run = mmap(NULL, sizeof *run, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (run == MAP_FAILED)
        return NULL;
    if (run->magic != FI_RUN_MAGIC) {
        munmap(run, sizeof *run);
        return NULL;
    }
    return run;
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
    struct fi_run *run = map_block(nfd);
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
    struct fi_run *run = map_block((int)fd);
    if (run != NULL)
        set_run_fd((int)fd);
    else
        run = reopen_block((int)fd);
    shared = run;
    return run;
}

struct fi_run_proc *fi_run_register(struct fi_run *run, pid_t pid, uint64_t start,
                                    const char *path)
{
    uint32_t i = atomic_fetch_add(&run->nprocs, 1);
    if (i >= FI_RUN_PROCS)
        return NULL;
    struct fi_run_proc *e = &run->proc[i];
    e->start = start;
    atomic_store(&e->children, 0);
    atomic_store(&e->images, 0);
    atomic_store(&e->sandboxed, 0);
    e->name[0] = '\0';
    size_t n = strlen(path);
    if (n >= sizeof e->path)
        n = sizeof e->path - 1;
    memcpy(e->path, path, n);
    e->path[n] = '\0';
    atomic_store_explicit(&e->pid, pid, memory_order_release);
    return e;
}

struct fi_run_proc *fi_run_find(struct fi_run *run, pid_t pid, uint64_t start)
{
    uint32_t n = atomic_load(&run->nprocs);
    if (n > FI_RUN_PROCS)
        n = FI_RUN_PROCS;
    while (n-- > 0) {
        struct fi_run_proc *e = &run->proc[n];
        if (atomic_load_explicit(&e->pid, memory_order_acquire) == pid && e->start == start)
            return e;
    }
    return NULL;
}

uint64_t fi_proc_start_time(pid_t pid)
{
    char path[40], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold spaces and ')', so count
     * from the last ')'; start time is field 22, the 20th after it. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    for (int spaces = 0; spaces < 20; spaces++) {
        p = strchr(p + 1, ' ');
        if (p == NULL)
            return 0;
    }
    uint64_t v = 0;
    for (p++; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    return v;
}

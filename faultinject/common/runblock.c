/* runblock.c: the run's shared block (see runblock.h). */
#include "runblock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

struct fi_run *fi_run_map(int fd)
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

void fi_counts_blocked(struct fi_run_counts *c, int rule, enum fi_why why)
{
    if (c == NULL || rule < 0 || rule >= FI_MAX_RULES)
        return;
    if ((unsigned)why < FI_WHY_COUNT)
        atomic_fetch_add_explicit(&c->why[rule][why], 1, memory_order_relaxed);
    fi_counts_tally(c, rule, FI_T_BLOCKED);
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

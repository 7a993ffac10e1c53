/* filog.c: appends injection lines to FAULTINJECT_LOG (see filog.h). */
#include "filog.h"

#include "logfmt.h"
#include "proc.h"
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char log_path[PATH_MAX];

/* Appends S to BUF at *LEN (bounded by CAP). */
static void put(char *buf, size_t *len, size_t cap, const char *s)
{
    while (*s && *len + 1 < cap)
        buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

int fi_log_init(const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    log_path[0] = '\0';
    if (path == NULL || path[0] == '\0')
        return 0;
    if (path[0] != '/') {
        if (getcwd(log_path, sizeof log_path) == NULL) {
            snprintf(err, errlen, "log '%s': %s", path, strerror(errno));
            return -1;
        }
        len = strlen(log_path);
        put(log_path, &len, sizeof log_path, "/");
    }
    if (len + strlen(path) + 1 > sizeof log_path) {
        snprintf(err, errlen, "log '%.160s...': path too long", path);
        log_path[0] = '\0';
        return -1;
    }
    put(log_path, &len, sizeof log_path, path);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "log '%s': %s", path, strerror(errno));
        log_path[0] = '\0';
        return -1;
    }
    syscall(SYS_close, fd);
    return 0;
}

static _Atomic int held_fd = -1;

int fi_log_active(void)
{
    return log_path[0] != '\0';
}

void fi_log_hold(void)
{
    if (log_path[0] == '\0' || atomic_load(&held_fd) >= 0)
        return;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    int high = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 200);  /* out of the way */
    if (high >= 0) {
        syscall(SYS_close, fd);
        fd = high;
    }
    atomic_store(&held_fd, fd);
}

void fi_log_injection(const struct fi_logrec *rec)
{
    if (log_path[0] == '\0')
        return;
    int saved = errno;
    char line[320];
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    size_t len = fi_log_format(line, sizeof line, &(struct fi_logfields){
        .pid = (long)fi_self_pid(), .tid = (long)fi_self_tid(), .call = rec->call,
        .fd = rec->fd, .r = rec->r, .rule = rec->rule, .k = rec->k,
        .t_sec = (uint64_t)ts.tv_sec, .t_nsec = ts.tv_nsec, .data = rec->data,
        .asked = rec->asked, .ret = rec->ret, .callno = rec->callno,
        .proc = fi_proc_path(), .image = fi_proc_image(), .pt = rec->pt });
    /* Raw system calls: the shim's own write/close must not be injected.
     * In a sandbox, only the write, on the descriptor held since. */
    int held = atomic_load_explicit(&held_fd, memory_order_relaxed);
    if (held >= 0 && fi_sandboxed()) {
        syscall(SYS_write, held, line, len);
        errno = saved;
        return;
    }
    int lfd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
                           O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (lfd >= 0) {
        syscall(SYS_write, lfd, line, len);
        syscall(SYS_close, lfd);
    }
    errno = saved;
}

/* filog.c: appends injection lines to FAULTINJECT_LOG (see filog.h). */
#include "filog.h"

#include "errnames.h"
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

static void put_u64(char *buf, size_t *len, size_t cap, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp - 1;
    tmp[i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    put(buf, len, cap, tmp + i);
}

size_t fi_fault_text(const struct fi_rule *r, char *buf)
{
    static const char *const words[] = {
        [FI_F_SHORT] = "short=", [FI_F_EINTR] = "eintr", [FI_F_EAGAIN] = "eagain",
        [FI_F_RESET] = "reset", [FI_F_EOF] = "eof", [FI_F_ERROR] = "error=",
        [FI_F_DELAY] = "delay=", [FI_F_STALL] = "stall",
    };
    size_t len = 0, cap = 48;
    buf[0] = '\0';
    put(buf, &len, cap, words[r->fault]);
    if (r->fault == FI_F_SHORT || r->fault == FI_F_DELAY)
        put_u64(buf, &len, cap, (uint64_t)r->arg);
    else if (r->fault == FI_F_ERROR)
        put(buf, &len, cap, fi_errno_name((int)r->arg));
    return len;
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

static void put_i64(char *buf, size_t *len, size_t cap, long long v)
{
    if (v < 0) {
        put(buf, len, cap, "-");
        put_u64(buf, len, cap, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(buf, len, cap, (uint64_t)v);
    }
}

/* CLOCK_MONOTONIC as SECONDS.NANOSECONDS. */
static void put_time(char *buf, size_t *len, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char frac[10];
    long ns = ts.tv_nsec;
    for (int i = 8; i >= 0; i--, ns /= 10)
        frac[i] = (char)('0' + ns % 10);
    frac[9] = '\0';
    put_u64(buf, len, cap, (uint64_t)ts.tv_sec);
    put(buf, len, cap, ".");
    put(buf, len, cap, frac);
}

static _Atomic int held_fd = -1;

int fi_log_active(void)
{
    return log_path[0] != '\0';
}

/* The replay point's fields (filog.h), after every other. */
static void put_point(char *buf, size_t *len, size_t cap, const struct fi_point *pt)
{
    if (pt == NULL || pt->kind == FI_PT_NONE)
        return;
    if (pt->kind != FI_PT_WAIT) {
        put(buf, len, cap, " o=");
        put_u64(buf, len, cap, pt->ord);
    }
    put(buf, len, cap, " q=");
    put_u64(buf, len, cap, pt->q);
    if (pt->kind == FI_PT_DATA) {
        put(buf, len, cap, " off=");
        put_u64(buf, len, cap, pt->off);
    }
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
    char line[320], fault[48];
    size_t len = 0, cap = sizeof line;
    put_u64(line, &len, cap, (uint64_t)fi_self_pid());
    put(line, &len, cap, " ");
    put_u64(line, &len, cap, (uint64_t)fi_self_tid());
    put(line, &len, cap, " ");
    put(line, &len, cap, fi_call_name(rec->call));
    put(line, &len, cap, " ");
    put_i64(line, &len, cap, rec->fd);
    put(line, &len, cap, " ");
    fi_fault_text(rec->r, fault);
    put(line, &len, cap, fault);
    put(line, &len, cap, " n=");
    put_u64(line, &len, cap, rec->k);
    put(line, &len, cap, " rule=");
    put_u64(line, &len, cap, (uint64_t)rec->rule + 1);
    put(line, &len, cap, " t=");
    put_time(line, &len, cap);
    if (rec->data) {
        put(line, &len, cap, " asked=");
        put_i64(line, &len, cap, rec->asked);
        put(line, &len, cap, " ret=");
        put_i64(line, &len, cap, rec->ret);
    }
    put(line, &len, cap, " c=");
    put_u64(line, &len, cap, rec->callno);
    put(line, &len, cap, " proc=");
    put(line, &len, cap, fi_proc_path());
    if (fi_proc_image() > 0) {          /* the process exec'd: a new image */
        put(line, &len, cap, " x=");
        put_u64(line, &len, cap, fi_proc_image());
    }
    put_point(line, &len, cap, rec->pt);
    put(line, &len, cap, "\n");
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

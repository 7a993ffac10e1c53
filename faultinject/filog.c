/* filog.c: appends injection lines to FAULTINJECT_LOG (see filog.h). */
#include "filog.h"

#include "errnames.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
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
        [FI_F_DELAY] = "delay=",
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

void fi_log_injection(enum fi_call call, int fd, const struct fi_rule *r, uint64_t k)
{
    if (log_path[0] == '\0')
        return;
    int saved = errno;
    char line[160], fault[48];
    size_t len = 0, cap = sizeof line;
    put_u64(line, &len, cap, (uint64_t)getpid());
    put(line, &len, cap, " ");
    put_u64(line, &len, cap, (uint64_t)syscall(SYS_gettid));
    put(line, &len, cap, " ");
    put(line, &len, cap, fi_call_name(call));
    put(line, &len, cap, " ");
    put_u64(line, &len, cap, (uint64_t)(unsigned)fd);
    put(line, &len, cap, " ");
    fi_fault_text(r, fault);
    put(line, &len, cap, fault);
    put(line, &len, cap, " n=");
    put_u64(line, &len, cap, k);
    put(line, &len, cap, "\n");
    /* Raw system calls: the shim's own write/close must not be injected. */
    int lfd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
                           O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (lfd >= 0) {
        syscall(SYS_write, lfd, line, len);
        syscall(SYS_close, lfd);
    }
    errno = saved;
}

/* stdio.c: notices a socket handed to stdio while rules are active
 * (faultinject.md, Never silent). glibc's stdio reads and writes through
 * its internal calls, which no LD_PRELOAD shim sees, so rules on such a
 * socket cannot fire: the summary names it. fdopen itself is not changed. */
#include "engine.h"
#include "replay.h"
#include "tally.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>

#define EXPORT __attribute__((visibility("default")))

typedef FILE *(*fdopen_fn)(int, const char *);
static _Atomic(fdopen_fn) real_fdopen;

EXPORT FILE *fdopen(int fd, const char *mode)
{
    fdopen_fn f = atomic_load_explicit(&real_fdopen, memory_order_relaxed);
    if (f == NULL) {
        f = (fdopen_fn)dlsym(RTLD_NEXT, "fdopen");
        atomic_store_explicit(&real_fdopen, f, memory_order_relaxed);
    }
    FILE *fp = f(fd, mode);
    if (fp != NULL && (atomic_load_explicit(&fi_rule_mask, memory_order_relaxed) != 0 ||
                       fi_replay_active())) {
        int saved = errno;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
            fi_tally_stdio_socket(fd);
        errno = saved;
    }
    return fp;
}

/* proc.c: fork paths and per-process p= streams (see proc.h).
 *
 * The fork handlers number children: the prepare handler takes the next
 * number from this process's entry in the run's table (or a counter of
 * its own without faultrun) into a thread-local, so concurrent forks from
 * several threads each get theirs; the child appends it to the path and
 * registers under its pid, so that an exec'd image finds its path again.
 * A process the handlers never saw (posix_spawn, vfork, system()) takes
 * its number from its parent's entry when it loads.
 */
#include "proc.h"

#include "forkpath.h"
#include "tally.h"
#include "sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static char path[FI_PATH_MAX] = "0";
static uint64_t stream;
static struct fi_run_proc *self;          /* this process's table entry */
static unsigned image;                    /* exec'd images before this one */
static _Atomic uint32_t own_children;     /* without a table */
static __thread uint32_t fork_number;     /* set by prepare, in this thread */

static void set_path(const char *p)
{
    size_t n = strlen(p);
    if (n >= sizeof path)
        n = sizeof path - 1;
    memmove(path, p, n);
    path[n] = '\0';
    stream = fi_forkpath_stream(path);
}

uint64_t fi_proc_stream(void)
{
    return stream;
}

const char *fi_proc_path(void)
{
    return path;
}

unsigned fi_proc_image(void)
{
    return image;
}

void fi_proc_before_fork(void)
{
    fork_number = self != NULL ? atomic_fetch_add(&self->children, 1) + 1
                               : atomic_fetch_add(&own_children, 1) + 1;
}

void fi_proc_after_fork(void)
{
    if (fork_number == 0)
        return;                 /* a fork made without the handlers (vfork, clone) */
    char next[FI_PATH_MAX];
    fi_forkpath_child(path, fork_number, next);
    fork_number = 0;
    set_path(next);
    image = 0;
    atomic_store(&own_children, 0);
    struct fi_run *run = fi_run_shared();
    pid_t pid = fi_self_pid();
    /* In a sandbox: no /proc (start time 0: an exec'd image will not find
     * this entry, and takes a fresh one). */
    uint64_t start = fi_sandboxed() ? 0 : fi_proc_start_time(pid);
    self = run != NULL ? fi_run_register(run, pid, start, path) : NULL;
    if (self != NULL && fi_sandboxed())
        fi_proc_sandboxed();
}

void fi_proc_sandboxed(void)
{
    struct fi_run *run = fi_run_shared();
    if (self == NULL || atomic_exchange(&self->sandboxed, 1) != 0)
        return;
    if (run != NULL)
        atomic_fetch_add(&run->c.sandboxed, 1);
    size_t n = strlen(program_invocation_short_name);
    if (n >= sizeof self->name)
        n = sizeof self->name - 1;
    memcpy(self->name, program_invocation_short_name, n);
    self->name[n] = '\0';
}

void fi_proc_parent_after_fork(void)
{
    fork_number = 0;
}

/* At load: this process's path, from the table when there is one. */
void fi_proc_init(void)
{
    struct fi_run *run = fi_run_shared();
    if (run != NULL) {
        pid_t pid = getpid(), ppid = getppid();
        uint64_t start = fi_sandboxed() ? 0 : fi_proc_start_time(pid);
        struct fi_run_proc *e = fi_run_find(run, pid, start);
        if (e != NULL) {
            self = e;                           /* exec'd: the same process */
            set_path(e->path);
            image = atomic_fetch_add(&e->images, 1) + 1;
        } else {
            struct fi_run_proc *parent =
                fi_run_find(run, ppid, fi_sandboxed() ? 0 : fi_proc_start_time(ppid));
            char p[FI_PATH_MAX] = "0";
            if (parent != NULL)                 /* spawned without our handlers */
                fi_forkpath_child(parent->path, atomic_fetch_add(&parent->children, 1) + 1, p);
            set_path(p);
            self = fi_run_register(run, pid, start, path);
        }
    }
}

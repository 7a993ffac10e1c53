/* sandbox.h: a process that installed a seccomp filter (sshd's pre-auth
 * child, a browser's renderer) may be killed by any system call its
 * allow-list lacks, so from then on the shim makes none of its own
 * (faultinject.md, Faithful: never kill the program): O_NONBLOCK and the
 * socket timeouts come from fdflags.h, a descriptor's kind and ends from
 * what was recorded, the pid and tid from a cache, and the log goes out
 * by one write(2) on a descriptor opened before the filter. Where the
 * state is not known, the rule does not fire (FI_WHY_SANDBOXED).
 *
 * Owner: sandbox.c (the state and the cached ids). The filter is seen
 * where it is installed (seccomp.h); a process exec'd inside one sees
 * "Seccomp:" in /proc/self/status at load. Async-signal-safe.
 */
#ifndef FI_SANDBOX_H
#define FI_SANDBOX_H

#include <stdatomic.h>
#include <sys/types.h>

extern _Atomic int fi_sandbox_on;

/* Nonzero once this process may be under a seccomp filter. */
static inline int fi_sandboxed(void)
{
    return atomic_load_explicit(&fi_sandbox_on, memory_order_relaxed);
}

/* At load, first (run.c): caches the pid,
 * and notes a filter inherited across exec (the constructor then holds
 * the log open and marks the process, as when one is installed). */
void fi_sandbox_init(void);

/* A filter goes in now (seccomp.c, once every cache is filled): the ids
 * are cached and fi_sandboxed() says yes from then on. */
void fi_sandbox_enter(void);

/* In a forked child (fork handler): its own pid. */
void fi_sandbox_after_fork(void);

/* getpid() and gettid() for the log, with no system call once sandboxed
 * (the tid then is the one seen last in this thread, or the pid). */
pid_t fi_self_pid(void);
pid_t fi_self_tid(void);

#endif

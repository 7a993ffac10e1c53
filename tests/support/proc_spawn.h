/* proc_spawn.h: start a program (optionally under the fault shim or a wrapper
 * such as valgrind), wait for it with a timeout, stop it.
 * Every wait here is bounded: a hung program is killed, never waited on forever.
 */
#ifndef SUPPORT_PROC_SPAWN_H
#define SUPPORT_PROC_SPAWN_H

#include <sys/types.h>

struct spawn_opts {
    const char *shim;        /* libfaultinject.so to LD_PRELOAD, or NULL */
    const char *rules;       /* FAULTINJECT_RULES (with shim), or NULL */
    unsigned long seed;      /* FAULTINJECT_SEED when nonzero */
    const char *log;         /* FAULTINJECT_LOG file, or NULL */
    const char *const *wrapper; /* argv put before the program (e.g. valgrind
                                 * and its options), NULL-terminated, or NULL */
    const char *out;         /* file for stdout and stderr; NULL: inherited */
};

/* Starts ARGV (argv[0] a path) with O; the child dies with the calling
 * thread (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
 * The pid, or -1 with errno (exec failure makes the child exit 127). */
pid_t spawn_program(char *const argv[], const struct spawn_opts *o);

/* Waits up to TIMEOUT_MS for PID to exit: 0 and *STATUS (waitpid status),
 * or -1 (errno ETIMEDOUT) if it is still running. */
int proc_wait(pid_t pid, int timeout_ms, int *status);

/* Sends SIG and waits up to TIMEOUT_MS: 0 with *STATUS, or -1 (ETIMEDOUT)
 * after which PID has been killed with SIGKILL and reaped. */
int proc_stop(pid_t pid, int sig, int timeout_ms, int *status);

/* SIGKILL and reap (for teardown); harmless if already reaped or PID <= 0. */
void proc_kill(pid_t pid);

/* "exited 0", "killed by SIGSEGV", ... for a waitpid STATUS (static buffer
 * per call site is the caller's: writes into BUF of LEN). */
const char *proc_status_str(int status, char *buf, int len);

#endif

/* seccomp.h: a filter arriving (faultinject.md, Faithful: never kill the
 * program). prctl(PR_SET_SECCOMP) and syscall(SYS_seccomp, ...) are
 * interposed (pure pass-through otherwise): just before the filter goes
 * in, the shim learns what it will no longer ask (each open descriptor's
 * O_NONBLOCK, timeouts, kind and ends), holds the log open, marks the
 * process, and then makes no system call of its own (sandbox.h).
 * Owner: seccomp.c.
 */
#ifndef FI_SECCOMP_H
#define FI_SECCOMP_H

/* Resolves prctl and syscall now, at load (control.c), so that no lookup
 * happens later. */
void fi_seccomp_resolve(void);

#endif

/* tracee.h: what the trace backend reads and changes in a stopped tracee
 * (faultinject.md, Backends): the system call it stopped at, its
 * registers, its memory, and its descriptors as the kernel holds them.
 *
 * Owner: tracee.c. x86_64 only. Every function works on a thread that is
 * in a ptrace stop (the seccomp stop or the syscall-exit stop after it),
 * returns -1 with errno when the thread is gone, and never blocks.
 */
#ifndef FI_TRACEE_H
#define FI_TRACEE_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The system call a thread is stopped at (PTRACE_GET_SYSCALL_INFO). */
struct ft_call {
    long nr;
    uint64_t args[6];
    int native;             /* the x86_64 call table (not i386 or x32) */
};

/* At a seccomp stop: the call. 0, or -1 (gone, or not a seccomp stop). */
int ft_call_at(pid_t tid, struct ft_call *c);

/* At a seccomp stop: NR replaces the call's number (-1: skip it); ARG
 * (0..5) becomes VAL. At the syscall-exit stop: the return value. */
int ft_set_nr(pid_t tid, long nr);
int ft_set_arg(pid_t tid, int arg, uint64_t val);
int ft_get_ret(pid_t tid, long long *ret);
int ft_set_ret(pid_t tid, long long ret);

/* At a stop: the stack pointer; and the argument registers whose bit
 * (1 << ARG) is in MASK set back to ARGS[ARG]. */
int ft_get_sp(pid_t tid, uint64_t *sp);
int ft_set_args(pid_t tid, const uint64_t args[6], unsigned mask);

/* LEN bytes of PID's memory at ADDR into BUF (process_vm_readv). */
int ft_peek(pid_t pid, uint64_t addr, void *buf, size_t len);

/* LEN bytes of BUF into PID's memory at ADDR (process_vm_writev; the
 * page must be writable: the stack below the red zone is, 128 bytes under
 * rsp by the x86_64 ABI). */
int ft_poke(pid_t pid, uint64_t addr, const void *buf, size_t len);

/* What descriptor FD of process PID is (stat through /proc/PID/fd/FD). */
int ft_fd_stat(pid_t pid, int fd, struct stat *st);

/* A copy of PID's descriptor FD in this process (pidfd_getfd: same open
 * file description, so flags and socket options read as the tracee's),
 * close-on-exec; the caller closes it. -1 if it cannot be had. */
int ft_fd_copy(int pidfd, int fd);

/* PIDFD for PID (pidfd_open), or -1. */
int ft_pidfd(pid_t pid);

/* Thread TID of PID: the signals PID catches (SigCgt) and those TID
 * blocks (SigBlk), bit N-1 for signal N. */
int ft_sigmasks(pid_t pid, pid_t tid, uint64_t *caught, uint64_t *blocked);

/* TID's thread group (Tgid), or -1; its parent process in *PPID. */
pid_t ft_tgid(pid_t tid, pid_t *ppid);

/* Whether this kernel lets us trace: PTRACE_GET_SYSCALL_INFO (5.3),
 * seccomp filters, pidfd_getfd (5.6). 0, or -1 with why in WHY. */
int ft_kernel_check(char *why, size_t whylen);

#endif

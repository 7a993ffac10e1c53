/* procstat.h: what /proc shows of a process, read from outside it
 * (S6: open descriptors, threads, zombie children; S4: caught signals). */
#ifndef SUPPORT_PROCSTAT_H
#define SUPPORT_PROCSTAT_H

#include <sys/types.h>

/* Entries in /proc/PID/fd, or -1 (process gone). */
int proc_count_fds(pid_t pid);

/* "Threads:" of /proc/PID/status, or -1. */
int proc_count_threads(pid_t pid);

/* The signals PID catches (a handler installed: "SigCgt:" of
 * /proc/PID/status, bit N-1 for signal N) into MASK. 0, or -1. */
int proc_caught_signals(pid_t pid, unsigned long long *mask);

/* Zombies among PID's descendants (children, grandchildren, ...): processes
 * whose /proc/N/stat state is Z. -1 if /proc cannot be read. */
int proc_count_zombies(pid_t pid);

/* Live (non-zombie) descendants of PID, or -1. */
int proc_count_descendants(pid_t pid);

/* 1 if PID exists and is not a zombie, else 0. */
int proc_alive(pid_t pid);

#endif

/* fdflags.h: what the shim knows of each descriptor's O_NONBLOCK and
 * SO_RCVTIMEO/SO_SNDTIMEO without asking the kernel (faultinject.md,
 * eagain and stall: "where the kernel could say EAGAIN"), for a process
 * in a seccomp sandbox, where the shim makes no system call of its own
 * (sandbox.h).
 *
 * Owner: fdflags.c. Filled by the calls that set the state (socket,
 * socketpair, accept4, pipe2, open flags; fcntl F_SETFL, ioctl FIONBIO,
 * setsockopt), by what the kernel answered the shim before the filter
 * (sandbox.c's snapshot), and copied by dup and F_DUPFD (same open file
 * description). Forgotten on every close the shim sees. Static arrays,
 * atomics only: async-signal-safe. Descriptors from FI_FD_CAP up are
 * never known.
 */
#ifndef FI_FDFLAGS_H
#define FI_FDFLAGS_H

#include <stdint.h>
#include <time.h>

/* FD's O_NONBLOCK: 1 set, 0 clear, -1 not known. */
int fi_fdflags_nonblocking(int fd);
void fi_fdflags_set_nonblocking(int fd, int on);

/* FD's receive (READING) or send timeout: 1 set (into *OUT), 0 none,
 * -1 not known. */
int fi_fdflags_timeout(int fd, int reading, struct timespec *out);
/* NS 0: no timeout. */
void fi_fdflags_set_timeout(int fd, int reading, uint64_t ns);

/* A new descriptor the kernel just made: O_NONBLOCK as given, and for a
 * new socket no timeouts (socket(7): 0 by default). */
void fi_fdflags_fresh(int fd, int nonblocking, int socket_without_timeouts);

/* NEWFD is a copy of FD (dup, F_DUPFD): the same open file description,
 * so the same O_NONBLOCK and socket options. */
void fi_fdflags_copy(int fd, int newfd);

/* NEWFD's timeouts are FD's (accept(2): the new socket's options are
 * the listener's), known or not. */
void fi_fdflags_copy_timeouts(int fd, int newfd);

/* FD was closed: nothing is known of the number any more. FIRST..LAST
 * inclusive: the same for a range. */
void fi_fdflags_forget(int fd);
void fi_fdflags_forget_range(unsigned first, unsigned last);

/* Resolves the interposed fcntl, ioctl, setsockopt (fdflags.c). */
void fi_fdflags_resolve(void);

#endif

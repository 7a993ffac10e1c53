/* blocking.h: whether a call on a descriptor could block, and how long
 * (faultinject.md: eagain only where the kernel could say it; stall).
 * Each asks the kernel (fcntl, getsockopt), so the shim asks only for a
 * rule about to fire or a stalled descriptor; in a seccomp sandbox they
 * read fdflags.h's cache instead. Async-signal-safe.
 */
#ifndef FI_BLOCKING_H
#define FI_BLOCKING_H

#include <time.h>

/* Nonzero when FD is in non-blocking mode (O_NONBLOCK). */
int fi_nonblocking(int fd);

/* FD's SO_RCVTIMEO (READING) or SO_SNDTIMEO into *OUT; 1 when set
 * (nonzero), else 0 (no timeout, or not a socket). */
int fi_timeout(int fd, int reading, struct timespec *out);

/* Whether fi_nonblocking and fi_timeout know FD's state for this call:
 * always, but in a seccomp sandbox only what fdflags.h recorded. */
int fi_blocking_known(int fd, int reading, int dontwait);

/* Whether the kernel could answer EAGAIN to this call: FD non-blocking,
 * DONTWAIT (MSG_DONTWAIT, SPLICE_F_NONBLOCK) asked, or a timeout set. */
int fi_could_eagain(int fd, int reading, int dontwait);

/* A call on a stalled direction of FD: what the kernel does when no data
 * (or room) ever comes. Non-blocking or DONTWAIT: EAGAIN at once; with a
 * timeout: waits that long, then EAGAIN; else waits until a signal is
 * caught. A caught signal ends the wait with EINTR. Returns -1. */
long fi_stall_wait(int fd, int reading, int dontwait);

#endif

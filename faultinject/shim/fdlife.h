/* fdlife.h: the calls that hand out or close descriptors (accept,
 * connect, close, close_range, closefrom, dup*, recvmsg SCM_RIGHTS,
 * fdopen): each refreshes or forgets what the shim believes of a
 * descriptor (faultinject.md, No stale records). Owner: fdlife.c. */
#ifndef FI_FDLIFE_H
#define FI_FDLIFE_H

#include <sys/socket.h>

/* fdlife.c's part of fi_shim_resolve. */
void fi_fdlife_resolve(void);

/* recvmsg returned MSG: the descriptors an SCM_RIGHTS message carried
 * are new numbers, with no state (fdlife.c). */
void fi_fdlife_received(const struct msghdr *msg);

/* The new socket NFD (or -1) accept/accept4 returned on LISTENER (ADDR,
 * ALEN as the caller passed them, FLAGS accept4's): no old state, its
 * ends and (in a sandbox) its kind and O_NONBLOCK recorded. Returns NFD,
 * errno kept. */
int fi_fdlife_accepted(int listener, int nfd, struct sockaddr *addr, socklen_t *alen,
                       int flags);

/* connect(FD, TO) returned R: its ends recorded when the attempt is made
 * or goes on. Returns R, errno kept. */
int fi_fdlife_connected(int fd, const struct sockaddr *to, socklen_t tolen, int r);

/* FD was closed: every record of it forgotten (errno kept). */
void fi_fdlife_closed(int fd);

/* Nonzero when FD is the run's counter memfd (run.h): close(2) on it is
 * answered 0 and the descriptor kept, so exec'd children still find it. */
int fi_fdlife_spared(int fd);

#endif

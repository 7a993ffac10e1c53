/* sockends.h: peer= and local= (faultinject.md, OPTION): a socket's two
 * ends. Recorded when the socket gets them (connect: the address given;
 * accept: the address it returned, or getpeername right after; bind and
 * connect: getsockname right after), so that a peer that has already
 * reset (getpeername then fails) is still the socket's peer; a socket the
 * shim saw no such call for is looked up once (getpeername/getsockname)
 * and cached in fdstate. In a seccomp sandbox (sandbox.h) only what was
 * recorded is used. Owner of the recorded ends: sockends.c (a seqlock per
 * end, atomics only). Async-signal-safe.
 */
#ifndef FI_SOCKENDS_H
#define FI_SOCKENDS_H

#include <sys/socket.h>

#include "rules.h"

/* Whether R's peer= and local= match socket FD. TO (connect's address,
 * or NULL) stands for the remote end the socket is being connected to.
 * A listener has no remote end: peer= never matches it. */
int fi_ends_match(int fd, const struct fi_rule *r, const struct sockaddr *to, socklen_t tolen);

/* FD connect()ed to TO (0, or EINPROGRESS/EINTR: the attempt goes on). */
void fi_ends_connected(int fd, const struct sockaddr *to, socklen_t tolen);

/* NFD was accepted on LISTENER; ADDR (may be NULL) is what accept returned. */
void fi_ends_accepted(int listener, int nfd, const struct sockaddr *addr, const socklen_t *alen);

/* FD was bound to ADDR. */
void fi_ends_bound(int fd, const struct sockaddr *addr, socklen_t len);

/* FD is being shut down: its peer, while the kernel still knows it. */
void fi_ends_shutdown(int fd);

/* Before a seccomp filter: FD's ends as the kernel has them now. */
void fi_ends_learn(int fd);

/* NEWFD is a copy of FD (dup, F_DUPFD); FD was closed or is new. */
void fi_ends_copy(int fd, int newfd);
void fi_ends_forget(int fd);
void fi_ends_forget_range(unsigned first, unsigned last);

/* Resolves the interposed bind and shutdown (sockends.c). */
void fi_ends_resolve(void);

#endif

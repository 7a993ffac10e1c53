/* sockends.h: peer= and local= (faultinject.md, OPTION): a socket's two
 * ends, looked up once (getpeername/getsockname) and cached in fdstate.
 * Async-signal-safe.
 */
#ifndef FI_SOCKENDS_H
#define FI_SOCKENDS_H

#include <sys/socket.h>

#include "rules.h"

/* Whether R's peer= and local= match socket FD. TO (connect's address,
 * or NULL) stands for the remote end the socket is being connected to.
 * A listener has no remote end: peer= never matches it. */
int fi_ends_match(int fd, const struct fi_rule *r, const struct sockaddr *to, socklen_t tolen);

#endif

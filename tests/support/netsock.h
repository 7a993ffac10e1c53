/* netsock.h: the sockets a test makes for itself, the one set every suite
 * uses: a connected AF_UNIX pair, a loopback listener on a port the kernel
 * picks (port 0), an address nobody listens on, a blocking connect, a
 * loopback TCP pair, the bytes queued on a socket. Each returns -1 with
 * errno on failure and never fails a test: the suites' own forms (fiu_*,
 * fi_t_*) do that. The TCP sockets made are close-on-exec; the AF_UNIX pair
 * and the accepted side of a TCP pair are what plain socketpair() and
 * accept() give (the calls the suites' shim rules name). The client steps
 * under a deadline and /proc/net are netio.h.
 *
 * The wrap suite links this file beside a candidate's wrap.c, which may
 * define any external name that does not start with fi_ (wrap-contract.md):
 * so each name here is a macro for an fi_net_ one, and netsock.c uses
 * nothing else of tests/support. */
#ifndef SUPPORT_NETSOCK_H
#define SUPPORT_NETSOCK_H

#include <netinet/in.h>

#define net_pair      fi_net_pair
#define net_listen    fi_net_listen
#define net_bound     fi_net_bound
#define net_dial      fi_net_dial
#define net_tcp_pair  fi_net_tcp_pair
#define net_pending   fi_net_pending

/* A connected AF_UNIX stream socketpair. 0, or -1 with errno. */
int net_pair(int sv[2]);

/* A TCP socket listening on 127.0.0.1 with BACKLOG, on a port the kernel
 * chose; its address in *ADDR. The descriptor, or -1 with errno. */
int net_listen(struct sockaddr_in *addr, int backlog);

/* A TCP socket bound to 127.0.0.1 on a port the kernel chose, never
 * listening: while it is open, a connect to *ADDR is refused (RST on SYN);
 * closed, *ADDR's port is free for a while. The descriptor, or -1. */
int net_bound(struct sockaddr_in *addr);

/* A blocking TCP socket connected to ADDR (connect retried on EINTR). The
 * descriptor, or -1 with errno. */
int net_dial(const struct sockaddr_in *addr);

/* A connected loopback TCP pair: FDS[0] the side that connected, FDS[1]
 * the side accepted (the listener is closed). 0, or -1 with errno. */
int net_tcp_pair(int fds[2]);

/* Bytes waiting in FD's receive queue (FIONREAD), or -1 with errno. */
int net_pending(int fd);

#endif

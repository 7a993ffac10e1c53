/* netio.h: loopback sockets for tests, every call under a deadline.
 * All addresses are 127.0.0.1. */
#ifndef SUPPORT_NETIO_H
#define SUPPORT_NETIO_H

#include <stddef.h>
#include <sys/types.h>

/* A port the kernel just gave to a socket bound to 127.0.0.1:0 (then
 * closed), or -1. Another process could take it meanwhile; tests that
 * start a server retry on a fresh port if it fails to listen. */
int net_free_port(void);

/* A blocking socket connected to 127.0.0.1:PORT within TIMEOUT_MS, or -1
 * with errno (ECONNREFUSED, ETIMEDOUT, ...). */
int net_connect(int port, int timeout_ms);

/* Connects until it succeeds (then closes) or TIMEOUT_MS pass, giving up
 * early if PID (when > 0) has exited. 0, or -1 with errno. */
int net_wait_port(int port, int timeout_ms, pid_t pid);

/* Waits, without connecting, until /proc/net/tcp{,6} shows a socket
 * listening on PORT (127.0.0.1, any address, or ::). Gives up early if PID
 * (when > 0) is gone. 0, or -1 (ETIMEDOUT, ESRCH). */
int net_wait_listen(int port, int timeout_ms, pid_t pid);

/* How a read-all ended. */
enum net_end { NET_EOF, NET_RESET, NET_TIMEOUT, NET_FULL, NET_ERROR };

/* Reads into BUF (at most CAP bytes) until end of stream, an error, CAP
 * bytes, or TIMEOUT_MS. *GOT gets the count. */
enum net_end net_read_all(int fd, void *buf, size_t cap, size_t *got, int timeout_ms);

/* Writes all N bytes within TIMEOUT_MS (poll between partial writes; works
 * on blocking and non-blocking sockets). N, or -1 with errno (ETIMEDOUT,
 * EPIPE, ...); SIGPIPE is not raised (MSG_NOSIGNAL). */
ssize_t net_write_all(int fd, const void *buf, size_t n, int timeout_ms);

/* Closes FD with an RST (SO_LINGER 0). */
void net_close_rst(int fd);

/* The local port of socket FD, or -1. */
int net_local_port(int fd);

/* TCP states as in /proc/net/tcp. */
enum { TCP_ST_ESTABLISHED = 1, TCP_ST_FIN_WAIT1 = 4, TCP_ST_CLOSE_WAIT = 8, TCP_ST_LISTEN = 10 };

/* State of the socket whose local port is LPORT and remote port RPORT
 * (both on loopback), with its send/receive queue sizes if wanted;
 * 0 when there is no such socket. */
int net_tcp_state(int lport, int rport, unsigned *txq, unsigned *rxq);

/* Fills BUF with N pseudo-random bytes (all 256 values) from *SEED. */
void net_fill_random(unsigned char *buf, size_t n, unsigned long long *seed);

#endif

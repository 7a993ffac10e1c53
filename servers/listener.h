/* listener.h: the listening socket of both servers. */
#ifndef LISTENER_H
#define LISTENER_H

/* S0: a non-blocking, close-on-exec socket listening on ADDR:PORT (IPv4 or
 * IPv6 literal), SO_REUSEADDR set. -1 with a message on a bad ADDR; a
 * failing socket/bind/listen exits with a message (wrap's P2). */
int listener_open(const char *addr, unsigned short port);

#endif

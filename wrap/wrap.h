/* wrap.h: the course's error-wrapping layer, hardened.
 * The clauses (P1.., R1.., L1..) are those of shared/spec/wrap-contract.md.
 * Errors return -1 with errno of the failing system call; only perr_exit and
 * the startup calls (Socket, Bind, Listen) exit.
 */
#ifndef WRAP_H
#define WRAP_H

#include <sys/types.h>
#include <sys/socket.h>

/* P1: prints S and strerror(errno) to stderr, exits nonzero. */
void perr_exit(const char *s);

/* P2: the system call's result, or perr_exit on failure. */
int Socket(int family, int type, int protocol);
int Bind(int fd, const struct sockaddr *sa, socklen_t salen);
int Listen(int fd, int backlog);

/* C1-C3: 0 once connected; EINTR waits for the attempt (poll + SO_ERROR)
 * and never calls connect() again; other failures -1 with errno. */
int Connect(int fd, const struct sockaddr *sa, socklen_t salen);

/* A1-A2: retries EINTR and ECONNABORTED; EMFILE and the rest return -1. */
int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr);

/* R1-R3, W1-W3: one read()/write(), EINTR retried, short counts returned.
 * They do not see what Readline read ahead (use Readn after Readline). */
ssize_t Read(int fd, void *ptr, size_t nbytes);
ssize_t Write(int fd, const void *ptr, size_t nbytes);

/* CL1: drops fd's Readline state, then close(); EINTR counts as closed
 * (Linux releases the fd), other failures -1 with errno.
 * M1: the library holds no memory once every fd it saw went through Close. */
int Close(int fd);

/* N1-N6: exactly n bytes unless the stream ends (then fewer); never reads
 * ahead; drains Readline's buffer first (L10); bytes taken before a failure
 * come back from the next Readn/Readline (N4). */
ssize_t Readn(int fd, void *vptr, size_t n);

/* WN1-WN3: all n bytes across short writes and EINTR, or -1. */
ssize_t Writen(int fd, const void *vptr, size_t n);

/* L1-L13: one line, '\n' included, NUL-terminated, at most maxlen-1 bytes
 * (maxlen < 2: EINVAL); buffered per descriptor (freed by Close), binary-safe,
 * thread-safe across descriptors (T1); a failure keeps the unfinished line
 * for the next call (L6). */
ssize_t Readline(int fd, void *vptr, size_t maxlen);

#endif

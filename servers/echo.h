/* echo.h: the per-connection echo loop both servers run.
 * Clauses are those of shared/spec/server-contract.md.
 */
#ifndef ECHO_H
#define ECHO_H

#include <stddef.h>

/* S1, S2, S4, S5, S8: echoes FD (a-z mapped to A-Z, every other byte as is)
 * until end of stream, a connection error (ECONNRESET, EPIPE: ended quietly)
 * or IDLE_MS without a byte moving either way (IDLE_MS <= 0: no limit);
 * short reads/writes, EINTR and spurious EAGAIN are ridden out. Closes FD.
 * Returns the number of bytes echoed. */
long long echo_connection(int fd, int idle_ms);

/* S1: maps a-z to A-Z in place, every other byte unchanged. */
void echo_upcase(char *buf, size_t n);

#endif

/* fdstate.h: what the shim remembers per descriptor, lock-free.
 *
 * Static arrays indexed by fd (no malloc, so Valgrind sees nothing of ours);
 * descriptors from FI_FD_CAP up have no state: no sticky reset/eof, no
 * after= byte count, per=fd counts fall back to the process count.
 * Each fd's state is tied to the file it was recorded for (device and inode):
 * when the number is reused for another file, even through a close the shim
 * did not see (fclose, close_range), the old state is dropped.
 */
#ifndef FI_FDSTATE_H
#define FI_FDSTATE_H

#include <stddef.h>
#include <stdint.h>

#define FI_FD_CAP 65536

#include "rules.h"

/* Sticky states (faultinject.md, reset / eof). */
enum { FI_ST_NONE = 0, FI_ST_EOF = 1, FI_ST_RESET = 2 };

/* Ties FD's state to the file IDENT (from fstat); drops it if FD now
 * names another file. */
void fi_fd_identify(int fd, uint64_t ident);

/* FD was closed or newly created: forget everything about it. */
void fi_fd_forget(int fd);

/* reset/eof: "the state belongs to the descriptor" until it is closed. */
int fi_fd_sticky(int fd);
void fi_fd_set_sticky(int fd, int state);

/* after=: bytes moved through FD (reads and writes). */
void fi_fd_add_bytes(int fd, uint64_t n);
uint64_t fi_fd_bytes(int fd);

/* New rules with after=: every descriptor starts again from 0 bytes. */
void fi_fd_reset_bytes(void);

/* per=fd: counts one more call of rule RULE on FD in ruleset generation
 * GEN (1..65535) and returns the call's number (1 after a new GEN). */
uint64_t fi_fd_count(int rule, int fd, unsigned gen);

#endif

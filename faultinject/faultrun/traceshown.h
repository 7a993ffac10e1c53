/* traceshown.h: readiness shown to the traced program, per descriptor
 * (the shim's fdstate.h "Readiness shown", same encoding): a wait
 * reported it readable (TS_RD) or writable (TS_WR), or MSG_PEEK showed N
 * bytes (readable, N kept above TS_SHIFT), and no traced data call in
 * that direction has taken it since.
 *
 * Owner: traceshown.c; one table per traced process (struct tproc's
 * shown, NULL until the first note). tracewait.c notes, tracecall.c
 * takes (faultinject.md, eagain: the first read-like (write-like) call
 * after a wait reported the descriptor ready).
 */
#ifndef FI_TRACESHOWN_H
#define FI_TRACESHOWN_H

#include <stdint.h>

struct ts_table;

enum { TS_RD = 1, TS_WR = 2, TS_SHIFT = 2 };

/* A wait reported REVENTS (POLLIN/POLLRDNORM, POLLOUT/POLLWRNORM; the
 * EPOLL bits are the same) for FD. *T is made on the first note. */
void ts_note(struct ts_table **t, int fd, unsigned revents);

/* MSG_PEEK showed N bytes of FD (the write bit stays). */
void ts_peeked(struct ts_table **t, int fd, uint64_t n);

/* A data call on FD in direction READING takes its bit (the peeked count
 * goes with the read bit): what was there, 0 if that bit was not. */
uint64_t ts_take(struct ts_table *t, int fd, int reading);

/* FD was closed: nothing shown any more. */
void ts_forget(struct ts_table *t, int fd);

/* A forked child's copy (NULL for none); and a table's end. */
struct ts_table *ts_copy(const struct ts_table *t);
void ts_free(struct ts_table *t);

#endif

/* traceepoll.h: the traced program's epoll registrations, as its
 * epoll_ctl calls made them (faultinject.md, Readiness agrees): one
 * record per descriptor (the last epoll instance it was added to, as the
 * shim's fdstate.h fi_epreg), with the events and data the program asked
 * for. The waits' notes (tracewait.c) read them to name a descriptor by
 * the data an epoll event carries; the EPOLLET re-arm reads them for the
 * events and data to hand back to EPOLL_CTL_MOD.
 *
 * Owner: traceepoll.c; one table per traced process (struct tproc's ep,
 * NULL until the first record), written only through these calls.
 * tracewait.c records at epoll_ctl's exit stop when it succeeded, while
 * tr_run.want_ready (the filter stops epoll_ctl only then).
 */
#ifndef FI_TRACEEPOLL_H
#define FI_TRACEEPOLL_H

#include <stdint.h>

struct te_table;

/* One registration: the epoll descriptor, the program's events
 * (EPOLLIN, EPOLLET, EPOLLONESHOT ...) and data. */
struct te_reg {
    int epfd;
    uint32_t events;
    uint64_t data;
};

/* After a successful epoll_ctl(EPFD, OP, FD, {EVENTS, DATA}); *T is
 * made on the first record. */
void te_record(struct te_table **t, int epfd, int op, int fd, uint32_t events, uint64_t data);

/* FD's registration: 1 and *OUT, or 0 if it has none. */
int te_lookup(const struct te_table *t, int fd, struct te_reg *out);

/* The descriptor registered in EPFD with DATA: DATA's low 32 bits as a
 * number first (data.fd), else the last recorded of several (a pointer
 * as data: a scan); -1 if none. */
int te_find(const struct te_table *t, int epfd, uint64_t data);

/* FD was closed (the kernel drops it from every epoll set). */
void te_forget(struct te_table *t, int fd);

/* A forked child's copy (its descriptors are copies, and so are their
 * registrations; NULL for none); and a table's end. */
struct te_table *te_copy(const struct te_table *t);
void te_free(struct te_table *t);

#endif

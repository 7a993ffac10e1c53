/* traceepoll.h: the traced program's epoll registrations, as its
 * epoll_ctl calls made them (faultinject.md, Readiness agrees): one
 * record per descriptor (the last epoll instance it was added to, as the
 * shim's fdstate.h fi_epreg), with the events and data the program asked
 * for. The waits' notes (tracewait.c) read them to name a descriptor by
 * the data an epoll event carries; the EPOLLET re-arm reads them for the
 * events and data to hand back to EPOLL_CTL_MOD.
 *
 * Owner: traceepoll.c (records are written only by te_record and the
 * lifetime calls). Recorded at epoll_ctl's exit stop when it succeeded,
 * while tr_run.want_ready (the filter stops epoll_ctl only then).
 */
#ifndef FI_TRACEEPOLL_H
#define FI_TRACEEPOLL_H

#include <stdint.h>

struct tproc;

/* One registration: the epoll descriptor, the program's events
 * (EPOLLIN, EPOLLET, EPOLLONESHOT ...) and data. */
struct te_reg {
    int epfd;
    uint32_t events;
    uint64_t data;
};

/* After a successful epoll_ctl(EPFD, OP, FD, {EVENTS, DATA}) in P. */
void te_record(struct tproc *p, int epfd, int op, int fd, uint32_t events, uint64_t data);

/* FD's registration in P: 1 and *OUT, or 0 if it has none. */
int te_lookup(const struct tproc *p, int fd, struct te_reg *out);

/* The descriptor of P registered in EPFD with DATA: DATA's low 32 bits
 * as a number first (data.fd), else the last recorded of several (a
 * pointer as data: a scan); -1 if none. */
int te_find(const struct tproc *p, int epfd, uint64_t data);

/* FD was closed in P (the kernel drops it from every epoll set). */
void te_forget(struct tproc *p, int fd);

/* CHILD was forked from PARENT: a copy of its records (its descriptors
 * are copies, and so are their registrations). P is gone: free them. */
void te_fork(struct tproc *child, const struct tproc *parent);
void te_free(struct tproc *p);

#endif

/* epreg.h: the program's epoll registrations, as the shim saw them pass
 * through epoll_ctl (faultinject.md, Readiness agrees).
 *
 * One record per descriptor (the last epoll instance it was added to):
 * the epoll descriptor, the events and data the program asked for, and the
 * fd state epoch (fdstate.h) last reported for it by a made-up event.
 * Static arrays, lock-free (a sequence word per record), async-signal-safe.
 * Descriptors from FI_FD_CAP up are not recorded.
 */
#ifndef FI_EPREG_H
#define FI_EPREG_H

#include <stdint.h>

struct fi_epreg {
    int epfd;
    uint32_t events;          /* the program's view (EPOLLIN, EPOLLET, ...) */
    uint64_t data;
    unsigned told;            /* the state epoch last reported (0: none) */
};

/* After a successful epoll_ctl(EPFD, OP, FD, {EVENTS, DATA}). */
void fi_ep_record(int epfd, int op, int fd, uint32_t events, uint64_t data);

/* FD's record; 0 if it has none. */
int fi_ep_lookup(int fd, struct fi_epreg *out);

/* The descriptor registered in EPFD with DATA (the last one recorded);
 * -1 if none. */
int fi_ep_find(int epfd, uint64_t data);

/* A made-up event for state epoch EPOCH was reported for FD. */
void fi_ep_told(int fd, unsigned epoch);

/* FD was closed (the kernel drops it from every epoll set). */
void fi_ep_forget(int fd);

#endif

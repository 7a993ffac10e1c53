/* tracewait.h: what the traced program's waits reported, for the data
 * call after them (faultinject.md, eagain: "Nor does it fire on the first
 * read-like (write-like) call after a wait reported the descriptor ready,
 * or after MSG_PEEK showed bytes"), as the shim's waits.c notes it:
 *   poll, ppoll: the revents of its pollfd array;
 *   select, pselect6: its read and write sets;
 *   epoll_wait, epoll_pwait, epoll_pwait2: its events, each naming a
 *     descriptor by the data the program registered (traceepoll.h);
 *   recv, recvfrom, recvmsg with MSG_PEEK: the bytes it showed;
 * all read from the tracee's memory at the call's exit stop. The next
 * traced data call on that descriptor in that direction takes the note
 * (traceshown.h, ts_take), fired or not, as the shim's slow path does.
 *
 * And what the waits must see of the descriptors in a sticky state
 * (tracefd.h; faultinject.md: reset and eof "belong to the descriptor"),
 * as the shim's waits.c: a watched descriptor in reset or eof state is
 * reported at once as the kernel reports one after a real RST (readable,
 * writable, HUP, ERR, RDHUP) or FIN (readable, RDHUP): at the wait's entry
 * its timeout becomes 0 (a zero timespec or timeval below the red zone
 * for the calls that take a pointer; the registers are set back at the
 * exit), at its exit the revents, fd sets or epoll events in the tracee
 * get the bits (an epoll wait a made-up event with the registered data;
 * edge-triggered or one-shot: once per state), and the count returned is
 * counted again. A stalled direction (tracefd.h, stall) is never ready:
 * its bits are taken out of a pollfd's events at the entry (set back at
 * the exit) and of its revents, out of select's sets at the entry (set
 * back if the wait fails), out of the events an epoll wait returns (not
 * yet: an epoll wait that only a stalled descriptor woke returns 0 early,
 * where the shim changes the registration and waits on).
 *
 * Owner: tracewait.c. Only while tr_run.want_ready (some rule could make
 * a data call fail or stall where a wait showed it ready): the filter
 * then stops the waits, epoll_ctl and close.
 */
#ifndef FI_TRACEWAIT_H
#define FI_TRACEWAIT_H

#include "tracee.h"

#include <stdint.h>

struct tproc;

/* What a stopped call leaves to note at its exit stop (kind 0: nothing). */
enum { TW_NONE, TW_WAIT, TW_PEEK, TW_EPCTL };
#define TW_MAX_SPECIAL 16       /* sticky descriptors a wait reports (more: the kernel's word) */
struct tw_special {
    int index;                  /* poll: into the array; select, epoll: the descriptor */
    unsigned add;               /* the bits reported */
    unsigned strip;             /* stalled: the bits taken out (poll: of events; select:
                                 * POLLIN/POLLOUT, the descriptor cleared from that set) */
    unsigned short events;      /* poll: what the program asked */
    uint64_t data;              /* epoll: the registered data */
    int once;                   /* epoll: edge-triggered or one-shot */
};
struct tw_note {
    int kind;
    long nr;
    uint64_t args[6];
    uint32_t events;            /* epoll_ctl: the program's event */
    uint64_t data;
    pid_t tid;
    unsigned restore;           /* argument registers (bit N) to set back to ARGS */
    int nsp;
    int marked;                 /* some descriptor is sticky or stalled: epoll filters */
    struct tw_special sp[TW_MAX_SPECIAL];
};

/* At the seccomp stop of call C of thread TID in P: what to note at its
 * exit (its registers may change meanwhile: the arguments are kept); a
 * wait watching a sticky descriptor gets a zero timeout. A close forgets
 * the descriptor's notes and registration at once. */
struct tw_note tw_entry(struct tproc *p, pid_t tid, const struct ft_call *c);

/* At the exit stop: *RET is what the program gets back (a wait's count
 * of ready entries grows with the sticky descriptors it reports). */
void tw_exit(struct tproc *p, const struct tw_note *n, long long *ret);

/* P runs a new image: its notes and registrations start again, as a
 * freshly loaded shim's. */
void tw_exec(struct tproc *p);

#endif

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
struct tw_note {
    int kind;
    long nr;
    uint64_t args[6];
    uint32_t events;            /* epoll_ctl: the program's event */
    uint64_t data;
};

/* At the seccomp stop of call C in P: what to note at its exit (its
 * registers may change meanwhile: the arguments are kept). A close
 * forgets the descriptor's notes and registration at once. */
struct tw_note tw_entry(struct tproc *p, const struct ft_call *c);

/* At the exit stop: RET is what the program gets back. */
void tw_exit(struct tproc *p, const struct tw_note *n, long long ret);

/* P runs a new image: its notes and registrations start again, as a
 * freshly loaded shim's. */
void tw_exec(struct tproc *p);

#endif

/* fdstate.h: what the shim remembers per descriptor, lock-free.
 *
 * Static arrays indexed by fd (no malloc, so Valgrind sees nothing of ours);
 * descriptors from FI_FD_CAP up have no state: kind looked up on every call,
 * no sticky reset/eof/stall, no after= byte count, per=fd counts fall back to
 * the process count, callno 0.
 * The state is dropped on every close the shim sees (close, fclose, pclose,
 * closedir, close_range, closefrom, dup2/dup3 onto the number, and any
 * descriptor the interposed calls hand out). A descriptor in a sticky or
 * stalled state is also tied to its file (device and inode), checked on
 * each call, so that a close the shim does not see (a raw syscall) cannot
 * leave its state on a new file; other state trusts the close paths.
 * Async-signal-safe.
 * Owns every per-descriptor record and the fast path's second gate
 * (fi_fd_gate): only fdstate.c writes them; engine.c says what the rules
 * need (fi_fd_rules_*), the shim and the waits read through the
 * functions below.
 */
#ifndef FI_FDSTATE_H
#define FI_FDSTATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "rules.h"

#define FI_FD_CAP 65536

/* Sticky states (faultinject.md, reset / eof). */
enum { FI_ST_NONE = 0, FI_ST_EOF = 1, FI_ST_RESET = 2 };

/* Stalled directions (faultinject.md, stall), a bit mask. */
enum { FI_STALL_RD = 1, FI_STALL_WR = 2 };

/* The fast path's second gate (io.h: one relaxed load): nonzero while
 * some descriptor may carry state, that is while the rules have the data
 * calls count per descriptor (after=, per=fd: FI_FD_GATE_RULES) or while
 * some descriptor is sticky or stalled (FI_FD_GATE_MARKED_ONE each, so
 * the gate closes again once those descriptors are all closed). Read it
 * only through the two functions below. */
extern _Atomic unsigned fi_fd_gate_word;
#define FI_FD_GATE_RULES      1u
#define FI_FD_GATE_MARKED_ONE 2u

static inline unsigned fi_fd_gate(void)
{
    return atomic_load_explicit(&fi_fd_gate_word, memory_order_relaxed);
}

/* Nonzero while some descriptor is sticky or stalled (the waits). */
static inline unsigned fi_fd_any_marked(void)
{
    return fi_fd_gate() & ~FI_FD_GATE_RULES;
}

/* New rules (engine.c). AFTER: some rule uses after=, so the data calls
 * count bytes per descriptor, every count starting again from 0 (older
 * counts would be partial: nothing counts while no rule needs it).
 * STATEFUL: some rule uses after= or per=fd (opens the gate). */
void fi_fd_rules_count_bytes(int after);
void fi_fd_rules_keep_state(int stateful);

/* What the descriptor is: kind, SO_TYPE for sockets (0 otherwise), and
 * its file identity. */
struct fi_fdinfo {
    enum fi_fdkind kind;
    int socktype;
    uint64_t ident;
};

/* FD's cached info; 0 if none is cached (or FD is out of range). */
int fi_fd_info(int fd, struct fi_fdinfo *out);
void fi_fd_set_info(int fd, const struct fi_fdinfo *info);

/* FD was closed or newly created: forget everything about it (cheap when
 * nothing was recorded). FIRST..LAST inclusive: the same for a range. */
void fi_fd_forget(int fd);
void fi_fd_forget_range(unsigned first, unsigned last);

/* FD's sticky/stalled state is for file IDENT; forgets it if not. */
void fi_fd_identify(int fd, uint64_t ident);

/* reset/eof: "the state belongs to the descriptor" until it is closed. */
int fi_fd_sticky(int fd);
void fi_fd_set_sticky(int fd, int state);

/* stall: FI_STALL_* bits of FD; fi_fd_set_stall adds BITS and returns the
 * bits that were new. */
int fi_fd_stall(int fd);
int fi_fd_set_stall(int fd, int bits);

/* A read stall lets through the bytes queued when it began
 * (faultinject.md, stall): fi_fd_stall_keep records them, fi_fd_stall_take
 * counts N more read and returns what is left, fi_fd_stall_left says it. */
void fi_fd_stall_keep(int fd, uint64_t n);
uint64_t fi_fd_stall_take(int fd, uint64_t n);
uint64_t fi_fd_stall_left(int fd);

/* Readiness shown (faultinject.md, eagain): a wait reported FD readable
 * (FI_SHOWN_RD) or writable (FI_SHOWN_WR), or MSG_PEEK showed N bytes
 * (fi_fd_set_peeked: readable, N kept), and no call of the shim's slow
 * path has used that since. fi_fd_take_shown clears BIT and returns what
 * was there: the bits, and the peeked count shifted by FI_SHOWN_SHIFT. */
enum { FI_SHOWN_RD = 1, FI_SHOWN_WR = 2, FI_SHOWN_SHIFT = 2 };
void fi_fd_set_shown(int fd, unsigned bits);
void fi_fd_set_peeked(int fd, uint64_t n);
uint64_t fi_fd_take_shown(int fd, unsigned bit);

/* Descriptors with a sticky or stalled state, for the readiness waits:
 * the next one at or after FROM, or -1. */
int fi_fd_next_marked(int from);

/* Bumped each time FD's sticky/stalled state changes (from 1; 0 when FD
 * is out of range), so that edge-triggered epoll reports a change once. */
unsigned fi_fd_state_epoch(int fd);

/* after=: bytes moved through FD (reads and writes). */
void fi_fd_add_bytes(int fd, uint64_t n);
uint64_t fi_fd_bytes(int fd);

/* Replay points (decide.h, struct fi_point; faultinject.md, Replay): the
 * descriptor's ordinal, the offset each direction has reached and the
 * calls not injected there. Kept only while a log or a replay is active
 * (fi_fd_points_track, at load): otherwise every function below is one
 * relaxed load. Cleared with the rest of the descriptor's state. */
enum { FI_DIR_RD, FI_DIR_WR, FI_DIR_OTHER };
void fi_fd_points_track(int on);
extern _Atomic unsigned fi_fd_points_word;
static inline int fi_fd_points_tracked(void)
{
    return (int)atomic_load_explicit(&fi_fd_points_word, memory_order_relaxed);
}

/* FD is a descriptor this process just made (socket, accept, open, pipe,
 * dup, F_DUPFD, epoll_create, eventfd, SCM_RIGHTS ...; after the forget
 * of its number): it takes the next ordinal, from 1. */
void fi_fd_created(int fd);

/* FD's point for a call in direction DIR (FI_DIR_*), before the call:
 * FI_PT_DATA for FI_DIR_RD/WR, FI_PT_CALL for FI_DIR_OTHER; FI_PT_NONE
 * when not tracked or FD is out of range. */
void fi_fd_point(int fd, int dir, struct fi_point *out);

/* A data call moved N bytes in direction DIR (injected or not). */
void fi_fd_point_moved(int fd, int dir, uint64_t n);

/* A call in direction DIR was not injected; MOVED: the bytes it moved
 * (a data call that moved bytes has a new offset, where no call was yet). */
void fi_fd_point_passed(int fd, int dir, long long moved);

/* In a forked child: the offsets and positions start again (its calls are
 * its own); ordinals stay, and new ones go on from the parent's. */
void fi_fd_points_on_fork(void);

/* per=fd: counts one more call of rule RULE on FD in ruleset generation
 * GEN (1..65535) and returns the call's number (1 after a new GEN). */
uint64_t fi_fd_count(int rule, int fd, unsigned gen);

/* One end of a socket, as peer=/local= match it. */
struct fi_end {
    int family;                 /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    int port;                   /* host order */
};
enum { FI_END_PEER, FI_END_LOCAL };

/* FD's cached end WHICH; 0 if not cached. */
int fi_fd_end(int fd, int which, struct fi_end *out);
void fi_fd_set_end(int fd, int which, const struct fi_end *e);

/* The program's epoll registrations, as the shim saw them pass through
 * epoll_ctl (faultinject.md, Readiness agrees): one record per descriptor
 * (the last epoll instance it was added to): the epoll descriptor, the
 * events and data the program asked for, and the fd state epoch last
 * reported for it by a made-up event. A sequence word per record;
 * forgotten with the rest of the descriptor's state. */
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

/* tracefd.h: the trace backend's per-descriptor state (faultinject.md,
 * OPTION: per=fd, after=, peer=, local=; FAULT: reset, eof, stall), as
 * the shim's fdstate keeps it: per traced process, per descriptor number,
 * the file it was last seen to be (device and inode), the per=fd
 * counters, the bytes moved (after=), the socket's ends once read, and
 * the state reset, eof and stall leave ("the state belongs to the
 * descriptor"). A number that is now another file, or was closed (close
 * is stopped while the rules keep state), starts fresh; a forked child
 * gets a copy; an exec starts the whole table again (a new image loads a
 * new shim).
 *
 * Owner: tracefd.c (the table hangs off struct tproc as `fdst`; only
 * tracefd.c reads or writes it). tracecall.c calls the hooks below at the
 * seccomp stop and the syscall-exit stop; trace.c asks what the filter
 * must stop.
 */
#ifndef FI_TRACEFD_H
#define FI_TRACEFD_H

#include "decide.h"
#include "rules.h"
#include "tracee.h"
#include "tracexfer.h"

#include <stdint.h>

struct tf_table;
struct tproc;
struct tthread;
struct tcall;

/* A data call to finish at its exit stop: its result counts for after=;
 * FORCE: the call was skipped, RET is what it returns (SIGPIPE raised
 * too when PIPE); SAYS: the descriptor's sticky state answers it (the
 * rules count it, none fires). */
struct tf_pending {
    int on;
    int fd;
    int mmsg;                   /* recvmmsg/sendmmsg: the bytes are the messages' msg_len */
    uint64_t vec;               /* their struct mmsghdr array */
    int force, says, pipe;
    long long ret;
    /* stall: DRAIN, a read of the bytes queued when the stall began (cut
     * to them by UNDO's registers); STALLED, the call made a wait that
     * ends only with its timeout (TIMED) or a signal: C is the call. */
    int drain, stalled, timed;
    struct tx_undo undo;
    struct ft_call c;
};

/* Stalled directions (faultinject.md, stall), a bit mask. */
enum { TF_STALL_RD = 1, TF_STALL_WR = 2 };

/* Sticky states (faultinject.md, reset / eof): reset wins over eof. */
enum { TF_ST_NONE, TF_ST_EOF, TF_ST_RESET };

/* RS keeps per-descriptor state (per=fd, after=, peer=, local=, reset,
 * eof): close must be stopped. RS counts bytes (after=) or leaves sticky
 * states (reset, eof): every data call must be stopped; tf_sticky_rules:
 * the latter, so the waits must be stopped too (tracewait.h). */
int tf_keeps_state(const struct fi_ruleset *rs);
int tf_stops_data(const struct fi_ruleset *rs);
int tf_sticky_rules(const struct fi_ruleset *rs);

/* FD's sticky state in P (TF_ST_*), whether any descriptor has one (or
 * a stall), and the next one that has, at or after FROM (-1: none). */
int tf_sticky(const struct tproc *p, int fd);
/* FD's directions that are never ready (TF_STALL_*: a read stall once the
 * bytes queued when it began are read). */
int tf_stalled(const struct tproc *p, int fd);
int tf_any_sticky(const struct tproc *p);
int tf_next_sticky(const struct tproc *p, int from);

/* Edge-triggered epoll: whether FD's present sticky state was reported
 * (once per state); tf_set_told: it was. */
int tf_told(const struct tproc *p, int fd);
void tf_set_told(struct tproc *p, int fd);

/* P's engine host gets fd_count, fd_bytes and rules_changed (ctx: P). */
void tf_host(struct tproc *p);

/* A forked child's copy of PARENT's table (its descriptors are copies). */
struct tf_table *tf_copy(const struct tf_table *parent);
void tf_free(struct tf_table *t);

/* At the seccomp stop of TC (NULL: a call not sorted, which only ends
 * what T's call before left armed): a close forgets the descriptor; a
 * call on a descriptor checks it is still the same file; a data call on
 * a sticky descriptor is skipped and answered as the kernel answers after
 * a real RST or FIN (T->fdp.says: the rules may count it, not fire); a
 * data call is armed to count its bytes at the exit. Returns HOW, or
 * PTRACE_SYSCALL when the exit must be seen. */
int tf_entry(struct tthread *t, const struct tcall *tc, int how);

/* Fault R (reset, eof or stall) fired on TC's data call: the descriptor
 * takes its state; reset: the call is skipped, ECONNRESET (T->set_ret);
 * eof: a read is skipped and returns 0, a write runs; stall (shim.c's
 * begin_stall): a read takes the bytes queued then, a write the room the
 * queue surely has, else the call waits as a real one on a silent peer
 * (EAGAIN at once when non-blocking, after SO_RCVTIMEO/SO_SNDTIMEO, EINTR
 * for a caught signal, restarted for SA_RESTART without a timeout), its
 * log line written first (the wait may never end). 0 for any other fault. */
int tf_fault(struct tthread *t, const struct tcall *tc, const struct fi_rule *r);

/* At the syscall-exit stop of T: *RET is the call's result; a call the
 * sticky state answered gets its answer (in *RET too); a stalled call's
 * wait becomes its result (or its restart); the bytes moved count for
 * after=. */
void tf_exit(struct tthread *t, long long *ret);

/* At the seccomp stop of T's call C coming back from a restart: a stalled
 * call waits again. HOW, or PTRACE_SYSCALL. */
int tf_restart(struct tthread *t, const struct ft_call *c, int how);

/* fi_callctx.ends for TC's call: R's peer= and local= match its socket. */
int tf_ends(void *tc, const struct fi_rule *r);

#endif

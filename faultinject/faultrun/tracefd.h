/* tracefd.h: the trace backend's per-descriptor state (faultinject.md,
 * OPTION: per=fd, after=, peer=, local=), as the shim's fdstate keeps it:
 * per traced process, per descriptor number, the file it was last seen to
 * be (device and inode), the per=fd counters, the bytes moved (after=) and
 * the socket's ends once read. A number that is now another file, or was
 * closed (close is stopped while the rules keep state), starts fresh; an
 * exec starts the whole table again (a new image loads a new shim).
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

#include <stdint.h>

struct tf_table;
struct tproc;
struct tthread;
struct tcall;

/* A data call whose result counts for after=, to add at its exit stop. */
struct tf_pending {
    int on;
    int fd;
    int mmsg;                   /* recvmmsg/sendmmsg: the bytes are the messages' msg_len */
    uint64_t vec;               /* their struct mmsghdr array */
};

/* RS keeps per-descriptor state (per=fd, after=, peer=, local=): close
 * must be stopped; RS counts bytes (after=): every data call must be
 * stopped, and at its exit too. */
int tf_keeps_state(const struct fi_ruleset *rs);
int tf_counts_bytes(const struct fi_ruleset *rs);

/* P's engine host gets fd_count, fd_bytes and rules_changed (ctx: P). */
void tf_host(struct tproc *p);

/* A forked child's copy of PARENT's table (its descriptors are copies). */
struct tf_table *tf_copy(const struct tf_table *parent);
void tf_free(struct tf_table *t);

/* At the seccomp stop of TC (sorted): a close forgets the descriptor; a
 * call on a descriptor checks it is still the same file; a data call is
 * armed to count its bytes at the exit. Returns HOW, or PTRACE_SYSCALL
 * when the exit must be seen. */
int tf_entry(struct tthread *t, const struct tcall *tc, int how);

/* At the syscall-exit stop of T: the armed data call moved RET. */
void tf_exit(struct tthread *t, long long ret);

/* fi_callctx.ends for TC's call: R's peer= and local= match its socket. */
int tf_ends(void *tc, const struct fi_rule *r);

#endif

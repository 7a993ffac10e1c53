/* tracexfer.h: making a traced data call move fewer bytes (faultinject.md,
 * short; Backends: "short lowers the call's size argument before the
 * kernel runs it"), faithful as the shim's real_io:
 *   read, recv, recvfrom, write, send, sendto: the count register lowered;
 *   readv, writev: a copy of the iovecs that reach LIMIT bytes, the last
 *     one shortened, written below the stack's red zone (rsp - 128 and
 *     down: the x86_64 ABI leaves it to no one while the thread is in a
 *     call), rsi pointed at it and rdx set to its length;
 *   recvmsg, sendmsg: the same copy, and a copy of the msghdr pointing at
 *     it, rsi pointed at that; at the exit, what the kernel wrote back
 *     (msg_namelen, msg_controllen, msg_flags) goes to the program's own;
 *   sendfile, splice: the count register (r10, r8) lowered;
 *   recvmmsg, sendmmsg: the first message alone (vlen 1, xfer.c's rule),
 *     its iovecs cut as recvmsg's, and its msg_len copied back too.
 * At the syscall-exit stop every register changed is put back: the kernel
 * preserves rdi, rsi, rdx, r10, r8, r9 across a syscall and inline
 * syscalls (glibc's, musl's, Go's) may rely on it.
 *
 * Owner: tracexfer.c. Works on a thread at its seccomp stop (tx_cut) or
 * at the exit stop after it (tx_undo).
 */
#ifndef FI_TRACEXFER_H
#define FI_TRACEXFER_H

#include "rules.h"
#include "tracee.h"

#include <stdint.h>
#include <sys/types.h>

/* A vector longer than this (after the cut) is not copied: tx_can_cut
 * says no, so that the copy (at most 448 bytes below rsp with the red
 * zone) stays within the headroom a goroutine's stack has at a syscall. */
#define TX_MAX_IOV 16

/* What tx_cut changed, for tx_undo at the call's exit stop. */
struct tx_undo {
    unsigned mask;              /* argument registers changed (1 << arg) */
    uint64_t args[6];           /* their values as the program passed them */
    uint64_t msg, copy;         /* recvmsg, mmsg: the program's msghdr and ours (0: none) */
    unsigned results;           /* what the kernel wrote in ours: TX_* bits */
};
enum { TX_RECVD = 1, TX_MSGLEN = 2 };  /* name/control/flags; an mmsghdr's msg_len */

/* The bytes call C (of family CALL) in process PID asks to move. */
long long tx_asked(pid_t pid, const struct ft_call *c, enum fi_call call);

/* Whether C can be made to move at most LIMIT bytes: 0, or -1 when its
 * cut vector would pass TX_MAX_IOV entries or cannot be read. */
int tx_can_cut(pid_t pid, const struct ft_call *c, enum fi_call call, long long limit);

/* At TID's seccomp stop: C moves at most LIMIT bytes (nothing changes
 * when it asks no more, or when the kernel would refuse its vector
 * anyway); U records the change. 0, or -1 with nothing changed. */
int tx_cut(pid_t pid, pid_t tid, const struct ft_call *c, enum fi_call call, long long limit,
           struct tx_undo *u);

/* At TID's exit stop: the registers back, recvmsg's results copied. */
void tx_undo(pid_t pid, pid_t tid, struct tx_undo *u);

#endif

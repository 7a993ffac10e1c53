/* tracerestart.c: restarted calls are one call (see tracerestart.h). */
#include "tracerestart.h"

#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

/* include/linux/errno.h: never seen by a program */
enum { ERESTARTSYS = 512, ERESTARTNOINTR = 513, ERESTARTNOHAND = 514,
       ERESTART_RESTARTBLOCK = 516 };

int trr_restarting(long long ret)
{
    return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
           ret == -ERESTART_RESTARTBLOCK;
}

/* arch/x86/kernel/signal.c (handle_signal, arch_do_signal_or_restart):
 * NOINTR always restarts; SYS unless a handler without SA_RESTART runs;
 * NOHAND only when no handler runs; RESTARTBLOCK comes back as
 * restart_syscall, another call. */
static int restarts(const struct tthread *t, int sig, long long code)
{
    uint64_t caught = 0, blocked = 0, bit = 1ULL << (sig - 1);
    if (sig < 1 || sig > 64 || ft_sigmasks(t->p->pid, t->tid, &caught, &blocked) < 0)
        return code == -ERESTARTNOINTR;
    int handled = (caught & bit) != 0;
    switch (-code) {
    case ERESTARTNOINTR: return 1;
    case ERESTARTSYS:    return !handled || (t->p->restart & bit) != 0;
    case ERESTARTNOHAND: return !handled;
    default:             return 0;
    }
}

int trr_at_signal(struct tthread *t, int sig)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) < 0 || !trr_restarting((long long)r.rax))
        return 0;
    if (restarts(t, sig, (long long)r.rax)) {
        t->rs.on = 1;
        t->rs.nr = (long)r.orig_rax;
        uint64_t args[6] = { r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9 };
        memcpy(t->rs.args, args, sizeof args);
        return 0;
    }
    return t->pending;
}

int trr_is_restart(struct tthread *t, const struct ft_call *c)
{
    if (!t->rs.on || t->rs.nr != c->nr || memcmp(t->rs.args, c->args, sizeof c->args) != 0)
        return 0;
    t->rs.on = 0;
    return 1;
}

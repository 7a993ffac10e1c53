/* sigstate.c: could a signal interrupt this call now (see sigstate.h). */
#include "sigstate.h"

#include "blocking.h"
#include "sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

/* How a call sleeps, as signal(7) sorts them. */
enum sleep_kind {
    RESTARTED,      /* blocking, no timeout: SA_RESTART restarts it */
    NEVER_RESTARTED,/* poll, select, close: any caught signal ends it */
    STOPPED_TOO     /* epoll_wait, timed socket calls: a stop signal too */
};

/* Raised by the thread's own instruction, never while it sleeps. */
static int synchronous(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
           sig == SIGTRAP || sig == SIGSYS;
}

/* Whether some signal that is caught, not in MASK, and whose handler
 * would not restart a call sleeping as HOW could reach it. */
static enum fi_why caught(enum sleep_kind how, const sigset_t *mask)
{
    enum fi_why why = FI_WHY_NO_HANDLER;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP || synchronous(sig) || sigismember(mask, sig) == 1)
            continue;
        /* glibc's own signals (SIGCANCEL, SIGSETXID) answer EINVAL. */
        if (sigaction(sig, NULL, &old) < 0)
            continue;
        if (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)
            continue;               /* ends the process, or nothing */
        if (how == RESTARTED && (old.sa_flags & SA_RESTART)) {
            why = FI_WHY_RESTARTED;
            continue;
        }
        return FI_WHY_OK;
    }
    return why;
}

static enum fi_why interruptible(enum sleep_kind how, const sigset_t *mask)
{
    /* SIGSTOP, then SIGCONT, reaches any process (signal(7), stop signals). */
    if (how == STOPPED_TOO)
        return FI_WHY_OK;
    if (fi_sandboxed())
        return FI_WHY_SANDBOXED;
    int saved = errno;
    sigset_t cur;
    if (mask == NULL) {
        pthread_sigmask(SIG_SETMASK, NULL, &cur);
        mask = &cur;
    }
    enum fi_why why = caught(how, mask);
    errno = saved;
    return why;
}

/* A regular file or a directory: the disk wait is not interruptible
 * (signal(7): only "slow" devices). */
static int never_sleeps(int fd)
{
    struct stat st;
    int saved = errno;
    int r = fstat(fd, &st);
    errno = saved;
    return r == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode));
}

enum fi_why fi_eintr_data(int fd, enum fi_fdkind kind, int reading, int dontwait,
                          int is_close)
{
    struct timespec ts;
    /* fs/open.c: close turns a restart into EINTR, it cannot be redone. */
    if (is_close)
        return interruptible(NEVER_RESTARTED, NULL);
    if (dontwait || fi_nonblocking(fd))
        return FI_WHY_NEVER_SLEEPS;
    if (kind == FI_K_SOCK && fi_timeout(fd, reading, &ts))
        return interruptible(STOPPED_TOO, NULL);
    if (kind == FI_K_OTHER) {
        if (fi_sandboxed())
            return FI_WHY_SANDBOXED;
        if (never_sleeps(fd))
            return FI_WHY_NEVER_SLEEPS;
    }
    return interruptible(RESTARTED, NULL);
}

enum fi_why fi_eintr_wait(enum fi_call call, const sigset_t *mask)
{
    return interruptible(call == FI_C_EPOLL_WAIT ? STOPPED_TOO : NEVER_RESTARTED, mask);
}

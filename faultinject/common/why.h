/* why.h: why a rule that was due to fire could not (faultinject.md,
 * Faithful and Never silent: "could not fire" is counted per reason).
 *
 * Owner: why.c. possible() (shim.c) answers one of these; FI_WHY_OK means the kernel
 * could give the fault here. The engine tallies the rest per rule and
 * reason (tally.h); the summary prints the counts with fi_why_text.
 */
#ifndef FI_WHY_H
#define FI_WHY_H

enum fi_why {
    FI_WHY_OK = 0,
    FI_WHY_BLOCKING,        /* eagain on a blocking descriptor, no timeout */
    FI_WHY_MESSAGE,         /* short/reset/eof/stall on a message socket */
    FI_WHY_ROOM,            /* write short/eagain while the send queue had room */
    FI_WHY_PIPE_ATOMIC,     /* pipe write of at most PIPE_BUF bytes cut */
    FI_WHY_FIN,             /* short/eagain on a read once the peer's FIN is queued */
    FI_WHY_READY,           /* eagain/stall/short below what a wait or peek showed */
    FI_WHY_NO_HANDLER,      /* eintr with no caught, unblocked signal */
    FI_WHY_RESTARTED,       /* eintr where SA_RESTART would restart the call */
    FI_WHY_NEVER_SLEEPS,    /* eintr on a call that cannot sleep (non-blocking) */
    FI_WHY_SANDBOXED,       /* in a seccomp sandbox, the state was not known */
    FI_WHY_TRACE_TODO,      /* the trace backend cannot yet give it faithfully here
                             * (EPOLLET re-arm, a cut vector of more than 16 iovecs) */
    FI_WHY_COUNT
};

/* A short phrase for the summary ("blocking descriptor"). */
const char *fi_why_text(enum fi_why w);

#endif

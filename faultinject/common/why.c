/* why.c: the reasons a fault could not fire, in words (see why.h). */
#include "why.h"

const char *fi_why_text(enum fi_why w)
{
    switch (w) {
    case FI_WHY_OK:           return "fired";
    case FI_WHY_BLOCKING:     return "blocking descriptor";
    case FI_WHY_MESSAGE:      return "message socket";
    case FI_WHY_ROOM:         return "send queue had room";
    case FI_WHY_PIPE_ATOMIC:  return "atomic pipe write";
    case FI_WHY_FIN:          return "peer's FIN queued";
    case FI_WHY_READY:        return "a wait or peek had shown it ready";
    case FI_WHY_NO_HANDLER:   return "no signal caught";
    case FI_WHY_RESTARTED:    return "SA_RESTART would restart it";
    case FI_WHY_NEVER_SLEEPS: return "call never sleeps";
    case FI_WHY_SANDBOXED:    return "seccomp sandbox";
    case FI_WHY_TRACE_TODO:   return "not yet under the trace backend";
    default:                  return "unknown";
    }
}


/* replay.c: recorded faults, looked up by point (see replay.h). */
#include "replay.h"

int fi_replay_active(void)
{
    return 0;
}

unsigned fi_replay_mask(void)
{
    return 0;
}

int fi_replay_decide(enum fi_call call, int fd, uint64_t callno, struct fi_rule *r, int *rule)
{
    (void)call;
    (void)fd;
    (void)callno;
    (void)r;
    (void)rule;
    return 0;
}

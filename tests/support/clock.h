/* clock.h: monotonic milliseconds, for the deadlines every test step runs under. */
#ifndef SUPPORT_CLOCK_H
#define SUPPORT_CLOCK_H

#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
static inline long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until DEADLINE (0 when past), capped for poll(). */
static inline int ms_left(long long deadline)
{
    long long left = deadline - now_ms();
    return left <= 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

#endif

/* clock.h: the one monotonic clock of the tests and benchmarks: milliseconds
 * for the deadlines every test step runs under, nanoseconds and seconds for
 * measurements. */
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

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Seconds on CLOCK_MONOTONIC, with nanoseconds. */
static inline double now_s(void)
{
    return now_ns() / 1e9;
}

/* Milliseconds left until DEADLINE (0 when past), capped for poll(). */
static inline int ms_left(long long deadline)
{
    long long left = deadline - now_ms();
    return left <= 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

#endif

/* roomrule.c: the write side's rule and readiness shown (see roomrule.h). */
#include "roomrule.h"

#include <errno.h>
#include <limits.h>
#include <sys/socket.h>

/* Measured on Linux 6.x (tests/fi/test_room.c checks it on the running
 * kernel): a non-blocking write into an empty send queue with SO_SNDBUF
 * at its minimum (SOCK_MIN_SNDBUF, set with SO_SNDBUF=1), the receiver's
 * SO_RCVBUF at its minimum and a tiny MSS (TCP_MAXSEG 88) takes 1824
 * bytes over TCP loopback; a unix stream socketpair takes 4480. */
#define FLOOR_TCP 1824
#define FLOOR_UNIX 4480

long long fi_room_floor(int family)
{
    return family == AF_INET || family == AF_INET6 ? FLOOR_TCP
         : family == AF_UNIX                      ? FLOOR_UNIX
                                                  : -1;
}

/* SIOCOUTQ: TCP, bytes not yet acknowledged; unix, the memory of what
 * the peer has not read yet (truesize: more than the bytes). */
long long fi_room_socket(int family, long long outq)
{
    long long floor = fi_room_floor(family);
    if (floor < 0 || outq < 0)
        return -1;
    return floor > outq ? floor - outq : 0;
}

/* pipe_write fills the last page first, then whole pages: with Q bytes
 * queued at most Q/page + 2 pages are in use (a partly read head page, a
 * partly written tail page), so that many fewer are surely free. Pages
 * a splice left partly filled are not counted: the room may then be less. */
long long fi_room_pipe(long long size, long long queued, long page)
{
    if (size < 0 || queued < 0 || page <= 0)
        return -1;
    long long used = (queued / page + 2) * page;
    return size > used ? size - used : 0;
}

static int is_eagain(const struct fi_rule *r)
{
    return r->fault == FI_F_EAGAIN ||
           (r->fault == FI_F_ERROR && (r->arg == EAGAIN || r->arg == EWOULDBLOCK));
}

enum fi_why fi_room_why(const struct fi_rule *r, int pipe, long long asked, long long room)
{
    /* pipe(7): a write of at most PIPE_BUF bytes is atomic */
    int atomic = pipe && asked <= PIPE_BUF;
    if (room < 0 || (r->fault != FI_F_SHORT && !is_eagain(r)))
        return FI_WHY_OK;
    if (r->fault == FI_F_SHORT)
        return atomic ? FI_WHY_PIPE_ATOMIC : asked <= room ? FI_WHY_ROOM : FI_WHY_OK;
    return (atomic ? room >= asked : room > 0) ? FI_WHY_ROOM : FI_WHY_OK;
}

enum fi_why fi_shown_why(const struct fi_rule *r, int reading, int shown, uint64_t peeked,
                         long long asked, long long *floor)
{
    if (!shown)
        return FI_WHY_OK;
    /* A read stall still delivers what is queued first (begin_stall). */
    if (reading && r->fault == FI_F_STALL)
        return FI_WHY_OK;
    if (r->fault != FI_F_SHORT)
        return FI_WHY_READY;
    if (!reading || peeked == 0)
        return FI_WHY_OK;
    *floor = (long long)peeked;
    return asked <= (long long)peeked ? FI_WHY_READY : FI_WHY_OK;
}

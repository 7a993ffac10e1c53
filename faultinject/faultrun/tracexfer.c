/* tracexfer.c: a traced data call made to move fewer bytes (see tracexfer.h). */
#include "tracexfer.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define RED_ZONE 128
#define MSGHDR_SIZE 56          /* x86_64 struct msghdr */
#define OFF_NAMELEN 8
#define OFF_IOV 16
#define OFF_IOVLEN 24
#define OFF_CONTROLLEN 40
#define OFF_FLAGS 48

_Static_assert(sizeof(struct msghdr) == MSGHDR_SIZE, "x86_64 msghdr");
_Static_assert(offsetof(struct msghdr, msg_iov) == OFF_IOV, "x86_64 msghdr");
_Static_assert(offsetof(struct msghdr, msg_controllen) == OFF_CONTROLLEN, "x86_64 msghdr");
_Static_assert(offsetof(struct msghdr, msg_flags) == OFF_FLAGS, "x86_64 msghdr");

static int is_mmsg(enum fi_call call)
{
    return call == FI_C_RECVMMSG || call == FI_C_SENDMMSG;
}

/* The vector a call passes: where its iovecs are and how many. */
struct vec {
    uint64_t iov, cnt;
    uint64_t msg;               /* the msghdr holding them (0: readv, writev) */
    uint64_t hdr[MSGHDR_SIZE / 8];
};

#define MMSGHDR_SIZE 64         /* struct mmsghdr: the msghdr, msg_len, padding */
#define OFF_MSGLEN 56

static int is_vector(enum fi_call call)
{
    return call == FI_C_READV || call == FI_C_WRITEV || call == FI_C_RECVMSG ||
           call == FI_C_SENDMSG || is_mmsg(call);
}

/* The argument holding a one-buffer call's count. */
static int count_arg(enum fi_call call)
{
    return call == FI_C_SENDFILE ? 3 : call == FI_C_SPLICE_IN || call == FI_C_SPLICE_OUT ? 4 : 2;
}

static int vec_of(pid_t pid, const struct ft_call *c, enum fi_call call, struct vec *v)
{
    memset(v, 0, sizeof *v);
    if (call == FI_C_READV || call == FI_C_WRITEV) {
        v->iov = c->args[1];
        v->cnt = c->args[2];
        return 0;
    }
    v->msg = c->args[1];
    if (v->msg == 0 || ft_peek(pid, v->msg, v->hdr, sizeof v->hdr) < 0)
        return -1;
    v->iov = v->hdr[OFF_IOV / 8];
    v->cnt = v->hdr[OFF_IOVLEN / 8];
    return 0;
}

static long long iov_sum(pid_t pid, const struct vec *v)
{
    long long sum = 0;
    for (uint64_t i = 0; i < v->cnt && i < IOV_MAX; i++) {
        uint64_t e[2];
        if (ft_peek(pid, v->iov + i * 16, e, sizeof e) < 0)
            return sum;
        sum += (long long)e[1];
    }
    return sum;
}

long long tx_asked(pid_t pid, const struct ft_call *c, enum fi_call call)
{
    if (!is_vector(call))
        return (long long)c->args[count_arg(call)];
    struct vec v;
    if (!is_mmsg(call))
        return vec_of(pid, c, call, &v) < 0 ? 0 : iov_sum(pid, &v);
    long long sum = 0;              /* every message's iovecs */
    struct ft_call one = *c;
    for (uint64_t i = 0; i < c->args[2] && i < IOV_MAX; i++) {
        one.args[1] = c->args[1] + i * MMSGHDR_SIZE;
        if (vec_of(pid, &one, call, &v) < 0)
            break;
        sum += iov_sum(pid, &v);
    }
    return sum;
}

/* The first iovecs of V reaching LIMIT bytes, the last one shortened,
 * into OUT; their count, 0 when no cut is needed (or the kernel refuses
 * the vector: it says EINVAL as it would), -1 when too many or unreadable. */
static int cut_vec(pid_t pid, const struct vec *v, long long limit, uint64_t out[][2])
{
    int n = 0;
    long long left = limit;
    if (v->cnt > IOV_MAX)
        return 0;
    for (uint64_t i = 0; i < v->cnt && left > 0; i++) {
        uint64_t e[2];
        if (n == TX_MAX_IOV || ft_peek(pid, v->iov + i * 16, e, sizeof e) < 0)
            return -1;
        if (e[1] > (uint64_t)left)
            e[1] = (uint64_t)left;
        left -= (long long)e[1];
        out[n][0] = e[0];
        out[n][1] = e[1];
        n++;
    }
    return left > 0 ? 0 : n;        /* the whole vector fits: no cut */
}

int tx_can_cut(pid_t pid, const struct ft_call *c, enum fi_call call, long long limit)
{
    if (!is_vector(call))
        return 0;
    struct vec v;
    uint64_t cut[TX_MAX_IOV][2];
    return vec_of(pid, c, call, &v) < 0 || cut_vec(pid, &v, limit, cut) < 0 ? -1 : 0;
}

static void change(struct tx_undo *u, const struct ft_call *c, int arg)
{
    u->mask |= 1u << arg;
    u->args[arg] = c->args[arg];
}

/* The cut vector written below the red zone, and the call pointed at it. */
static int cut_vector(pid_t pid, pid_t tid, const struct ft_call *c, enum fi_call call,
                      long long limit, struct tx_undo *u)
{
    struct vec v;
    uint64_t cut[TX_MAX_IOV][2], sp;
    int n;
    uint64_t args[6];
    memcpy(args, c->args, sizeof args);
    if (vec_of(pid, c, call, &v) < 0 || (n = cut_vec(pid, &v, limit, cut)) < 0)
        return -1;
    if (n == 0 && is_mmsg(call) && c->args[2] > 1) {
        /* xfer.c: a short mmsg call moves the first message alone */
        args[2] = 1;
        change(u, c, 2);
    }
    if (n == 0)
        return u->mask != 0 && ft_set_args(tid, args, u->mask) < 0 ? -1 : 0;
    if (ft_get_sp(tid, &sp) < 0)
        return -1;
    size_t iovlen = (size_t)n * 16;
    uint64_t base = (sp - RED_ZONE - iovlen - MMSGHDR_SIZE) & ~(uint64_t)15;
    if (ft_poke(pid, base, cut, iovlen) < 0)
        return -1;
    if (v.msg == 0) {
        args[1] = base;
        args[2] = (uint64_t)n;
        change(u, c, 1);
        change(u, c, 2);
    } else {
        uint64_t hdr[MMSGHDR_SIZE / 8] = { 0 };   /* an mmsghdr: msg_len 0 after it */
        memcpy(hdr, v.hdr, sizeof v.hdr);
        hdr[OFF_IOV / 8] = base;
        hdr[OFF_IOVLEN / 8] = (uint64_t)n;
        if (ft_poke(pid, base + iovlen, hdr, is_mmsg(call) ? MMSGHDR_SIZE : MSGHDR_SIZE) < 0)
            return -1;
        args[1] = base + iovlen;
        change(u, c, 1);
        if (is_mmsg(call)) {
            args[2] = 1;
            change(u, c, 2);
        }
        if (call == FI_C_RECVMSG || is_mmsg(call)) {
            u->msg = v.msg;
            u->copy = base + iovlen;
            u->results = call == FI_C_SENDMMSG ? TX_MSGLEN
                       : call == FI_C_RECVMMSG ? TX_MSGLEN | TX_RECVD : TX_RECVD;
        }
    }
    if (ft_set_args(tid, args, u->mask) < 0) {
        *u = (struct tx_undo){ 0 };
        return -1;
    }
    return 0;
}

int tx_cut(pid_t pid, pid_t tid, const struct ft_call *c, enum fi_call call, long long limit,
           struct tx_undo *u)
{
    *u = (struct tx_undo){ 0 };
    if (limit <= 0)
        return 0;
    if (is_vector(call))
        return cut_vector(pid, tid, c, call, limit, u);
    int arg = count_arg(call);
    if (c->args[arg] <= (uint64_t)limit)
        return 0;
    uint64_t args[6];
    memcpy(args, c->args, sizeof args);
    args[arg] = (uint64_t)limit;
    change(u, c, arg);
    if (ft_set_args(tid, args, u->mask) < 0) {
        *u = (struct tx_undo){ 0 };
        return -1;
    }
    return 0;
}

void tx_undo(pid_t pid, pid_t tid, struct tx_undo *u)
{
    if (u->copy != 0) {
        /* ___sys_recvmsg writes these back into the msghdr it was given */
        unsigned char hdr[MMSGHDR_SIZE];
        size_t len = u->results & TX_MSGLEN ? MMSGHDR_SIZE : MSGHDR_SIZE;
        if (ft_peek(pid, u->copy, hdr, len) == 0 && (u->results & TX_RECVD)) {
            ft_poke(pid, u->msg + OFF_NAMELEN, hdr + OFF_NAMELEN, 4);
            ft_poke(pid, u->msg + OFF_CONTROLLEN, hdr + OFF_CONTROLLEN, 8);
            ft_poke(pid, u->msg + OFF_FLAGS, hdr + OFF_FLAGS, 4);
        }
        if (u->results & TX_MSGLEN)     /* __sys_sendmmsg/recvmmsg: the bytes moved */
            ft_poke(pid, u->msg + OFF_MSGLEN, hdr + OFF_MSGLEN, 4);
    }
    ft_set_args(tid, u->args, u->mask);
    *u = (struct tx_undo){ 0 };
}

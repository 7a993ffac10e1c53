/* shim.c: the interposed data calls, accept, connect and close of
 * libfaultinject.so (faultinject.md, FAULT), and the slow path that all
 * data calls share (fi_io_slow).
 *
 * Each call first checks two atomics (fast path: no rule names this call
 * and no descriptor carries state -> straight to libc). Otherwise it looks
 * the descriptor up (cached in fdstate after the first look), lets engine.c
 * decide, and applies the fault. A rule due to fire is first checked
 * against what the kernel could answer here (possible()), which is when
 * the shim asks the kernel about blocking mode, timeouts, socket type.
 * No locks anywhere: safe in threads, forked children and signal handlers.
 */
#undef _FORTIFY_SOURCE
#include "shim.h"
#include "classify.h"
#include "fdlife.h"

#include "blocking.h"
#include "engine.h"
#include "fdstate.h"
#include "filog.h"
#include "real.h"
#include "room.h"
#include "roomrule.h"
#include "sandbox.h"
#include "sigstate.h"
#include "sockends.h"
#include "waits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EXPORT FI_EXPORT

REAL(read, ssize_t, (int, void *, size_t))
REAL(readv, ssize_t, (int, const struct iovec *, int))
REAL(recv, ssize_t, (int, void *, size_t, int))
REAL(recvfrom, ssize_t, (int, void *, size_t, int, struct sockaddr *, socklen_t *))
REAL(recvmsg, ssize_t, (int, struct msghdr *, int))
REAL(write, ssize_t, (int, const void *, size_t))
REAL(writev, ssize_t, (int, const struct iovec *, int))
REAL(send, ssize_t, (int, const void *, size_t, int))
REAL(sendto, ssize_t, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))
REAL(sendmsg, ssize_t, (int, const struct msghdr *, int))
REAL(accept, int, (int, struct sockaddr *, socklen_t *))
REAL(accept4, int, (int, struct sockaddr *, socklen_t *, int))
REAL(connect, int, (int, const struct sockaddr *, socklen_t))
REAL(close, int, (int))
REAL(__read_chk, ssize_t, (int, void *, size_t, size_t))
REAL(__recv_chk, ssize_t, (int, void *, size_t, size_t, int))
REAL(__recvfrom_chk, ssize_t, (int, void *, size_t, size_t, int, struct sockaddr *,
                               socklen_t *))

void fi_shim_resolve(void)
{
    get_read(); get_readv(); get_recv(); get_recvfrom(); get_recvmsg();
    get_write(); get_writev(); get_send(); get_sendto(); get_sendmsg();
    get_accept(); get_accept4(); get_connect(); get_close();
    get___read_chk(); get___recv_chk(); get___recvfrom_chk();
    fi_fdlife_resolve();
    fi_waits_resolve();
    fi_room_resolve();
}

static int is_read_like(enum fi_call call)
{
    return (FI_RD_MASK >> call) & 1u;
}

/* Copies the first LIMIT bytes' worth of IOV into OUT; returns the count.
 * A count the kernel would refuse is passed on unchanged (it says EINVAL). */
static int cut_iov(const struct iovec *iov, int cnt, size_t limit, struct iovec *out)
{
    int n = 0;
    for (; n < cnt && limit > 0; n++) {
        out[n] = iov[n];
        if (out[n].iov_len > limit)
            out[n].iov_len = limit;
        limit -= out[n].iov_len;
    }
    return n;
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static long long iov_bytes(const struct iovec *iov, size_t cnt)
{
    long long n = 0;
    for (size_t i = 0; iov != NULL && i < cnt && i < IOV_MAX; i++)
        n += (long long)iov[i].iov_len;
    return n;
}

/* Bytes the call asks to move, for the log. */
static long long asked(const struct fi_io *io)
{
    switch (io->call) {
    case FI_C_READV:
    case FI_C_WRITEV:
        return io->iovcnt > 0 ? iov_bytes(io->iov, (size_t)io->iovcnt) : 0;
    case FI_C_RECVMSG:
        return io->msg != NULL ? iov_bytes(io->msg->msg_iov, io->msg->msg_iovlen) : 0;
    case FI_C_SENDMSG:
        return io->cmsg != NULL ? iov_bytes(io->cmsg->msg_iov, io->cmsg->msg_iovlen) : 0;
    case FI_C_READ: case FI_C_RECV: case FI_C_RECVFROM:
    case FI_C_WRITE: case FI_C_SEND: case FI_C_SENDTO:
        return (long long)io->len;
    default:
        return io->asked != NULL ? io->asked(io) : 0;
    }
}

/* Makes the real call, moving at most LIMIT bytes (SIZE_MAX: no limit). */
static ssize_t real_io(const struct fi_io *io, size_t limit)
{
    struct iovec cut[IOV_MAX];
    struct msghdr m;
    ssize_t r;
    int cutting = limit != SIZE_MAX;
    size_t len = min_size(io->len, limit);
    int vecok = io->iovcnt >= 0 && io->iovcnt <= IOV_MAX;
    switch (io->call) {
    case FI_C_READ:
        return get_read()(io->fd, io->buf, len);
    case FI_C_RECV:
        return get_recv()(io->fd, io->buf, len, io->flags);
    case FI_C_RECVFROM:
        return get_recvfrom()(io->fd, io->buf, len, io->flags, io->addr, io->alen);
    case FI_C_WRITE:
        return get_write()(io->fd, io->cbuf, len);
    case FI_C_SEND:
        return get_send()(io->fd, io->cbuf, len, io->flags);
    case FI_C_SENDTO:
        return get_sendto()(io->fd, io->cbuf, len, io->flags, io->daddr, io->dlen);
    case FI_C_READV:
    case FI_C_WRITEV:
        if (cutting && vecok) {
            int n = cut_iov(io->iov, io->iovcnt, limit, cut);
            return io->call == FI_C_READV ? get_readv()(io->fd, cut, n)
                                          : get_writev()(io->fd, cut, n);
        }
        return io->call == FI_C_READV ? get_readv()(io->fd, io->iov, io->iovcnt)
                                      : get_writev()(io->fd, io->iov, io->iovcnt);
    case FI_C_RECVMSG:
        if (!cutting || io->msg == NULL || io->msg->msg_iovlen > IOV_MAX)
            return get_recvmsg()(io->fd, io->msg, io->flags);
        m = *io->msg;
        m.msg_iov = cut;
        m.msg_iovlen = (size_t)cut_iov(io->msg->msg_iov, (int)io->msg->msg_iovlen, limit, cut);
        r = get_recvmsg()(io->fd, &m, io->flags);
        io->msg->msg_namelen = m.msg_namelen;
        io->msg->msg_controllen = m.msg_controllen;
        io->msg->msg_flags = m.msg_flags;
        return r;
    case FI_C_SENDMSG:
        if (!cutting || io->cmsg == NULL || io->cmsg->msg_iovlen > IOV_MAX)
            return get_sendmsg()(io->fd, io->cmsg, io->flags);
        m = *io->cmsg;
        m.msg_iov = cut;
        m.msg_iovlen = (size_t)cut_iov(io->cmsg->msg_iov, (int)io->cmsg->msg_iovlen, limit, cut);
        return get_sendmsg()(io->fd, &m, io->flags);
    default:
        if (io->real != NULL)
            return io->real(io, limit);
        errno = ENOSYS;                 /* a family with no real call: a bug here */
        return -1;
    }
}

/* Counts what a data call moved, for after=. recvmmsg/sendmmsg return
 * messages, not bytes: xfer.c counts those. */
static inline __attribute__((always_inline)) ssize_t moved(const struct fi_io *io, ssize_t r)
{
    if (r > 0 && io->call != FI_C_RECVMMSG && io->call != FI_C_SENDMMSG) {
        fi_fd_add_bytes(io->fd, (uint64_t)r);
        if (fi_fd_points_tracked())
            fi_fd_point_moved(io->fd, is_read_like(io->call) ? FI_DIR_RD : FI_DIR_WR,
                              (uint64_t)r);
    }
    return r;
}

static ssize_t fail_with(int e)
{
    errno = e;
    return -1;
}

/* A write-like call failing with EPIPE: the kernel raises SIGPIPE in the
 * calling thread unless MSG_NOSIGNAL was passed (sendfile and splice have
 * no such flag: they always raise it). */
static ssize_t fail_epipe(const struct fi_io *io)
{
    int nosig = (io->flags & MSG_NOSIGNAL) && io->call != FI_C_SENDFILE &&
                io->call != FI_C_SPLICE_OUT;
    if (!nosig)
        raise(SIGPIPE);
    return fail_with(EPIPE);
}

/* End of stream, as a read-like call reports it. recvmmsg on a stream
 * at its end: the kernel fills every message with 0 bytes and returns VLEN. */
static ssize_t at_eof(const struct fi_io *io)
{
    if (io->call == FI_C_RECVMSG && io->msg != NULL) {
        io->msg->msg_controllen = 0;
        io->msg->msg_flags = 0;
    }
    if (io->call == FI_C_RECVMMSG && io->mm != NULL) {
        for (unsigned i = 0; i < io->vlen; i++) {
            io->mm[i].msg_len = 0;
            io->mm[i].msg_hdr.msg_controllen = 0;
            io->mm[i].msg_hdr.msg_flags = 0;
        }
        return (ssize_t)io->vlen;
    }
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Before a call consults FD's state: a descriptor in a sticky or stalled
 * state must still be the file it was (fdstate.h), so that its state never
 * outlives a close the shim did not see (a raw syscall, then the number
 * reused). -1 if FD is no longer open. */
static inline int drop_stale_state(int fd, struct fi_fdinfo *info)
{
    if (fi_fd_sticky(fd) == FI_ST_NONE && fi_fd_stall(fd) == 0)
        return 0;
    return fi_recheck(fd, info);
}

/* A datagram, seqpacket or raw socket: no stream to cut, end or stall. */
static int message_socket(const struct fi_fdinfo *info)
{
    return info->kind == FI_K_SOCK && info->socktype != SOCK_STREAM;
}

static int is_eagain(const struct fi_rule *r)
{
    return r->fault == FI_F_EAGAIN ||
           (r->fault == FI_F_ERROR && (r->arg == EAGAIN || r->arg == EWOULDBLOCK));
}

/* What possible() needs to know of the call, and what it found out. */
struct callinfo {
    int fd;
    int reading;
    int dontwait;
    int closing;
    const struct fi_fdinfo *info;
    const struct sockaddr *to;  /* connect's address */
    socklen_t tolen;
    const struct fi_io *io;     /* a data call; NULL for the others */
    long long room;             /* bytes the call surely moves: a write's room
                                 * (room.h), a read's peeked bytes; -1 none known */
    uint64_t shown;             /* what a wait or peek showed before (fdstate.h) */
};

/* A stream the write-side and FIN rules speak of: a stream socket or a pipe. */
static int stream_like(const struct fi_fdinfo *info)
{
    return info->kind == FI_K_PIPE || (info->kind == FI_K_SOCK && info->socktype == SOCK_STREAM);
}

/* The first read-like (write-like) call after a wait reported the stream
 * ready, or MSG_PEEK showed bytes (roomrule.h, fi_shown_why). */
static enum fi_why shown_ready(struct callinfo *ci, const struct fi_rule *r)
{
    int shown = (ci->shown & (ci->reading ? FI_SHOWN_RD : FI_SHOWN_WR)) != 0;
    return fi_shown_why(r, ci->reading, shown, ci->shown >> FI_SHOWN_SHIFT, asked(ci->io),
                        &ci->room);
}

/* A read's short, eagain or stall once the peer's FIN is queued: the
 * kernel has all the data, it reads it or returns 0. */
static enum fi_why read_side(struct callinfo *ci, const struct fi_rule *r)
{
    if (!stream_like(ci->info))
        return FI_WHY_OK;
    if (fi_sandboxed())
        return FI_WHY_SANDBOXED;        /* no poll of ours in a sandbox */
    if (fi_fin_queued(ci->fd, ci->info->kind))
        return FI_WHY_FIN;
    return shown_ready(ci, r);
}

/* A write's short or eagain stands for a send queue out of room
 * (faultinject.md, the write-side rule): the room it surely has is
 * taken whole; a pipe write of at most PIPE_BUF bytes is atomic. */
static enum fi_why write_side(struct callinfo *ci, const struct fi_rule *r)
{
    if (!stream_like(ci->info))
        return FI_WHY_OK;
    if (fi_sandboxed())
        return FI_WHY_SANDBOXED;        /* no ioctl of ours in a sandbox */
    if (r->fault != FI_F_SHORT && shown_ready(ci, r) != FI_WHY_OK)
        return FI_WHY_READY;
    ci->room = fi_room(ci->fd, ci->info->kind);
    return fi_room_why(r, ci->info->kind == FI_K_PIPE, asked(ci->io), ci->room);
}

/* The data calls' extra conditions for short, eagain and stall. */
static enum fi_why data_side(struct callinfo *ci, const struct fi_rule *r)
{
    if (ci->io == NULL || (r->fault != FI_F_SHORT && r->fault != FI_F_STALL && !is_eagain(r)))
        return FI_WHY_OK;
    return ci->reading ? read_side(ci, r) : write_side(ci, r);
}

/* Whether the kernel could give R's fault here (faultinject.md, eagain,
 * message sockets). */
static enum fi_why possible(void *arg, const struct fi_rule *r)
{
    struct callinfo *ci = arg;
    /* Seccomp sandbox: a fault that depends on the blocking mode or the
     * timeouts fires only where fdflags.h knows them (sandbox.h). */
    if ((is_eagain(r) || r->fault == FI_F_EINTR || r->fault == FI_F_STALL) &&
        !fi_blocking_known(ci->fd, ci->reading, ci->dontwait))
        return FI_WHY_SANDBOXED;
    if (is_eagain(r))
        return fi_could_eagain(ci->fd, ci->reading, ci->dontwait) ? data_side(ci, r)
                                                                   : FI_WHY_BLOCKING;
    switch (r->fault) {
    case FI_F_SHORT:
    case FI_F_STALL:
        return message_socket(ci->info) ? FI_WHY_MESSAGE : data_side(ci, r);
    case FI_F_RESET:
    case FI_F_EOF:
        return message_socket(ci->info) ? FI_WHY_MESSAGE : FI_WHY_OK;
    case FI_F_EINTR:
        return fi_eintr_data(ci->fd, ci->info->kind, ci->reading, ci->dontwait, ci->closing);
    default:
        return FI_WHY_OK;
    }
}

static int ends(void *arg, const struct fi_rule *r)
{
    const struct callinfo *ci = arg;
    return ci->info->kind == FI_K_SOCK && fi_ends_match(ci->fd, r, ci->to, ci->tolen);
}

/* The replay point of the data call under way in this thread (taken
 * before the call, logged after it): io_slow sets it for inject(). */
static _Thread_local const struct fi_point *data_point
    __attribute__((tls_model("initial-exec")));

static void log_data(const struct fi_io *io, const struct fi_rule *r, int rule, uint64_t k,
                     uint64_t callno, ssize_t ret)
{
    fi_log_injection(&(struct fi_logrec){ .call = io->call, .fd = io->fd, .r = r,
                                          .rule = rule, .k = k, .callno = callno, .data = 1,
                                          .asked = asked(io), .ret = (long long)ret,
                                          .pt = data_point });
}

/* A call on a stalled direction: no data (or room) ever comes. */
static ssize_t stalled(const struct fi_io *io)
{
    return fi_stall_wait(io->fd, is_read_like(io->call), io->dontwait);
}

/* Bytes the bytes queued when a read stall began still let through
 * (fdstate.h, stall_left): a real read of at most those. */
static ssize_t drain_queued(const struct fi_io *io)
{
    size_t left = (size_t)fi_fd_stall_left(io->fd);
    ssize_t r = moved(io, real_io(io, left));
    int e = errno;
    if (r > 0 && fi_fd_stall_take(io->fd, (uint64_t)r) == 0)
        fi_wait_stalled(io->fd);        /* now nothing more will come */
    errno = e;
    return r;
}

/* A stall as the kernel lives it: a peer that goes silent cannot take
 * back what it sent, nor refuse what the send queue has room for. The
 * log line (R, RULE, K, CALLNO) says what the program gets back, written
 * before any wait, which may last until the process ends. */
static ssize_t begin_stall(const struct fi_io *io, int reading, long long room,
                           const struct fi_rule *r, int rule, uint64_t k, uint64_t callno)
{
    long long keep = reading ? fi_queued(io->fd) : room;
    fi_fd_set_stall(io->fd, reading ? FI_STALL_RD : FI_STALL_WR);
    if (reading && keep > 0) {
        fi_fd_stall_keep(io->fd, (uint64_t)keep);
        ssize_t got = drain_queued(io);
        int e = errno;
        log_data(io, r, rule, k, callno, got);
        errno = e;
        return got;
    }
    fi_wait_stalled(io->fd);
    if (reading || keep <= 0) {
        log_data(io, r, rule, k, callno, -1);
        return stalled(io);
    }
    /* A write: the room goes out; a call that could block then waits
     * (tcp_sendmsg: sk_stream_wait_memory) and returns what it moved. */
    ssize_t got = moved(io, real_io(io, (size_t)keep));
    int e = errno;
    log_data(io, r, rule, k, callno, got);
    if (got > 0 && got < asked(io) && !fi_could_eagain(io->fd, 0, io->dontwait))
        stalled(io);
    errno = e;
    return got;
}

/* Applies fault R (already decided) to IO; ROOM: a write's sure room, -1
 * if none is known (room.h). */
static ssize_t inject(const struct fi_io *io, const struct fi_rule *r, int rule, uint64_t k,
                      uint64_t callno, long long room)
{
    int reading = is_read_like(io->call);
    size_t cut = (size_t)r->arg;
    ssize_t ret;
    int e;
    switch (r->fault) {
    case FI_F_SHORT:
        /* A write moves at least the room the queue surely has; a read
         * at least what MSG_PEEK showed. */
        if (room > 0 && (unsigned long long)room > cut)
            cut = (size_t)room;
        ret = moved(io, real_io(io, cut));
        e = errno;
        fi_wait_rearm(io->fd);
        break;
    case FI_F_EINTR:
        ret = -1, e = EINTR;
        break;
    case FI_F_EAGAIN:
        ret = -1, e = EAGAIN;
        fi_wait_rearm(io->fd);
        break;
    case FI_F_ERROR:
        ret = -1, e = (int)r->arg;
        if (is_eagain(r))
            fi_wait_rearm(io->fd);
        break;
    case FI_F_RESET:
        fi_fd_set_sticky(io->fd, FI_ST_RESET);
        ret = -1, e = ECONNRESET;
        break;
    case FI_F_EOF:
        /* The peer closed: reads end now; a write still goes out. */
        fi_fd_set_sticky(io->fd, FI_ST_EOF);
        ret = reading ? at_eof(io) : moved(io, real_io(io, SIZE_MAX));
        e = errno;
        break;
    case FI_F_STALL:
        return begin_stall(io, reading, room, r, rule, k, callno);   /* it logs */
    default: /* FI_F_DELAY */
        sleep_ms(r->arg);
        ret = moved(io, real_io(io, SIZE_MAX));
        e = errno;
        break;
    }
    log_data(io, r, rule, k, callno, ret);
    if (ret < 0 && e == EPIPE && !reading)
        return fail_epipe(io);
    errno = e;
    return ret;
}

static inline __attribute__((always_inline)) ssize_t io_slow(const struct fi_io *io);

/* MSG_PEEK showed bytes: the next read gets at least those (fdstate.h). */
ssize_t fi_io_slow(const struct fi_io *io)
{
    ssize_t r = io_slow(io);
    if (r > 0 && (io->flags & MSG_PEEK) && fi_engine_watches_ready() &&
        (io->call == FI_C_RECV || io->call == FI_C_RECVFROM || io->call == FI_C_RECVMSG)) {
        int e = errno;
        fi_fd_set_peeked(io->fd, (uint64_t)r);
        errno = e;
    }
    return r;
}

static inline __attribute__((always_inline)) ssize_t io_slow(const struct fi_io *io)
{
    struct fi_fdinfo info;
    struct fi_rule r;
    uint64_t k;
    if (fi_look_at(io->fd, &info) < 0 || drop_stale_state(io->fd, &info) < 0)
        return real_io(io, SIZE_MAX);    /* not open: the kernel says EBADF */
    int reading = is_read_like(io->call);
    int sticky = fi_fd_sticky(io->fd);
    int stall = fi_fd_stall(io->fd) & (reading ? FI_STALL_RD : FI_STALL_WR);
    /* After reset or eof, or on a stalled direction, the kernel answers
     * whatever the rules say; the call still counts so that no rule's
     * schedule shifts. */
    int kernel_says = sticky == FI_ST_RESET || (sticky == FI_ST_EOF && reading) || stall;
    struct callinfo ci = { .fd = io->fd, .reading = reading, .dontwait = io->dontwait,
                           .info = &info, .io = io, .room = -1,
                           .shown = !fi_engine_watches_ready() ? 0
                                    : fi_fd_take_shown(io->fd, reading ? FI_SHOWN_RD
                                                                       : FI_SHOWN_WR) };
    uint64_t callno = fi_engine_callno(io->call);
    int dir = reading ? FI_DIR_RD : FI_DIR_WR;
    int track = fi_fd_points_tracked();
    struct fi_point pt;
    if (track)
        fi_fd_point(io->fd, dir, &pt);
    struct fi_callctx c = { .call = io->call, .fd = io->fd, .kind = info.kind,
                            .socktype = info.socktype, .callno = callno,
                            .pt = track ? &pt : NULL,
                            .ends = ends, .possible = possible, .arg = &ci };
    int rule = fi_engine_decide(&c, !kernel_says, &r, &k);
    ssize_t got;
    if (kernel_says) {
        if (sticky == FI_ST_RESET || (sticky == FI_ST_EOF && reading))
            got = reading ? at_eof(io) : fail_epipe(io);
        else if (reading && fi_fd_stall_left(io->fd) > 0)
            got = drain_queued(io);
        else
            got = stalled(io);
    } else if (rule < 0) {
        got = moved(io, real_io(io, SIZE_MAX));
    } else {
        const struct fi_point *outer = data_point;   /* a handler's call inside ours */
        data_point = track ? &pt : NULL;
        got = inject(io, &r, rule, k, callno, ci.room);
        data_point = outer;
        return got;
    }
    if (track) {
        int e = errno;
        fi_fd_point_passed(io->fd, dir, got);     /* not injected: its position counts */
        errno = e;
    }
    return got;
}

/* accept, accept4, connect, close: the fault that fired (after a delay=,
 * -1), or -1. TO: connect's address. */
static int decide_other(enum fi_call call, int fd, const struct sockaddr *to, socklen_t tolen,
                        struct fi_rule *r)
{
    struct fi_fdinfo info;
    uint64_t k;
    if (fi_look_at(fd, &info) < 0 || drop_stale_state(fd, &info) < 0)
        return -1;
    int saved = errno;
    struct callinfo ci = { .fd = fd, .reading = call == FI_C_ACCEPT || call == FI_C_ACCEPT4,
                           .closing = call == FI_C_CLOSE, .info = &info, .to = to, .tolen = tolen };
    uint64_t callno = fi_engine_callno(call);
    struct fi_point pt;
    fi_fd_point(fd, FI_DIR_OTHER, &pt);
    struct fi_callctx c = { .call = call, .fd = fd, .kind = info.kind,
                            .socktype = info.socktype, .callno = callno, .pt = &pt,
                            .ends = ends, .possible = possible, .arg = &ci };
    int rule = fi_engine_decide(&c, 1, r, &k);
    if (rule < 0)
        fi_fd_point_passed(fd, FI_DIR_OTHER, 0);
    errno = saved;
    if (rule < 0)
        return -1;
    fi_log_injection(&(struct fi_logrec){ .call = call, .fd = fd, .r = r, .rule = rule,
                                          .k = k, .callno = callno, .pt = &pt });
    if (r->fault == FI_F_DELAY) {
        sleep_ms(r->arg);
        errno = saved;
        return -1;                      /* then the real call */
    }
    return (int)r->fault;
}

static int errno_of(const struct fi_rule *r)
{
    return r->fault == FI_F_EINTR ? EINTR : r->fault == FI_F_EAGAIN ? EAGAIN : (int)r->arg;
}

static int slow_accept(enum fi_call call, int fd, struct sockaddr *addr, socklen_t *alen,
                       int flags)
{
    struct fi_rule r;
    if (decide_other(call, fd, NULL, 0, &r) >= 0) {
        if (is_eagain(&r))
            fi_wait_rearm(fd);          /* the connection still queued: its edge */
        return (int)fail_with(errno_of(&r));
    }
    int nfd = call == FI_C_ACCEPT ? get_accept()(fd, addr, alen)
                                  : get_accept4()(fd, addr, alen, flags);
    return fi_fdlife_accepted(fd, nfd, addr, alen, flags);
}

/* connect:eintr as the kernel does it: the attempt goes on (non-blocking
 * connect, EINPROGRESS) and the caller hears EINTR; a retry then sees
 * EALREADY or EISCONN, and poll + SO_ERROR the outcome. */
static int connect_interrupted(int fd, const struct sockaddr *addr, socklen_t len)
{
    /* In a sandbox, possible() let this through only on a descriptor
     * known to be non-blocking: no fcntl. */
    int fl = fi_sandboxed() ? O_NONBLOCK : fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int r = fi_fdlife_connected(fd, addr, len, get_connect()(fd, addr, len));
    int e = errno;
    if (fl >= 0 && !(fl & O_NONBLOCK))
        fcntl(fd, F_SETFL, fl);
    if (r < 0 && e != EINPROGRESS)
        return (int)fail_with(e);       /* failed at once: that error */
    return (int)fail_with(EINTR);
}

static int slow_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct fi_rule r;
    int f = decide_other(FI_C_CONNECT, fd, addr, len, &r);
    if (f == FI_F_EINTR)
        return connect_interrupted(fd, addr, len);
    if (f >= 0)
        return (int)fail_with(errno_of(&r));
    return fi_fdlife_connected(fd, addr, len, get_connect()(fd, addr, len));
}

/* close: Linux releases the descriptor even when close fails (EINTR
 * included), so every injected close really closes, then reports. */
static int slow_close(int fd)
{
    struct fi_rule r;
    int f = decide_other(FI_C_CLOSE, fd, NULL, 0, &r);
    int rc = get_close()(fd);
    int e = errno;
    fi_fdlife_closed(fd);
    if (f >= 0)
        return (int)fail_with(errno_of(&r));
    errno = e;
    return rc;
}

/* ---- the interposed symbols ---------------------------------------- */

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    if (!fi_hot(FI_C_READ))
        return get_read()(fd, buf, n);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_READ, .fd = fd, .buf = buf, .len = n });
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (n > buflen || !fi_hot(FI_C_READ))
        return get___read_chk()(fd, buf, n, buflen);  /* overflow: glibc aborts */
    return fi_io_slow(&(struct fi_io){ .call = FI_C_READ, .fd = fd, .buf = buf, .len = n });
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    if (!fi_hot(FI_C_READV))
        return get_readv()(fd, iov, cnt);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_READV, .fd = fd, .iov = iov, .iovcnt = cnt,
                                 .len = SIZE_MAX });
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (!fi_hot(FI_C_RECV))
        return get_recv()(fd, buf, n, flags);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_RECV, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT });
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    if (n > buflen || !fi_hot(FI_C_RECV))
        return get___recv_chk()(fd, buf, n, buflen, flags);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_RECV, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT });
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, __SOCKADDR_ARG addr,
                        socklen_t *alen)
{
    struct sockaddr *a = addr.__sockaddr__;
    if (!fi_hot(FI_C_RECVFROM))
        return get_recvfrom()(fd, buf, n, flags, a, alen);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_RECVFROM, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT,
                                 .addr = a, .alen = alen });
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                              struct sockaddr *a, socklen_t *alen)
{
    if (n > buflen || !fi_hot(FI_C_RECVFROM))
        return get___recvfrom_chk()(fd, buf, n, buflen, flags, a, alen);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_RECVFROM, .fd = fd, .buf = buf, .len = n,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT,
                                 .addr = a, .alen = alen });
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    ssize_t r;
    if (!fi_hot(FI_C_RECVMSG))
        r = get_recvmsg()(fd, msg, flags);
    else
        r = fi_io_slow(&(struct fi_io){ .call = FI_C_RECVMSG, .fd = fd, .msg = msg,
                                        .flags = flags, .dontwait = flags & MSG_DONTWAIT,
                                        .len = SIZE_MAX });
    if (r >= 0 && msg != NULL && msg->msg_controllen > 0)
        fi_fdlife_received(msg);        /* SCM_RIGHTS: new descriptors (keeps errno) */
    return r;
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (!fi_hot(FI_C_WRITE))
        return get_write()(fd, buf, n);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_WRITE, .fd = fd, .cbuf = buf, .len = n });
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    if (!fi_hot(FI_C_WRITEV))
        return get_writev()(fd, iov, cnt);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_WRITEV, .fd = fd, .iov = iov, .iovcnt = cnt,
                                 .len = SIZE_MAX });
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    if (!fi_hot(FI_C_SEND))
        return get_send()(fd, buf, n, flags);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_SEND, .fd = fd, .cbuf = buf, .len = n,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT });
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
                      __CONST_SOCKADDR_ARG addr, socklen_t alen)
{
    const struct sockaddr *a = addr.__sockaddr__;
    if (!fi_hot(FI_C_SENDTO))
        return get_sendto()(fd, buf, n, flags, a, alen);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_SENDTO, .fd = fd, .cbuf = buf, .len = n,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT,
                                 .daddr = a, .dlen = alen });
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    if (!fi_hot(FI_C_SENDMSG))
        return get_sendmsg()(fd, msg, flags);
    return fi_io_slow(&(struct fi_io){ .call = FI_C_SENDMSG, .fd = fd, .cmsg = msg,
                                 .flags = flags, .dontwait = flags & MSG_DONTWAIT,
                                 .len = SIZE_MAX });
}

/* accept and connect, on the fast path too, record the new socket and
 * its ends (fdlife.c, sockends.h), so that peer= never has to ask a
 * kernel that may have forgotten the peer (after its reset). */
EXPORT int accept(int fd, __SOCKADDR_ARG addr, socklen_t *alen)
{
    if (!fi_hot(FI_C_ACCEPT))
        return fi_fdlife_accepted(fd, get_accept()(fd, addr.__sockaddr__, alen),
                                  addr.__sockaddr__, alen, 0);
    return slow_accept(FI_C_ACCEPT, fd, addr.__sockaddr__, alen, 0);
}

EXPORT int accept4(int fd, __SOCKADDR_ARG addr, socklen_t *alen, int flags)
{
    if (!fi_hot(FI_C_ACCEPT4))
        return fi_fdlife_accepted(fd, get_accept4()(fd, addr.__sockaddr__, alen, flags),
                                  addr.__sockaddr__, alen, flags);
    return slow_accept(FI_C_ACCEPT4, fd, addr.__sockaddr__, alen, flags);
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
    if (!fi_hot(FI_C_CONNECT))
        return fi_fdlife_connected(fd, addr.__sockaddr__, len,
                                   get_connect()(fd, addr.__sockaddr__, len));
    return slow_connect(fd, addr.__sockaddr__, len);
}

EXPORT int close(int fd)
{
    if (fi_fdlife_spared(fd))
        return 0;
    if (!fi_hot(FI_C_CLOSE)) {
        int r = get_close()(fd);
        fi_fdlife_closed(fd);           /* keeps errno */
        return r;
    }
    return slow_close(fd);
}

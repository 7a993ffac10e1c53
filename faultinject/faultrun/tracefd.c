/* tracefd.c: the trace backend's per-descriptor state (see tracefd.h). */
#include "tracefd.h"

#include "tracecall.h"
#include "tracerestart.h"
#include "tracestate.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define FD_CAP 65536
#define MMSG_SIZE 64            /* sizeof(struct mmsghdr) on x86_64 */
#define MMSG_LEN_AT 56          /* offsetof(struct mmsghdr, msg_len) */
#define MSGHDR_CONTROLLEN_AT 40 /* offsetof(struct msghdr, msg_controllen); msg_flags at 48 */

/* One end of a socket, once read (peer=, local=). */
struct tf_end {
    int have;
    int family;
    unsigned char addr[16];
    int port;
};

struct tf_ent {
    int known;                  /* DEV and INO say which file it is */
    dev_t dev;
    ino_t ino;
    uint64_t bytes;             /* after=: moved both ways */
    uint64_t count[FI_MAX_RULES];   /* per=fd: gen << 48 | count */
    struct tf_end end[2];       /* 0 the peer, 1 the local end */
    int sticky;                 /* TF_ST_* */
    int told;                   /* the sticky state an edge-triggered epoll reported */
    int stall;                  /* TF_STALL_* */
    uint64_t stall_left;        /* a read stall: bytes still let through */
};

struct tf_table {
    int keep, count_bytes;      /* what the rules need (rules_changed) */
    int marked;                 /* descriptors with a sticky or stalled state */
    int n;
    struct tf_ent *e;
};

#define GEN_SHIFT 48
#define COUNT_MASK ((UINT64_C(1) << GEN_SHIFT) - 1)

static int sticky_fault(const struct fi_rule *r)
{
    return r->fault == FI_F_RESET || r->fault == FI_F_EOF || r->fault == FI_F_STALL;
}

static int rule_keeps(const struct fi_rule *r)
{
    return r->per_fd || r->has_after || r->peer.on || r->local.on || sticky_fault(r);
}

int tf_sticky_rules(const struct fi_ruleset *rs)
{
    for (int i = 0; i < rs->n; i++)
        if (sticky_fault(&rs->rule[i]))
            return 1;
    return 0;
}

int tf_keeps_state(const struct fi_ruleset *rs)
{
    for (int i = 0; i < rs->n; i++)
        if (rule_keeps(&rs->rule[i]))
            return 1;
    return 0;
}

static int counts_bytes(const struct fi_ruleset *rs)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->rule[i].has_after)
            return 1;
    return 0;
}

int tf_stops_data(const struct fi_ruleset *rs)
{
    return counts_bytes(rs) || tf_sticky_rules(rs);
}

static struct tf_table *table(struct tproc *p)
{
    if (p->fdst == NULL && (p->fdst = calloc(1, sizeof *p->fdst)) != NULL)
        p->fdst->keep = tf_keeps_state(&tr_run.opts->rs);
    return p->fdst;
}

/* FD's entry, grown into being; NULL past the range (no state kept). */
static struct tf_ent *slot(struct tproc *p, int fd)
{
    struct tf_table *t = table(p);
    if (t == NULL || fd < 0 || fd >= FD_CAP)
        return NULL;
    if (fd >= t->n) {
        int n = fd < 64 ? 64 : fd * 2 > FD_CAP ? FD_CAP : fd * 2;
        struct tf_ent *m = realloc(t->e, (size_t)n * sizeof *m);
        if (m == NULL)
            return NULL;
        memset(m + t->n, 0, (size_t)(n - t->n) * sizeof *m);
        t->e = m;
        t->n = n;
    }
    return &t->e[fd];
}

/* Clears entry E of T (a descriptor closed, or another file now). */
static void clear(struct tf_table *t, struct tf_ent *e)
{
    if (e->sticky != TF_ST_NONE || e->stall != 0)
        t->marked--;
    memset(e, 0, sizeof *e);
}

static void forget(struct tproc *p, int fd)
{
    struct tf_table *t = p->fdst;
    if (t != NULL && fd >= 0 && fd < t->n)
        clear(t, &t->e[fd]);
}

int tf_sticky(const struct tproc *p, int fd)
{
    const struct tf_table *t = p->fdst;
    return t != NULL && fd >= 0 && fd < t->n ? t->e[fd].sticky : TF_ST_NONE;
}

int tf_any_sticky(const struct tproc *p)
{
    return p->fdst != NULL && p->fdst->marked > 0;
}

int tf_next_sticky(const struct tproc *p, int from)
{
    const struct tf_table *t = p->fdst;
    for (int fd = from < 0 ? 0 : from; t != NULL && t->marked > 0 && fd < t->n; fd++)
        if (t->e[fd].sticky != TF_ST_NONE || t->e[fd].stall != 0)
            return fd;
    return -1;
}

int tf_stalled(const struct tproc *p, int fd)
{
    const struct tf_table *t = p->fdst;
    if (t == NULL || fd < 0 || fd >= t->n)
        return 0;
    const struct tf_ent *e = &t->e[fd];
    return (e->stall & TF_STALL_WR) | ((e->stall & TF_STALL_RD) && e->stall_left == 0);
}

static void set_stall(struct tproc *p, struct tf_ent *e, int bits)
{
    if (e->sticky == TF_ST_NONE && e->stall == 0)
        p->fdst->marked++;
    e->stall |= bits;
}

int tf_told(const struct tproc *p, int fd)
{
    const struct tf_table *t = p->fdst;
    return t != NULL && fd >= 0 && fd < t->n && t->e[fd].told == t->e[fd].sticky;
}

void tf_set_told(struct tproc *p, int fd)
{
    struct tf_table *t = p->fdst;
    if (t != NULL && fd >= 0 && fd < t->n)
        t->e[fd].told = t->e[fd].sticky;
}

static void set_sticky(struct tproc *p, int fd, int state)
{
    struct tf_ent *e = slot(p, fd);
    if (e == NULL || e->sticky >= state)
        return;                         /* reset never goes back to eof */
    if (e->sticky == TF_ST_NONE && e->stall == 0)
        p->fdst->marked++;
    e->sticky = state;
}

/* ---- the engine's host ------------------------------------------------ */

static uint64_t host_fd_count(void *ctx, int rule, int fd, unsigned gen)
{
    struct tf_ent *e = slot(ctx, fd);
    if (e == NULL)
        return 0;                       /* counted with the process */
    uint64_t v = e->count[rule];
    v = (v >> GEN_SHIFT) == gen ? v + 1 : ((uint64_t)gen << GEN_SHIFT) | 1;
    e->count[rule] = v;
    return v & COUNT_MASK;
}

static uint64_t host_fd_bytes(void *ctx, int fd)
{
    struct tf_table *t = ((struct tproc *)ctx)->fdst;
    return t != NULL && fd >= 0 && fd < t->n ? t->e[fd].bytes : 0;
}

/* New rules (an exec's fresh engine): every descriptor starts again. */
static void host_rules_changed(void *ctx, int count_bytes, int keep_state)
{
    struct tproc *p = ctx;
    struct tf_table *t = table(p);
    if (t == NULL)
        return;
    free(t->e);
    *t = (struct tf_table){ .keep = keep_state || tf_keeps_state(&tr_run.opts->rs),
                            .count_bytes = count_bytes };
}

void tf_host(struct tproc *p)
{
    p->host.fd_count = host_fd_count;
    p->host.fd_bytes = host_fd_bytes;
    p->host.rules_changed = host_rules_changed;
}

struct tf_table *tf_copy(const struct tf_table *parent)
{
    if (parent == NULL)
        return NULL;
    struct tf_table *t = malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    *t = *parent;
    t->e = NULL;
    t->n = 0;
    if (parent->n > 0 && (t->e = malloc((size_t)parent->n * sizeof *t->e)) != NULL) {
        memcpy(t->e, parent->e, (size_t)parent->n * sizeof *t->e);
        t->n = parent->n;
    }
    return t;
}

void tf_free(struct tf_table *t)
{
    if (t != NULL)
        free(t->e);
    free(t);
}

/* ---- the calls -------------------------------------------------------- */

/* The call TC is skipped and answered as after a real RST (reads end of
 * stream, writes fail with EPIPE) or FIN (reads end of stream):
 * recvmsg's msg_controllen and msg_flags become 0; recvmmsg fills every
 * message with 0 bytes and returns VLEN, as the kernel does at the end
 * of a stream. */
static void answer(struct tthread *th, const struct tcall *tc)
{
    struct tf_pending *d = &th->fdp;
    pid_t pid = th->p->pid;
    const uint64_t *a = tc->c.args;
    static const uint64_t zero[2];
    ft_set_nr(th->tid, -1);
    d->says = d->force = d->on = 1;
    if (!tc->reading) {
        /* sendfile and splice have no MSG_NOSIGNAL: they always raise it */
        int flags = tc->call == FI_C_SEND || tc->call == FI_C_SENDTO ||
                    tc->call == FI_C_SENDMMSG ? (int)a[3]
                  : tc->call == FI_C_SENDMSG ? (int)a[2] : 0;
        d->ret = -EPIPE;
        d->pipe = !(flags & MSG_NOSIGNAL);
        return;
    }
    d->ret = 0;
    if (tc->call == FI_C_RECVMSG)
        ft_poke(pid, a[1] + MSGHDR_CONTROLLEN_AT, zero, 16);    /* controllen, flags */
    if (tc->call == FI_C_RECVMMSG) {
        unsigned vlen = (unsigned)a[2] < 1024 ? (unsigned)a[2] : 1024;
        for (unsigned i = 0; i < vlen; i++) {
            uint64_t m = a[1] + (uint64_t)i * MMSG_SIZE;
            unsigned z = 0;
            ft_poke(pid, m + MSGHDR_CONTROLLEN_AT, zero, 16);
            ft_poke(pid, m + MMSG_LEN_AT, &z, sizeof z);
        }
        d->ret = vlen;
    }
}

#define RED_ZONE 128            /* the x86_64 ABI's, below rsp */
#define ERESTARTSYS 512         /* the kernel's restart codes (never seen by a program) */
#define ERESTARTNOHAND 514

/* Makes TC's call (C) a wait that only its timeout or a signal ends, as
 * a real call waits on a silent peer (blocking.c's fi_stall_wait): the
 * call becomes ppoll(NULL, 0, timeout, NULL); non-blocking: EAGAIN now. */
static void stall_call(struct tthread *th, const struct tcall *tc, const struct ft_call *c)
{
    struct tf_pending *d = &th->fdp;
    int copy = ft_fd_copy(th->p->pidfd, tc->fd);
    int fl = copy >= 0 ? fcntl(copy, F_GETFL) : -1;
    struct timeval tv = { 0, 0 };
    socklen_t len = sizeof tv;
    if (copy >= 0 &&                    /* not a socket: no timeout (ENOTSOCK) */
        getsockopt(copy, SOL_SOCKET, tc->reading ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &len) < 0)
        tv = (struct timeval){ 0, 0 };
    if (copy >= 0)
        close(copy);
    d->on = d->says = 1;
    d->c = *c;
    if (tc->dontwait || (fl >= 0 && (fl & O_NONBLOCK))) {
        ft_set_nr(th->tid, -1);
        d->force = 1;
        d->ret = -EAGAIN;
        return;
    }
    uint64_t args[6] = { 0, 0, 0, 0, 8, 0 }, sp;
    d->timed = tv.tv_sec != 0 || tv.tv_usec != 0;
    if (d->timed && ft_get_sp(th->tid, &sp) == 0) {
        struct timespec ts = { tv.tv_sec, tv.tv_usec * 1000L };
        args[2] = (sp - RED_ZONE - sizeof ts) & ~(uint64_t)15;
        if (ft_poke(th->p->pid, args[2], &ts, sizeof ts) < 0)
            args[2] = 0;
    }
    d->stalled = ft_set_nr(th->tid, SYS_ppoll) == 0 && ft_set_args(th->tid, args, 0x3f) == 0;
}

/* At the exit of a stalled call's wait: the program's registers back;
 * the timeout: EAGAIN; a signal: the call's own restart rule (socket(7):
 * with a timeout a caught signal ends it, EINTR; without, SA_RESTART
 * restarts it, the call itself again). */
static void stall_exit(struct tthread *th, long long *ret)
{
    struct tf_pending *d = &th->fdp;
    ft_set_args(th->tid, d->c.args, 0x3f);
    if (*ret == 0) {
        *ret = -EAGAIN;
        ft_set_ret(th->tid, *ret);
    } else if (*ret == -ERESTARTNOHAND) {
        ft_set_nr(th->tid, d->c.nr);    /* a restart makes the call again */
        if (!d->timed) {
            *ret = -ERESTARTSYS;
            ft_set_ret(th->tid, *ret);
        }
        return;                         /* still armed: a restart stalls again */
    }
    d->on = d->stalled = 0;
}

int tf_restart(struct tthread *th, const struct ft_call *c, int how)
{
    struct tf_pending *d = &th->fdp;
    if (!d->on || !d->stalled || c->nr != d->c.nr)
        return how;
    uint64_t args[6] = { 0, 0, 0, 0, 8, 0 }, sp;
    if (d->timed && ft_get_sp(th->tid, &sp) == 0) {
        /* the restart begins again with the whole timeout */
        args[2] = (sp - RED_ZONE - sizeof(struct timespec)) & ~(uint64_t)15;
    }
    if (ft_set_nr(th->tid, SYS_ppoll) < 0 || ft_set_args(th->tid, args, 0x3f) < 0)
        d->on = d->stalled = 0;
    return PTRACE_SYSCALL;
}

/* A read stall's queued bytes: TC's read is cut to LEFT (tracexfer.h). */
static void drain(struct tthread *th, const struct tcall *tc, uint64_t left,
                  struct tx_undo *undo)
{
    th->fdp.on = 1;
    th->fdp.drain = 1;
    tx_cut(th->p->pid, th->tid, &tc->c, tc->call, (long long)left, undo);
}

int tf_entry(struct tthread *th, const struct tcall *tc, int how)
{
    struct tproc *p = th->p;
    struct tf_table *t = table(p);
    th->fdp.on = 0;                     /* a call before (a stall a signal ended) is over */
    if (tc == NULL || t == NULL || !t->keep || tc->wait || tc->fd < 0)
        return how;
    if (tc->closing) {                  /* Linux releases it whatever close says */
        forget(p, tc->fd);
        return how;
    }
    struct stat st;
    struct tf_ent *e = slot(p, tc->fd);
    if (e == NULL || ft_fd_stat(p->pid, tc->fd, &st) < 0)
        return how;                     /* EBADF to come: nothing to keep */
    if (e->known && (e->dev != st.st_dev || e->ino != st.st_ino))
        clear(t, e);                    /* the number is another file now */
    e->known = 1;
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    if (tc->call == FI_C_CONNECT)       /* its ends change: read them again */
        memset(e->end, 0, sizeof e->end);
    if (!tc->data || (!t->count_bytes && e->sticky == TF_ST_NONE && e->stall == 0))
        return how;
    th->fdp = (struct tf_pending){ .on = 1, .fd = tc->fd,
                                   .mmsg = tc->call == FI_C_RECVMMSG ||
                                           tc->call == FI_C_SENDMMSG,
                                   .vec = tc->c.args[1] };
    if (e->sticky == TF_ST_RESET || (e->sticky == TF_ST_EOF && tc->reading)) {
        answer(th, tc);
    } else if (e->stall & (tc->reading ? TF_STALL_RD : TF_STALL_WR)) {
        th->fdp.says = 1;               /* the rules count it, none fires */
        if (tc->reading && e->stall_left > 0)
            drain(th, tc, e->stall_left, &th->fdp.undo);
        else
            stall_call(th, tc, &tc->c);
    }
    return PTRACE_SYSCALL;
}

/* shim.c's begin_stall: what the peer sent, or the room the queue has,
 * still goes; else the call waits, its log line written now. */
static void begin_stall(struct tthread *th, const struct tcall *tc)
{
    struct tf_ent *e = slot(th->p, tc->fd);
    if (e == NULL)
        return;
    long long keep = tc->room;
    if (tc->reading) {
        int copy = ft_fd_copy(th->p->pidfd, tc->fd), q = 0;
        if (copy < 0 || ioctl(copy, FIONREAD, &q) < 0)
            q = 0;
        if (copy >= 0)
            close(copy);
        keep = q;
    }
    set_stall(th->p, e, tc->reading ? TF_STALL_RD : TF_STALL_WR);
    th->fdp.fd = tc->fd;
    if (keep > 0) {
        if (tc->reading) {
            e->stall_left = (uint64_t)keep;
            drain(th, tc, (uint64_t)keep, &th->undo);
        } else {                        /* the room goes out (logged at the exit) */
            tx_cut(th->p->pid, th->tid, &tc->c, tc->call, keep, &th->undo);
        }
        return;
    }
    tr_finish(th, -1);                  /* the log line: the wait may never end */
    stall_call(th, tc, &tc->c);
}

int tf_fault(struct tthread *th, const struct tcall *tc, const struct fi_rule *r)
{
    if (r->fault == FI_F_STALL) {
        begin_stall(th, tc);
        return 1;
    }
    if (r->fault != FI_F_RESET && r->fault != FI_F_EOF)
        return 0;
    set_sticky(th->p, tc->fd, r->fault == FI_F_RESET ? TF_ST_RESET : TF_ST_EOF);
    if (r->fault == FI_F_RESET) {
        th->set_ret = -ECONNRESET;
        ft_set_nr(th->tid, -1);
    } else if (tc->reading) {           /* the peer closed: reads end now; a write goes out */
        answer(th, tc);
    }
    return 1;
}

void tf_exit(struct tthread *th, long long *retp)
{
    struct tf_pending d = th->fdp;
    th->fdp.on = 0;
    if (d.on && d.stalled) {
        th->fdp.on = 1;                 /* stall_exit says when it is over */
        stall_exit(th, retp);
        return;
    }
    if (d.on && d.drain && !trr_restarting(*retp)) {
        struct tf_table *tb = th->p->fdst;
        if (d.undo.mask != 0)
            tx_undo(th->p->pid, th->tid, &th->fdp.undo);
        if (*retp > 0 && tb != NULL && d.fd < tb->n) {
            uint64_t *left = &tb->e[d.fd].stall_left;
            *left = *left > (uint64_t)*retp ? *left - (uint64_t)*retp : 0;
        }
    }
    if (d.on && trr_restarting(*retp)) {
        th->fdp.on = 1;                 /* not over: the restart finishes it */
        return;
    }
    if (d.on && d.force) {
        ft_set_ret(th->tid, d.ret);
        *retp = d.ret;
    }
    if (d.on && d.pipe)
        syscall(SYS_tgkill, th->p->pid, th->tid, SIGPIPE);
    long long ret = *retp;
    struct tf_table *t = th->p->fdst;
    if (!d.on || ret <= 0 || t == NULL || d.fd >= t->n)
        return;
    if (!d.mmsg) {
        t->e[d.fd].bytes += (uint64_t)ret;
        return;
    }
    for (long long i = 0; i < ret && i < 1024; i++) {   /* UIO_MAXIOV messages at most */
        unsigned len;
        if (ft_peek(th->p->pid, d.vec + (uint64_t)i * MMSG_SIZE + MMSG_LEN_AT, &len,
                    sizeof len) == 0)
            t->e[d.fd].bytes += len;
    }
}

/* ---- peer= and local= ------------------------------------------------- */

/* SA (LEN bytes) as an end; 0 for one with no port (AF_UNIX, ...). */
static int end_of(const struct sockaddr_storage *ss, size_t len, struct tf_end *e)
{
    memset(e, 0, sizeof *e);
    if (ss->ss_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        e->family = AF_INET;
        memcpy(e->addr, &in->sin_addr, 4);
        e->port = ntohs(in->sin_port);
    } else if (ss->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        e->family = AF_INET6;
        memcpy(e->addr, &in6->sin6_addr, 16);
        e->port = ntohs(in6->sin6_port);
    } else {
        return 0;
    }
    e->have = 1;
    return 1;
}

/* FD's end WHICH (0 peer, 1 local): cached, or read now from a copy of
 * the descriptor. A local end with port 0 (not bound yet) and a peer not
 * known yet (connecting) are not cached: a later call reads them again. */
static int get_end(struct tproc *p, int fd, int which, struct tf_end *out)
{
    struct tf_ent *e = slot(p, fd);
    if (e != NULL && e->end[which].have) {
        *out = e->end[which];
        return 1;
    }
    int copy = ft_fd_copy(p->pidfd, fd);
    if (copy < 0)
        return 0;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int r = which == 0 ? getpeername(copy, (struct sockaddr *)&ss, &len)
                       : getsockname(copy, (struct sockaddr *)&ss, &len);
    close(copy);
    if (r < 0 || !end_of(&ss, len, out))
        return 0;
    if (e != NULL && (which == 0 || out->port != 0))
        e->end[which] = *out;
    return 1;
}

static int matches(const struct fi_addrsel *sel, const struct tf_end *e)
{
    return fi_addrsel_matches(sel, e->family, e->addr, e->port);
}

int tf_ends(void *arg, const struct fi_rule *r)
{
    const struct tcall *tc = arg;
    struct tf_end e;
    if (tc->kind != FI_K_SOCK)
        return 0;
    if (r->peer.on) {
        int have;
        if (tc->call == FI_C_CONNECT) {     /* the end it is being connected to */
            struct sockaddr_storage ss;
            size_t len = tc->c.args[2] < sizeof ss ? (size_t)tc->c.args[2] : sizeof ss;
            have = ft_peek(tc->p->pid, tc->c.args[1], &ss, len) == 0 && end_of(&ss, len, &e);
        } else {
            have = get_end(tc->p, tc->fd, 0, &e);
        }
        if (!have || !matches(&r->peer, &e))
            return 0;
    }
    if (r->local.on && (!get_end(tc->p, tc->fd, 1, &e) || !matches(&r->local, &e)))
        return 0;
    return 1;
}

/* waits.c: the readiness waits under the shim (faultinject.md, Readiness
 * agrees, and the wait rules): poll, ppoll, select, pselect, epoll_wait,
 * epoll_pwait, epoll_pwait2 (and __poll_chk, __ppoll_chk), epoll_ctl.
 *
 * Fast path: no rule names the wait and no descriptor is in a sticky or
 * stalled state -> straight to libc. Otherwise:
 *  - a wait rule may fire: eintr (-1/EINTR, no wait made), error=, delay=;
 *  - a watched descriptor in reset or eof state is reported at once as the
 *    kernel reports one after a real RST (readable, writable, HUP, ERR,
 *    RDHUP) or FIN (readable, RDHUP); epoll gets a made-up event with the
 *    program's registered data (edge-triggered/one-shot: once per state
 *    change; level-triggered: on every wait);
 *  - a stalled direction is never reported: its bits are taken out of
 *    what is asked and of what comes back.
 * epoll_ctl always records the program's registration (epreg.h) and
 * hands the kernel the events minus any stalled direction.
 */
#include "waits.h"

#include "engine.h"
#include "fdstate.h"
#include "filog.h"
#include "real.h"
#include "sigstate.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

#define EXPORT FI_EXPORT

REAL(poll, int, (struct pollfd *, nfds_t, int))
REAL(ppoll, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))
REAL(__poll_chk, int, (struct pollfd *, nfds_t, int, size_t))
REAL(__ppoll_chk, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *,
                        size_t))
REAL(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))
REAL(pselect, int, (int, fd_set *, fd_set *, fd_set *, const struct timespec *,
                    const sigset_t *))
REAL(epoll_wait, int, (int, struct epoll_event *, int, int))
REAL(epoll_pwait, int, (int, struct epoll_event *, int, int, const sigset_t *))
REAL(epoll_pwait2, int, (int, struct epoll_event *, int, const struct timespec *,
                         const sigset_t *))
REAL(epoll_ctl, int, (int, int, int, struct epoll_event *))

void fi_waits_resolve(void)
{
    get_poll(); get_ppoll(); get___poll_chk(); get___ppoll_chk(); get_select();
    get_pselect(); get_epoll_wait(); get_epoll_pwait(); get_epoll_pwait2(); get_epoll_ctl();
}

/* How the kernel reports a descriptor after a real RST (tcp_poll: error,
 * both directions shut: readable, writable, HUP, ERR) or FIN (receive
 * side shut: readable, RDHUP). POLL* and EPOLL* share their values. */
#define AFTER_RESET (POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLHUP | POLLERR)
#define AFTER_EOF (POLLIN | POLLRDNORM | POLLRDHUP)
#define RD_BITS (POLLIN | POLLRDNORM)
#define WR_BITS (POLLOUT | POLLWRNORM)
#define ALWAYS (POLLHUP | POLLERR)      /* reported whether asked or not */

/* At most this many descriptors in a sticky or stalled state are handled
 * per wait (made-up events, stripped bits); more are left to the kernel. */
#define MAX_SPECIAL 64

static unsigned sticky_bits(int fd)
{
    int st = fi_fd_sticky(fd);
    return st == FI_ST_RESET ? AFTER_RESET : st == FI_ST_EOF ? AFTER_EOF : 0;
}

/* A read stall still reports the bytes queued when it began (fdstate.h). */
static unsigned stalled_bits(int fd)
{
    int st = fi_fd_stall(fd);
    int rd = (st & FI_STALL_RD) && fi_fd_stall_left(fd) == 0;
    return (rd ? RD_BITS : 0) | (st & FI_STALL_WR ? WR_BITS : 0);
}

/* ---- epoll registrations ---------------------------------------------- */

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    struct epoll_event kev;
    struct epoll_event *pass = ev;
    unsigned strip = ev != NULL && op != EPOLL_CTL_DEL ? stalled_bits(fd) : 0;
    if (strip) {
        kev = *ev;
        kev.events &= ~strip;
        pass = &kev;
    }
    int r = get_epoll_ctl()(epfd, op, fd, pass);
    if (r == 0 && (op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD || op == EPOLL_CTL_DEL))
        fi_ep_record(epfd, op, fd, ev != NULL ? ev->events : 0, ev != NULL ? ev->data.u64 : 0);
    return r;
}

/* Hands the kernel FD's recorded registration again, minus stalled bits. */
static void modify(int fd, const struct fi_epreg *reg)
{
    int saved = errno;
    struct epoll_event ev = { .events = reg->events & ~stalled_bits(fd) };
    ev.data.u64 = reg->data;
    get_epoll_ctl()(reg->epfd, EPOLL_CTL_MOD, fd, &ev);
    errno = saved;
}

void fi_wait_rearm(int fd)
{
    struct fi_epreg reg;
    /* One-shot: the program re-arms it itself; exclusive: MOD refused. */
    if (fi_ep_lookup(fd, &reg) && (reg.events & EPOLLET) &&
        !(reg.events & (EPOLLONESHOT | EPOLLEXCLUSIVE)))
        modify(fd, &reg);
}

void fi_wait_stalled(int fd)
{
    struct fi_epreg reg;
    /* MOD would re-enable a one-shot registration the program left
     * disarmed: those are filtered in the wait instead. */
    if (fi_ep_lookup(fd, &reg) && !(reg.events & (EPOLLONESHOT | EPOLLEXCLUSIVE)))
        modify(fd, &reg);
}

/* ---- wait rules ------------------------------------------------------- */


/* Nonzero when a wait of family CALL must take the slow path. */
static unsigned wait_hot(enum fi_call call)
{
    return fi_engine_names(call) | fi_fd_any_marked() | fi_engine_watches_ready();
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Whether the kernel could give R's fault to this wait (ARG: its
 * family and the signal mask it sleeps with). */
struct waitinfo {
    enum fi_call call;
    const sigset_t *mask;
};

static enum fi_why wait_possible(void *arg, const struct fi_rule *r)
{
    const struct waitinfo *w = arg;
    return r->fault == FI_F_EINTR ? fi_eintr_wait(w->call, w->mask) : FI_WHY_OK;
}

/* A wait rule: 0 to go on with the wait, -1 (errno set) to fail it.
 * MASK: ppoll's, pselect's or epoll_pwait's, else NULL. */
static int wait_rule(enum fi_call call, const sigset_t *mask)
{
    if (!fi_engine_names(call))
        return 0;
    int saved = errno;
    struct fi_rule r;
    uint64_t k;
    uint64_t callno = fi_engine_callno(call);
    struct fi_point pt;
    fi_engine_wait_point(call, &pt);
    struct waitinfo w = { .call = call, .mask = mask };
    struct fi_callctx c = { .call = call, .fd = -1, .kind = FI_K_OTHER, .callno = callno,
                            .pt = &pt, .possible = wait_possible, .arg = &w };
    int rule = fi_engine_decide(&c, 1, &r, &k);
    if (rule < 0)
        fi_engine_wait_passed(call);
    errno = saved;
    if (rule < 0)
        return 0;
    fi_log_injection(&(struct fi_logrec){ .call = call, .fd = -1, .r = &r, .rule = rule,
                                          .k = k, .callno = callno, .pt = &pt });
    switch (r.fault) {
    case FI_F_EINTR:
        errno = EINTR;
        return -1;
    case FI_F_DELAY:
        sleep_ms(r.arg);
        errno = saved;
        return 0;
    default: /* FI_F_ERROR (the parser refuses anything else on a wait) */
        errno = (int)r.arg;
        return -1;
    }
}

/* ---- poll, ppoll ------------------------------------------------------ */

/* What a wait reported of FD, for the data call after it (fdstate.h). */
static void note_shown(int fd, unsigned revents)
{
    unsigned bits = (revents & RD_BITS ? FI_SHOWN_RD : 0) | (revents & WR_BITS ? FI_SHOWN_WR : 0);
    if (bits)
        fi_fd_set_shown(fd, bits);
}

static void note_shown_sets(int nfds, const fd_set *rd, const fd_set *wr)
{
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
        note_shown(fd, (rd != NULL && FD_ISSET(fd, rd) ? POLLIN : 0) |
                       (wr != NULL && FD_ISSET(fd, wr) ? POLLOUT : 0));
}

struct special {
    int index;                  /* into the pollfd array, or a descriptor */
    unsigned strip;             /* stalled bits taken out */
    unsigned add;               /* made-up bits reported */
    unsigned short events;      /* poll: what the program asked */
};

/* Marks the stalled and sticky entries of FDS: strips stalled bits from
 * what is asked (restored by poll_after). Returns how many entries were
 * noted in SP, and sets *READY when a made-up report is due now. */
static int poll_before(struct pollfd *fds, nfds_t n, struct special *sp, int *ready)
{
    int ns = 0;
    *ready = 0;
    if (!fi_fd_any_marked())
        return 0;
    for (nfds_t i = 0; i < n && ns < MAX_SPECIAL; i++) {
        int fd = fds[i].fd;
        if (fd < 0 || fd >= FI_FD_CAP)
            continue;
        unsigned strip = stalled_bits(fd), add = sticky_bits(fd);
        if (strip == 0 && add == 0)
            continue;
        add &= (unsigned)fds[i].events | ALWAYS;
        add &= ~strip;
        sp[ns++] = (struct special){ .index = (int)i, .strip = strip, .add = add,
                                     .events = (unsigned short)fds[i].events };
        fds[i].events = (short)((unsigned)fds[i].events & ~strip);
        *ready |= add != 0;
    }
    return ns;
}

static int poll_after(struct pollfd *fds, nfds_t n, const struct special *sp, int ns, int r)
{
    for (int j = 0; j < ns; j++) {
        struct pollfd *p = &fds[sp[j].index];
        p->events = (short)sp[j].events;
        if (r >= 0)
            p->revents = (short)(((unsigned)p->revents & ~sp[j].strip) | sp[j].add);
    }
    if (r < 0 || ns == 0)
        return r;
    int count = 0;
    for (nfds_t i = 0; i < n; i++)
        count += fds[i].revents != 0;
    return count;
}

static int slow_poll(struct pollfd *fds, nfds_t n, int ms, const struct timespec *ts,
                     const sigset_t *mask, int is_ppoll)
{
    if (wait_rule(FI_C_POLL, mask) < 0)
        return -1;
    struct special sp[MAX_SPECIAL];
    int ready;
    int ns = poll_before(fds, n, sp, &ready);
    static const struct timespec zero = { 0, 0 };
    int r = is_ppoll ? get_ppoll()(fds, n, ready ? &zero : ts, mask)
                     : get_poll()(fds, n, ready ? 0 : ms);
    int e = errno;
    r = poll_after(fds, n, sp, ns, r);
    for (nfds_t i = 0; r > 0 && fi_engine_watches_ready() && i < n; i++)
        note_shown(fds[i].fd, (unsigned)fds[i].revents);
    errno = e;
    return r;
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
    if (!wait_hot(FI_C_POLL))
        return get_poll()(fds, n, ms);
    return slow_poll(fds, n, ms, NULL, NULL, 0);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int ms, size_t fdslen)
{
    if (fdslen / sizeof *fds < n || !wait_hot(FI_C_POLL))
        return get___poll_chk()(fds, n, ms, fdslen);   /* overflow: glibc aborts */
    return slow_poll(fds, n, ms, NULL, NULL, 0);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
    if (!wait_hot(FI_C_POLL))
        return get_ppoll()(fds, n, ts, mask);
    return slow_poll(fds, n, 0, ts, mask, 1);
}

EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                       const sigset_t *mask, size_t fdslen)
{
    if (fdslen / sizeof *fds < n || !wait_hot(FI_C_POLL))
        return get___ppoll_chk()(fds, n, ts, mask, fdslen);
    return slow_poll(fds, n, 0, ts, mask, 1);
}

/* ---- select, pselect -------------------------------------------------- */

/* Takes stalled descriptors out of the sets (a stalled direction is never
 * ready) and notes in SP the sticky ones that are ready now. */
static int select_before(int nfds, fd_set *rd, fd_set *wr, struct special *sp)
{
    int ns = 0;
    if (!fi_fd_any_marked())
        return 0;
    if (nfds > FD_SETSIZE)
        nfds = FD_SETSIZE;
    for (int fd = fi_fd_next_marked(0); fd >= 0 && fd < nfds && ns < MAX_SPECIAL;
         fd = fi_fd_next_marked(fd + 1)) {
        unsigned strip = stalled_bits(fd), add = sticky_bits(fd);
        if (rd != NULL && FD_ISSET(fd, rd) && (strip & POLLIN))
            FD_CLR(fd, rd);
        if (wr != NULL && FD_ISSET(fd, wr) && (strip & POLLOUT))
            FD_CLR(fd, wr);
        unsigned want = 0;
        if (rd != NULL && FD_ISSET(fd, rd) && (add & POLLIN))
            want |= POLLIN;
        if (wr != NULL && FD_ISSET(fd, wr) && (add & POLLOUT))
            want |= POLLOUT;
        if (want)
            sp[ns++] = (struct special){ .index = fd, .add = want };
    }
    return ns;
}

static int count_set(int nfds, const fd_set *s)
{
    int n = 0;
    for (int fd = 0; s != NULL && fd < nfds && fd < FD_SETSIZE; fd++)
        n += FD_ISSET(fd, s) != 0;
    return n;
}

static int select_after(int nfds, fd_set *rd, fd_set *wr, fd_set *ex,
                        const struct special *sp, int ns, int r)
{
    if (r >= 0 && ns > 0) {
        for (int j = 0; j < ns; j++) {
            if (sp[j].add & POLLIN)
                FD_SET(sp[j].index, rd);
            if (sp[j].add & POLLOUT)
                FD_SET(sp[j].index, wr);
        }
        r = count_set(nfds, rd) + count_set(nfds, wr) + count_set(nfds, ex);
    }
    if (r > 0 && fi_engine_watches_ready())
        note_shown_sets(nfds, rd, wr);     /* what the program is told, for its next call */
    return r;
}

EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
    if (!wait_hot(FI_C_SELECT))
        return get_select()(nfds, rd, wr, ex, tv);
    if (wait_rule(FI_C_SELECT, NULL) < 0)
        return -1;
    struct special sp[MAX_SPECIAL];
    int ns = select_before(nfds, rd, wr, sp);
    struct timeval zero = { 0, 0 };
    int r = get_select()(nfds, rd, wr, ex, ns > 0 ? &zero : tv);
    int e = errno;
    r = select_after(nfds, rd, wr, ex, sp, ns, r);
    errno = e;
    return r;
}

EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *ts,
                   const sigset_t *mask)
{
    if (!wait_hot(FI_C_SELECT))
        return get_pselect()(nfds, rd, wr, ex, ts, mask);
    if (wait_rule(FI_C_SELECT, mask) < 0)
        return -1;
    struct special sp[MAX_SPECIAL];
    int ns = select_before(nfds, rd, wr, sp);
    static const struct timespec zero = { 0, 0 };
    int r = get_pselect()(nfds, rd, wr, ex, ns > 0 ? &zero : ts, mask);
    int e = errno;
    r = select_after(nfds, rd, wr, ex, sp, ns, r);
    errno = e;
    return r;
}

/* ---- epoll_wait, epoll_pwait, epoll_pwait2 ---------------------------- */

/* One epoll wait as the program made it. */
struct ewait {
    int epfd;
    int variant;                /* 0 epoll_wait, 1 epoll_pwait, 2 epoll_pwait2 */
    int ms;
    const struct timespec *ts;
    const sigset_t *mask;
};

/* The made-up events due for EPFD and the stalled registrations to
 * filter, from the descriptors in a sticky or stalled state. */
static int epoll_before(int epfd, struct epoll_event *made, int max, struct special *strip,
                        uint64_t *strip_data, int *nstrip)
{
    int nmade = 0;
    *nstrip = 0;
    if (!fi_fd_any_marked())
        return 0;
    for (int fd = fi_fd_next_marked(0); fd >= 0; fd = fi_fd_next_marked(fd + 1)) {
        struct fi_epreg reg;
        if (!fi_ep_lookup(fd, &reg) || reg.epfd != epfd)
            continue;
        unsigned cut = stalled_bits(fd);
        if (cut && *nstrip < MAX_SPECIAL) {
            strip[*nstrip] = (struct special){ .index = fd, .strip = cut };
            strip_data[(*nstrip)++] = reg.data;
        }
        unsigned add = sticky_bits(fd) & (reg.events | ALWAYS) & ~cut;
        if (add == 0 || nmade >= max)
            continue;
        /* Edge-triggered or one-shot: once per state change. */
        unsigned epoch = fi_fd_state_epoch(fd);
        if (reg.events & (EPOLLET | EPOLLONESHOT)) {
            if (reg.told == epoch)
                continue;
            fi_ep_told(fd, epoch);
        }
        made[nmade].events = add;
        made[nmade].data.u64 = reg.data;
        nmade++;
    }
    return nmade;
}

static int real_epoll(const struct ewait *w, struct epoll_event *ev, int max, int ms,
                      const struct timespec *ts)
{
    switch (w->variant) {
    case 0:
        return get_epoll_wait()(w->epfd, ev, max, ms);
    case 1:
        return get_epoll_pwait()(w->epfd, ev, max, ms, w->mask);
    default:
        return get_epoll_pwait2()(w->epfd, ev, max, ts, w->mask);
    }
}

/* Takes stalled bits out of the kernel's events (matched by their data);
 * drops events left empty. Returns the new count. */
static int epoll_filter(struct epoll_event *ev, int n, const struct special *strip,
                        const uint64_t *strip_data, int nstrip)
{
    int out = 0;
    for (int i = 0; i < n; i++) {
        struct epoll_event e = ev[i];
        for (int j = 0; j < nstrip; j++)
            if (e.data.u64 == strip_data[j])
                e.events &= ~strip[j].strip;
        if (e.events & ~(uint32_t)(EPOLLET | EPOLLONESHOT))
            ev[out++] = e;
    }
    return out;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Adds the made-up events to the kernel's N: into the kernel's event with
 * the same data, else after them. */
static int epoll_merge(struct epoll_event *ev, int n, int max, const struct epoll_event *made,
                       int nmade)
{
    for (int j = 0; j < nmade; j++) {
        int i = 0;
        while (i < n && ev[i].data.u64 != made[j].data.u64)
            i++;
        if (i < n)
            ev[i].events |= made[j].events;
        else if (n < max)
            ev[n++] = made[j];
    }
    return n;
}

/* What an epoll wait reported, for the data call after it (fdstate.h):
 * its events name descriptors by the data the program registered. */
static int note_shown_epoll(int epfd, const struct epoll_event *ev, int n)
{
    if (!fi_engine_watches_ready())
        return n;
    int e = errno;
    for (int i = 0; i < n; i++) {
        int fd = fi_ep_find(epfd, ev[i].data.u64);
        if (fd >= 0)
            note_shown(fd, ev[i].events);
    }
    errno = e;
    return n;
}

static int slow_epoll(const struct ewait *w, struct epoll_event *ev, int max)
{
    if (wait_rule(FI_C_EPOLL_WAIT, w->mask) < 0)
        return -1;
    if (max <= 0 || ev == NULL)
        return real_epoll(w, ev, max, w->ms, w->ts);    /* the kernel says EINVAL/EFAULT */
    struct epoll_event made[MAX_SPECIAL];
    struct special strip[MAX_SPECIAL];
    uint64_t strip_data[MAX_SPECIAL];
    int nstrip;
    int nmade = epoll_before(w->epfd, made, max < MAX_SPECIAL ? max : MAX_SPECIAL, strip,
                             strip_data, &nstrip);
    static const struct timespec zero = { 0, 0 };
    if (nmade > 0) {
        int r = max > nmade ? real_epoll(w, ev, max - nmade, 0, &zero) : 0;
        int e = errno;
        r = r < 0 ? 0 : epoll_filter(ev, r, strip, strip_data, nstrip);
        errno = e;
        return note_shown_epoll(w->epfd, ev, epoll_merge(ev, r, max, made, nmade));
    }
    /* Only stalled bits to filter: wait again (for what is left of the
     * timeout) when every event the kernel gave was a stalled one. */
    int forever = w->variant == 2 ? w->ts == NULL : w->ms < 0;
    double left = w->variant == 2 && w->ts != NULL
                      ? (double)w->ts->tv_sec * 1e3 + (double)w->ts->tv_nsec / 1e6
                      : (double)w->ms;
    double end = now_ms() + left;
    for (;;) {
        struct timespec ts = { (time_t)(left / 1e3),
                               (long)((left - (double)(time_t)(left / 1e3) * 1e3) * 1e6) };
        int r = real_epoll(w, ev, max, forever ? -1 : (int)left, forever ? NULL : &ts);
        if (r <= 0 || nstrip == 0)
            return r < 0 ? r : note_shown_epoll(w->epfd, ev, r);
        int e = errno;
        r = epoll_filter(ev, r, strip, strip_data, nstrip);
        errno = e;
        left = end - now_ms();
        if (r > 0 || (!forever && left <= 0))
            return note_shown_epoll(w->epfd, ev, r);
        if (left < 0)
            left = 0;
    }
}

EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int ms)
{
    if (!wait_hot(FI_C_EPOLL_WAIT))
        return get_epoll_wait()(epfd, ev, max, ms);
    return slow_epoll(&(struct ewait){ .epfd = epfd, .variant = 0, .ms = ms }, ev, max);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int ms, const sigset_t *mask)
{
    if (!wait_hot(FI_C_EPOLL_WAIT))
        return get_epoll_pwait()(epfd, ev, max, ms, mask);
    return slow_epoll(&(struct ewait){ .epfd = epfd, .variant = 1, .ms = ms, .mask = mask },
                      ev, max);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max, const struct timespec *ts,
                        const sigset_t *mask)
{
    if (!wait_hot(FI_C_EPOLL_WAIT))
        return get_epoll_pwait2()(epfd, ev, max, ts, mask);
    return slow_epoll(&(struct ewait){ .epfd = epfd, .variant = 2, .ts = ts, .mask = mask },
                      ev, max);
}

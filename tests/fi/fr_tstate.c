/* fr_tstate: the trace backend's per-descriptor COMMAND (test_trace_state.c),
 * built -static twice (glibc and musl-gcc) for --backend=trace and once
 * dynamically for --backend=preload, so that both backends run the same
 * calls. LFD is a TCP listener on 127.0.0.1 that the test made (bind to
 * port 0) and left open across exec.
 *   fr_tstate LFD [reuse [nosig]]
 * Two connections c1->s1 and c2->s2 (connect, then accept); c1 and c2
 * each write four 100-byte blocks, alternately (c1 write 1, c2 write 1,
 * c1 write 2, ...), a block that failed is not written again; both shut
 * down their write side; s1 then s2 read 100 at a time until the end of
 * the stream or an error; after an error, or an end before all the
 * blocks sent arrived, one recv() of 100 more ("sN recv 1 -> RET": a call
 * of another name). reuse: then c1 is closed and c3 made (the same
 * number: "c3 fd N c1 N"), connected, accepted as s3, writes two blocks
 * and is read the same way. nosig: SIGPIPE is ignored. One line per call: "cN write K -> RET" or
 * "-> ERRNAME", "sN read K -> ...", then "sN got B ok" when the bytes read
 * are exactly the blocks whose write succeeded, in order ("BAD" else).
 *   fr_tstate delay
 * Two processes: the parent makes socket pairs P and Q and forks; it
 * tells the child to go (a pipe), then write()s 100 bytes to P and
 * reads them back ("parent write -> RET in MS ms", "parent got B ok");
 * the child, once told and once the parent is seen stopped by its tracer
 * (/proc/PPID/stat says 't', for at most 1 s), write()s one byte to a
 * pipe (a call the trace backend stops: "child tick in MS ms") and send()s 100 bytes to Q, reads them back and says
 * "child send -> RET in MS ms" (MS from the go), then "child got B ok".
 *   fr_tstate LFD wait KIND [et]
 * One connection c1->s1, nothing sent; s1 reads 100 ("s1 read 1 -> ..."),
 * then KIND (poll ppoll select pselect epoll_wait epoll_pwait; raw_poll
 * raw_ppoll raw_pselect6 raw_epoll_wait: the system call itself, which
 * checks its argument registers come back as passed, exit 4 if not) waits for
 * s1 readable, first for up to 2 s, then up to 200 ms, each saying "KIND
 * N -> RET ev 0xBITS in MS ms" (select: 0x1 when s1 is in the read set;
 * epoll: the event's bits, its data checked); et: s1 is registered
 * EPOLLIN|EPOLLET. Then s1 reads again ("s1 read 2 -> ...").
 *   fr_tstate LFD dupback
 * One connection c1->s1: c1 writes blocks 1 and 2; then c1's number is
 * closed and given back to the same socket (dup, close, dup: "c1 fd N
 * again M", the same number), and c1 writes blocks 3 and 4; s1 reads
 * them all ("s1 got B ok": the blocks that were written).
 *   fr_tstate LFD stall CASE [KIND]
 * One connection c1->s1; each call says "WHO CALL K -> RET in MS ms":
 *   rdnb     s1 non-blocking: 100 bytes arrive (poll); s1 reads 60 twice,
 *            100 more arrive, KIND (as in wait; default poll; epoll: s1 is
 *            registered, level-triggered, before the first read) waits up to
 *            200 ms for s1 readable ("s1 KIND 1 -> RET ev 0xBITS in MS
 *            ms"), s1 reads 60
 *   rdtimeo  SO_RCVTIMEO 300 ms on s1, nothing sent: s1 reads twice, the
 *            second time by the raw system call, whose argument registers
 *            must come back as passed (exit 4)
 *   rdsig    s1 blocking, no timeout: SIGALRM (SA_RESTART) every 100 ms,
 *            SIGUSR1 (no SA_RESTART) at 350 ms: s1 reads once, then
 *            "alarms N", then a raw epoll_ctl (a call the trace backend
 *            stops to its exit) whose registers must come back (exit 4)
 *   wr       SO_SNDTIMEO 300 ms on c1: c1 writes 100 twice
 * Exit 0, 1 a byte wrong, 2 bad use or a setup call failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 100
#define BLOCKS 4

static struct sockaddr_in where;
static int bad;

static const char *err_name(int e)
{
    switch (e) {
    case EIO: return "EIO";
    case EPIPE: return "EPIPE";
    case ECONNRESET: return "ECONNRESET";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOBUFS: return "ENOBUFS";
    default: return "other";
    }
}

static void say(const char *who, const char *call, int k, long r)
{
    if (r < 0)
        printf("%s %s %d -> %s\n", who, call, k, err_name(errno));
    else
        printf("%s %s %d -> %ld\n", who, call, k, r);
    fflush(stdout);
}

static unsigned char byte_of(int conn, int block, int i)
{
    return (unsigned char)(conn * 61 + block * 17 + i);
}

struct conn {
    int n, c, s;
    int sent[BLOCKS];           /* the blocks whose write succeeded */
    int nsent;
};

static void open_conn(struct conn *k, int lfd)
{
    k->c = socket(AF_INET, SOCK_STREAM, 0);
    if (k->c < 0 || connect(k->c, (struct sockaddr *)&where, sizeof where) < 0 ||
        (k->s = accept(lfd, NULL, NULL)) < 0) {
        printf("setup c%d: %s\n", k->n, err_name(errno));
        exit(2);
    }
}

static void write_block(struct conn *k, int b)
{
    unsigned char buf[BLOCK];
    for (int i = 0; i < BLOCK; i++)
        buf[i] = byte_of(k->n, b, i);
    char who[8];
    snprintf(who, sizeof who, "c%d", k->n);
    ssize_t r = write(k->c, buf, BLOCK);
    say(who, "write", b + 1, (long)r);
    if (r == BLOCK)
        k->sent[k->nsent++] = b;
    else if (r > 0)
        bad = 1;                        /* a short write is not expected here */
}

static void drain(struct conn *k)
{
    unsigned char got[BLOCK * BLOCKS];
    size_t have = 0;
    char who[8];
    snprintf(who, sizeof who, "s%d", k->n);
    shutdown(k->c, SHUT_WR);
    for (int i = 1;; i++) {
        ssize_t r = have < sizeof got ? read(k->s, got + have, BLOCK) : 0;
        say(who, "read", i, (long)r);
        if (r < 0 || (r == 0 && have < (size_t)k->nsent * BLOCK)) {
            unsigned char more[BLOCK];
            say(who, "recv", 1, (long)recv(k->s, more, BLOCK, 0));
        }
        if (r <= 0)
            break;
        have += (size_t)r;
    }
    int ok = have <= (size_t)k->nsent * BLOCK;
    for (size_t i = 0; ok && i < have; i++)
        ok = got[i] == byte_of(k->n, k->sent[i / BLOCK], (int)(i % BLOCK));
    printf("%s got %zu %s\n", who, have, ok ? "ok" : "BAD");
    fflush(stdout);
    bad |= !ok;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* 100 bytes through FD[0] by CALL (write or send), read back from FD[1]. */
static void one_way(const char *who, const char *call, int fd[2], int n)
{
    unsigned char buf[BLOCK], got[BLOCK];
    struct timespec t0;
    for (int i = 0; i < BLOCK; i++)
        buf[i] = byte_of(n, 0, i);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ssize_t r = call[0] == 'w' ? write(fd[0], buf, BLOCK) : send(fd[0], buf, BLOCK, 0);
    long ms = ms_since(&t0);
    if (r < 0)
        printf("%s %s -> %s in %ld ms\n", who, call, err_name(errno), ms);
    else
        printf("%s %s -> %ld in %ld ms\n", who, call, (long)r, ms);
    size_t have = 0;
    ssize_t m;
    while (r > 0 && have < (size_t)r && (m = read(fd[1], got + have, (size_t)r - have)) > 0)
        have += (size_t)m;
    int ok = r == BLOCK && have == BLOCK && memcmp(buf, got, BLOCK) == 0;
    printf("%s got %zu %s\n", who, have, ok ? "ok" : "BAD");
    fflush(stdout);
    bad |= !ok;
}

/* Whether process PID is in a tracing stop ('t'), within 1 s. */
static int wait_traced_stop(pid_t pid)
{
    char path[64], buf[512];
    struct timespec t0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ms_since(&t0) < 1000) {
        FILE *f = fopen(path, "r");
        size_t n = f != NULL ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f != NULL)
            fclose(f);
        buf[n] = '\0';
        const char *end = strrchr(buf, ')');
        if (end != NULL && end[1] == ' ' && end[2] == 't')
            return 1;
    }
    return 0;
}

/* A raw system call; *CHANGED: an argument register did not come back
 * as passed (the kernel keeps them: a tracer must put back what it changed). */
static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5, int *changed)
{
    register long rdi __asm__("rdi") = a0;
    register long rsi __asm__("rsi") = a1;
    register long rdx __asm__("rdx") = a2;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long ret = nr;
    __asm__ volatile("syscall"
                     : "+a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     :
                     : "rcx", "r11", "memory");
    *changed = rdi != a0 || rsi != a1 || rdx != a2 || r10 != a3 || r8 != a4 || r9 != a5;
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* The raw_ kinds of one_wait. */
static int raw_wait(const char *kind, int fd, int epfd, int ms, unsigned *bits)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    unsigned long rd[1024 / (8 * sizeof(unsigned long))] = { 0 };
    struct epoll_event ev[4];
    int changed = 0;
    long r;
    rd[fd / (8 * sizeof *rd)] |= 1UL << (fd % (8 * sizeof *rd));
    if (strcmp(kind, "raw_poll") == 0)
        r = raw6(SYS_poll, (long)&pfd, 1, ms, 0, 0, 0, &changed);
    else if (strcmp(kind, "raw_ppoll") == 0)
        r = raw6(SYS_ppoll, (long)&pfd, 1, (long)&ts, 0, 8, 0, &changed);
    else if (strcmp(kind, "raw_pselect6") == 0)
        r = raw6(SYS_pselect6, fd + 1, (long)rd, 0, 0, (long)&ts, 0, &changed);
    else
        r = raw6(SYS_epoll_wait, epfd, (long)ev, 4, ms, 0, 0, &changed);
    if (changed) {
        printf("%s: a register changed\n", kind);
        exit(4);
    }
    *bits = strcmp(kind, "raw_pselect6") == 0 ? (r > 0 && (rd[fd / (8 * sizeof *rd)] >> (fd % (8 * sizeof *rd)) & 1))
          : strcmp(kind, "raw_epoll_wait") == 0 ? (r > 0 ? ev[0].events : 0)
          : (unsigned short)pfd.revents;
    return (int)r;
}

/* One wait of KIND on FD (EPFD for epoll) for up to MS: the bits it reports. */
static int one_wait(const char *kind, int fd, int epfd, int ms, unsigned *bits)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct epoll_event ev[4];
    int r = -1;
    *bits = 0;
    if (strncmp(kind, "raw_", 4) == 0)
        return raw_wait(kind, fd, epfd, ms, bits);
    if (strcmp(kind, "poll") == 0 || strcmp(kind, "ppoll") == 0) {
        r = kind[0] == 'p' && kind[1] == 'p' ? ppoll(&pfd, 1, &ts, NULL) : poll(&pfd, 1, ms);
        *bits = (unsigned short)pfd.revents;
    } else if (strcmp(kind, "select") == 0 || strcmp(kind, "pselect") == 0) {
        r = kind[0] == 'p' ? pselect(fd + 1, &rd, NULL, NULL, &ts, NULL)
                           : select(fd + 1, &rd, NULL, NULL, &tv);
        *bits = r > 0 && FD_ISSET(fd, &rd) ? 1 : 0;
    } else {
        r = strcmp(kind, "epoll_pwait") == 0 ? epoll_pwait(epfd, ev, 4, ms, NULL)
                                             : epoll_wait(epfd, ev, 4, ms);
        for (int i = 0; i < r; i++) {
            if (ev[i].data.u64 != (0x5eed00000000ULL | (unsigned)fd))
                bad = 1;
            *bits |= ev[i].events;
        }
    }
    return r;
}

static int wait_mode(int lfd, const char *kind, int et)
{
    struct conn k = { .n = 1 };
    open_conn(&k, lfd);
    int epfd = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | (et ? EPOLLET : 0),
                              .data.u64 = 0x5eed00000000ULL | (unsigned)k.s };
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, k.s, &ev) < 0)
        return 2;
    unsigned char buf[BLOCK];
    say("s1", "read", 1, (long)read(k.s, buf, BLOCK));
    for (int i = 1; i <= 2; i++) {
        struct timespec t0;
        unsigned bits;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = one_wait(kind, k.s, epfd, i == 1 ? 2000 : 200, &bits);
        long ms = ms_since(&t0);
        if (r < 0)
            printf("%s %d -> %s in %ld ms\n", kind, i, err_name(errno), ms);
        else
            printf("%s %d -> %d ev 0x%x in %ld ms\n", kind, i, r, bits, ms);
        fflush(stdout);
    }
    say("s1", "read", 2, (long)read(k.s, buf, BLOCK));
    return bad;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }
static void on_usr1(int sig) { (void)sig; }

static void timed(const char *who, const char *call, int k, int fd, size_t n, int writing)
{
    unsigned char buf[BLOCK] = { 0 };
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ssize_t r = writing ? write(fd, buf, n) : read(fd, buf, n);
    long ms = ms_since(&t0);
    if (r < 0)
        printf("%s %s %d -> %s in %ld ms\n", who, call, k, err_name(errno), ms);
    else
        printf("%s %s %d -> %ld in %ld ms\n", who, call, k, (long)r, ms);
    fflush(stdout);
}

static int stall_mode(int lfd, const char *kind, const char *wkind)
{
    struct conn k = { .n = 1 };
    open_conn(&k, lfd);
    unsigned char buf[BLOCK] = { 0 };
    struct timeval tv = { 0, 300000 };
    if (strcmp(kind, "rdnb") == 0) {
        struct pollfd pfd = { .fd = k.s, .events = POLLIN };
        int epfd = epoll_create1(0);
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x5eed00000000ULL | (unsigned)k.s };
        if (strncmp(wkind, "epoll", 5) == 0 &&
            (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, k.s, &ev) < 0))
            return 2;
        fcntl(k.s, F_SETFL, O_NONBLOCK);
        if (write(k.c, buf, BLOCK) != BLOCK || poll(&pfd, 1, 2000) != 1)
            return 2;
        timed("s1", "read", 1, k.s, 60, 0);
        timed("s1", "read", 2, k.s, 60, 0);
        if (write(k.c, buf, BLOCK) != BLOCK)
            return 2;
        struct timespec t0;
        unsigned bits;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = one_wait(wkind, k.s, epfd, 200, &bits);
        printf("s1 %s 1 -> %d ev 0x%x in %ld ms\n", wkind, r, bits, ms_since(&t0));
        timed("s1", "read", 3, k.s, 60, 0);
    } else if (strcmp(kind, "rdtimeo") == 0) {
        setsockopt(k.s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        timed("s1", "read", 1, k.s, BLOCK, 0);
        struct timespec t0;
        int changed;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long r = raw6(SYS_read, k.s, (long)buf, BLOCK, 0, 0, 0, &changed);
        say("s1", "read", 2, r);
        printf("raw read %s in %ld ms\n", changed ? "CHANGED" : "kept", ms_since(&t0));
        if (changed)
            return 4;
    } else if (strcmp(kind, "rdsig") == 0) {
        struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
        struct sigaction su = { .sa_handler = on_usr1 };
        sigaction(SIGALRM, &sa, NULL);
        sigaction(SIGUSR1, &su, NULL);
        timer_t tm;
        struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
        struct itimerspec once = { .it_value = { 0, 350000000 } };
        struct itimerval every = { { 0, 100000 }, { 0, 100000 } };
        if (timer_create(CLOCK_MONOTONIC, &sev, &tm) < 0 || timer_settime(tm, 0, &once, NULL) < 0 ||
            setitimer(ITIMER_REAL, &every, NULL) < 0)
            return 2;
        int epfd = epoll_create1(0), changed;
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 };
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ssize_t n = read(k.s, buf, BLOCK);
        int e = errno;
        long ms = ms_since(&t0);
        long r = raw6(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, k.s, (long)&ev, 0, 0, &changed);
        struct itimerval off = { { 0, 0 }, { 0, 0 } };
        setitimer(ITIMER_REAL, &off, NULL);
        errno = e;
        if (n < 0)
            printf("s1 read 1 -> %s in %ld ms\n", err_name(errno), ms);
        else
            printf("s1 read 1 -> %ld in %ld ms\n", (long)n, ms);
        printf("alarms %d\n", (int)alarms);
        printf("raw epoll_ctl -> %ld %s\n", r, changed ? "CHANGED" : "kept");
        if (changed)
            return 4;
    } else if (strcmp(kind, "wr") == 0) {
        setsockopt(k.c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        timed("c1", "write", 1, k.c, BLOCK, 1);
        timed("c1", "write", 2, k.c, BLOCK, 1);
    } else {
        return 2;
    }
    fflush(stdout);
    return bad;
}

static int delay_mode(void)
{
    int pq[2], qq[2], go[2], tick[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pq) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, qq) < 0 ||
        pipe(go) < 0 || pipe(tick) < 0)
        return 2;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0) {
        char c;
        struct timespec t0;
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        printf("child saw the parent %s\n", wait_traced_stop(getppid()) ? "stopped" : "run");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (write(tick[1], "t", 1) != 1)  /* a write the trace backend stops */
            _exit(2);
        long ms = ms_since(&t0);
        one_way("child", "send", qq, 2);
        printf("child tick in %ld ms\n", ms);
        fflush(stdout);
        _exit(bad);
    }
    if (write(go[1], "g", 1) != 1)
        return 2;
    one_way("parent", "write", pq, 1);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return 2;
    return bad | WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "delay") == 0)
        return delay_mode();
    int lfd = atoi(argv[1]);
    socklen_t len = sizeof where;
    if (getsockname(lfd, (struct sockaddr *)&where, &len) < 0) {
        printf("LFD %d: %s\n", lfd, strerror(errno));
        return 2;
    }
    if (argc > 3 && strcmp(argv[3], "nosig") == 0)
        signal(SIGPIPE, SIG_IGN);
    if (argc > 2 && strcmp(argv[2], "dupback") == 0) {
        struct conn k = { .n = 1 };
        open_conn(&k, lfd);
        write_block(&k, 0);
        write_block(&k, 1);
        int old = k.c, keep = dup(k.c);
        close(k.c);
        k.c = dup(keep);                /* the lowest free number: old again */
        close(keep);
        printf("c1 fd %d again %d\n", old, k.c);
        write_block(&k, 2);
        write_block(&k, 3);
        drain(&k);
        return bad;
    }
    if (argc > 3 && strcmp(argv[2], "stall") == 0)
        return stall_mode(lfd, argv[3], argc > 4 ? argv[4] : "poll");
    if (argc > 3 && strcmp(argv[2], "wait") == 0)
        return wait_mode(lfd, argv[3], argc > 4 && strcmp(argv[4], "et") == 0);
    struct conn k[3] = { { .n = 1 }, { .n = 2 }, { .n = 3 } };
    open_conn(&k[0], lfd);
    open_conn(&k[1], lfd);
    for (int b = 0; b < BLOCKS; b++) {
        write_block(&k[0], b);
        write_block(&k[1], b);
    }
    drain(&k[0]);
    drain(&k[1]);
    if (argc > 2 && strcmp(argv[2], "reuse") == 0) {
        int old = k[0].c;
        close(k[0].c);
        close(k[0].s);
        open_conn(&k[2], lfd);
        printf("c3 fd %d c1 %d\n", k[2].c, old);
        write_block(&k[2], 0);
        write_block(&k[2], 1);
        drain(&k[2]);
    }
    return bad;
}

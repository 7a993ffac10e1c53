/* fr_tio: the trace backend's data-path COMMAND (test_trace_io.c), built
 * -static twice (glibc and musl-gcc, tests/fi.mk), so only the trace
 * backend reaches it. Every data call and wait is a raw syscall of its own
 * (sys6) that checks rdi, rsi, rdx, r10, r8 and r9 hold what it passed
 * when the kernel returns (the kernel preserves them: a tracer that
 * changed one must put it back), and every vector call checks that its
 * iovec array and msghdr are as it set them. One line per call:
 * "CALL K -> RET" or "CALL K -> ERRNAME"; then "ok N bytes" when every
 * byte arrived in order. Exit 0 ok, 1 a byte or the end wrong, 4 a
 * register or vector changed under it, 2 bad use.
 *   rd CALL [nb|sig]    64 bytes arrive on a unix stream socket; CALL
 *                       (read readv recv recvfrom recvmsg) reads them,
 *                       asking for all that is left each time (readv and
 *                       recvmsg: two iovecs, 3 bytes and the rest); nb:
 *                       non-blocking (EAGAIN: poll, then on); sig: a
 *                       SIGUSR1 handler without SA_RESTART; dgram: a
 *                       datagram socketpair (one 64-byte message); many:
 *                       readv's vector is 20 one-byte iovecs, then the rest
 *   wr CALL SIZE [nb|sig] SIZE bytes written through CALL (write writev
 *                       send sendto sendmsg), asking for all that is left
 *                       each time; the peer drains between calls;
 *                       pipe: into a pipe instead of a socket; tcp: a
 *                       TCP connection over loopback
 *   full CALL           non-blocking: 8000 bytes through CALL, then 16
 *                       more before the peer drains (the send queue is
 *                       past the room the kernel surely has)
 *   wwait               non-blocking: write 8000 bytes, poll POLLOUT, then
 *                       16 bytes twice, the peer drained only at the end
 *   wait KIND           non-blocking: 16 bytes arrive; KIND (poll ppoll
 *                       select pselect6 epoll_wait epoll_pwait
 *                       epoll_pwait2) waits for them, then 8-byte reads
 *                       drain until EAGAIN, and KIND waits again
 *   peek ASK            32 bytes arrive; recv MSG_PEEK of 16, then recv
 *                       asking ASK, then the rest
 *   xfer CALL           the calls that move more than one buffer: splice
 *                       (socket to pipe: "splice_in"), recvmmsg (two
 *                       messages, MSG_WAITFORONE) read 64 arriving bytes;
 *                       sendfile (from a memfd), splice (pipe to socket:
 *                       "splice_out"), sendmmsg (two messages) write
 *                       20000, the peer drained between calls; each line
 *                       says the bytes moved ("CALL K -> N")
 */
#define _GNU_SOURCE
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#define TIMEOUT_MS 2000

/* A raw syscall that checks the argument registers survive it. */
static long sys6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
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
    long got[6] = { rdi, rsi, rdx, r10, r8, r9 }, want[6] = { a0, a1, a2, a3, a4, a5 };
    static const char *name[6] = { "rdi", "rsi", "rdx", "r10", "r8", "r9" };
    for (int i = 0; i < 6; i++)
        if (got[i] != want[i]) {
            printf("REGS CHANGED syscall %ld: %s %#lx -> %#lx\n", nr, name[i],
                   (unsigned long)want[i], (unsigned long)got[i]);
            exit(4);
        }
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

static char pattern(size_t i)
{
    return (char)('A' + (i * 7) % 26);
}

static const char *err_name(int e)
{
    switch (e) {
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOBUFS: return "ENOBUFS";
    default: return strerror(e);
    }
}

static void say(const char *call, int k, long r)
{
    if (r < 0)
        printf("%s %d -> %s\n", call, k, err_name(errno));
    else
        printf("%s %d -> %ld\n", call, k, r);
}

static void pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        exit(2);
    }
}

/* A TCP connection over loopback: SV[0] the client, SV[1] the accepted end. */
static void tcp_pair(int sv[2])
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0 ||
        (sv[0] = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
        connect(sv[0], (struct sockaddr *)&a, sizeof a) < 0 || (sv[1] = accept(l, NULL, NULL)) < 0) {
        perror("tcp");
        exit(2);
    }
    close(l);
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void on_usr1(int sig)
{
    (void)sig;
}

static void vector_changed(const char *what)
{
    printf("VECTOR CHANGED: %s\n", what);
    exit(4);
}

/* Two iovecs over BUF's N bytes (3, then the rest), or one when N <= 3. */
static int two_iov(struct iovec iov[2], char *buf, size_t n)
{
    iov[0] = (struct iovec){ buf, n < 3 ? n : 3 };
    iov[1] = (struct iovec){ buf + 3, n > 3 ? n - 3 : 0 };
    return n > 3 ? 2 : 1;
}

static void check_iov(const struct iovec *iov, const struct iovec *saved, int n)
{
    if (memcmp(iov, saved, (size_t)n * sizeof *iov) != 0)
        vector_changed("iovec array");
}

static void check_msg(const struct msghdr *m, const struct msghdr *saved)
{
    if (m->msg_iov != saved->msg_iov || m->msg_iovlen != saved->msg_iovlen ||
        m->msg_name != saved->msg_name || m->msg_control != saved->msg_control)
        vector_changed("msghdr");
}

/* rd's "many": readv's vector is MANY one-byte iovecs, then the rest. */
#define MANY 20
static int many_iov;

/* One read-like call of family CALL on FD into BUF, asking N bytes. */
static long read_call(const char *call, int fd, char *buf, size_t n)
{
    struct iovec iov[2], saved[2];
    int cnt = two_iov(iov, buf, n);
    memcpy(saved, iov, sizeof saved);
    long r;
    if (strcmp(call, "read") == 0)
        return sys6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
    if (strcmp(call, "recv") == 0)
        return sys6(SYS_recvfrom, fd, (long)buf, (long)n, 0, 0, 0);
    if (strcmp(call, "recvfrom") == 0) {
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        return sys6(SYS_recvfrom, fd, (long)buf, (long)n, 0, (long)&from, (long)&len);
    }
    if (strcmp(call, "readv") == 0 && many_iov && n > MANY) {
        struct iovec v[MANY + 1], vs[MANY + 1];
        for (int i = 0; i < MANY; i++)
            v[i] = (struct iovec){ buf + i, 1 };
        v[MANY] = (struct iovec){ buf + MANY, n - MANY };
        memcpy(vs, v, sizeof vs);
        r = sys6(SYS_readv, fd, (long)v, MANY + 1, 0, 0, 0);
        check_iov(v, vs, MANY + 1);
        return r;
    }
    if (strcmp(call, "readv") == 0) {
        r = sys6(SYS_readv, fd, (long)iov, cnt, 0, 0, 0);
        check_iov(iov, saved, 2);
        return r;
    }
    if (strcmp(call, "recvmsg") == 0) {
        /* what the kernel writes back must reach this msghdr: an unbound
         * peer's name has length 0, and no flag is set */
        struct sockaddr_storage from;
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt, .msg_name = &from,
                            .msg_namelen = 99, .msg_flags = 0x7f00 }, ms = m;
        r = sys6(SYS_recvmsg, fd, (long)&m, 0, 0, 0, 0);
        check_iov(iov, saved, 2);
        check_msg(&m, &ms);
        if (r > 0 && (m.msg_namelen != 0 || m.msg_flags != 0))
            vector_changed("msghdr's results are not the kernel's");
        return r;
    }
    printf("unknown read call '%s'\n", call);
    exit(2);
}

/* One write-like call of family CALL on FD from BUF, asking N bytes. */
static long write_call(const char *call, int fd, const char *buf, size_t n)
{
    struct iovec iov[2], saved[2];
    int cnt = two_iov(iov, (char *)buf, n);
    memcpy(saved, iov, sizeof saved);
    long r;
    if (strcmp(call, "write") == 0)
        return sys6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
    if (strcmp(call, "send") == 0)
        return sys6(SYS_sendto, fd, (long)buf, (long)n, MSG_NOSIGNAL, 0, 0);
    if (strcmp(call, "sendto") == 0) {
        /* an address of length 0: sendto, not send, and no EISCONN */
        struct sockaddr_storage to = { .ss_family = AF_UNIX };
        return sys6(SYS_sendto, fd, (long)buf, (long)n, MSG_NOSIGNAL, (long)&to, 0);
    }
    if (strcmp(call, "writev") == 0) {
        r = sys6(SYS_writev, fd, (long)iov, cnt, 0, 0, 0);
        check_iov(iov, saved, 2);
        return r;
    }
    if (strcmp(call, "sendmsg") == 0) {
        struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt }, ms = m;
        r = sys6(SYS_sendmsg, fd, (long)&m, MSG_NOSIGNAL, 0, 0, 0);
        check_iov(iov, saved, 2);
        check_msg(&m, &ms);
        return r;
    }
    printf("unknown write call '%s'\n", call);
    exit(2);
}

static int wait_fd(int fd, short events)
{
    struct pollfd p = { .fd = fd, .events = events };
    return (int)sys6(SYS_poll, (long)&p, 1, TIMEOUT_MS, 0, 0, 0);
}

/* Bytes BUF[0..N) are the pattern from offset AT. */
static int in_order(const char *buf, size_t n, size_t at)
{
    for (size_t i = 0; i < n; i++)
        if (buf[i] != pattern(at + i)) {
            printf("byte %zu is '%c', not '%c'\n", at + i, buf[i], pattern(at + i));
            return 0;
        }
    return 1;
}

static void send_pattern(int fd, size_t n)
{
    char buf[64];
    for (size_t i = 0; i < n; i++)
        buf[i] = pattern(i);
    if (write(fd, buf, n) != (ssize_t)n)
        exit(2);
}

static int rd(const char *call, const char *mode)
{
    int sv[2], k = 0, errors = 0;
    char buf[64];
    size_t got = 0;
    if (strcmp(mode, "dgram") != 0)
        pair(sv);
    else if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
        return 2;
    if (strcmp(mode, "nb") == 0)
        nonblock(sv[1]);
    if (strcmp(mode, "sig") == 0) {
        struct sigaction sa = { .sa_handler = on_usr1 };   /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
    }
    many_iov = strcmp(mode, "many") == 0;
    send_pattern(sv[0], sizeof buf);
    while (got < sizeof buf) {
        long r = read_call(call, sv[1], buf + got, sizeof buf - got);
        say(call, ++k, r);
        if (r < 0 && errno != EINTR && errno != EAGAIN && ++errors > 3)
            return 1;
        if (r == 0) {
            printf("end of stream after %zu bytes\n", got);
            return 1;
        }
        if (r < 0 && errno == EAGAIN && wait_fd(sv[1], POLLIN) <= 0)
            return 1;
        if (r > 0)
            got += (size_t)r;
    }
    if (!in_order(buf, sizeof buf, 0))
        return 1;
    printf("ok %zu bytes\n", got);
    return 0;
}

/* Reads what is queued on FD (non-blocking), checking it from offset *AT. */
static int drain(int fd, size_t *at)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        if (!in_order(buf, (size_t)n, *at))
            return -1;
        *at += (size_t)n;
    }
    return 0;
}

static char *pattern_of(size_t n)
{
    char *data = malloc(n);
    if (data == NULL)
        exit(2);
    for (size_t i = 0; i < n; i++)
        data[i] = pattern(i);
    return data;
}

static int wr(const char *call, size_t size, const char *mode)
{
    int sv[2], k = 0, errors = 0;
    size_t sent = 0, rcvd = 0;
    char *data = pattern_of(size);
    if (strcmp(mode, "tcp") == 0) {
        tcp_pair(sv);
    } else if (strcmp(mode, "pipe") != 0) {
        pair(sv);
    } else if (pipe(sv) < 0) {
        return 2;
    } else {                            /* the pipe's write end is sv[0] */
        int r = sv[0];
        sv[0] = sv[1];
        sv[1] = r;
    }
    nonblock(sv[1]);
    if (strcmp(mode, "nb") == 0)
        nonblock(sv[0]);
    if (strcmp(mode, "sig") == 0) {
        struct sigaction sa = { .sa_handler = on_usr1 };   /* no SA_RESTART */
        sigaction(SIGUSR1, &sa, NULL);
    }
    while (sent < size) {
        long r = write_call(call, sv[0], data + sent, size - sent);
        say(call, ++k, r);
        if (r < 0 && errno != EINTR && errno != EAGAIN && ++errors > 3)
            return 1;
        if (r < 0 && errno == EAGAIN && wait_fd(sv[0], POLLOUT) <= 0)
            return 1;
        if (r > 0)
            sent += (size_t)r;
        if (drain(sv[1], &rcvd) < 0)
            return 1;
    }
    if (drain(sv[1], &rcvd) < 0 || rcvd != size) {
        printf("%zu bytes of %zu arrived\n", rcvd, size);
        return 1;
    }
    printf("ok %zu bytes\n", rcvd);
    return 0;
}

/* Non-blocking: 8000 bytes, then 16 (a full queue's write), then drained. */
static int full(const char *call, int wait_first)
{
    int sv[2], k = 0;
    size_t sent = 0, rcvd = 0, size = 8000 + 16 + 16;
    char *data = pattern_of(size);
    pair(sv);
    nonblock(sv[0]);
    nonblock(sv[1]);
    for (size_t step = 8000; sent < size; step = 16) {
        if (wait_first && step == 16 && sent == 8000 && wait_fd(sv[0], POLLOUT) != 1)
            return 1;
        long r = write_call(call, sv[0], data + sent, step);
        say(call, ++k, r);
        if (r < 0 && errno != EAGAIN)
            return 1;
        if (r < 0) {
            if (drain(sv[1], &rcvd) < 0 || wait_fd(sv[0], POLLOUT) != 1)
                return 1;
            continue;
        }
        sent += (size_t)r;
    }
    if (drain(sv[1], &rcvd) < 0 || rcvd != size) {
        printf("%zu bytes of %zu arrived\n", rcvd, size);
        return 1;
    }
    printf("ok %zu bytes\n", rcvd);
    return 0;
}

/* KIND waits until FD is readable: 1, 0 on its timeout, -1 failed. */
static int wait_kind(const char *kind, int fd, int ep)
{
    struct timespec ts = { TIMEOUT_MS / 1000, 0 };
    struct pollfd p = { .fd = fd, .events = POLLIN };
    struct epoll_event ev[4];
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct timeval tv = { TIMEOUT_MS / 1000, 0 };
    long r;
    if (strcmp(kind, "poll") == 0)
        r = sys6(SYS_poll, (long)&p, 1, TIMEOUT_MS, 0, 0, 0);
    else if (strcmp(kind, "ppoll") == 0)
        r = sys6(SYS_ppoll, (long)&p, 1, (long)&ts, 0, 8, 0);
    else if (strcmp(kind, "select") == 0)
        r = sys6(SYS_select, fd + 1, (long)&rd, 0, 0, (long)&tv, 0);
    else if (strcmp(kind, "pselect6") == 0)
        r = sys6(SYS_pselect6, fd + 1, (long)&rd, 0, 0, (long)&ts, 0);
    else if (strcmp(kind, "epoll_wait") == 0)
        r = sys6(SYS_epoll_wait, ep, (long)ev, 4, TIMEOUT_MS, 0, 0);
    else if (strcmp(kind, "epoll_pwait") == 0)
        r = sys6(SYS_epoll_pwait, ep, (long)ev, 4, TIMEOUT_MS, 0, 8);
    else if (strcmp(kind, "epoll_pwait2") == 0)
        r = sys6(SYS_epoll_pwait2, ep, (long)ev, 4, (long)&ts, 0, 8);
    else {
        printf("unknown wait '%s'\n", kind);
        exit(2);
    }
    if (r > 0 && ep >= 0 && ev[0].data.u64 != 0x5eed0000u + (unsigned)fd) {
        printf("epoll data %#llx\n", (unsigned long long)ev[0].data.u64);
        return -1;
    }
    printf("%s -> %ld\n", kind, r);
    return r > 0 ? 1 : r == 0 ? 0 : -1;
}

static int waits(const char *kind)
{
    int sv[2], k = 0, ep = -1;
    char buf[16];
    size_t got = 0;
    pair(sv);
    nonblock(sv[1]);
    if (strncmp(kind, "epoll", 5) == 0) {
        /* registered by a data that is not the descriptor's number */
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0x5eed0000u + (unsigned)sv[1] };
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0 || sys6(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, sv[1], (long)&ev, 0, 0) < 0)
            return 2;
    }
    send_pattern(sv[0], sizeof buf);
    for (int waited = 0; got < sizeof buf; waited++) {
        if (waited == 8 || wait_kind(kind, sv[1], ep) != 1)
            return 1;
        for (;;) {
            long r = sys6(SYS_read, sv[1], (long)(buf + got), 8, 0, 0, 0);
            say("read", ++k, r);
            if (r <= 0 && !(r < 0 && errno == EAGAIN))
                return 1;
            if (r < 0)
                break;
            got += (size_t)r;
            if (got == sizeof buf)
                break;
        }
    }
    if (!in_order(buf, sizeof buf, 0))
        return 1;
    printf("ok %zu bytes\n", got);
    return 0;
}

static int peek(size_t ask)
{
    int sv[2];
    char buf[32];
    pair(sv);
    send_pattern(sv[0], sizeof buf);
    long r = sys6(SYS_recvfrom, sv[1], (long)buf, 16, MSG_PEEK, 0, 0);
    say("peek", 1, r);
    if (r != 16)
        return 1;
    size_t got = 0;
    for (int k = 2; got < sizeof buf; k++) {
        r = sys6(SYS_recvfrom, sv[1], (long)(buf + got), (long)(k == 2 ? ask : sizeof buf - got),
                 0, 0, 0);
        say("recv", k, r);
        if (r <= 0)
            return 1;
        got += (size_t)r;
    }
    if (!in_order(buf, sizeof buf, 0))
        return 1;
    printf("ok %zu bytes\n", got);
    return 0;
}

/* One of xfer's calls moving at most N bytes at offset AT of the stream;
 * the bytes it moved, or -1. SRC: the memfd or pipe a write reads from. */
static long xfer_call(const char *call, int fd, int src, char *buf, size_t n)
{
    if (strcmp(call, "sendfile") == 0)
        return sys6(SYS_sendfile, fd, src, 0, (long)n, 0, 0);
    if (strcmp(call, "splice_out") == 0)
        return sys6(SYS_splice, src, 0, fd, 0, (long)n, 0);
    if (strcmp(call, "splice_in") == 0)
        return sys6(SYS_splice, fd, 0, src, 0, (long)n, 0);
    struct iovec iov[2][2], saved[2][2];
    struct mmsghdr mm[2];
    size_t half = (n + 1) / 2;          /* the first message never empty */
    memset(mm, 0, sizeof mm);
    for (int m = 0; m < 2; m++) {
        char *at = buf + (m ? half : 0);
        int cnt = two_iov(iov[m], at, m ? n - half : half);
        mm[m].msg_hdr = (struct msghdr){ .msg_iov = iov[m], .msg_iovlen = (size_t)cnt };
    }
    memcpy(saved, iov, sizeof saved);
    struct mmsghdr ms[2];
    memcpy(ms, mm, sizeof ms);
    long r = strcmp(call, "recvmmsg") == 0
                 ? sys6(SYS_recvmmsg, fd, (long)mm, 2, 0x10000 /* MSG_WAITFORONE */, 0, 0)
                 : sys6(SYS_sendmmsg, fd, (long)mm, 2, MSG_NOSIGNAL, 0, 0);
    for (int m = 0; m < 2; m++) {
        check_iov(iov[m], saved[m], 2);
        check_msg(&mm[m].msg_hdr, &ms[m].msg_hdr);
    }
    if (r < 0)
        return r;
    if (r == 2 && mm[0].msg_len != half) {
        printf("a first message of %u bytes, then a second\n", mm[0].msg_len);
        exit(1);
    }
    long bytes = 0;
    for (long m = 0; m < r; m++)
        bytes += mm[m].msg_len;
    return bytes;
}

static int xfer(const char *call)
{
    int sv[2], pp[2], k = 0, errors = 0;
    int reading = strcmp(call, "splice_in") == 0 || strcmp(call, "recvmmsg") == 0;
    size_t size = reading ? 64 : 20000, done = 0, rcvd = 0;
    char *data = pattern_of(size), *buf = malloc(size);
    pair(sv);
    if (buf == NULL || pipe(pp) < 0)
        return 2;
    int src = pp[reading ? 1 : 0];
    if (strcmp(call, "sendfile") == 0) {
        src = (int)syscall(SYS_memfd_create, "fr_tio", 0);
        if (src < 0 || write(src, data, size) != (ssize_t)size || lseek(src, 0, SEEK_SET) != 0)
            return 2;
    } else if (!reading && write(pp[1], data, size) != (ssize_t)size) {
        return 2;
    }
    if (reading && write(sv[0], data, size) != (ssize_t)size)
        return 2;
    nonblock(sv[1]);
    if (reading)
        fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) & ~O_NONBLOCK);
    while (done < size) {
        long r = xfer_call(call, reading ? sv[1] : sv[0], src, (reading ? buf : data) + done,
                           size - done);
        say(call, ++k, r);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN && ++errors > 3))
            return 1;
        if (r > 0)
            done += (size_t)r;
        if (!reading && drain(sv[1], &rcvd) < 0)
            return 1;
    }
    if (reading) {
        /* splice_in moved the bytes into the pipe: they come out of it */
        if (strcmp(call, "splice_in") == 0 && read(pp[0], buf, size) != (ssize_t)size)
            return 1;
        if (!in_order(buf, size, 0))
            return 1;
        rcvd = size;
    } else if (drain(sv[1], &rcvd) < 0 || rcvd != size) {
        printf("%zu bytes of %zu arrived\n", rcvd, size);
        return 1;
    }
    printf("ok %zu bytes\n", rcvd);
    return 0;
}

int main(int argc, char **argv)
{
    alarm(10);                          /* every case is bounded */
    /* one write at exit: the program's own stdout writes (musl's are
     * writev) never come between the calls a test counts */
    static char out[65536];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    const char *what = argc > 1 ? argv[1] : "";
    const char *arg = argc > 2 ? argv[2] : "";
    if (strcmp(what, "rd") == 0 && argc > 2)
        return rd(arg, argc > 3 ? argv[3] : "");
    if (strcmp(what, "wr") == 0 && argc > 3)
        return wr(arg, (size_t)atol(argv[3]), argc > 4 ? argv[4] : "");
    if (strcmp(what, "full") == 0 && argc > 2)
        return full(arg, 0);
    if (strcmp(what, "wwait") == 0)
        return full("write", 1);
    if (strcmp(what, "wait") == 0 && argc > 2)
        return waits(arg);
    if (strcmp(what, "xfer") == 0 && argc > 2)
        return xfer(arg);
    if (strcmp(what, "peek") == 0 && argc > 2)
        return peek((size_t)atol(arg));
    fprintf(stderr, "fr_tio: unknown case '%s'\n", what);
    return 2;
}

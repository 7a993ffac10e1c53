/* fr_tarm: the EPOLLET re-arm's COMMAND (test_trace_arm.c), built -static
 * twice (glibc and musl-gcc, tests/fi.mk), so only the trace backend
 * reaches it. A reader in the way of Go's netpoller: a non-blocking unix
 * stream socket in an EPOLLET set, its data a pointer; after each edge it
 * reads 4096 bytes at a time and goes back to epoll_wait as soon as a
 * read says EAGAIN or moves less than asked (the socket is drained then,
 * on Linux); it never reads without a fresh edge. A forked writer sends
 * SIZE bytes and waits. Every read is a raw syscall that checks rdi, rsi,
 * rdx, r10, r8 and r9 hold what it passed when it returns, and that the
 * 32 bytes under the stack's red zone do too (a tracer that injects a
 * call must put every register and byte back); every event must carry
 * the registered data. One line at the end: "ok N bytes, E edges, A
 * eagain, S short"; or "stranded after N bytes" when no edge comes for 2
 * s while bytes are still owed (exit 3). Exit 0 ok, 1 a byte or an event
 * wrong, 4 a register or those bytes changed, 2 bad use.
 *   fr_tarm SIZE [sig]
 * sig: while the writer writes, a storm process queues SIGRTMIN to the
 * reader as fast as it can (real-time: none merged; at most MAX_SIGNALS),
 * so that signals are pending whenever the tracer works on the reader;
 * its handler (SA_RESTART) counts them. The writer paces its chunks on
 * the storm (chunk K once K * SIGS_PER_CHUNK are sent, so that the storm
 * spans the transfer), then ends the storm and
 * waits for it before its last chunk, so every signal sent (counted in
 * shared memory) must have been handled when the last bytes are read:
 * the line then ends "signals N/N"; a count short of it is exit 1 (a
 * signal lost).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096
#define EDGE_WAIT_MS 2000
#define MAX_SIGNALS 20000
#define SIGS_PER_CHUNK 30
#define STORM_GAP_NS 10000

/* Shared by the reader, the writer and the storm (MAP_SHARED). */
struct shared {
    volatile long sent;
    volatile int stop;
};
static struct shared *sh;

static volatile sig_atomic_t handled;
static int with_signals;

static void on_rt(int sig)
{
    (void)sig;
    handled++;
}

static unsigned char byte_at(long i)
{
    return (unsigned char)(i % 251);
}

/* read(FD, BUF, LEN) by `syscall`, r8/r9/r10 loaded with markers; exit 4
 * if any argument register differs when the kernel returns. */
static long raw_read(int fd, void *buf, size_t len)
{
    register long r10 __asm__("r10") = 0x1010;
    register long r8 __asm__("r8") = 0x0808;
    register long r9 __asm__("r9") = 0x0909;
    long ret, di = fd, si = (long)buf, dx = (long)len, t, changed;
    /* a canary in the 32 bytes under the red zone (rsp - 160 .. - 128),
     * where a tracer may write what it injects: it must put them back */
    __asm__ volatile("movabs $0x5a5aa5a55a5aa5a5, %[t]\n\t"
                     "mov %[t], -136(%%rsp)\n\t"
                     "mov %[t], -144(%%rsp)\n\t"
                     "mov %[t], -152(%%rsp)\n\t"
                     "mov %[t], -160(%%rsp)\n\t"
                     "syscall\n\t"
                     "mov -136(%%rsp), %[c]\n\t"
                     "xor %[t], %[c]\n\t"
                     "xor -144(%%rsp), %[t]\n\t"
                     "or %[t], %[c]\n\t"
                     "movabs $0x5a5aa5a55a5aa5a5, %[t]\n\t"
                     "xor -152(%%rsp), %[t]\n\t"
                     "or %[t], %[c]\n\t"
                     "movabs $0x5a5aa5a55a5aa5a5, %[t]\n\t"
                     "xor -160(%%rsp), %[t]\n\t"
                     "or %[t], %[c]\n\t"
                     : "=a"(ret), "+D"(di), "+S"(si), "+d"(dx), "+r"(r10), "+r"(r8), "+r"(r9),
                       [t] "=&r"(t), [c] "=&r"(changed)
                     : "a"((long)SYS_read)
                     : "rcx", "r11", "memory");
    if (di != fd || si != (long)buf || dx != (long)len || r10 != 0x1010 || r8 != 0x0808 ||
        r9 != 0x0909) {
        printf("register changed: rdi %lx rsi %lx rdx %lx r10 %lx r8 %lx r9 %lx\n", di, si, dx,
               (long)r10, (long)r8, (long)r9);
        exit(4);
    }
    /* a signal's frame may land there (the ABI's rule): only without one */
    if (changed != 0 && !with_signals) {
        printf("memory under the red zone changed across read\n");
        exit(4);
    }
    if (ret < 0) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One signal every STORM_GAP_NS (a spin on the clock: no call between),
 * fast enough that some arrive while the tracer holds the reader. */
static void storm(pid_t reader)
{
    long long next = now_ns();
    while (!sh->stop && sh->sent < MAX_SIGNALS) {
        while (now_ns() < next)
            ;
        next += STORM_GAP_NS;
        if (sigqueue(reader, SIGRTMIN, (union sigval){ .sival_int = 0 }) == 0)
            sh->sent++;
        else if (errno != EAGAIN)
            _exit(1);
    }
    _exit(0);
}

static void writer(int fd, long size, pid_t reader)
{
    unsigned char buf[CHUNK];
    pid_t stormer = -1;
    if (with_signals && (stormer = fork()) == 0)
        storm(reader);
    for (long off = 0; off < size;) {
        long n = size - off < CHUNK ? size - off : CHUNK;
        int status;
        long want = off / CHUNK * SIGS_PER_CHUNK;
        while (stormer > 0 && sh->sent < want && sh->sent < MAX_SIGNALS &&
               waitpid(stormer, &status, WNOHANG) == 0)
            sched_yield();              /* the storm goes on: it ends by itself */
        if (off + n == size && stormer > 0) {
            sh->stop = 1;
            if (waitpid(stormer, &status, 0) < 0 || status != 0)
                _exit(1);
        }
        for (long i = 0; i < n; i++)
            buf[i] = byte_at(off + i);
        ssize_t w = write(fd, buf, (size_t)n);
        if (w <= 0)
            _exit(1);
        off += w;
    }
    for (;;)
        pause();                        /* no edge from a close: the reader is on its own */
}

int main(int argc, char **argv)
{
    long size = argc >= 2 ? atol(argv[1]) : 0;
    int sv[2];
    with_signals = argc == 3 && strcmp(argv[2], "sig") == 0;
    if (size <= 0 || argc > 3 || (argc == 3 && !with_signals)) {
        fprintf(stderr, "usage: fr_tarm SIZE [sig]\n");
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_rt, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    if (with_signals && sigaction(SIGRTMIN, &sa, NULL) < 0)
        return 2;
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return 2;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        return 2;
    pid_t child = fork();
    if (child < 0)
        return 2;
    if (child == 0) {
        close(sv[0]);
        writer(sv[1], size, getppid()); /* blocking */
    }
    close(sv[1]);
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
        return 2;
    static int tag;                     /* the registration's data: a pointer, as Go's */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = &tag };
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) < 0)
        return 2;
    long got = 0, edges = 0, eagains = 0, shorts = 0;
    int status = 0;
    unsigned char buf[CHUNK];
    while (got < size) {
        struct epoll_event out;
        int n = epoll_wait(ep, &out, 1, EDGE_WAIT_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 2;
        if (n == 0) {
            printf("stranded after %ld bytes\n", got);
            status = 3;
            break;
        }
        if (out.data.ptr != &tag) {
            printf("event data %p, registered %p\n", out.data.ptr, (void *)&tag);
            status = 1;
            break;
        }
        edges++;
        for (;;) {
            long r = raw_read(sv[0], buf, sizeof buf);
            if (r < 0 && errno == EAGAIN) {
                eagains++;
                break;
            }
            if (r <= 0) {
                printf("read: %s at %ld bytes\n", r == 0 ? "EOF" : "error", got);
                status = 1;
                break;
            }
            for (long i = 0; i < r; i++)
                if (buf[i] != byte_at(got + i)) {
                    printf("byte %ld is %u, want %u\n", got + i, buf[i], byte_at(got + i));
                    status = 1;
                    break;
                }
            got += r;
            if (status != 0 || r < (long)sizeof buf) {
                shorts += r < (long)sizeof buf;
                break;                  /* drained: wait for the next edge */
            }
        }
        if (status != 0)
            break;
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    long sent = sh->sent;
    if (status == 0 && handled != sent) {
        printf("signals %ld/%ld: some lost\n", (long)handled, sent);
        status = 1;
    }
    if (status == 0)
        printf("ok %ld bytes, %ld edges, %ld eagain, %ld short, signals %ld/%ld\n", got, edges,
               eagains, shorts, (long)handled, sent);
    return status;
}

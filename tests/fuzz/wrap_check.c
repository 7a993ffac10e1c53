/* wrap_check.c: drives wrap.c from a fuzz input and checks every result
 * against a plain model of wrap-contract.md.
 *
 * How faults reach wrap.c without the shim: wrap.o is compiled as usual and
 * then copied with `objcopy --redefine-sym read=fuzz_read ...` (see
 * tests/reliability.mk), so only wrap.o's own calls to read, write, close,
 * accept, connect, poll, getsockopt and malloc/calloc/realloc/free come
 * here; libFuzzer, the sanitizers and this file keep the real ones. The shim cannot be used inside libFuzzer (it would
 * hook the fuzzer's own I/O), and a macro (-Dread=...) would also rename the
 * declarations in <unistd.h>; renaming symbols in the object leaves the
 * source untouched, so any wrap.c can be fuzzed the same way.
 *
 * The fake descriptors are real descriptor numbers (dup'd from /dev/null,
 * held for the life of the process) so that wrap.c sees ordinary small fds;
 * fuzz_read/fuzz_write/fuzz_close never pass them to the kernel.
 *
 * Input layout (every field reads as 0 once the input is used up):
 *   u8  flags        bit 0: two descriptors instead of one
 *   u16 pool_len     bytes of stream data that follow
 *   u16 script_len   bytes of fault script that follow the pool
 *   u16 len0, len1   stream lengths of the first connections
 *   pool, script, then operations up to the end of the input.
 * Each fake read/write/close takes the next script byte (then: no fault):
 *   low 3 bits 0 all that is asked, 1/7 short (at most (b>>3)+1 bytes),
 *   2 one byte, 3 EINTR, 4 EAGAIN, 5 reset (ECONNRESET, then end of stream
 *   / EPIPE), 6 ETIMEDOUT (transient). close(): 3 EINTR (fd released, as
 *   Linux does), 6 EIO (released too), else 0.
 * accept() and connect() on a third descriptor: see accept_errs and
 * connect_errs (connect's EINTR takes one more byte: how the attempt ends).
 * Each operation is one byte (kind in the low 3 bits: 0 Readline, 1 Readn,
 * 2 Read, 3 Writen, 4 Close and a new connection on the same number,
 * 5 Accept/Connect (bit 0 of the argument), 6 Write, 7 Readline with a long
 * maxlen; descriptor in bit 3) and a one-byte size argument.
 */
#include "wrap_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "input_name.h"
#include "wrap.h"

#if defined(__SANITIZE_ADDRESS__)
#define EXACT_BUFFERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXACT_BUFFERS 1
#endif
#endif

/* The renamed calls of wrap.o land here. */
ssize_t fuzz_read(int fd, void *buf, size_t n);
ssize_t fuzz_write(int fd, const void *buf, size_t n);
int fuzz_close(int fd);
int fuzz_accept(int fd, struct sockaddr *sa, socklen_t *len);
int fuzz_connect(int fd, const struct sockaddr *sa, socklen_t len);
int fuzz_poll(struct pollfd *p, nfds_t n, int timeout);
int fuzz_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
void *fuzz_malloc(size_t n);
void *fuzz_calloc(size_t n, size_t m);
void *fuzz_realloc(void *p, size_t n);
void fuzz_free(void *p);

#define NFD 2
#define CANARY 16

struct fconn {
    int fd;             /* reserved real number */
    size_t start;       /* stream byte i is pool[(start + i) % pool_len] */
    size_t len;         /* stream length (cut short by a reset) */
    size_t kpos;        /* bytes the fake read handed to wrap.c */
    size_t dpos;        /* bytes wrap.c delivered to us */
    int reset;          /* after a reset: reads end, writes EPIPE */
    int closed;         /* close() was called since the last open */
    int close_calls;
    ssize_t last_read;  /* what the last read() that did not fail returned */
    int failed_before;  /* a read failed (not EINTR) since the last good delivery */
};

/* Everything one input run uses; reset at the start of each run. */
static struct {
    const uint8_t *pool;
    size_t pool_len;
    const uint8_t *script;
    size_t script_len, script_pos;
    size_t pool_cursor;
    struct fconn c[NFD];
    int nfd;
    int fault_errno;        /* errno of the last non-EINTR failure made in this op */
    unsigned char *wbuf;    /* what the fake write took during one op */
    size_t wcap, wlen;
    int wfd;
    long live_allocs;       /* wrap.o's heap blocks (M1) */
    long allocs_at_close;   /* live_allocs when the fake close() ran (CL1) */
    long op_no;
    int sock_fd;            /* the descriptor Accept/Connect are called on */
    int accept_calls, connect_calls, connect_pending, so_error;
} S;

static int reserved[NFD + 1] = {-1, -1, -1}; /* the last: Accept/Connect's socket */

static void breach(const char *clause, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fuzz_wrap: BREACH %s (op %ld%s%s): ", clause, S.op_no,
            fuzz_input_name ? ", input " : "", fuzz_input_name ? fuzz_input_name : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static struct fconn *conn_of(int fd)
{
    for (int i = 0; i < NFD; i++)
        if (S.c[i].fd == fd && fd >= 0)
            return &S.c[i];
    return NULL;
}

static uint8_t stream_at(const struct fconn *c, size_t i)
{
    return S.pool_len ? S.pool[(c->start + i) % S.pool_len] : (uint8_t)'\n';
}

/* The next script byte; 0 (no fault, whole request) once it is used up. */
static unsigned next_script(void)
{
    return S.script_pos < S.script_len ? S.script[S.script_pos++] : 0;
}

/* How many of N bytes one call may move, or -1 with the errno to fail with. */
static long scripted(size_t n, int *err)
{
    unsigned b = next_script();
    switch (b & 7) {
    case 1: case 7: { size_t k = (b >> 3) + 1; return (long)(n < k ? n : k); }
    case 2: return (long)(n < 1 ? n : 1);
    case 3: *err = EINTR; return -1;
    case 4: *err = EAGAIN; return -1;
    case 5: *err = ECONNRESET; return -1;
    case 6: *err = ETIMEDOUT; return -1;
    default: return (long)n;
    }
}

ssize_t fuzz_read(int fd, void *buf, size_t n)
{
    struct fconn *c = conn_of(fd);
    if (c == NULL)
        return syscall(SYS_read, fd, buf, n);
    if (c->closed)
        breach("CL1", "read() on fd %d after close()", fd);
    if (n == 0)
        return 0;
    int err = 0;
    long k = scripted(n, &err);
    if (k < 0) {
        if (err == ECONNRESET) {
            if (c->reset) {
                k = 0; /* after a reset the stream has ended */
            } else {
                c->reset = 1;
                c->len = c->kpos; /* the kernel drops what was not read */
            }
        }
        if (k < 0) {
            if (err != EINTR) {
                S.fault_errno = err;
                c->failed_before = 1;
            }
            errno = err;
            return -1;
        }
    }
    size_t left = c->len - c->kpos;
    if ((size_t)k > left)
        k = (long)left;
    for (long i = 0; i < k; i++)
        ((uint8_t *)buf)[i] = stream_at(c, c->kpos + (size_t)i);
    c->kpos += (size_t)k;
    c->last_read = k;
    return k;
}

ssize_t fuzz_write(int fd, const void *buf, size_t n)
{
    struct fconn *c = conn_of(fd);
    if (c == NULL)
        return syscall(SYS_write, fd, buf, n);
    if (c->closed)
        breach("CL1", "write() on fd %d after close()", fd);
    if (fd != S.wfd)
        breach("WN1", "write() on fd %d while writing to fd %d", fd, S.wfd);
    int err = 0;
    long k = scripted(n, &err);
    if (k >= 0 && c->reset) {
        k = -1;
        err = EPIPE; /* every write after a reset */
    }
    if (k < 0) {
        if (err == ECONNRESET && !c->reset) {
            c->reset = 1;
            c->len = c->kpos; /* unread bytes are dropped, as by a real RST */
        }
        if (err != EINTR)
            S.fault_errno = err;
        errno = err;
        return -1;
    }
    if (S.wlen + (size_t)k > S.wcap)
        breach("WN1/W1", "wrote %zu bytes in all for a request of %zu", S.wlen + (size_t)k, S.wcap);
    memcpy(S.wbuf + S.wlen, buf, (size_t)k);
    S.wlen += (size_t)k;
    return k;
}

int fuzz_close(int fd)
{
    struct fconn *c = conn_of(fd);
    if (c == NULL)
        return (int)syscall(SYS_close, fd);
    c->close_calls++;
    S.allocs_at_close = S.live_allocs;
    if (c->closed)
        breach("CL1", "close() called again on fd %d (Linux released it the first time)", fd);
    c->closed = 1;
    unsigned b = next_script() & 7;
    if (b == 3) {
        errno = EINTR; /* Linux releases the descriptor even then */
        return -1;
    }
    if (b == 6) {
        errno = EIO;
        return -1;
    }
    return 0;
}

/* accept() on S.sock_fd: the script byte chooses success (a fresh
 * descriptor, dup'd from a reserved one) or an errno. */
static const int accept_errs[8] = {0, ECONNABORTED, EPROTO, EINTR, EAGAIN, EMFILE, ENFILE, ENOBUFS};

int fuzz_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
    if (fd != S.sock_fd)
        return (int)syscall(SYS_accept, fd, sa, len);
    S.accept_calls++;
    int e = accept_errs[next_script() & 7];
    if (S.accept_calls > 64)
        e = 0; /* bounded: the script cannot make Accept loop for ever */
    if (e) {
        errno = e;
        return -1;
    }
    if (len && sa && *len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memset(&in, 0, sizeof in);
        in.sin_family = AF_INET;
        memcpy(sa, &in, sizeof in);
        *len = sizeof in;
    }
    return fcntl(S.sock_fd, F_DUPFD_CLOEXEC, 0);
}

/* connect(): 0 done; EINTR (the attempt goes on: SO_ERROR later tells how
 * it ended); or a failure. */
static const int connect_errs[8] = {0, ECONNREFUSED, ETIMEDOUT, EINTR, EINTR, ENETUNREACH, 0, EINTR};

int fuzz_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    if (fd != S.sock_fd)
        return (int)syscall(SYS_connect, fd, sa, len);
    S.connect_calls++;
    if (S.connect_pending) { /* C2: calling again after EINTR */
        errno = EALREADY;
        return -1;
    }
    int e = connect_errs[next_script() & 7];
    if (e == EINTR) {
        S.connect_pending = 1;
        unsigned b = next_script();
        S.so_error = (b & 3) == 1 ? ECONNREFUSED : (b & 3) == 2 ? ETIMEDOUT : 0;
    }
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

int fuzz_poll(struct pollfd *p, nfds_t n, int timeout)
{
    if (n != 1 || p[0].fd != S.sock_fd)
        return poll(p, n, timeout);
    if (!S.connect_pending)
        breach("C2", "poll() on a socket with no connection attempt going on%s", "");
    if ((next_script() & 7) == 3) {
        errno = EINTR;
        return -1;
    }
    p[0].revents = (short)(p[0].events & POLLOUT);
    if (S.so_error)
        p[0].revents |= POLLERR;
    return 1;
}

int fuzz_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    if (fd != S.sock_fd)
        return (int)syscall(SYS_getsockopt, fd, level, name, val, len);
    if (level != SOL_SOCKET || name != SO_ERROR || *len < sizeof(int)) {
        errno = ENOPROTOOPT;
        return -1;
    }
    int e = S.connect_pending ? S.so_error : 0;
    memcpy(val, &e, sizeof e); /* reading SO_ERROR clears it, as in the kernel */
    S.so_error = 0;
    *len = sizeof(int);
    return 0;
}

void *fuzz_malloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        S.live_allocs++;
    return p;
}

void *fuzz_calloc(size_t n, size_t m)
{
    void *p = calloc(n, m);
    if (p)
        S.live_allocs++;
    return p;
}

void *fuzz_realloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (p == NULL && q != NULL)
        S.live_allocs++;
    return q;
}

void fuzz_free(void *p)
{
    if (p)
        S.live_allocs--;
    free(p);
}

/* Input reading: fields past the end read as 0. */
struct in {
    const uint8_t *d;
    size_t n, pos;
};

static unsigned u8(struct in *in)
{
    return in->pos < in->n ? in->d[in->pos++] : 0;
}

static unsigned u16(struct in *in)
{
    unsigned lo = u8(in);
    return lo | u8(in) << 8;
}

static const uint8_t *take(struct in *in, size_t n, size_t *got)
{
    size_t left = in->n - in->pos;
    *got = n < left ? n : left;
    const uint8_t *p = in->d + in->pos;
    in->pos += *got;
    return p;
}

static void open_conn(struct fconn *c, size_t len)
{
    int fd = c->fd;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->start = S.pool_cursor;
    c->len = len;
    c->last_read = -1;
    S.pool_cursor += len;
}

/* A size argument: small values often, large ones sometimes. */
static size_t size_arg(unsigned b)
{
    return b < 200 ? b : (size_t)(b - 199) * 97;
}

/* An output buffer of N bytes; under ASan exactly N (a write past it is a
 * heap overflow), else with a canary tail that is checked afterwards. */
static unsigned char *outbuf(size_t n)
{
#ifdef EXACT_BUFFERS
    unsigned char *b = malloc(n ? n : 1);
    if (b && n)
        memset(b, 0xa5, n);
    return b;
#else
    unsigned char *b = malloc(n + CANARY);
    if (b)
        memset(b, 0xa5, n + CANARY);
    return b;
#endif
}

static void check_canary(const unsigned char *b, size_t n, const char *clause)
{
#ifdef EXACT_BUFFERS
    (void)b; (void)n; (void)clause;
#else
    for (size_t i = n; i < n + CANARY; i++)
        if (b[i] != 0xa5)
            breach(clause, "wrote buf[%zu] of a %zu-byte buffer", i, n);
#endif
}

static void op_readline(struct fconn *c, size_t maxlen)
{
    unsigned char *buf = outbuf(maxlen);
    if (!buf)
        return;
    size_t k0 = c->kpos;
    S.fault_errno = 0;
    errno = 0;
    ssize_t r = Readline(c->fd, buf, maxlen);
    int e = errno;
    check_canary(buf, maxlen, "L12");
    if (maxlen < 2) {
        if (r != -1 || e != EINVAL)
            breach("L11", "Readline(maxlen=%zu) returned %zd errno %d, want -1 EINVAL", maxlen, r, e);
        if (c->kpos != k0)
            breach("L11", "Readline(maxlen=%zu) consumed %zu bytes", maxlen, c->kpos - k0);
        free(buf);
        return;
    }
    if (S.fault_errno) {
        if (r != -1 || e != S.fault_errno)
            breach("L6", "read() failed with errno %d; Readline returned %zd errno %d", S.fault_errno, r, e);
        free(buf);
        return;
    }
    /* Model: the line from dpos, up to '\n' or maxlen-1 bytes or the end. */
    size_t want = 0;
    while (want < maxlen - 1 && c->dpos + want < c->len) {
        uint8_t b = stream_at(c, c->dpos + want);
        want++;
        if (b == '\n')
            break;
    }
    if (r < 0)
        breach(e == EINTR ? "L5" : "L1", "Readline returned -1 errno %d with no failure injected", e);
    if ((size_t)r != want)
        breach(c->failed_before ? "L6 (a read failed since the last line; or L1)"
               : want == maxlen - 1 ? "L2" : (c->dpos + want == c->len ? "L4/L3" : "L1"),
               "Readline(maxlen=%zu) at stream offset %zu returned %zd, want %zu", maxlen, c->dpos, r, want);
    for (size_t i = 0; i < want; i++)
        if (buf[i] != stream_at(c, c->dpos + i))
            breach("L7/L13", "Readline byte %zu is 0x%02x, want 0x%02x (stream offset %zu)",
                   i, buf[i], stream_at(c, c->dpos + i), c->dpos + i);
    if (buf[want] != '\0')
        breach(want ? "L1" : "L3", "no NUL after the %zu bytes returned", want);
    c->dpos += want;
    c->failed_before = 0;
    free(buf);
}

static void op_readn(struct fconn *c, size_t n)
{
    unsigned char *buf = outbuf(n);
    if (!buf)
        return;
    size_t k0 = c->kpos;
    S.fault_errno = 0;
    errno = 0;
    ssize_t r = Readn(c->fd, buf, n);
    int e = errno;
    check_canary(buf, n, "N1");
    size_t limit = k0 > c->dpos + n ? k0 : c->dpos + n;
    if (c->kpos > limit)
        breach("N5", "Readn(%zu) at offset %zu took the stream to %zu (read ahead)", n, c->dpos, c->kpos);
    if (n == 0) {
        if (r != 0)
            breach("N6", "Readn(n=0) returned %zd errno %d", r, e);
        free(buf);
        return;
    }
    if (S.fault_errno) {
        if (r != -1 || e != S.fault_errno)
            breach("N4", "read() failed with errno %d; Readn returned %zd errno %d", S.fault_errno, r, e);
        free(buf);
        return;
    }
    size_t avail = c->len - c->dpos;
    size_t want = n < avail ? n : avail;
    if (r < 0)
        breach(e == EINTR ? "N3" : "N1", "Readn returned -1 errno %d with no failure injected", e);
    if ((size_t)r != want)
        breach(c->failed_before ? "N4 (a read failed since the last delivery; or N1)" : want < n ? "N2" : "N1", "Readn(%zu) at offset %zu returned %zd, want %zu", n, c->dpos, r, want);
    for (size_t i = 0; i < want; i++)
        if (buf[i] != stream_at(c, c->dpos + i))
            breach("N1/N3/L10", "Readn byte %zu is 0x%02x, want 0x%02x (stream offset %zu)",
                   i, buf[i], stream_at(c, c->dpos + i), c->dpos + i);
    c->dpos += want;
    c->failed_before = 0;
    if (c->kpos > (k0 > c->dpos ? k0 : c->dpos))
        breach("N5", "Readn(%zu) left the stream at %zu, delivered up to %zu", n, c->kpos, c->dpos);
    free(buf);
}

/* R1-R3: only on a descriptor with nothing read ahead (Read does not see
 * Readline's buffer, and the contract says so). */
static void op_read(struct fconn *c, size_t n)
{
    if (c->kpos != c->dpos)
        return;
    unsigned char *buf = outbuf(n);
    if (!buf)
        return;
    S.fault_errno = 0;
    c->last_read = -1;
    errno = 0;
    ssize_t r = Read(c->fd, buf, n);
    int e = errno;
    check_canary(buf, n, "R1");
    if (S.fault_errno) {
        if (r != -1 || e != S.fault_errno)
            breach("R3", "read() failed with errno %d; Read returned %zd errno %d", S.fault_errno, r, e);
        c->dpos = c->kpos; /* whatever was read before is Read's caller's, not ours to check */
        free(buf);
        return;
    }
    if (r < 0)
        breach(e == EINTR ? "R2" : "R1", "Read returned -1 errno %d with no failure injected", e);
    if (n > 0 && r != c->last_read)
        breach("R1", "Read returned %zd, the last read() returned %zd", r, c->last_read);
    if ((size_t)r > n || c->dpos + (size_t)r != c->kpos)
        breach("R1", "Read(%zu) returned %zd but %zu bytes left the stream", n, r, c->kpos - c->dpos);
    if (r == 0 && n > 0 && c->dpos < c->len)
        breach("R1", "Read returned 0 (end) with %zu bytes still in the stream", c->len - c->dpos);
    for (ssize_t i = 0; i < r; i++)
        if (buf[i] != stream_at(c, c->dpos + (size_t)i))
            breach("R1", "Read byte %zd differs", i);
    c->dpos += (size_t)r;
    free(buf);
}

static void op_write(struct fconn *c, size_t n, int all)
{
    unsigned char *src = malloc(n ? n : 1);
    if (!src)
        return;
    for (size_t i = 0; i < n; i++)
        src[i] = S.pool_len ? S.pool[(S.pool_cursor + i) % S.pool_len] : (uint8_t)i;
    S.wbuf = malloc(n ? n : 1);
    S.wcap = n;
    S.wlen = 0;
    S.wfd = c->fd;
    S.fault_errno = 0;
    errno = 0;
    ssize_t r = all ? Writen(c->fd, src, n) : Write(c->fd, src, n);
    int e = errno;
    const char *ok = all ? "WN1" : "W1", *bad = all ? "WN3" : "W3";
    if (memcmp(S.wbuf, src, S.wlen) != 0)
        breach(all ? "WN1/WN2" : "W1", "the bytes written are not the bytes given");
    if (S.fault_errno) {
        if (r != -1 || e != S.fault_errno)
            breach(bad, "write() failed with errno %d; returned %zd errno %d", S.fault_errno, r, e);
    } else if (all) {
        if (r != (ssize_t)n || S.wlen != n)
            breach(r < 0 && e == EINTR ? "WN2" : ok, "Writen(%zu) returned %zd, %zu bytes written", n, r, S.wlen);
    } else {
        if (r < 0 || (size_t)r != S.wlen)
            breach(r < 0 && e == EINTR ? "W2" : ok, "Write(%zu) returned %zd, %zu bytes written", n, r, S.wlen);
    }
    free(S.wbuf);
    S.wbuf = NULL;
    S.wfd = -1;
    free(src);
}

static void op_close(struct fconn *c, size_t newlen)
{
    S.fault_errno = 0;
    size_t sp = S.script_pos;
    unsigned peek = sp < S.script_len ? S.script[sp] & 7 : 0;
    errno = 0;
    int r = Close(c->fd);
    int e = errno;
    if (c->close_calls != 1)
        breach("CL1", "Close called close() %d times", c->close_calls);
    /* CL1: the state goes before close(): once close() runs, another
     * thread may get the number. A block freed after it is that state. */
    if (S.live_allocs < S.allocs_at_close)
        breach("CL1", "Close freed %ld blocks after calling close() (drop the state first)",
               S.allocs_at_close - S.live_allocs);
    if (peek == 6) {
        if (r != -1 || e != EIO)
            breach("CL1", "close() failed with EIO; Close returned %d errno %d", r, e);
    } else if (r != 0) {
        breach("CL1", "close() %s; Close returned %d errno %d",
               peek == 3 ? "failed with EINTR (fd released)" : "succeeded", r, e);
    }
    open_conn(c, newlen); /* L9: a new connection on the same number */
}

/* A1-A2: Accept retries EINTR and ECONNABORTED (and may retry EPROTO);
 * other failures come back as -1 with errno; success gives a descriptor.
 * C1-C3: Connect returns 0 once connected; after EINTR it waits (poll,
 * SO_ERROR) and never calls connect() again; failures keep their errno. */
static void op_socket(unsigned arg)
{
    S.accept_calls = S.connect_calls = S.connect_pending = 0;
    S.so_error = 0;
    if (arg & 1) {
        size_t sp = S.script_pos;
        struct sockaddr_in sa;
        socklen_t len = sizeof sa;
        errno = 0;
        int r = Accept(S.sock_fd, (struct sockaddr *)&sa, &len);
        int e = errno;
        /* Replay the script to learn what Accept was given. */
        int want = -1, last = 0;
        for (int i = 0; i < 64; i++) {
            int ae = accept_errs[(sp + (size_t)i < S.script_len ? S.script[sp + (size_t)i] : 0) & 7];
            if (ae == EINTR || ae == ECONNABORTED)
                continue;
            if (ae == EPROTO && !(r < 0 && e == EPROTO))
                continue; /* retried: allowed (A1 "may also retry") */
            want = ae;
            last = i;
            break;
        }
        (void)last;
        if (want == 0 || want == -1) {
            if (r < 0)
                breach(e == EINTR || e == ECONNABORTED ? "A1" : "A2",
                       "Accept returned -1 errno %d after only retryable failures", e);
            close(r);
        } else {
            if (r >= 0) {
                close(r);
                breach("A2", "Accept returned %d; accept() failed with errno %d", r, want);
            }
            if (e != want)
                breach(want == EPROTO ? "A1" : "A2", "Accept: errno %d, accept() failed with %d", e, want);
        }
        return;
    }
    size_t sp = S.script_pos;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    errno = 0;
    int r = Connect(S.sock_fd, (struct sockaddr *)&sa, sizeof sa);
    int e = errno;
    if (S.connect_calls != 1)
        breach("C2", "Connect called connect() %d times", S.connect_calls);
    int first = connect_errs[(sp < S.script_len ? S.script[sp] : 0) & 7];
    int want = first == EINTR ? 0 : first;
    if (first == EINTR) {
        unsigned b = sp + 1 < S.script_len ? S.script[sp + 1] : 0;
        want = (b & 3) == 1 ? ECONNREFUSED : (b & 3) == 2 ? ETIMEDOUT : 0;
    }
    if (want == 0 && r != 0)
        breach(first == EINTR ? "C2" : "C1", "Connect returned %d errno %d; the connection was made", r, e);
    if (want != 0 && (r != -1 || e != want))
        breach(first == EINTR ? "C2" : "C3", "Connect returned %d errno %d; want -1 errno %d", r, e, want);
}

static void reserve_fds(void)
{
    for (int i = 0; i <= NFD; i++) {
        if (reserved[i] >= 0)
            continue;
        reserved[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (reserved[i] < 0) {
            perror("fuzz_wrap: /dev/null");
            abort();
        }
    }
}

void wrap_check_input(const uint8_t *data, size_t size)
{
    struct in in = {data, size, 0};
    reserve_fds();
    memset(&S, 0, sizeof S);
    S.wfd = -1;
    S.sock_fd = reserved[NFD];
    unsigned flags = u8(&in);
    size_t pool_len = u16(&in) % 4096, script_len = u16(&in) % 4096;
    size_t len0 = u16(&in) % 8192, len1 = u16(&in) % 8192;
    S.pool = take(&in, pool_len, &S.pool_len);
    S.script = take(&in, script_len, &S.script_len);
    S.nfd = (flags & 1) ? 2 : 1;
    for (int i = 0; i < NFD; i++)
        S.c[i].fd = i < S.nfd ? reserved[i] : -1;
    open_conn(&S.c[0], len0);
    if (S.nfd == 2)
        open_conn(&S.c[1], len1);

    while (in.pos < in.n) {
        unsigned op = u8(&in), arg = u8(&in);
        struct fconn *c = &S.c[(op >> 3) & (unsigned)(S.nfd - 1)];
        S.op_no++;
        switch (op & 7) {
        case 0: op_readline(c, size_arg(arg)); break;
        case 5: op_socket(arg); break;
        case 1: op_readn(c, size_arg(arg)); break;
        case 2: op_read(c, size_arg(arg)); break;
        case 3: op_write(c, size_arg(arg), 1); break;
        case 4: op_close(c, size_arg(arg) * 3); break;
        case 6: op_write(c, size_arg(arg), 0); break;
        case 7: op_readline(c, (size_t)arg * 64 + 2); break;
        }
    }
    /* M1: once every descriptor went through Close, nothing is held. */
    S.script_len = S.script_pos; /* no more faults */
    for (int i = 0; i < S.nfd; i++) {
        if (Close(S.c[i].fd) != 0)
            breach("CL1", "final Close(%d) failed: %s", S.c[i].fd, strerror(errno));
    }
    if (S.live_allocs != 0)
        breach("M1", "%ld heap blocks still held after every descriptor was Closed", S.live_allocs);
    for (int i = 0; i < NFD; i++)
        S.c[i].fd = -1;
}

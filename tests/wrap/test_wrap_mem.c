/* test_wrap_mem.c: M1, and the "before close()" half of CL1.
 *
 * Linked with -Wl,--wrap=malloc,calloc,realloc,free,... so that every heap
 * call the library makes goes through the counters below (this file and
 * wtest.c allocate nothing themselves). Also --wrap=close, to look at the
 * library from inside its own close() call. */
#include "wtest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif

/* ---- allocation tracking: a set of live pointers ---- */

#define SLOTS 65536
static void *live[SLOTS];
static long nlive;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(void *p)
{
    return ((uintptr_t)p >> 4) * 2654435761u % SLOTS;
}

static void track(void *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&mu);
    size_t i = slot_of(p);
    while (live[i] != NULL)
        i = (i + 1) % SLOTS;
    live[i] = p;
    nlive++;
    pthread_mutex_unlock(&mu);
}

static void untrack(void *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&mu);
    for (size_t i = slot_of(p), k = 0; k < SLOTS; i = (i + 1) % SLOTS, k++) {
        if (live[i] == NULL)
            break;
        if (live[i] == p) {
            /* delete and re-insert the rest of the cluster */
            live[i] = NULL;
            nlive--;
            for (size_t j = (i + 1) % SLOTS; live[j] != NULL; j = (j + 1) % SLOTS) {
                void *q = live[j];
                live[j] = NULL;
                size_t h = slot_of(q);
                while (live[h] != NULL)
                    h = (h + 1) % SLOTS;
                live[h] = q;
            }
            break;
        }
    }
    pthread_mutex_unlock(&mu);
}

static long outstanding(void)
{
    pthread_mutex_lock(&mu);
    long n = nlive;
    pthread_mutex_unlock(&mu);
    return n;
}

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_reallocarray(void *, size_t, size_t);
void __real_free(void *);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);
int __real_close(int);

/* Allocation failure on demand: the FAIL_AT-th allocation from now fails
 * (0: none). */
static int fail_at;

static int failing(void)
{
    if (fail_at > 0 && --fail_at == 0) {
        errno = ENOMEM;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n)
{
    if (failing())
        return NULL;
    void *p = __real_malloc(n);
    track(p);
    return p;
}

void *__wrap_calloc(size_t a, size_t b)
{
    if (failing())
        return NULL;
    void *p = __real_calloc(a, b);
    track(p);
    return p;
}
void __wrap_free(void *p) { untrack(p); __real_free(p); }
char *__wrap_strdup(const char *s) { char *p = __real_strdup(s); track(p); return p; }
char *__wrap_strndup(const char *s, size_t n) { char *p = __real_strndup(s, n); track(p); return p; }
void *__wrap_aligned_alloc(size_t a, size_t n) { void *p = __real_aligned_alloc(a, n); track(p); return p; }

void *__wrap_realloc(void *old, size_t n)
{
    if (failing())
        return NULL;
    void *p = __real_realloc(old, n);
    if (p != NULL || n == 0)
        untrack(old);
    track(p);
    return p;
}

void *__wrap_reallocarray(void *old, size_t a, size_t b)
{
    void *p = __real_reallocarray(old, a, b);
    if (p != NULL)
        untrack(old);
    track(p);
    return p;
}

int __wrap_posix_memalign(void **pp, size_t a, size_t n)
{
    int r = __real_posix_memalign(pp, a, n);
    if (r == 0)
        track(*pp);
    return r;
}

/* ---- CL1: a close() hook that reuses the number at once ---- */

static int hook_fd = -1;
static int hook_peer = -1;
static int hook_state;          /* 0 idle, 1 read in flight, 2 done */
static char hook_line[64];
static ssize_t hook_ret;
static pthread_t hook_th;

static void *hook_reader(void *arg)
{
    (void)arg;
    hook_ret = Readline(hook_fd, hook_line, sizeof hook_line);
    __atomic_store_n(&hook_state, 2, __ATOMIC_RELEASE);
    return NULL;
}

int __wrap_close(int fd)
{
    int r, p[2];

    if (fd != hook_fd || hook_state != 0)
        return __real_close(fd);
    /* the library's close(): close for real, then "another thread" gets
     * the same number at once, for a new connection with fresh bytes */
    r = __real_close(fd);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) < 0)
        return r;
    if (p[0] != fd) {
        dup2(p[0], fd);
        __real_close(p[0]);
    }
    hook_peer = p[1];
    fi_t_rcv_timeout(fd, 5000);
    fi_t_write_all(hook_peer, "fresh\n", 6);
    hook_state = 1;
    pthread_create(&hook_th, NULL, hook_reader, NULL);
    /* wait (1 s at most: a lock held across close() would block it) */
    for (int i = 0; i < 1000 && __atomic_load_n(&hook_state, __ATOMIC_ACQUIRE) != 2; i++)
        usleep(1000);
    return r;
}

static void CL1_state_dropped_before_close(void **state)
{
    (void)state;
    fi_t_need_readline(0);
    int p[2];
    char buf[64];

    fi_t_pair_unix(p);
    fi_t_rcv_timeout(p[0], 3000);
    fi_t_write_all(p[1], "first\nold-bytes\n", 16);
    expect_ret(Readline(p[0], buf, sizeof buf), 6);
    hook_fd = p[0];
    hook_state = 0;
    expect_ret(Close(p[0]), 0);
    if (hook_state == 0)
        fail_msg("Close did not call close() on the descriptor");
    pthread_join(hook_th, NULL);
    if (hook_ret != 6 || memcmp(hook_line, "fresh\n", 6) != 0)
        fail_msg("a thread that got the number during close() read %zd bytes "
                 "'%.20s', not the new connection's \"fresh\\n\": state was "
                 "dropped after close()", hook_ret, hook_ret > 0 ? hook_line : "");
    hook_fd = -1;
    Close(p[0]);
    close(p[1]);
    close(hook_peer);
}

/* ---- M1 ---- */

/* Blocks Valgrind sees in use (reachable or not); 0 without Valgrind. */
static unsigned long vg_blocks(void)
{
#ifdef VALGRIND_COUNT_LEAK_BLOCKS
    unsigned long leaked = 0, dubious = 0, reachable = 0, suppressed = 0;
    VALGRIND_DO_QUICK_LEAK_CHECK;
    VALGRIND_COUNT_LEAK_BLOCKS(leaked, dubious, reachable, suppressed);
    (void)suppressed;
    return leaked + dubious + reachable;
#else
    return 0;
#endif
}

/* M1 judges the heap only: what the calls return is other rows' business,
 * so nothing here asserts it, and every read end is non-blocking (a
 * library that got the stream wrong returns EAGAIN rather than hang).
 * Only inputs that take no error path (wrap-contract.md: a candidate that
 * exits on an error fails that error's row, not M1); the failed calls are
 * M1_no_heap_after_failed_calls'. */
static void M1_no_heap_after_every_close(void **state)
{
    (void)state;
    enum { N = 6 };
    int a[N][2];
    char buf[512];
    static char longline[100001], big[100001];
    long before = outstanding();
    unsigned long vg_before = vg_blocks();

    for (int i = 0; i < N - 1; i++)
        fi_t_pair_unix(a[i]);
    fi_t_pair_pipe(a[N - 1]);       /* room for the long line: no writer */
    if (fcntl(a[N - 1][1], F_SETPIPE_SZ, 1 << 20) < (int)sizeof longline)
        not_judged("a pipe of 1 MiB is refused: %s", strerror(errno));
    for (int i = 0; i < N; i++)
        fi_t_set_nonblock(a[i][0]);
    memset(longline, 'L', sizeof longline - 1);
    longline[sizeof longline - 2] = '\n';
    fi_t_write_all(a[0][1], "one\ntwo\nthree", 13);    /* leftovers */
    Readline(a[0][0], buf, sizeof buf);
    fi_t_write_all(a[1][1], "x\nyyyy", 6);             /* Readline then Readn */
    Readline(a[1][0], buf, sizeof buf);
    Readn(a[1][0], buf, 2);
    fi_t_write_all(a[2][1], "part", 4);                 /* partial line, end */
    shutdown(a[2][1], SHUT_WR);
    Readline(a[2][0], buf, sizeof buf);
    fi_t_write_all(a[3][1], "abc", 3);                  /* short Readn, end */
    shutdown(a[3][1], SHUT_WR);
    Readn(a[3][0], buf, 10);
    shutdown(a[4][1], SHUT_WR);                         /* end of stream */
    Readline(a[4][0], buf, sizeof buf);
    fi_t_write_all(a[5][1], longline, sizeof longline - 1);  /* a long line */
    fi_t_write_all(a[5][1], "short\n", 6);
    Readline(a[5][0], big, sizeof big);
    Readline(a[5][0], buf, 3);
    for (int i = 0; i < N; i++) {
        Close(a[i][0]);
        Close(a[i][1]);
    }
    if (outstanding() != before)
        fail_msg("%ld heap blocks still held by the library after every "
                 "descriptor went through Close", outstanding() - before);
    if (vg_blocks() != vg_before)   /* Valgrind's count, allocations of libc too */
        fail_msg("Valgrind: %ld more heap blocks in use after every descriptor "
                 "went through Close", (long)(vg_blocks() - vg_before));
}

/* The same after calls that fail: EAGAIN mid-line (Readline) and mid-read
 * (Readn), maxlen 1. A candidate that exits on them fails L6/N4/L11; here
 * that exit leaves the heap unjudged. */
static void M1_no_heap_after_failed_calls(void **state)
{
    (void)state;
    int a[3][2];
    char buf[64];
    long before = outstanding();
    unsigned long vg_before = vg_blocks();

    for (int i = 0; i < 3; i++) {
        fi_t_pair_unix(a[i]);
        fi_t_set_nonblock(a[i][0]);
    }
    fi_t_write_all(a[0][1], "part", 4);
    fi_t_write_all(a[1][1], "abc", 3);
    fi_t_write_all(a[2][1], "kept\n", 5);
    fi_t_exit_not_mine("an exit on a failed Readline or Readn (EAGAIN) or on "
                       "Readline(maxlen 1) is L6's, N4's or L11's failure (see "
                       "those rows); the heap after failed calls is not judged");
    Readline(a[0][0], buf, sizeof buf);     /* EAGAIN after "part" */
    Readn(a[1][0], buf, 10);                /* EAGAIN after "abc" */
    Readline(a[2][0], buf, 1);              /* EINVAL */
    for (int i = 0; i < 3; i++) {
        Close(a[i][0]);
        Close(a[i][1]);
    }
    if (outstanding() != before)
        fail_msg("%ld heap blocks still held by the library after failed calls "
                 "and every descriptor went through Close", outstanding() - before);
    if (vg_blocks() != vg_before)
        fail_msg("Valgrind: %ld more heap blocks in use after failed calls and "
                 "Close", (long)(vg_blocks() - vg_before));
}

static void *thread_lines(void *arg)
{
    int *p = arg;
    char buf[64];
    for (int i = 0; i < 200; i++) {
        fi_t_write_all(p[1], "a line\nand more\n", 16);
        Readline(p[0], buf, sizeof buf);    /* "a line\n" */
        Readline(p[0], buf, 9);             /* "and more" */
        Readline(p[0], buf, sizeof buf);    /* "\n" */
    }
    return NULL;
}

/* Memory a library keeps per thread must go too. The threads run one after
 * another: whether threads at once are safe is T1's question. */
static void M1_no_heap_after_threads_close(void **state)
{
    (void)state;
    int p[4][2];
    pthread_t th;
    long before = outstanding();

    for (int i = 0; i < 4; i++) {
        fi_t_pair_unix(p[i]);
        fi_t_set_nonblock(p[i][0]);
        pthread_create(&th, NULL, thread_lines, p[i]);
        pthread_join(th, NULL);
    }
    for (int i = 0; i < 4; i++) {
        Close(p[i][0]);
        Close(p[i][1]);
    }
    if (outstanding() != before)
        fail_msg("%ld heap blocks still held after threads Closed every "
                 "descriptor", outstanding() - before);
}

/* ---- running out of memory ---- */

static void L6_allocation_failure_loses_nothing(void **state)
{
    (void)state;
    fi_t_need_readline(1);
    static char longl[40001], buf[50000];

    memset(longl, 'm', sizeof longl - 1);
    longl[sizeof longl - 2] = '\n';
    for (int k = 1; k <= 6; k++) {
        int p[2];
        fi_t_pair_unix(p);
        if (k > 3) {            /* a high number too, whatever the table */
            struct rlimit rl;
            getrlimit(RLIMIT_NOFILE, &rl);
            if (rl.rlim_cur > 3000 && dup2(p[0], 3000) == 3000) {
                close(p[0]);
                p[0] = 3000;
            }
        }
        fi_t_rcv_timeout(p[0], 3000);
        fi_t_write_all(p[1], "short line\n", 11);
        pid_t pid = fork();
        if (pid == 0) {
            fi_t_write_all(p[1], longl, sizeof longl - 1);
            wrap_exit(0);
        }
        const char *exp[] = { "short line\n", longl };
        for (int i = 0; i < 2; i++) {
            ssize_t r;
            fail_at = (k - 1) % 3 + 1;  /* the 1st, 2nd or 3rd allocation fails */
            r = Readline(p[0], buf, sizeof buf);
            fail_at = 0;
            if (r == -1) {
                if (errno != ENOMEM)
                    fail_msg("allocation %d failing: Readline errno %s", k,
                             strerror(errno));
                r = Readline(p[0], buf, sizeof buf);
            }
            if (r != (ssize_t)strlen(exp[i]) || memcmp(buf, exp[i], (size_t)r))
                fail_msg("allocation %d failing: line %d came back as %zd "
                         "bytes", k, i, r);
        }
        waitpid(pid, NULL, 0);
        Close(p[0]);
        close(p[1]);
    }
}

static void N4_errno_kept_when_memory_runs_out(void **state)
{
    (void)state;
    fi_t_need_readn();
    char buf[64];

    for (int k = 1; k <= 3; k++) {
        int p[2];
        fi_t_pair_unix(p);
        fi_t_set_nonblock(p[0]);
        fi_t_write_all(p[1], "abcdef", 6);
        fail_at = k;
        errno = 0;
        ssize_t r = Readn(p[0], buf, sizeof buf);
        int e = errno;
        fail_at = 0;
        if (r != -1 || e != EAGAIN)
            fail_msg("allocation %d failing: Readn returned %zd errno %s, "
                     "want -1 EAGAIN", k, r, strerror(e));
        Close(p[0]);
        close(p[1]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(M1_no_heap_after_every_close),
        cmocka_unit_test(M1_no_heap_after_failed_calls),
        cmocka_unit_test(M1_no_heap_after_threads_close),
        cmocka_unit_test(CL1_state_dropped_before_close),
        cmocka_unit_test(L6_allocation_failure_loses_nothing),
        cmocka_unit_test(N4_errno_kept_when_memory_runs_out),
    };
    return WRAP_RUN(tests);
}

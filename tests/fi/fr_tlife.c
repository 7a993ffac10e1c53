/* fr_tlife: the process lifecycle under the trace backend (test_trace_life),
 * built -static by gcc and by musl-gcc, and dynamic under -fsanitize=thread
 * (tests/fi.mk). Every case checks its own bytes (8-byte rounds over a
 * socketpair, each read that returns less said) and prints what it saw.
 *   fork N          parent and a forked child each make N rounds on their
 *                   own socketpair: "parent|child pid P ok N rounds, R reads"
 *   vfork PROG ARG..  vfork, exec PROG ARG.. in the child: "vforked C", then
 *                   "child exited S"; exits S
 *   threads N R     N threads, R rounds each on their own socketpair:
 *                   "thread TID ok R rounds, X reads"; then "ok N threads"
 *   midcall         a thread blocks in a read nobody answers ("blocked tid
 *                   T"); once it is in the call, the process exits 7
 *   execthread PROG ARG..  "pid P"; a second thread execs PROG ARG.. once
 *                   the main thread is blocked in a read
 *   urg N           a forked sender sends N SIGURGs one at a time, each
 *                   once the last was caught (shared counter, 10 s bound),
 *                   and 64 bytes after every 10th, while this process
 *                   loops on blocking reads of them (SA_RESTART handler):
 *                   "urg N sent, M caught, B bytes ok in R reads"
 *   spin            "pid P", then blocks in a read nobody answers
 *   spinterm        the same with a SIGTERM handler: "got SIGTERM", exit 5
 *   spinall         "proc P" for itself and a forked child, each with a
 *                   second thread: all loop on rounds forever, whatever
 *                   the reads return (the kill tests)
 *   orphan          forks a child and exits 3 at once ("parent P child C");
 *                   the child waits until it is orphaned, then makes 5
 *                   rounds: "orphan ok 5 rounds, R reads"
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        exit(3);
    }
}

static long gettid_(void)
{
    return syscall(SYS_gettid);
}

/* One round: LEN bytes (a pattern from SEQ) written on A, read back on B
 * until all came; 0 when every byte is right. */
static int round_trip(int a, int b, size_t len, unsigned seq, int *reads)
{
    char out[64], in[64];
    if (len > sizeof out)
        return -1;
    for (size_t j = 0; j < len; j++)
        out[j] = (char)('a' + (seq * 13 + j) % 26);
    if (write(a, out, len) != (ssize_t)len)
        return -1;
    for (size_t got = 0; got < len;) {
        ssize_t r = read(b, in + got, len - got);
        ++*reads;
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return memcmp(in, out, len) == 0 ? 0 : -1;
}

static int rounds(const char *who, int n)
{
    int sv[2], reads = 0;
    pair(sv);
    for (int i = 0; i < n; i++)
        if (round_trip(sv[0], sv[1], 8, (unsigned)i, &reads) < 0) {
            printf("%s pid %d: round %d failed\n", who, (int)getpid(), i);
            return 1;
        }
    printf("%s pid %d ok %d rounds, %d reads\n", who, (int)getpid(), n, reads);
    return 0;
}

static int fork_case(int n)
{
    pid_t pid = fork();
    if (pid < 0)
        return 3;
    if (pid == 0)
        _exit(rounds("child", n));
    int bad = rounds("parent", n), st;
    waitpid(pid, &st, 0);
    return bad || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
}

static int vfork_case(char **argv)
{
    pid_t pid = vfork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0)
        return 3;
    printf("vforked %d\n", (int)pid);
    int st;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    printf("child exited %d\n", code);
    return code;
}

static int thread_rounds;

static void *thread_main(void *arg)
{
    int sv[2], reads = 0;
    (void)arg;
    pair(sv);
    for (int i = 0; i < thread_rounds; i++)
        if (round_trip(sv[0], sv[1], 8, (unsigned)i, &reads) < 0) {
            printf("thread %ld: round %d failed\n", gettid_(), i);
            return (void *)1;
        }
    printf("thread %ld ok %d rounds, %d reads\n", gettid_(), thread_rounds, reads);
    close(sv[0]);
    close(sv[1]);
    return NULL;
}

static int threads_case(int n, int r)
{
    pthread_t th[16];
    int bad = 0;
    if (n < 1 || n > 16)
        return 2;
    thread_rounds = r;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, thread_main, NULL) != 0)
            return 3;
    for (int i = 0; i < n; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        bad |= ret != NULL;
    }
    if (!bad)
        printf("ok %d threads\n", n);
    return bad;
}

static int silent[2];
static volatile long blocked_tid;

static void *block_main(void *arg)
{
    char c;
    (void)arg;
    blocked_tid = gettid_();
    printf("blocked tid %ld\n", blocked_tid);
    return (void *)(long)read(silent[1], &c, 1);
}

/* Whether thread TID sleeps in system call NR: its /proc syscall line
 * ("NR ARGS...", "-1 SP PC" between calls, "running") and its state S
 * (not t: a tracee still at its seccomp stop has not been decided yet). */
static int in_call(long tid, long nr)
{
    char path[64], line[512] = "";
    snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int ok = fgets(line, sizeof line, f) != NULL && line[0] >= '0' && line[0] <= '9' &&
             atol(line) == nr;
    fclose(f);
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
    if (!ok || (f = fopen(path, "r")) == NULL)
        return 0;
    const char *paren = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    return paren != NULL && paren[1] == ' ' && paren[2] == 'S';
}

static void on_term(int sig)
{
    (void)sig;
    static const char said[] = "got SIGTERM\n";
    if (write(1, said, sizeof said - 1) < 0)
        _exit(6);
    _exit(5);
}

static int midcall_case(void)
{
    pthread_t th;
    pair(silent);
    if (pthread_create(&th, NULL, block_main, NULL) != 0)
        return 3;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (blocked_tid == 0 || !in_call(blocked_tid, SYS_read)) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 5) {
            printf("the thread never blocked\n");
            return 4;
        }
        sched_yield();
    }
    exit(7);                    /* exit_group: the thread dies in its read */
}

static char **exec_argv;

static void *exec_main(void *arg)
{
    (void)arg;
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!in_call(getpid(), SYS_read)) {      /* the main thread in its read */
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 5) {
            printf("the main thread never blocked\n");
            exit(4);
        }
        sched_yield();
    }
    execv(exec_argv[0], exec_argv);
    printf("exec: %s\n", strerror(errno));
    exit(127);
}

static int execthread_case(char **argv)
{
    pthread_t th;
    char c;
    exec_argv = argv;
    printf("pid %d\n", (int)getpid());
    pair(silent);
    if (pthread_create(&th, NULL, exec_main, NULL) != 0)
        return 3;
    return (int)read(silent[1], &c, 1);         /* the exec ends this thread */
}

static volatile long *caught;

static void on_urg(int sig)
{
    (void)sig;
    __atomic_fetch_add(caught, 1, __ATOMIC_SEQ_CST);
}

static int urg_case(long n)
{
    caught = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (caught == MAP_FAILED)
        return 3;
    struct sigaction sa = { .sa_handler = on_urg, .sa_flags = SA_RESTART };
    sigaction(SIGURG, &sa, NULL);
    int sv[2];
    pair(sv);
    pid_t me = getpid(), sender = fork();
    if (sender < 0)
        return 3;
    if (sender == 0) {
        struct timespec t0, now;
        char out[64];
        close(sv[1]);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 1; i <= n; i++) {
            kill(me, SIGURG);
            while (__atomic_load_n(caught, __ATOMIC_SEQ_CST) < i) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - t0.tv_sec > 10) {
                    printf("signal %ld was never caught\n", i);
                    _exit(1);           /* the reader sees the end of stream */
                }
                sched_yield();
            }
            if (i % 10 == 0) {
                for (int j = 0; j < 64; j++)
                    out[j] = (char)('a' + (i / 10 * 13 + j) % 26);
                if (write(sv[0], out, sizeof out) != (ssize_t)sizeof out)
                    _exit(1);
            }
        }
        _exit(0);
    }
    close(sv[0]);
    long bytes = 0, want = n / 10 * 64;
    int reads = 0, st;
    while (bytes < want) {
        char in[64];
        ssize_t r = read(sv[1], in, 64 - (size_t)(bytes % 64));
        reads++;
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            printf("read at byte %ld: %zd\n", bytes, r);
            break;
        }
        for (ssize_t j = 0; j < r; j++, bytes++)
            if (in[j] != (char)('a' + ((bytes / 64 + 1) * 13 + bytes % 64) % 26)) {
                printf("byte %ld differs\n", bytes);
                kill(sender, SIGKILL);
                return 1;
            }
    }
    waitpid(sender, &st, 0);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && bytes == want;
    printf("urg %ld sent, %ld caught, %ld bytes ok in %d reads\n", ok ? n : -1, *caught,
           bytes, reads);
    return !ok;
}

static void *spin_main(void *arg)
{
    int sv[2], reads = 0;
    (void)arg;
    pair(sv);
    for (unsigned seq = 0;; seq++)
        round_trip(sv[0], sv[1], 8, seq, &reads);      /* forever, whatever it returns */
    return NULL;
}

static int spinall_case(void)
{
    pid_t child = fork();
    if (child < 0)
        return 3;
    pthread_t th;
    if (pthread_create(&th, NULL, spin_main, NULL) != 0)
        return 3;
    printf("proc %d\n", (int)getpid());
    spin_main(NULL);
    return 0;
}

static int orphan_case(void)
{
    pid_t parent = getpid(), child = fork();
    if (child < 0)
        return 4;
    if (child > 0) {
        printf("parent %d child %d\n", (int)parent, (int)child);
        return 3;
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (getppid() == parent) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec > 5) {
            printf("never orphaned\n");
            return 1;
        }
        sched_yield();
    }
    return rounds("orphan", 5);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "fork") == 0)
        return fork_case(argc > 2 ? atoi(argv[2]) : 4);
    if (strcmp(what, "vfork") == 0 && argc > 2)
        return vfork_case(argv + 2);
    if (strcmp(what, "threads") == 0)
        return threads_case(argc > 2 ? atoi(argv[2]) : 4, argc > 3 ? atoi(argv[3]) : 8);
    if (strcmp(what, "midcall") == 0)
        return midcall_case();
    if (strcmp(what, "execthread") == 0 && argc > 2)
        return execthread_case(argv + 2);
    if (strcmp(what, "urg") == 0)
        return urg_case(argc > 2 ? atol(argv[2]) : 1000);
    if (strcmp(what, "spin") == 0 || strcmp(what, "spinterm") == 0) {
        char c;
        if (strcmp(what, "spinterm") == 0)
            signal(SIGTERM, on_term);
        pair(silent);
        printf("pid %d\n", (int)getpid());
        return (int)read(silent[1], &c, 1);
    }
    if (strcmp(what, "spinall") == 0)
        return spinall_case();
    if (strcmp(what, "orphan") == 0)
        return orphan_case();
    fprintf(stderr, "fr_tlife: unknown case '%s'\n", what);
    return 2;
}

/* serverctl.c: starting, watching and stopping the server under test. */
#include "serverctl.h"
#include "clock.h"
#include "logparse.h"
#include "netio.h"
#include "procstat.h"
#include "proc_spawn.h"
#include "traced.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct suite_cfg cfg;

enum { MAX_ARGS = 16, S6_MS = 2000, MAX_INODES = 64, MAX_PORTS = 8 };

static struct server *current;

static int children_of(pid_t pid, pid_t *out, int n, int max);
static void kill_descendants(pid_t pid);
static int run_no;

struct server *harness_current(void)
{
    return current;
}

/* ---- namespaces ---- */

static int lo_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return r;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Root in a new user namespace, mapped to our own uid and gid. */
static int enter_userns(void)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
        return -1;
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
    if (write_file("/proc/self/uid_map", map) < 0)
        return -1;
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
    return write_file("/proc/self/gid_map", map);
}

/* This thread (and what it forks from now on) into a fresh network
 * namespace with lo up; the previous one goes away with its last process,
 * TIME_WAIT sockets included. */
static int fresh_netns(char *why, size_t whylen)
{
    if (cfg.netns == NULL)
        return 0;
    if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) {
        snprintf(why, whylen, "cannot make a network namespace (%s): %s", cfg.netns,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int harness_init(char *why, size_t whylen)
{
    /* Orphans of a server killed mid-test come to us, to be reaped. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    snprintf(cfg.tmpdir, sizeof cfg.tmpdir, "/tmp/check-server-XXXXXX");
    if (mkdtemp(cfg.tmpdir) == NULL) {
        snprintf(why, whylen, "mkdtemp %s: %s", cfg.tmpdir, strerror(errno));
        cfg.tmpdir[0] = '\0';
        return -1;
    }
    if (getenv("SERVER_SUITE_NO_NETNS") == NULL) {
        if (unshare(CLONE_NEWNET) == 0 && lo_up() == 0)
            cfg.netns = "net";
        else if (enter_userns() == 0 && lo_up() == 0)
            cfg.netns = "user+net";
    }
    if (cfg.netns == NULL)
        fprintf(stderr, "note: no network namespace (neither CLONE_NEWNET as root nor a user "
                        "namespace is allowed here): servers share this host's loopback, so a "
                        "server with a hard-coded port may find it taken or in TIME_WAIT\n");
    return 0;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int harness_can_inject(void)
{
    return cfg.shim != NULL || cfg.traced;
}

void harness_cleanup(void)
{
    if (current && current->sup > 0 && !current->exited) {
        kill_descendants(current->pid);
        if (current->pid > 0)
            kill(current->pid, SIGKILL);
        kill(current->sup, SIGKILL);        /* faultrun: its tracees die with it */
        waitpid(current->sup, NULL, 0);     /* SIGKILL: it cannot refuse */
    }
    /* A killed descendant may still be dying, and the shim opens its log
     * for each line (O_CREAT): remove until the folder is gone, 5 s at most. */
    long long deadline = now_ms() + 5000;
    while (cfg.tmpdir[0]) {
        remove_tree(cfg.tmpdir);
        if (access(cfg.tmpdir, F_OK) != 0 || now_ms() > deadline)
            break;
        nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
    }
    cfg.tmpdir[0] = '\0';
}

/* ---- where it listens ---- */

/* Socket inodes among PID's descriptors. */
static int socket_inodes(pid_t pid, unsigned long *ino, int max)
{
    char path[64], link[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        char fdpath[330];
        snprintf(fdpath, sizeof fdpath, "%s/%s", path, e->d_name);
        ssize_t len = readlink(fdpath, link, sizeof link - 1);
        if (len <= 0)
            continue;
        link[len] = '\0';
        if (sscanf(link, "socket:[%lu]", &ino[n]) == 1)
            n++;
    }
    closedir(d);
    return n;
}

/* Listening TCP sockets in PID's network namespace, from
 * /proc/PID/net/tcp{,6}: their inodes and ports. */
static int listeners_q(pid_t pid, unsigned long *ino, int *ports, unsigned *rxq, int max);

static int listeners(pid_t pid, unsigned long *ino, int *ports, int max)
{
    return listeners_q(pid, ino, ports, NULL, max);
}

/* ... and RXQ: for a listener, the connections waiting in its accept queue. */
static int listeners_q(pid_t pid, unsigned long *ino, int *ports, unsigned *rxq, int max)
{
    int n = 0;
    for (int v = 0; v < 2; v++) {
        char path[64], line[512];
        snprintf(path, sizeof path, "/proc/%d/net/%s", (int)pid, v ? "tcp6" : "tcp");
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        while (fgets(line, sizeof line, f) && n < max) {
            char local[64];
            unsigned st, tx, rx;
            unsigned long inode;
            /* sl local rem st tx:rx tr:when retr uid timeout inode */
            if (sscanf(line, " %*s %63s %*s %x %x:%x %*s %*s %*s %*s %lu", local, &st, &tx, &rx,
                       &inode) != 5)
                continue;
            char *colon = strrchr(local, ':');
            if (st != TCP_ST_LISTEN || colon == NULL)
                continue;
            if (rxq)
                rxq[n] = rx;
            ino[n] = inode;
            ports[n++] = (int)strtol(colon + 1, NULL, 16);
        }
        fclose(f);
    }
    return n;
}

/* Ports of PID's own listening sockets (its descriptors matched by inode). */
static int listening_ports(pid_t pid, int *ports, int max)
{
    unsigned long mine[MAX_INODES], lino[MAX_INODES];
    int lport[MAX_INODES];
    int nmine = socket_inodes(pid, mine, MAX_INODES), n = 0;
    int nl = nmine ? listeners(pid, lino, lport, MAX_INODES) : 0;
    for (int i = 0; i < nl && n < max; i++)
        for (int k = 0; k < nmine; k++)
            if (lino[i] == mine[k]) {
                ports[n++] = lport[i];
                break;
            }
    return n;
}

int server_wait_accepted(const struct server *s, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        unsigned long ino[MAX_INODES];
        int ports[MAX_INODES];
        unsigned rxq[MAX_INODES];
        unsigned waiting = 0;
        int n = listeners_q(s->pid, ino, ports, rxq, MAX_INODES);
        for (int i = 0; i < n; i++)
            if (ports[i] == s->port)
                waiting += rxq[i];
        if (n > 0 && waiting == 0)
            return 0;
        if (ms_left(deadline) == 0 || !proc_alive(s->pid)) {
            errno = ETIMEDOUT;
            return -1;
        }
        poll(NULL, 0, 2);
    }
}

/* Waits for S to listen: on the port it was given, else on its own. */
static int wait_listen(struct server *s, int wait_ms)
{
    long long deadline = now_ms() + wait_ms;
    for (;;) {
        int ports[MAX_PORTS];
        int n = listening_ports(s->pid, ports, MAX_PORTS);
        if (n > 0) {
            s->port = ports[0];
            for (int i = 0; i < n; i++)
                if (ports[i] == s->given_port)
                    s->port = ports[i];
            return 0;
        }
        if (!proc_alive(s->pid)) {
            errno = ESRCH;
            return -1;
        }
        if (ms_left(deadline) == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        poll(NULL, 0, 2);
    }
}

int server_listening(const struct server *s)
{
    int ports[MAX_PORTS];
    int n = s->pid > 0 ? listening_ports(s->pid, ports, MAX_PORTS) : 0;
    for (int i = 0; i < n; i++)
        if (ports[i] == s->port)
            return 1;
    return 0;
}

static int shim_mapped(pid_t pid)
{
    if (cfg.shim == NULL)
        return 0;
    const char *base = strrchr(cfg.shim, '/');
    base = base ? base + 1 : cfg.shim;
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, base) != NULL;
    fclose(f);
    return found;
}

/* Samples fds and threads until two samples 10 ms apart agree (at most
 * ~200 ms): the baseline of S6, taken before the first client. */
static void baseline(struct server *s)
{
    int fds = proc_count_fds(s->pid), thr = proc_count_threads(s->pid);
    for (int i = 0; i < 20; i++) {
        poll(NULL, 0, 10);
        int f2 = proc_count_fds(s->pid), t2 = proc_count_threads(s->pid);
        if (f2 == fds && t2 == thr)
            break;
        fds = f2;
        thr = t2;
    }
    s->base_fds = fds;
    s->base_threads = thr;
}

/* For runtimes that start a helper thread at the server's first
 * pthread_create (TSan): one echo exchange before the baseline, then wait
 * for the fd count to come back. */
static void warm_up(struct server *s)
{
    int fds = proc_count_fds(s->pid);
    int fd = net_connect(s->port, 5000);
    if (fd >= 0) {
        char b = 'w';
        size_t got;
        net_write_all(fd, &b, 1, 5000);
        shutdown(fd, SHUT_WR);
        net_read_all(fd, &b, 1, &got, 5000);
        close(fd);
    }
    long long deadline = now_ms() + 2000;
    while (proc_count_fds(s->pid) > fds && ms_left(deadline) > 0)
        poll(NULL, 0, 5);
}

int server_start(struct server *s, const char *rules, const char *const *args,
                 const char *const *wrapper, int wait_ms, char *why, size_t whylen)
{
    memset(s, 0, sizeof *s);
    s->pid = s->sup = -1;
    current = s;
    if (fresh_netns(why, whylen) < 0)
        return -1;
    char portstr[16];
    char *argv[MAX_ARGS + 3];
    int n = 0;
    /* In a namespace of its own any port is free; without one, ask the kernel. */
    s->given_port = cfg.netns ? 7000 : net_free_port();
    snprintf(portstr, sizeof portstr, "%d", s->given_port);
    argv[n++] = (char *)cfg.server;
    argv[n++] = portstr;
    for (int i = 0; args && args[i] && n < MAX_ARGS; i++)
        argv[n++] = (char *)args[i];
    argv[n] = NULL;

    run_no++;
    snprintf(s->out, sizeof s->out, "%s/out.%d", cfg.tmpdir, run_no);
    struct spawn_opts o = { .wrapper = wrapper, .out = s->out };
    const char *tw[TRACED_WRAP_MAX];
    int traced = cfg.traced && wrapper == NULL;
    if (cfg.shim || traced)
        snprintf(s->log, sizeof s->log, "%s/faults.%d", cfg.tmpdir, run_no);
    if (traced) {
        /* the same rules, seed and log on faultrun's command line */
        traced_wrapper(cfg.faultrun, rules, s->log, tw);
        o.wrapper = tw;
    } else if (cfg.shim) {
        o.shim = cfg.shim;
        o.rules = rules;
        o.seed = 1;
        o.log = s->log;
    }
    s->sup = s->pid = spawn_program(argv, &o);
    if (s->pid < 0) {
        snprintf(why, whylen, "cannot start %s: %s", traced ? cfg.faultrun : cfg.server,
                 strerror(errno));
        return -1;
    }
    long long t0 = now_ms();
    if (traced)
        s->pid = traced_server_pid(s->sup, wait_ms);
    if (traced && s->pid < 0) {
        if (proc_wait(s->sup, 2000, &s->status) < 0) {
            proc_kill(s->sup);
            s->exited = 1;
            snprintf(why, whylen, "%s traced no process %d ms after it started", cfg.faultrun,
                     wait_ms);
            return -1;
        }
        s->exited = 1;
        /* exit 2 and a message, before the server ran: refused */
        s->refused = WIFEXITED(s->status) && WEXITSTATUS(s->status) == 2 &&
                     traced_refusal(s->out, why, whylen);
        if (s->refused)
            return -1;
    }
    if (s->pid > 0 && wait_listen(s, wait_ms) == 0) {
        /* The shim creates its log as it loads (filog.c): known even for a
         * server that is gone before /proc/PID/maps could be read. */
        s->shim_loaded = traced ? traced_by(s->pid, s->sup)
                                : shim_mapped(s->pid) || (s->log[0] && access(s->log, F_OK) == 0);
        if (cfg.warmup)
            warm_up(s);
        baseline(s);
        return 0;
    }
    if (server_alive(s))
        snprintf(why, whylen, "not listening on any TCP port %d ms after it started (it was "
                 "given port %d; no port of its own seen in /proc/%d/net/tcp either)",
                 wait_ms, s->given_port, (int)s->pid);
    else
        snprintf(why, whylen, "%s %lld ms after it started, before the suite saw it listen",
                 server_status_str(s), now_ms() - t0);
    return -1;
}

int server_alive(struct server *s)
{
    if (s->exited)
        return 0;
    if (s->sup <= 0)
        return 0;
    pid_t r = waitpid(s->sup, &s->status, WNOHANG);
    if (r == s->sup) {
        s->exited = 1;
        return 0;
    }
    if (s->sup != s->pid && !proc_alive(s->pid)) {
        /* the server is gone, faultrun waits for the rest it traces */
        traced_kill_rest(s->sup);
        if (proc_wait(s->sup, 2000, &s->status) < 0) {
            proc_kill(s->sup);
            s->status = SIGKILL;        /* faultrun itself hung: say killed */
        }
        s->exited = 1;
        return 0;
    }
    return 1;
}

int server_signal_wait(struct server *s, int sig, int timeout_ms, int *status)
{
    int st = 0;
    kill(s->pid, sig);
    int r = proc_wait(s->sup, timeout_ms, &st);
    if (r < 0) {
        if (s->sup != s->pid)
            kill(s->pid, SIGKILL);
        proc_kill(s->sup);
    }
    s->exited = 1;
    s->status = st;
    if (status)
        *status = st;
    return r;
}

const char *server_status_str(struct server *s)
{
    static char buf[64];
    if (!s->exited)
        return "running";
    return proc_status_str(s->status, buf, sizeof buf);
}

/* Every descendant of PID, killed; then every orphan that came to us
 * (this process is a child subreaper) reaped, so a server killed while
 * its children still served leaves nothing behind. */
static void kill_descendants(pid_t pid)
{
    pid_t procs[1024];
    int np = 0;
    if (pid > 0)
        np = children_of(pid, procs, 0, 1024);
    for (int i = 0; i < np && np < 1024; i++)
        np = children_of(procs[i], procs, np, 1024);
    for (int i = 0; i < np; i++)
        kill(procs[i], SIGKILL);
}

static void reap_orphans(void)
{
    long long deadline = now_ms() + 1000;
    for (;;) {
        pid_t r = waitpid(-1, NULL, WNOHANG);
        if (r > 0)
            continue;
        if (r < 0 || ms_left(deadline) == 0)
            return; /* ECHILD: none left */
        poll(NULL, 0, 2);
    }
}

const char *server_was(struct server *s)
{
    static char buf[80];
    const char *st = server_status_str(s);
    snprintf(buf, sizeof buf, "%s%s", strncmp(st, "killed", 6) == 0 ? "was " : "", st);
    return buf;
}

void server_stop(struct server *s)
{
    if (s->pid > 0 && !s->exited)
        kill_descendants(s->pid);
    if (s->sup > 0 && s->sup != s->pid && !s->exited && !proc_alive(s->pid))
        traced_kill_rest(s->sup);
    /* SIGTERM first, so that a coverage build writes its data at exit;
     * SIGKILL if it does not stop within 1 s (faultrun passes SIGTERM on
     * to the server; its tracees die with it). */
    if (s->sup > 0 && !s->exited)
        proc_stop(s->sup, SIGTERM, 1000, NULL);
    s->exited = 1;
    s->pid = s->sup = -1;
    reap_orphans();
    if (s->log[0])
        unlink(s->log);
    if (s->out[0])
        unlink(s->out);
    s->log[0] = '\0';
    s->out[0] = '\0';
    if (current == s)
        current = NULL;
}

/* ---- its output ---- */

/* A line is text when nearly all of it is printable: the server's own
 * messages; lines of echoed binary data are left out of the tail. */
static int is_text(const char *p, size_t n)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += isprint((unsigned char)p[i]) || p[i] == '\t';
    return n == 0 || ok * 10 >= n * 9;
}

static size_t put_escaped(char *buf, size_t used, size_t len, const char *p, size_t n)
{
    enum { WIDTH = 160 };
    for (size_t i = 0; i < n && used + 8 < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (i == WIDTH) {
            used += (size_t)snprintf(buf + used, len - used, "...");
            break;
        }
        if (c == '\\')
            used += (size_t)snprintf(buf + used, len - used, "\\\\");
        else if (isprint(c))
            buf[used++] = (char)c, buf[used] = '\0';
        else
            used += (size_t)snprintf(buf + used, len - used, "\\x%02x", c);
    }
    return used;
}

void server_log_tail(const struct server *s, int nlines, char *buf, size_t len)
{
    enum { TAIL = 65536 };
    buf[0] = '\0';
    if (s == NULL || !s->out[0] || len < 64)
        return;
    int fd = open(s->out, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    static char raw[TAIL];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > TAIL ? size - TAIL : 0;
    ssize_t n = pread(fd, raw, TAIL, from);
    close(fd);
    if (n <= 0)
        return;
    /* Walk back over the lines: keep the last NLINES text lines. */
    const char *keep[16];
    size_t klen[16];
    int nk = 0, binary = 0;
    ssize_t end = n;
    if (nlines > 16)
        nlines = 16;
    while (end > 0 && nk < nlines) {
        ssize_t b = end;
        while (b > 0 && raw[b - 1] != '\n')
            b--;
        if (b == 0 && from > 0)
            break; /* a cut line */
        size_t l = (size_t)(end - b);
        if (l > 0 && is_text(raw + b, l)) {
            keep[nk] = raw + b;
            klen[nk++] = l;
        } else if (l > 0) {
            binary++;
        }
        end = b > 0 ? b - 1 : 0;
    }
    size_t used = 0;
    for (int i = nk - 1; i >= 0 && used + 16 < len; i--) {
        used += (size_t)snprintf(buf + used, len - used, "%s        | ", used ? "\n" : "");
        used = put_escaped(buf, used, len, keep[i], klen[i]);
    }
    if (binary && used + 80 < len)
        snprintf(buf + used, len - used, "%s        (and %d%s lines of binary data, not shown)",
                 used ? "\n" : "", binary, end > 0 ? "+" : "");
}

/* ---- the shim's log ---- */

void server_fault_log(const struct server *s, struct fault_log *fl)
{
    memset(fl, 0, sizeof *fl);
    if (!s->log[0])
        return;
    FILE *f = fopen(s->log, "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        /* the log line as logparse.h reads it (a data call's line has
         * asked= and ret=); anything else is skipped */
        struct fi_logline l;
        char why[200];
        if (fi_logline_parse(line, strcspn(line, "\n"), &l, why, sizeof why) <= 0)
            continue;
        int pid = (int)l.pid, rule = l.rule, data = l.data;
        const char *call = fi_call_name(l.call);
        char fault[FI_LOG_FAULT_MAX];
        fi_fault_text(&l.fault, fault);
        fl->total++;
        if (rule >= 0 && rule < FL_RULES) {
            fl->by_rule[rule]++;
            fl->data_by_rule[rule] += data;
            fl->first_by_rule[rule] += l.n == 1;
        }
        int k;
        for (k = 0; k < fl->npids && fl->pids[k] != pid; k++)
            ;
        if (k == fl->npids && k < FL_PIDS)
            fl->pids[fl->npids++] = pid;
        if (k < FL_PIDS)
            fl->data_by_pid[k] += data;
        snprintf(fl->last_call, sizeof fl->last_call, "%s", call);
        snprintf(fl->last_fault, sizeof fl->last_fault, "%.*s",
                 (int)sizeof fl->last_fault - 1, fault);
        fl->last_pid = pid;
        if (pid == s->pid) {
            fl->main_total++;
            snprintf(fl->main_call, sizeof fl->main_call, "%s", call);
            snprintf(fl->main_fault, sizeof fl->main_fault, "%.*s",
                     (int)sizeof fl->main_fault - 1, fault);
        }
    }
    fclose(f);
}

long server_faults(const struct server *s)
{
    struct fault_log fl;
    server_fault_log(s, &fl);
    return fl.total;
}

/* ---- descriptors, children, leaks ---- */

/* Children of PID (all threads), appended to OUT. */
static int children_of(pid_t pid, pid_t *out, int n, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return n;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char cpath[330];
        snprintf(cpath, sizeof cpath, "%s/%s/children", path, e->d_name);
        FILE *f = fopen(cpath, "r");
        if (f == NULL)
            continue;
        int c;
        while (n < max && fscanf(f, "%d", &c) == 1)
            out[n++] = c;
        fclose(f);
    }
    closedir(d);
    return n;
}

int server_children(const struct server *s)
{
    return s->pid > 0 ? proc_count_descendants(s->pid) : 0;
}

int server_conn_nonblocking(const struct server *s)
{
    pid_t procs[256];
    unsigned long lino[MAX_INODES];
    int lport[MAX_INODES];
    int np = 0, found = 0;
    if (s->pid <= 0)
        return -1;
    int nl = listeners(s->pid, lino, lport, MAX_INODES);
    procs[np++] = s->pid;
    for (int i = 0; i < np && np < 256; i++)
        np = children_of(procs[i], procs, np, 256);
    for (int i = 0; i < np; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd", (int)procs[i]);
        DIR *d = opendir(path);
        if (d == NULL)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char fdpath[330], link[64], info[330], line[128];
            unsigned long ino;
            snprintf(fdpath, sizeof fdpath, "%s/%s", path, e->d_name);
            ssize_t len = readlink(fdpath, link, sizeof link - 1);
            if (len <= 0)
                continue;
            link[len] = '\0';
            if (sscanf(link, "socket:[%lu]", &ino) != 1)
                continue;
            int listening = 0;
            for (int k = 0; k < nl; k++)
                listening |= lino[k] == ino;
            if (listening)
                continue;
            snprintf(info, sizeof info, "/proc/%d/fdinfo/%s", (int)procs[i], e->d_name);
            FILE *f = fopen(info, "r");
            if (f == NULL)
                continue;
            unsigned flags = 0;
            while (fgets(line, sizeof line, f))
                if (sscanf(line, "flags: %o", &flags) == 1)
                    break;
            fclose(f);
            found = 1;
            if (flags & O_NONBLOCK) {
                closedir(d);
                return 1;
            }
        }
        closedir(d);
    }
    return found ? 0 : -1;
}

int server_check_leaks(struct server *s, char *why, size_t whylen)
{
    long long deadline = now_ms() + S6_MS;
    int z, fds, thr;
    for (;;) {
        if (!server_alive(s)) {
            snprintf(why, whylen, "server %s", server_status_str(s));
            return -1;
        }
        z = proc_count_zombies(s->pid);
        fds = proc_count_fds(s->pid);
        thr = proc_count_threads(s->pid);
        if (z == 0 && fds == s->base_fds && thr == s->base_threads)
            return 0;
        if (ms_left(deadline) == 0)
            break;
        poll(NULL, 0, 10);
    }
    if (z != 0)
        snprintf(why, whylen, "%d zombie children 2 s after the last client", z);
    else if (fds != s->base_fds)
        snprintf(why, whylen, "%d open fds 2 s after the last client, %d before the first", fds,
                 s->base_fds);
    else
        snprintf(why, whylen, "%d threads 2 s after the last client, %d before the first", thr,
                 s->base_threads);
    return -1;
}

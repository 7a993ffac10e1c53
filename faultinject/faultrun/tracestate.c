/* tracestate.c: the trace backend's processes, threads and descriptor
 * kinds (see tracestate.h). */
#include "tracestate.h"

#include "forkpath.h"
#include "tracedelay.h"
#include "traceepoll.h"
#include "traceshown.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct tr_run tr_run = { .log_fd = -1 };
static struct tproc *procs;
static struct tthread *threads[256];

static uint64_t host_stream(void *ctx)
{
    return ((struct tproc *)ctx)->stream;
}

/* A fresh engine for P's new image: the rules as loaded, counters at 0. */
void tr_engine_start(struct tproc *p)
{
    fi_decide_init(&p->eng, &p->host);
    fi_decide_seed(&p->eng, tr_run.opts->seed);
    fi_decide_counts(&p->eng, &tr_run.opts->run->c);
    fi_decide_set(&p->eng, &tr_run.opts->rs);
    fi_decide_replaying(&p->eng, tr_run.replaying);
}

struct tproc *tr_proc_find(pid_t pid)
{
    for (struct tproc *p = procs; p != NULL; p = p->next)
        if (p->pid == pid)
            return p;
    return NULL;
}

struct tproc *tr_proc_new(pid_t pid, const struct tproc *parent)
{
    struct tproc *p = calloc(1, sizeof *p);
    if (p == NULL) {
        fprintf(stderr, "faultrun: trace: out of memory\n");
        exit(2);
    }
    p->pid = pid;
    p->host = (struct fi_engine_host){ .ctx = p, .stream = host_stream };
    tf_host(p);
    if (tr_run.replaying) {
        p->host.replay = tr_run.replay;
        p->host.replay_refused = tr_run.replay_refused;
    }
    p->pidfd = ft_pidfd(pid);
    if (parent == NULL) {
        strcpy(p->path, "0");
        p->active = 1;
        tr_engine_start(p);
    } else {
        /* a forked child carries on with its own copy of the counters */
        struct tproc *pp = (struct tproc *)parent;
        fi_forkpath_child(parent->path, ++pp->children, p->path);
        memcpy(&p->eng, &parent->eng, sizeof p->eng);
        p->eng.host = &p->host;
        fi_decide_on_fork(&p->eng);
        p->execd = parent->execd;
        p->active = parent->active;
        p->restart = parent->restart;
        p->ep = te_copy(parent->ep);
        p->shown = ts_copy(parent->shown);
        p->fdst = tf_copy(parent->fdst);
    }
    p->stream = fi_forkpath_stream(p->path);
    p->next = procs;
    procs = p;
    return p;
}

static void proc_free(struct tproc *p)
{
    for (struct tproc **pp = &procs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (p->pidfd >= 0)
        close(p->pidfd);
    free(p->fds);
    te_free(p->ep);
    ts_free(p->shown);
    tf_free(p->fdst);
    free(p);
}

struct tthread *tr_thread_find(pid_t tid)
{
    for (struct tthread *t = threads[(unsigned)tid % 256]; t != NULL; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

struct tthread *tr_thread_add(pid_t tid, struct tproc *p)
{
    struct tthread *t = calloc(1, sizeof *t);
    if (t == NULL) {
        fprintf(stderr, "faultrun: trace: out of memory\n");
        exit(2);
    }
    t->tid = tid;
    t->p = p;
    p->threads++;
    t->next = threads[(unsigned)tid % 256];
    threads[(unsigned)tid % 256] = t;
    return t;
}

void tr_thread_gone(pid_t tid)
{
    td_forget(tid);                     /* a held delay= is over (tracedelay.h) */
    for (struct tthread **pt = &threads[(unsigned)tid % 256]; *pt != NULL; pt = &(*pt)->next)
        if ((*pt)->tid == tid) {
            struct tthread *t = *pt;
            *pt = t->next;
            if (--t->p->threads == 0)
                proc_free(t->p);
            free(t);
            return;
        }
}

/* TID, new or known: a thread of a traced process, or a new process
 * (the child of PARENT when known, else of its parent process). */
struct tthread *tr_adopt(pid_t tid, struct tproc *parent)
{
    struct tthread *t = tr_thread_find(tid);
    if (t != NULL)
        return t;
    pid_t ppid = -1, tgid = ft_tgid(tid, &ppid);
    struct tproc *own = tgid > 0 ? tr_proc_find(tgid) : NULL;
    if (own != NULL)
        return tr_thread_add(tid, own);
    if (parent == NULL && ppid > 0)
        parent = tr_proc_find(ppid);
    return tr_thread_add(tid, tr_proc_new(tgid > 0 ? tgid : tid, parent));
}

/* ---- what a descriptor is -------------------------------------------- */

static struct fdkind *kind_slot(struct tproc *p, int fd)
{
    if (fd < 0 || fd >= 65536)
        return NULL;
    if (fd >= p->nfds) {
        int n = fd < 64 ? 64 : fd * 2;
        struct fdkind *m = realloc(p->fds, (size_t)n * sizeof *m);
        if (m == NULL)
            return NULL;
        memset(m + p->nfds, 0, (size_t)(n - p->nfds) * sizeof *m);
        p->fds = m;
        p->nfds = n;
    }
    return &p->fds[fd];
}

/* FD's kind and, for a socket, its type (SO_TYPE on a copy, once per inode). */
int tr_classify(struct tcall *tc)
{
    struct stat st;
    tc->kind = FI_K_OTHER;
    tc->socktype = 0;
    if (ft_fd_stat(tc->p->pid, tc->fd, &st) < 0)
        return -1;
    tc->mode = st.st_mode;
    if (S_ISFIFO(st.st_mode))
        tc->kind = FI_K_PIPE;
    if (!S_ISSOCK(st.st_mode))
        return 0;
    tc->kind = FI_K_SOCK;
    struct fdkind *k = kind_slot(tc->p, tc->fd);
    if (k != NULL && k->valid && k->dev == st.st_dev && k->ino == st.st_ino) {
        tc->socktype = k->socktype;
        return 0;
    }
    int copy = ft_fd_copy(tc->p->pidfd, tc->fd);
    socklen_t len = sizeof tc->socktype;
    if (copy >= 0) {
        if (getsockopt(copy, SOL_SOCKET, SO_TYPE, &tc->socktype, &len) < 0)
            tc->socktype = 0;
        close(copy);
    }
    if (k != NULL)
        *k = (struct fdkind){ st.st_dev, st.st_ino, tc->socktype, 1 };
    return 0;
}

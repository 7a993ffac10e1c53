/* jobs.c: runs side by side for the sweep (see jobs.h). */
#include "jobs.h"

#include "launch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* The running groups, for the signal handler: a pid per slot, 0 free. */
static volatile sig_atomic_t groups[FR_JOBS_MAX];
static const int passed_on[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };

static void pass_on(int sig)
{
    int e = errno;
    for (int i = 0; i < FR_JOBS_MAX; i++)
        if (groups[i] > 0)
            kill(-(pid_t)groups[i], sig);
    errno = e;
}

void fr_jobs_begin(void)
{
    /* No SA_RESTART: a passed-on signal also ends fr_job_wait's wait. */
    struct sigaction fwd = { .sa_handler = pass_on };
    sigemptyset(&fwd.sa_mask);
    for (size_t i = 0; i < sizeof passed_on / sizeof passed_on[0]; i++)
        sigaction(passed_on[i], &fwd, NULL);
    const char *single = getenv(FI_RUN_ENV);
    if (single != NULL)
        fcntl(atoi(single), F_SETFD, FD_CLOEXEC);
}

static void die(const char *what)
{
    fprintf(stderr, "faultrun: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int memfile(const char *name)
{
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        die("memfd");
    return fd;
}

/* In the child: its own group, its own files, then COMMAND. */
static void child(const struct fr_job *j, char **argv, const char *rule, pid_t faultrun,
                  const sigset_t *old)
{
    for (size_t i = 0; i < sizeof passed_on / sizeof passed_on[0]; i++)
        signal(passed_on[i], SIG_DFL);
    signal(SIGALRM, SIG_DFL);
    sigprocmask(SIG_SETMASK, old, NULL);
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(j->out, 1) < 0 || dup2(j->err, 2) < 0)
        _exit(126);
    if (null > 2)
        close(null);
    char num[64];
    fcntl(j->run_fd, F_SETFD, 0);           /* this run's block is inherited */
    snprintf(num, sizeof num, "%d", j->run_fd);
    setenv(FI_RUN_ENV, num, 1);
    if (j->log >= 0) {
        /* faultrun holds the memory file while the run lasts */
        snprintf(num, sizeof num, "/proc/%d/fd/%d", (int)faultrun, j->log);
        setenv("FAULTINJECT_LOG", num, 1);
    }
    setenv("FAULTINJECT_RULES", rule, 1);
    fr_exec(argv);
}

void fr_job_start(struct fr_job *j, const struct fr_opts *o, uint64_t point, const char *rule)
{
    memset(j, 0, sizeof *j);
    j->point = point;
    j->run = fi_run_create(&j->run_fd);
    if (j->run == NULL)
        die("cannot make the run's counters (memfd)");
    fcntl(j->run_fd, F_SETFD, FD_CLOEXEC);  /* only its own run inherits it */
    j->out = memfile("fr-out");
    j->err = memfile("fr-err");
    j->log = o->log != NULL ? memfile("fr-log") : -1;
    int slot = 0;
    while (slot < FR_JOBS_MAX && groups[slot] != 0)
        slot++;
    if (slot == FR_JOBS_MAX) {
        fprintf(stderr, "faultrun: more than %d runs at a time\n", FR_JOBS_MAX);
        exit(2);
    }
    /* A signal between fork and exec must not run pass_on in the child. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t faultrun = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        child(j, o->run_argv ? o->run_argv : o->argv, rule, faultrun, &old);
    setpgid(pid, pid);      /* either side may be first; both set the same group */
    j->pid = pid;
    j->used = 1;
    groups[slot] = pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void forget_group(pid_t pid)
{
    for (int i = 0; i < FR_JOBS_MAX; i++)
        if (groups[i] == pid)
            groups[i] = 0;
}

/* Reaped: what the run's block says, then the block goes. */
static void reaped(struct fr_job *j, int status)
{
    forget_group(j->pid);
    j->pid = 0;
    j->done = 1;
    j->status = status;
    j->counts = j->run->c;
    j->fired = atomic_load(&j->run->c.rule[0][FI_T_FIRED]) > 0;
    munmap(j->run, sizeof *j->run);
    close(j->run_fd);
    j->run = NULL;
    j->run_fd = -1;
}

struct fr_job *fr_job_wait(struct fr_job *jobs, size_t n)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno == EINTR)
            return NULL;
        if (pid < 0)
            die("waitpid");
        for (size_t i = 0; i < n; i++)
            if (jobs[i].used && jobs[i].pid == pid) {
                reaped(&jobs[i], status);
                return &jobs[i];
            }
    }
}

/* FROM's whole content, from its start, to TO. */
static void copy_out(int from, int to)
{
    char buf[65536];
    off_t off = 0;
    ssize_t n;
    while ((n = pread(from, buf, sizeof buf, off)) > 0) {
        off += n;
        for (ssize_t done = 0, w; done < n; done += w)
            if ((w = write(to, buf + done, (size_t)(n - done))) < 0) {
                if (errno == EINTR) {
                    w = 0;
                    continue;
                }
                return;
            }
    }
}

void fr_job_emit(const struct fr_job *j, const char *log)
{
    fflush(NULL);
    copy_out(j->out, 1);
    copy_out(j->err, 2);
    if (log == NULL || j->log < 0)
        return;
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "faultrun: log '%s': %s\n", log, strerror(errno));
        return;
    }
    copy_out(j->log, fd);
    close(fd);
}

void fr_job_close(struct fr_job *j)
{
    if (!j->used)
        return;
    if (j->pid > 0) {
        kill(-j->pid, SIGKILL);             /* the run and everything in its group */
        int status;
        while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
            ;
        reaped(j, status);
    }
    close(j->out);
    close(j->err);
    if (j->log >= 0)
        close(j->log);
    memset(j, 0, sizeof *j);
}

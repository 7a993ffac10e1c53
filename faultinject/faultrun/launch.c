/* launch.c: starting COMMAND and passing on how it ended (see launch.h). */
#include "launch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef FI_COVERAGE
void __gcov_dump(void);
#endif

void fr_exec(char **argv)
{
#ifdef FI_COVERAGE
    __gcov_dump();          /* exec would lose this process's counts */
#endif
    execvp(argv[0], argv);
    int e = errno;
    fprintf(stderr, "faultrun: cannot run '%s': %s\n", argv[0], strerror(e));
    exit(e == ENOENT ? 127 : 126);
}

static volatile sig_atomic_t child_pid;

static void pass_on(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

int fr_launch(char **argv, const char *rules)
{
    struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = pass_on };
    struct sigaction old_int, old_quit, old_term, old_hup;
    fflush(NULL);
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    sigaction(SIGTERM, &fwd, &old_term);
    sigaction(SIGHUP, &fwd, &old_hup);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "faultrun: fork: %s\n", strerror(errno));
        exit(2);
    }
    if (pid == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGHUP, &old_hup, NULL);
        if (rules != NULL)
            setenv("FAULTINJECT_RULES", rules, 1);
        fr_exec(argv);
    }
    child_pid = pid;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "faultrun: waitpid: %s\n", strerror(errno));
            exit(2);
        }
    child_pid = 0;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return status;
}

void fr_exit_like(int status)
{
    fflush(NULL);
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        struct rlimit none = { 0, 0 };
        setrlimit(RLIMIT_CORE, &none);      /* the child dumped its own core */
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        exit(128 + sig);
    }
    exit(WEXITSTATUS(status));
}

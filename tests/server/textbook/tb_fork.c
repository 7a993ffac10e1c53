/* tb_fork.c: a textbook fork-per-connection echo server, written for the
 * suite's own test (not the contract's server): it echoes bytes back
 * unchanged (the plain echo of most textbooks), reaps its children with a
 * waitpid loop in a SIGCHLD handler, and otherwise does what the
 * contract asks. Usage: tb_fork PORT */
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void sig_chld(int signo)
{
    int saved = errno;
    (void)signo;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static void sig_term(int signo)
{
    (void)signo;
    _exit(0);
}

static void str_echo(int fd)
{
    char buf[4096];
    ssize_t n;
again:
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        char *p = buf;
        while (n > 0) {
            ssize_t w = write(fd, p, (size_t)n);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return;
            p += w;
            n -= w;
        }
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        goto again;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tb_fork <port>\n");
        exit(1);
    }
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons((unsigned short)atoi(argv[1]));
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 128) < 0) {
        perror("bind/listen");
        exit(1);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sig_chld;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL); /* no SA_RESTART: accept sees EINTR */
    sa.sa_handler = sig_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            perror("accept");
            exit(1);
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(lfd);
            str_echo(cfd);
            close(cfd);
            _exit(0);
        }
        close(cfd);
    }
}

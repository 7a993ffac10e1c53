/* course_fork.c (fixture): a fork-per-connection echo server in the shape
 * the course shows, unedited habits included: port 9527 hard-coded, its
 * arguments ignored, INADDR_ANY, no SO_REUSEADDR, every byte received
 * printed to stdout, SIGPIPE left at its default, SIGCHLD reaped in a
 * handler, no SIGTERM handling, and the course's wrap.c (which exits on an
 * accept error). The suite's own test asserts its exact verdict table. */
#include "wrap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SERV_PORT 9527

static void catch_child(int signo)
{
    (void)signo;
    while (waitpid(0, NULL, WNOHANG) > 0)
        ;
}

int main(void)
{
    struct sockaddr_in srv_addr, clt_addr;
    socklen_t clt_addr_len;
    char buf[BUFSIZ], clt_ip[INET_ADDRSTRLEN];

    memset(&srv_addr, 0, sizeof srv_addr);
    srv_addr.sin_family = AF_INET;
    srv_addr.sin_port = htons(SERV_PORT);
    srv_addr.sin_addr.s_addr = htonl(INADDR_ANY);

    int lfd = Socket(AF_INET, SOCK_STREAM, 0);
    Bind(lfd, (struct sockaddr *)&srv_addr, sizeof srv_addr);
    Listen(lfd, 128);

    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = catch_child;
    sigemptyset(&act.sa_mask);
    sigaction(SIGCHLD, &act, NULL);

    printf("Accepting connections ...\n");
    for (;;) {
        clt_addr_len = sizeof clt_addr;
        int cfd = Accept(lfd, (struct sockaddr *)&clt_addr, &clt_addr_len);
        printf("client ip: %s port: %d\n",
               inet_ntop(AF_INET, &clt_addr.sin_addr, clt_ip, sizeof clt_ip),
               ntohs(clt_addr.sin_port));
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            perr_exit("fork error");
        if (pid > 0) {
            Close(cfd);
            continue;
        }
        Close(lfd);
        for (;;) {
            ssize_t n = Read(cfd, buf, sizeof buf);
            if (n == 0) {
                printf("the other side has been closed.\n");
                break;
            }
            if (n < 0)
                perr_exit("read error");
            for (ssize_t i = 0; i < n; i++)
                buf[i] = (char)toupper((unsigned char)buf[i]);
            Write(cfd, buf, (size_t)n);
            Write(STDOUT_FILENO, buf, (size_t)n);
        }
        Close(cfd);
        return 0;
    }
}

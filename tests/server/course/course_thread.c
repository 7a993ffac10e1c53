/* course_thread.c (fixture): a thread-per-connection echo server in the
 * shape the course shows: port 9527 hard-coded, arguments ignored,
 * INADDR_ANY, no SO_REUSEADDR, what it receives printed, SIGPIPE at its
 * default (a write to a reset connection kills the whole process), no
 * SIGTERM handling, and the client slots in `struct s_info ts[256]`
 * indexed by a counter that never wraps: connection 257 writes past the
 * array. The suite's own test asserts its exact verdict table. */
#include "wrap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAXLINE 8192
#define SERV_PORT 9527

struct s_info {
    struct sockaddr_in cliaddr;
    int connfd;
};

static void *do_work(void *arg)
{
    struct s_info *ts = arg;
    char buf[MAXLINE], str[INET_ADDRSTRLEN];
    for (;;) {
        ssize_t n = Read(ts->connfd, buf, MAXLINE);
        if (n == 0) {
            printf("the client %d closed...\n", ts->connfd);
            break;
        }
        if (n < 0)
            perr_exit("read error");
        printf("received from %s at PORT %d\n",
               inet_ntop(AF_INET, &ts->cliaddr.sin_addr, str, sizeof str),
               ntohs(ts->cliaddr.sin_port));
        for (ssize_t i = 0; i < n; i++)
            buf[i] = (char)toupper((unsigned char)buf[i]);
        Write(STDOUT_FILENO, buf, (size_t)n);
        Write(ts->connfd, buf, (size_t)n);
    }
    Close(ts->connfd);
    return NULL;
}

int main(void)
{
    struct sockaddr_in servaddr, cliaddr;
    socklen_t cliaddr_len;
    pthread_t tid;
    struct s_info ts[256];
    int i = 0;

    int listenfd = Socket(AF_INET, SOCK_STREAM, 0);
    memset(&servaddr, 0, sizeof servaddr);
    servaddr.sin_family = AF_INET;
    servaddr.sin_addr.s_addr = htonl(INADDR_ANY);
    servaddr.sin_port = htons(SERV_PORT);
    Bind(listenfd, (struct sockaddr *)&servaddr, sizeof servaddr);
    Listen(listenfd, 128);

    printf("Accepting client connect ...\n");
    for (;;) {
        cliaddr_len = sizeof cliaddr;
        int connfd = Accept(listenfd, (struct sockaddr *)&cliaddr, &cliaddr_len);
        ts[i].cliaddr = cliaddr;
        ts[i].connfd = connfd;
        pthread_create(&tid, NULL, do_work, &ts[i]);
        pthread_detach(tid);
        i++;
    }
}

/* server_bare.c: the ceiling the servers are measured against in `make
 * bench`: one thread, blocking accept, then read, upper-case, write all,
 * until end of stream, close. No concurrency, no timeouts, no error
 * handling beyond "drop the client"; the same 64 KiB buffer as echo.c.
 *   server_bare PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF = 64 * 1024 };

static void echo(int cfd)
{
    static char buf[BUF];
    ssize_t n, w;
    while ((n = read(cfd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 32);
        for (ssize_t off = 0; off < n; off += w)
            if ((w = write(cfd, buf + off, (size_t)(n - off))) <= 0)
                return;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, SOMAXCONN) < 0)
        return 1;
    for (;;) {
        int cfd = accept(lfd, NULL, NULL);
        if (cfd < 0)
            continue;
        echo(cfd);
        close(cfd);
    }
}

/* server_bare.c: the ceiling for connections per second in `make bench`:
 * one thread, blocking accept, echo until end of stream, close. No
 * concurrency, no error handling beyond "drop the client".
 *   server_bare PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

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
        char buf[4096];
        ssize_t n;
        while ((n = read(cfd, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                if (buf[i] >= 'a' && buf[i] <= 'z')
                    buf[i] = (char)(buf[i] - 32);
            if (write(cfd, buf, (size_t)n) != n) /* one write: 100-byte sessions */
                break;
        }
        close(cfd);
    }
}

/* oneread: the most common socket bug, kept as README's example.
 * A child sends a 12-byte request over a socket; the parent assumes one
 * read() returns all of it. Plain runs pass; faultrun's short reads show
 * the bug: faultrun -e 'read:short=5' -- build/demo/oneread
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MSG "GET /index\r\n"

int main(void)
{
    int sv[2];
    char buf[64];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
        perror("socketpair");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        close(sv[0]);
        _exit(write(sv[1], MSG, strlen(MSG)) == (ssize_t)strlen(MSG) ? 0 : 1);
    }
    close(sv[1]);
    ssize_t n = read(sv[0], buf, sizeof buf);   /* the bug: one read */
    waitpid(pid, NULL, 0);
    if (n != (ssize_t)strlen(MSG) || memcmp(buf, MSG, strlen(MSG)) != 0) {
        fprintf(stderr, "oneread: request truncated: got %zd of %zu bytes\n",
                n, strlen(MSG));
        return 1;
    }
    puts("oneread: request complete");
    return 0;
}

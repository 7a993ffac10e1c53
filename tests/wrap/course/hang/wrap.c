/* A candidate that hangs in every function (asleep for good): check-wrap
 * must still end within its deadline, every row failing as "hung". */
#include "wrap.h"

#include <unistd.h>

static void forever(void)
{
    for (;;)
        pause();
}

void perr_exit(const char *s) { (void)s; forever(); }
int Socket(int family, int type, int protocol)
{ (void)family; (void)type; (void)protocol; forever(); return -1; }
int Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{ (void)fd; (void)sa; (void)salen; forever(); return -1; }
int Listen(int fd, int backlog) { (void)fd; (void)backlog; forever(); return -1; }
int Connect(int fd, const struct sockaddr *sa, socklen_t salen)
{ (void)fd; (void)sa; (void)salen; forever(); return -1; }
int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{ (void)fd; (void)sa; (void)salenptr; forever(); return -1; }
ssize_t Read(int fd, void *ptr, size_t nbytes)
{ (void)fd; (void)ptr; (void)nbytes; forever(); return -1; }
ssize_t Write(int fd, const void *ptr, size_t nbytes)
{ (void)fd; (void)ptr; (void)nbytes; forever(); return -1; }
int Close(int fd) { (void)fd; forever(); return -1; }
ssize_t Readn(int fd, void *vptr, size_t n)
{ (void)fd; (void)vptr; (void)n; forever(); return -1; }
ssize_t Writen(int fd, const void *vptr, size_t n)
{ (void)fd; (void)vptr; (void)n; forever(); return -1; }
ssize_t Readline(int fd, void *vptr, size_t maxlen)
{ (void)fd; (void)vptr; (void)maxlen; forever(); return -1; }

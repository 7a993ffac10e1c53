/* wrap.h (course-style fixture): the error-handling wrappers as the course
 * teaches them: each system call under its capitalised name; a failure it
 * cannot retry prints a message and exits the whole program (perr_exit). */
#ifndef COURSE_WRAP_H
#define COURSE_WRAP_H

#include <sys/socket.h>
#include <sys/types.h>

void perr_exit(const char *s);
int Socket(int family, int type, int protocol);
int Bind(int fd, const struct sockaddr *sa, socklen_t salen);
int Listen(int fd, int backlog);
int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr);
ssize_t Read(int fd, void *ptr, size_t nbytes);
ssize_t Write(int fd, const void *ptr, size_t nbytes);
int Close(int fd);

#endif

/* stubs.c: stand-ins for the functions a candidate does not define with
 * the contract's signature (or at all). check-wrap.sh compiles this file
 * with -DSTUB_<name> for each of them and links it in their place, so that
 * the rows of every other function are still judged. A stub ends the test
 * process; the harness reads its "@@stub" line and marks the test NOT JUDGED
 * (the function's own rows FAIL with the signature message). */
#include "../../wrap/wrap.h"

#include <string.h>
#include <unistd.h>

__attribute__((noreturn, unused)) static void stub(const char *name)
{
    static const char head[] = "\n@@stub ";
    if (write(2, head, sizeof head - 1) < 0 || write(2, name, strlen(name)) < 0 ||
        write(2, "\n", 1) < 0)
        _exit(86);
    _exit(86);
}

#ifdef STUB_perr_exit
void perr_exit(const char *s) { (void)s; stub("perr_exit"); }
#endif
#ifdef STUB_Socket
int Socket(int family, int type, int protocol)
{ (void)family; (void)type; (void)protocol; stub("Socket"); }
#endif
#ifdef STUB_Bind
int Bind(int fd, const struct sockaddr *sa, socklen_t salen)
{ (void)fd; (void)sa; (void)salen; stub("Bind"); }
#endif
#ifdef STUB_Listen
int Listen(int fd, int backlog) { (void)fd; (void)backlog; stub("Listen"); }
#endif
#ifdef STUB_Connect
int Connect(int fd, const struct sockaddr *sa, socklen_t salen)
{ (void)fd; (void)sa; (void)salen; stub("Connect"); }
#endif
#ifdef STUB_Accept
int Accept(int fd, struct sockaddr *sa, socklen_t *salenptr)
{ (void)fd; (void)sa; (void)salenptr; stub("Accept"); }
#endif
#ifdef STUB_Read
ssize_t Read(int fd, void *ptr, size_t nbytes)
{ (void)fd; (void)ptr; (void)nbytes; stub("Read"); }
#endif
#ifdef STUB_Write
ssize_t Write(int fd, const void *ptr, size_t nbytes)
{ (void)fd; (void)ptr; (void)nbytes; stub("Write"); }
#endif
#ifdef STUB_Close
int Close(int fd) { (void)fd; stub("Close"); }
#endif
#ifdef STUB_Readn
ssize_t Readn(int fd, void *vptr, size_t n)
{ (void)fd; (void)vptr; (void)n; stub("Readn"); }
#endif
#ifdef STUB_Writen
ssize_t Writen(int fd, const void *vptr, size_t n)
{ (void)fd; (void)vptr; (void)n; stub("Writen"); }
#endif
#ifdef STUB_Readline
ssize_t Readline(int fd, void *vptr, size_t maxlen)
{ (void)fd; (void)vptr; (void)maxlen; stub("Readline"); }
#endif

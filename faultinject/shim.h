/* shim.h: the interposition layer's one entry point besides the
 * interposed libc calls themselves: the data calls, accept, connect and
 * close (shim.c), sendfile/splice/recvmmsg/sendmmsg (xfer.c), the
 * readiness waits and epoll_ctl (waits.c), and the calls that hand out
 * or close descriptors behind close()'s back (fdlife.c). */
#ifndef FI_SHIM_H
#define FI_SHIM_H

/* Looks up every real libc call (dlsym RTLD_NEXT) now, so that no lookup
 * happens later in a signal handler. Called by the constructor. */
void fi_shim_resolve(void);

/* fdlife.c's part of fi_shim_resolve. */
void fi_fdlife_resolve(void);

#endif

/* shim.h: the interposition layer's one entry point besides the
 * interposed libc calls themselves (read ... close, socket ... dup3). */
#ifndef FI_SHIM_H
#define FI_SHIM_H

/* Looks up every real libc call (dlsym RTLD_NEXT) now, so that no lookup
 * happens later in a signal handler. Called by the constructor. */
void fi_shim_resolve(void);

#endif

/* errnames.h: errno names <-> numbers for `error=NAME` and the log. */
#ifndef FI_ERRNAMES_H
#define FI_ERRNAMES_H

#include <stddef.h>

/* The errno whose errno.h name is NAME[0..LEN) (exact case), or -1. */
int fi_errno_from_name(const char *name, size_t len);

/* The errno.h name of NUM (the first one, for aliases), or "E?". */
const char *fi_errno_name(int num);

#endif

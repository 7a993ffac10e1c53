/* classify.h: what a descriptor is (fd=sock|pipe, message sockets, the
 * file behind the number), asked of the kernel the first time and cached
 * in fdstate.h; never asked in a seccomp sandbox (sandbox.h), where a
 * descriptor whose kind was not recorded counts as not open (the call goes
 * to libc untouched). Owner: classify.c. Keeps errno.
 */
#ifndef FI_CLASSIFY_H
#define FI_CLASSIFY_H

#include <stdint.h>
#include <sys/stat.h>

#include "fdstate.h"

/* FD's kind, socket type and file identity: from the cache, or the first
 * time from the kernel (then cached). Only classifies: whether FD's
 * sticky/stalled state still belongs to its file is fi_recheck's. -1 if
 * FD is not open. */
int fi_look_at(int fd, struct fi_fdinfo *info);

/* FD's state is for file INFO->ident: if the number now names another
 * file, forgets the state (fdstate.h) and makes INFO the new file's. -1 if
 * FD is no longer open. */
int fi_recheck(int fd, struct fi_fdinfo *info);

/* The identity of the file ST describes (inode and device), never 0. */
uint64_t fi_file_ident(const struct stat *st);

#endif

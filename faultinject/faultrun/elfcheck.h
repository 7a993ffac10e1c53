/* elfcheck.h: refuses a COMMAND that LD_PRELOAD cannot reach, before it
 * runs (faultinject.md, Never silent): a statically linked program (no
 * ELF interpreter: no dynamic loader to preload the shim), or a set-user-
 * or set-group-ID one (the loader ignores LD_PRELOAD there). A `#!` script
 * is judged by its interpreter (through `env` to the program it names);
 * a file execvp would hand to /bin/sh, by /bin/sh.
 *
 * A statically linked or Go program is for the trace backend (faultrun
 * --backend=auto picks it; --backend=preload refuses it).
 * Owner: elfcheck.c. Used by faultrun only.
 */
#ifndef FI_ELFCHECK_H
#define FI_ELFCHECK_H

#include <limits.h>
#include <stddef.h>

struct fi_elf_verdict {
    char why[PATH_MAX + 512]; /* -1: why refused; 1: why LD_PRELOAD cannot reach it */
    char reason[64];    /* 1: why the trace backend runs it ("statically linked") */
};

/* 0: LD_PRELOAD reaches COMMAND, or not judged (not found, unreadable:
 * exec will say); 1: only the trace backend can (statically linked, a Go
 * program); -1: refused under either backend (set-user/group-ID, file
 * capabilities). A `#!` script answers for its interpreter. */
int fi_elf_check(const char *command, struct fi_elf_verdict *v);

#endif

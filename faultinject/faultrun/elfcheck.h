/* elfcheck.h: refuses a COMMAND that LD_PRELOAD cannot reach, before it
 * runs (faultinject.md, Never silent): a statically linked program (no
 * ELF interpreter: no dynamic loader to preload the shim), or a set-user-
 * or set-group-ID one (the loader ignores LD_PRELOAD there). A `#!` script
 * is judged by its interpreter (through `env` to the program it names);
 * a file execvp would hand to /bin/sh, by /bin/sh.
 *
 * Owner: elfcheck.c. Used by faultrun only.
 */
#ifndef FI_ELFCHECK_H
#define FI_ELFCHECK_H

#include <stddef.h>

/* 0: reachable, or not judged (not found, unreadable: exec will say);
 * -1: unreachable, with why and what would work instead in WHY. */
int fi_elf_check(const char *command, char *why, size_t whylen);

#endif

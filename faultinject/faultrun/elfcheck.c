/* elfcheck.c: is COMMAND reachable by LD_PRELOAD? (see elfcheck.h) */
#include "elfcheck.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MAX_DEPTH 4     /* the kernel follows at most 4 interpreters too */

/* NAME through PATH as execvp finds it, into OUT; -1 if not found. */
static int resolve(const char *name, char *out)
{
    if (strchr(name, '/') != NULL) {
        snprintf(out, PATH_MAX, "%s", name);
        return 0;
    }
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/bin:/usr/bin";
    while (*path) {
        size_t n = strcspn(path, ":");
        snprintf(out, PATH_MAX, "%.*s%s%s", (int)n, path, n ? "/" : "", name);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        path += n + (path[n] == ':');
    }
    return -1;
}

/* The loader runs in secure mode (and ignores LD_PRELOAD) when exec
 * changes the effective user or group, or grants file capabilities. */
static const char *set_id(const char *file, const struct stat *st)
{
    if ((st->st_mode & S_ISUID) && st->st_uid != geteuid())
        return "set-user-ID";
    if ((st->st_mode & S_ISGID) && st->st_gid != getegid())
        return "set-group-ID";
    if (getxattr(file, "security.capability", NULL, 0) > 0)
        return "given file capabilities";
    return NULL;
}

/* Whether the ELF image in FD has a PT_INTERP program header: 1 yes,
 * 0 no, -1 not ELF (or unreadable). */
static int has_interp(int fd)
{
    unsigned char id[EI_NIDENT];
    if (pread(fd, id, sizeof id, 0) != (ssize_t)sizeof id || memcmp(id, ELFMAG, SELFMAG) != 0)
        return -1;
    int is64 = id[EI_CLASS] == ELFCLASS64;
    Elf64_Ehdr eh;
    Elf32_Ehdr eh32;
    uint64_t phoff;
    unsigned phnum, phentsize;
    if (is64) {
        if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh)
            return -1;
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
    } else {
        if (pread(fd, &eh32, sizeof eh32, 0) != (ssize_t)sizeof eh32)
            return -1;
        phoff = eh32.e_phoff, phnum = eh32.e_phnum, phentsize = eh32.e_phentsize;
    }
    for (unsigned i = 0; i < phnum && i < 4096; i++) {
        uint32_t type;
        if (pread(fd, &type, sizeof type, (off_t)(phoff + (uint64_t)i * phentsize)) !=
            (ssize_t)sizeof type)
            return -1;
        if (type == PT_INTERP)
            return 1;
    }
    return 0;
}

/* A Go program: a .go.buildinfo or .note.go.buildid section (64-bit ELF).
 * It makes raw system calls whether or not it is dynamically linked. */
static int is_go(int fd)
{
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_shnum == 0 || eh.e_shnum > 4096 || eh.e_shstrndx >= eh.e_shnum)
        return 0;
    Elf64_Shdr strs;
    if (pread(fd, &strs, sizeof strs, (off_t)(eh.e_shoff + (uint64_t)eh.e_shstrndx *
                                               eh.e_shentsize)) != (ssize_t)sizeof strs)
        return 0;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        char name[20] = "";
        if (pread(fd, &sh, sizeof sh, (off_t)(eh.e_shoff + (uint64_t)i * eh.e_shentsize)) !=
            (ssize_t)sizeof sh)
            return 0;
        if (pread(fd, name, sizeof name - 1, (off_t)(strs.sh_offset + sh.sh_name)) <= 0)
            continue;
        if (strcmp(name, ".go.buildinfo") == 0 || strcmp(name, ".note.go.buildid") == 0)
            return 1;
    }
    return 0;
}

/* LD_PRELOAD cannot reach FILE, but the trace backend can: WHAT for the
 * refusal under --backend=preload, REASON for the summary under auto. */
static int traced(struct fi_elf_verdict *v, const char *file, const char *what,
                  const char *instead, const char *reason)
{
    snprintf(v->why, sizeof v->why, "'%s': it is %s, so LD_PRELOAD cannot reach it and no "
             "rule could fire; %s", file, what, instead);
    snprintf(v->reason, sizeof v->reason, "%s", reason);
    return 1;
}

static int check(const char *command, int depth, struct fi_elf_verdict *v)
{
    char file[PATH_MAX];
    struct stat st;
    if (depth > MAX_DEPTH || resolve(command, file) < 0 || stat(file, &st) < 0)
        return 0;
    const char *id = set_id(file, &st);
    if (id != NULL) {
        snprintf(v->why, sizeof v->why, "'%s': it is %s, so neither backend can run it as "
                 "it would run: the loader ignores LD_PRELOAD there, and the kernel drops "
                 "the new privileges of a traced exec. Run a copy without the set-ID bits "
                 "or capabilities (cp it; chmod u-s,g-s).", file, id);
        return -1;
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;                               /* execute-only: not judged */
    char head[256];
    ssize_t n = pread(fd, head, sizeof head - 1, 0);
    int interp = has_interp(fd);
    int go = interp >= 0 && is_go(fd);
    close(fd);
    if (n >= 2 && head[0] == '#' && head[1] == '!') {
        head[n] = '\0';
        char *p = head + 2 + strspn(head + 2, " \t");
        char *end = p + strcspn(p, " \t\n");
        if (end == p)
            return 0;
        char *arg = end + strspn(end, " \t");
        *end = '\0';
        int r = check(p, depth + 1, v);
        if (r != 0)
            return r;
        /* #!/usr/bin/env PROGRAM: the program env runs. */
        const char *base = strrchr(p, '/');
        if (strcmp(base ? base + 1 : p, "env") == 0 && *arg && *arg != '\n' && *arg != '-') {
            arg[strcspn(arg, " \t\n")] = '\0';
            return check(arg, depth + 1, v);
        }
        return 0;
    }
    if (interp == 0)
        return traced(v, file, "statically linked (no ELF interpreter)",
                      "build it dynamically linked (no -static), or run it under "
                      "--backend=trace. A Go program makes raw system calls that no "
                      "LD_PRELOAD shim can reach, with or without cgo.",
                      "statically linked");
    if (go)
        return traced(v, file, "a Go program (it makes raw system calls)",
                      "run it under --backend=trace (the default, auto, does).",
                      "a Go program");
    if (interp < 0 && n > 0)
        return check("/bin/sh", depth + 1, v);   /* execvp's ENOEXEC fallback */
    return 0;
}

int fi_elf_check(const char *command, struct fi_elf_verdict *v)
{
    v->why[0] = v->reason[0] = '\0';
    return check(command, 0, v);
}

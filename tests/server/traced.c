/* traced.c: the server under faultrun --backend=trace (see traced.h). */
#include "traced.h"
#include "clock.h"
#include "procstat.h"

#include <dirent.h>
#include <elf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int traced_elf_static(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    Elf64_Ehdr eh;
    int r = -1;
    if (fread(&eh, sizeof eh, 1, f) == 1 && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
        r = 1;
        for (unsigned i = 0; i < eh.e_phnum && r == 1; i++) {
            Elf64_Phdr ph;
            if (fseek(f, (long)(eh.e_phoff + i * sizeof ph), SEEK_SET) != 0 ||
                fread(&ph, sizeof ph, 1, f) != 1)
                r = -1;
            else if (ph.p_type == PT_INTERP)
                r = 0;
        }
    }
    fclose(f);
    return r;
}

void traced_wrapper(const char *faultrun, const char *rules, const char *log, const char **out)
{
    int n = 0;
    out[n++] = faultrun;
    out[n++] = "--backend=trace";
    out[n++] = "-q";                    /* no summary: the server's own last lines stay last */
    out[n++] = "-s";
    out[n++] = "1";                     /* the seed the shim is given */
    if (log != NULL && log[0]) {
        out[n++] = "-l";
        out[n++] = log;
    }
    if (rules != NULL) {
        out[n++] = "-e";
        out[n++] = rules;               /* " ; "-separated, as FAULTINJECT_RULES */
    }
    out[n++] = "--";
    out[n] = NULL;
}

/* "TracerPid:" of /proc/PID/status, or -1. */
static pid_t tracer_of(pid_t pid)
{
    char path[64], line[128];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int t = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "TracerPid: %d", &t) == 1)
            break;
    fclose(f);
    return (pid_t)t;
}

int traced_by(pid_t pid, pid_t sup)
{
    return pid > 0 && tracer_of(pid) == sup;
}

pid_t traced_server_pid(pid_t sup, int ms)
{
    long long deadline = now_ms() + ms;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)sup, (int)sup);
    for (;;) {
        FILE *f = fopen(path, "r");
        int c = -1;
        if (f != NULL) {
            if (fscanf(f, "%d", &c) != 1)
                c = -1;
            fclose(f);
        }
        if (c > 0 && traced_by(c, sup))
            return c;
        if (!proc_alive(sup) || ms_left(deadline) == 0)
            return -1;
        poll(NULL, 0, 2);
    }
}

void traced_kill_rest(pid_t sup)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid > 0 && pid != sup && tracer_of(pid) == sup)
            kill(pid, SIGKILL);
    }
    closedir(d);
}

int traced_refusal(const char *out, char *why, size_t len)
{
    FILE *f = fopen(out, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, "faultrun:", 9) == 0 || strncmp(line, "faultinject:", 12) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(why, len, "%s", line);
            found = 1;
        }
    fclose(f);
    return found;
}

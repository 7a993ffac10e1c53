/* procstat.c: counts from /proc/PID/fd, /proc/PID/status and /proc/N/stat. */
#include "procstat.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int proc_count_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int proc_count_threads(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

int proc_caught_signals(pid_t pid, unsigned long long *mask)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    int r = -1;
    while (r < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "SigCgt: %llx", mask) == 1)
            r = 0;
    fclose(f);
    return r;
}

/* State and ppid from /proc/N/stat; the command may hold spaces and
 * parentheses, so parse from the last ')'. 0, or -1. */
static int read_stat(pid_t pid, char *state, pid_t *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    int pp;
    if (p == NULL || sscanf(p + 1, " %c %d", state, &pp) != 2)
        return -1;
    *ppid = pp;
    return 0;
}

struct ptab {
    pid_t *pid, *ppid;
    char *state;
    int n, cap;
};

static int snapshot(struct ptab *t)
{
    DIR *d = opendir("/proc");
    if (d == NULL)
        return -1;
    memset(t, 0, sizeof *t);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pid_t pid = (pid_t)atoi(e->d_name), ppid;
        char st;
        if (read_stat(pid, &st, &ppid) < 0)
            continue; /* gone meanwhile */
        if (t->n == t->cap) {
            int cap = t->cap ? 2 * t->cap : 256;
            pid_t *a = realloc(t->pid, (size_t)cap * sizeof *a);
            if (a)
                t->pid = a;
            pid_t *b = realloc(t->ppid, (size_t)cap * sizeof *b);
            if (b)
                t->ppid = b;
            char *c = realloc(t->state, (size_t)cap);
            if (c)
                t->state = c;
            if (!a || !b || !c)
                break;
            t->cap = cap;
        }
        t->pid[t->n] = pid;
        t->ppid[t->n] = ppid;
        t->state[t->n] = st;
        t->n++;
    }
    closedir(d);
    return 0;
}

/* Descendants of ROOT in state Z (ZOMBIES) or not (LIVE). */
static int count_desc(pid_t root, int zombies)
{
    struct ptab t;
    if (snapshot(&t) < 0)
        return -1;
    /* mark[i]: process i descends from ROOT; iterate to a fixed point. */
    char *mark = calloc((size_t)t.n + 1, 1);
    int count = 0, changed = 1;
    while (mark && changed) {
        changed = 0;
        for (int i = 0; i < t.n; i++) {
            if (mark[i])
                continue;
            int parent_marked = t.ppid[i] == root;
            for (int j = 0; !parent_marked && j < t.n; j++)
                parent_marked = mark[j] && t.pid[j] == t.ppid[i];
            if (parent_marked) {
                mark[i] = 1;
                changed = 1;
            }
        }
    }
    for (int i = 0; mark && i < t.n; i++)
        if (mark[i] && ((t.state[i] == 'Z') == !!zombies))
            count++;
    if (mark == NULL)
        count = -1;
    free(mark);
    free(t.pid);
    free(t.ppid);
    free(t.state);
    return count;
}

int proc_count_zombies(pid_t pid)
{
    return count_desc(pid, 1);
}

int proc_count_descendants(pid_t pid)
{
    return count_desc(pid, 0);
}

int proc_alive(pid_t pid)
{
    char st;
    pid_t pp;
    return read_stat(pid, &st, &pp) == 0 && st != 'Z' && st != 'X';
}

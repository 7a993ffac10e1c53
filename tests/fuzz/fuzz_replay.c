/* fuzz_replay: the fuzz targets' checks, without libFuzzer, over committed
 * inputs: the seed corpora and every crash found so far (kept as regression
 * inputs in the same folders). Built with the project's own $(CC) and
 * flags, so `make test` (and ASan, coverage) replays them.
 *
 *   fuzz_replay DIR...
 * A folder named fuzz_wrap goes through wrap_check_input (wrap-contract.md),
 * one named fuzz_rules through rules_check_input (the shim's rule parser),
 * one named fuzz_logparse through logparse_check_input (the log parser).
 * A breach aborts with the clause and the file's name; an empty or unknown
 * folder is an error, so a lost corpus does not pass silently.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input_name.h"
#include "logparse_check.h"
#include "rules_check.h"
#include "wrap_check.h"

typedef void (*check_fn)(const uint8_t *, size_t);

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads PATH whole; NULL on failure. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    fclose(f);
    *len = n;
    return buf;
}

static long replay_dir(const char *dir, check_fn check)
{
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names); /* same order every run */
    long done = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        uint8_t *data = slurp(path, &len);
        if (!data) {
            perror(path);
            done = -1;
        } else {
            fuzz_input_name = path;
            check(data, len);
            free(data);
            if (done >= 0)
                done++;
        }
        free(names[i]);
    }
    free(names);
    fuzz_input_name = NULL;
    return done;
}

int main(int argc, char **argv)
{
    int bad = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_replay DIR...  (folders named fuzz_wrap, fuzz_rules, "
                "fuzz_logparse)\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *base = strrchr(argv[i], '/');
        base = base && base[1] ? base + 1 : argv[i];
        check_fn check = strncmp(base, "fuzz_wrap", 9) == 0 ? wrap_check_input
                       : strncmp(base, "fuzz_rules", 10) == 0 ? rules_check_input
                       : strncmp(base, "fuzz_logparse", 13) == 0 ? logparse_check_input : NULL;
        if (!check) {
            fprintf(stderr, "fuzz_replay: %s: not a fuzz_wrap, fuzz_rules or fuzz_logparse "
                    "folder\n", argv[i]);
            bad = 1;
            continue;
        }
        long n = replay_dir(argv[i], check);
        if (n <= 0) {
            fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], n == 0 ? "no input" : "unreadable");
            bad = 1;
            continue;
        }
        printf("fuzz_replay: %s: %ld inputs, every check held\n", argv[i], n);
    }
    return bad;
}

/* forkpath.c: fork paths and their p= streams (see forkpath.h). */
#include "forkpath.h"

#include "runblock.h"

#include <string.h>

/* splitmix64's finaliser. */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t fi_forkpath_stream(const char *p)
{
    if (strcmp(p, "0") == 0)
        return 0;
    uint64_t h = 0x6a09e667f3bcc908ULL, n = 0;
    for (;; p++) {
        if (*p >= '0' && *p <= '9') {
            n = n * 10 + (uint64_t)(*p - '0');
            continue;
        }
        h = mix(h ^ n);
        n = 0;
        if (*p == '\0')
            return h ? h : 1;
    }
}

void fi_forkpath_child(const char *parent, uint32_t n, char *out)
{
    char digits[12];
    int d = 0;
    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    size_t len = strlen(parent);
    memmove(out, parent, len + 1);
    if (len + 1 + (size_t)d >= FI_PATH_MAX)
        return;
    out[len++] = '.';
    while (d > 0)
        out[len++] = digits[--d];
    out[len] = '\0';
}

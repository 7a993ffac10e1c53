/* errnames.c: errno names <-> numbers, from glibc's own table
 * (strerrorname_np, glibc 2.32+) plus the three aliases it does not return. */
#include "errnames.h"

#include <errno.h>
#include <string.h>

#define ERRNO_MAX 200            /* Linux's errno values end below 140 */

static int name_is(const char *name, size_t len, const char *want)
{
    return want != NULL && strlen(want) == len && memcmp(name, want, len) == 0;
}

int fi_errno_from_name(const char *name, size_t len)
{
    static const struct { const char *name; int num; } aliases[] = {
        { "EWOULDBLOCK", EWOULDBLOCK }, { "EDEADLOCK", EDEADLOCK }, { "ENOTSUP", ENOTSUP },
    };
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (name_is(name, len, aliases[i].name))
            return aliases[i].num;
    for (int e = 1; e < ERRNO_MAX; e++)
        if (name_is(name, len, strerrorname_np(e)))
            return e;
    return -1;
}

const char *fi_errno_name(int num)
{
    const char *s = strerrorname_np(num);
    return s != NULL ? s : "E?";
}

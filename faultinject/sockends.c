/* sockends.c: peer=/local= against a socket's cached ends (see sockends.h). */
#include "sockends.h"

#include "fdstate.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* SA as an end; 0 for an address with no port (AF_UNIX, ...). */
static int end_of(const struct sockaddr *sa, socklen_t len, struct fi_end *e)
{
    memset(e, 0, sizeof *e);
    if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        e->family = AF_INET;
        memcpy(e->addr, &in->sin_addr, 4);
        e->port = ntohs(in->sin_port);
        return 1;
    }
    if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        e->family = AF_INET6;
        memcpy(e->addr, &in6->sin6_addr, 16);
        e->port = ntohs(in6->sin6_port);
        return 1;
    }
    return 0;
}

/* FD's end WHICH, from the cache or the kernel. A local end with port 0
 * (not bound yet) is not cached: bind or connect will change it. */
static int get_end(int fd, int which, struct fi_end *e)
{
    if (fi_fd_end(fd, which, e))
        return 1;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int saved = errno;
    int r = which == FI_END_PEER ? getpeername(fd, (struct sockaddr *)&ss, &len)
                                 : getsockname(fd, (struct sockaddr *)&ss, &len);
    errno = saved;
    if (r < 0 || !end_of((const struct sockaddr *)&ss, len, e))
        return 0;
    if (which == FI_END_PEER || e->port != 0)
        fi_fd_set_end(fd, which, e);
    return 1;
}

static int matches(const struct fi_addrsel *sel, const struct fi_end *e)
{
    return fi_addrsel_matches(sel, e->family, e->addr, e->port);
}

int fi_ends_match(int fd, const struct fi_rule *r, const struct sockaddr *to, socklen_t tolen)
{
    struct fi_end e;
    if (r->peer.on) {
        int have = to != NULL ? end_of(to, tolen, &e) : get_end(fd, FI_END_PEER, &e);
        if (!have || !matches(&r->peer, &e))
            return 0;
    }
    if (r->local.on && (!get_end(fd, FI_END_LOCAL, &e) || !matches(&r->local, &e)))
        return 0;
    return 1;
}

#!/usr/bin/env python3
# check-wrap-mkmutants.py: writes tests/mutants/wrap/*.c, each a copy of
# wrap/wrap.c with ONE fault of the kind real code has, headed by the
# clause(s) it breaks ("/* MUTANT breaks: L9 */"). Run it from the project
# root after changing wrap.c; it stops if a pattern no longer matches.
import sys, os
src = open('wrap/wrap.c').read()
out = 'tests/mutants/wrap/'
M = []
def mut(name, clauses, desc, *reps):
    M.append((name, clauses, desc, reps))

COURSE_RL = r'''static ssize_t my_read(int fd, char *ptr)
{
    static int read_cnt;
    static char *read_ptr;
    static char read_buf[100];

    if (read_cnt <= 0) {
again:
        if ((read_cnt = read(fd, read_buf, sizeof(read_buf))) < 0) {
            if (errno == EINTR)
                goto again;
            return -1;
        } else if (read_cnt == 0)
            return 0;
        read_ptr = read_buf;
    }
    read_cnt--;
    *ptr = *read_ptr++;
    return 1;
}

ssize_t Readline(int fd, void *vptr, size_t maxlen)
{
    ssize_t n, rc;
    char c, *ptr;

    if (maxlen < 2) {
        errno = EINVAL;
        return -1;
    }
    ptr = vptr;
    for (n = 1; n < (ssize_t)maxlen; n++) {
        if ((rc = my_read(fd, &c)) == 1) {
            *ptr++ = c;
            if (c == '\n')
                break;
        } else if (rc == 0) {
            *ptr = 0;
            return n - 1;
        } else
            return -1;
    }
    *ptr = 0;
    return n;
}
'''
rl_start = src.index('ssize_t Readline(int fd, void *vptr, size_t maxlen)')
mut('course_static_my_read', 'L8 L9 L10',
    "the course's Readline: my_read() with one static 100-byte buffer for every descriptor",
    (src[rl_start:], COURSE_RL))
mut('readn_eof_minus_one', 'N2', 'Readn returns -1 instead of k when the stream ends early',
    ("""        } else if (r == 0) {
            break;
        } else if (errno != EINTR) {""", """        } else if (r == 0) {
            return -1;
        } else if (errno != EINTR) {"""))
mut('read_no_eintr_retry', 'R2', 'Read returns -1 EINTR instead of retrying',
    ("""    do {
        r = read(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);""", """    r = read(fd, ptr, nbytes);"""))
mut('readline_eagain_drops_bytes', 'L6', 'Readline throws the unfinished line away when read() fails (EAGAIN)',
    ("""        if (r < 0) {
            rl_release_if_empty(s);
            return -1;""", """        if (r < 0) {
            s->pos = s->len = 0;
            rl_release_if_empty(s);
            return -1;"""))
mut('close_keeps_buffer', 'L9 M1', "Close does not drop the descriptor's Readline buffer",
    ("""    rl_drop(fd);    /* first: the number is free the moment close() runs */
""", ""))
mut('connect_retries_after_eintr', 'C2', 'Connect calls connect() again after EINTR (EISCONN taken as success)',
    ("""    if (errno != EINTR)
        return -1;
    return connect_wait(fd);""", """    if (errno != EINTR)
        return -1;
    if (connect(fd, sa, salen) == 0 || errno == EISCONN)
        return 0;
    (void)connect_wait;
    return -1;"""))
mut('accept_exits_on_emfile', 'A2', 'Accept calls perr_exit on EMFILE',
    ("""        r = accept(fd, sa, salenptr);
""", """        r = accept(fd, sa, salenptr);
        if (r < 0 && errno == EMFILE)
            perr_exit("accept error");
"""))
mut('readline_writes_buf_maxlen', 'L12', "Readline fills maxlen bytes and puts the '\\0' at buf[maxlen]",
    ("""    want = maxlen - 1;""", """    want = maxlen;"""))
mut('readline_stops_at_nul', 'L13', 'Readline returns strlen(buf): a NUL byte ends the count',
    ("""    if (take == 0)
        rl_release_if_empty(s);
    return (ssize_t)take;""", """    if (take == 0)
        rl_release_if_empty(s);
    return (ssize_t)strlen(buf);"""))
mut('readn_reads_ahead', 'N5', "Readn reads a whole buffer through Readline's refill and serves from it",
    ("""    while (got < n) {
        r = read(fd, p + got, n - got);     /* never more than asked: N5 */""",
     """    while (got < n && (s = rl_get(fd, 1)) != NULL && (r = rl_refill(s)) > 0)
        got += rl_take(s, p + got, n - got);
    while (got < n) {
        r = read(fd, p + got, n - got);     /* never more than asked: N5 */"""))
mut('writen_ignores_short_writes', 'WN1', 'Writen makes one write() and returns n',
    ("""        p += r;
        left -= (size_t)r;
    }
    return (ssize_t)n;""", """        break;
    }
    (void)p;
    return (ssize_t)n;"""))
mut('connect_errno_clobbered', 'C3', 'Connect cleans up with shutdown() after a failure, which overwrites errno',
    ("""    if (errno != EINTR)
        return -1;
    return connect_wait(fd);""", """    if (errno != EINTR) {
        shutdown(fd, SHUT_RDWR);
        return -1;
    }
    return connect_wait(fd);"""))
mut('readline_maxlen_no_einval', 'L11', 'Readline does not check maxlen < 2',
    ("""    if (maxlen < 2) {
        errno = EINVAL;
        return -1;
    }
    s = rl_get(fd, 1);""", """    s = rl_get(fd, 1);"""))
mut('close_leaks_buffer', 'M1', "Close unlinks the state but never frees the buffer",
    ("""    if (s != NULL) {
        free(s->data);
        free(s);
    }
    errno = saved;""", """    if (s != NULL)
        free(s);
    errno = saved;"""))
mut('refill_shared_scratch', 'T1', 'the refill reads into one static scratch buffer shared by all threads',
    ("""    do {
        r = read(s->fd, s->data + s->len, s->cap - s->len);
    } while (r < 0 && errno == EINTR);
    if (r > 0)
        s->len += (size_t)r;""", """    static char scratch[RL_CAP];
    size_t room = s->cap - s->len;
    do {
        r = read(s->fd, scratch, room < sizeof scratch ? room : sizeof scratch);
    } while (r < 0 && errno == EINTR);
    if (r > 0) {
        memcpy(s->data + s->len, scratch, (size_t)r);
        s->len += (size_t)r;
    }"""))
mut('close_drops_after_close', 'CL1', 'Close drops the Readline state after close(), when the number may be reused',
    ("""    rl_drop(fd);    /* first: the number is free the moment close() runs */
    if (close(fd) == 0)
        return 0;""", """    int r = close(fd);
    rl_drop(fd);
    if (r == 0)
        return 0;"""))
mut('close_retries_eintr', 'CL1', 'Close calls close() again after EINTR',
    ("""    if (errno == EINTR)
        return 0;
    return -1;
}""", """    while (errno == EINTR)
        if (close(fd) == 0)
            return 0;
    return -1;
}"""))
mut('write_no_eintr_retry', 'W2', 'Write returns -1 EINTR instead of retrying',
    ("""    do {
        r = write(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);""", """    r = write(fd, ptr, nbytes);"""))
mut('readline_eof_no_terminator', 'L3', "Readline returns 0 at end of stream without storing '\\0'",
    ("""    rl_take(s, buf, take);
    buf[take] = '\\0';""", """    if (take == 0)
        return 0;
    rl_take(s, buf, take);
    buf[take] = '\\0';"""))
mut('readline_long_line_rest_dropped', 'L2', 'Readline truncates a long line and discards the rest of it',
    ("""        if (avail >= want) {
            take = want;
            break;
        }""", """        if (avail >= want) {
            const char *q;
            take = want;
            rl_take(s, buf, take);
            buf[take] = '\\0';
            for (;;) {          /* skip the rest of the over-long line */
                q = s->len > s->pos ? memchr(s->data + s->pos, '\\n',
                                             s->len - s->pos) : NULL;
                if (q != NULL) {
                    s->pos = (size_t)(q - s->data) + 1;
                    break;
                }
                s->pos = s->len = 0;
                if (rl_refill(s) <= 0)
                    break;
            }
            return (ssize_t)take;
        }"""))
mut('readn_eintr_ends_read', 'N3', 'Readn treats EINTR like end of stream and returns a short count',
    ("""        } else if (r == 0) {
            break;
        } else if (errno != EINTR) {""", """        } else if (r == 0 || errno == EINTR) {
            break;
        } else {"""))
mut('accept_no_econnaborted_retry', 'A1', 'Accept retries EINTR only; ECONNABORTED is returned',
    ("""    case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN:""", """    case EINTR: case EPROTO: case ENETDOWN:"""))
mut('read_loops_to_fill', 'R1', 'Read loops until nbytes are read (Read behaves like Readn)',
    ("""    do {
        r = read(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    return r;""", """    size_t got = 0;
    while (got < nbytes) {
        r = read(fd, (char *)ptr + got, nbytes - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;"""))
mut('readline_partial_line_lost_at_eof', 'L4', 'Readline returns 0 at end of stream, dropping a partial line',
    ("""        if (r == 0) {               /* end of stream: the partial line */
            take = avail;""", """        if (r == 0) {               /* end of stream: the partial line */
            s->pos = s->len = 0;
            take = 0;"""))
mut('readn_error_loses_bytes', 'N4', 'Readn returns -1 and drops the bytes it had read',
    ("""            rl_unread(fd, p, got);          /* N4 */
""", """            (void)rl_unread;
"""))
mut('perr_exit_without_strerror', 'P1', 'perr_exit prints only its argument',
    ("""    fprintf(stderr, "%s: %s\\n", s, strerror(e));""", """    (void)e;
    fprintf(stderr, "%s\\n", s);"""))
mut('bind_returns_on_failure', 'P2', 'Bind returns -1 instead of calling perr_exit',
    ("""    if (r < 0)
        perr_exit("bind error");""", ""))
mut('connect_eintr_ignores_so_error', 'C2', 'Connect after EINTR waits but never reads SO_ERROR',
    ("""    if (r >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0) {""",
     """    if (r >= 0)
        return 0;
    if (r >= 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0) {"""))
mut('writen_error_returns_partial', 'WN3', 'Writen returns the bytes written so far when write() fails',
    ("""            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;""", """            if (errno == EINTR)
                continue;
            return left < n ? (ssize_t)(n - left) : -1;
        }
        p += r;"""))
mut('read_exits_on_error', 'R3', "the course's Read: perr_exit on any error but EINTR",
    ("""    do {
        r = read(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    return r;""", """    do {
        r = read(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        perr_exit("read error");
    return r;"""))
mut('write_exits_on_error', 'W3', "the course's Write: perr_exit on any error but EINTR",
    ("""    do {
        r = write(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    return r;""", """    do {
        r = write(fd, ptr, nbytes);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
        perr_exit("write error");
    return r;"""))
mut('readline_strips_newline', 'L1', "Readline does not store the '\\n' (nor count it)",
    ("""    rl_take(s, buf, take);
    buf[take] = '\\0';""", """    rl_take(s, buf, take);
    if (take > 0 && buf[take - 1] == '\\n')
        take--;
    buf[take] = '\\0';"""))
mut('readline_no_eintr_retry', 'L5', "Readline's refill returns -1 EINTR",
    ("""    do {
        r = read(s->fd, s->data + s->len, s->cap - s->len);
    } while (r < 0 && errno == EINTR);""", """    r = read(s->fd, s->data + s->len, s->cap - s->len);"""))
mut('readline_one_read_one_line', 'L7', "Readline takes what one read() returned as the line when it has no '\\n'",
    ("""        if (r == 0) {               /* end of stream: the partial line */
            take = avail;
            break;
        }""", """        if (r == 0 || memchr(s->data + s->pos, '\\n', s->len - s->pos) == NULL) {
            take = r == 0 ? avail : (s->len - s->pos < want ? s->len - s->pos : want);
            break;
        }"""))
mut('readn_single_read', 'N1', 'Readn returns after one read() (short counts leak out)',
    ("""        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {""", """        if (r > 0) {
            got += (size_t)r;
            break;
        } else if (r == 0) {"""))
mut('writen_eintr_restarts', 'WN2', 'Writen starts over from the first byte after EINTR',
    ("""            if (errno == EINTR)
                continue;
            return -1;""", """            if (errno == EINTR) {
                p = vptr;
                left = n;
                continue;
            }
            return -1;"""))
mut('readn_zero_blocks', 'N6', 'Readn(n == 0) still reads to check for end of stream',
    ("""    if (n == 0)
        return 0;
    s = rl_get(fd, 0);""", """    if (n == 0) {
        char c;
        r = recv(fd, &c, 1, MSG_PEEK);
        return r < 0 ? -1 : 0;
    }
    s = rl_get(fd, 0);"""))
mut('connect_returns_minus_one_on_success', 'C1', 'Connect returns what the bare call returned only when nonzero, else 1',
    ("""    if (connect(fd, sa, salen) == 0)
        return 0;""", """    if (connect(fd, sa, salen) == 0)
        return 1;"""))

os.makedirs(out, exist_ok=True)
for name, clauses, desc, reps in M:
    s = src
    for old, new in reps:
        c = s.count(old)
        if c != 1:
            sys.exit('%s: pattern found %d times: %r' % (name, c, old[:60]))
        s = s.replace(old, new)
    hdr = '/* MUTANT breaks: %s */\n/* %s. A copy of wrap/wrap.c with that one fault. */\n' % (clauses, desc)
    open(out + name + '.c', 'w').write(hdr + s)
print(len(M), 'mutants')

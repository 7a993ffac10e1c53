/* echoload.h: many echo clients at once, driven by one poll() loop in the
 * calling thread (non-blocking sockets, no threads), each echo checked byte
 * for byte against the contract's mapping (a-z -> A-Z, S1). Used by the
 * server suite (S1-S5, S8) and by soak tests. */
#ifndef SUPPORT_ECHOLOAD_H
#define SUPPORT_ECHOLOAD_H

#include <stddef.h>

enum echo_mode {
    EM_NORMAL,       /* send all, half-close, read to the end of stream */
    EM_SILENT,       /* connect, then nothing; closed by us once the others end */
    EM_STALL,        /* send what the kernel takes, never read; closed at the end */
    EM_RST,          /* as NORMAL, but close with RST once RST_AT bytes came back */
    EM_CLOSE_NOREAD, /* send (up to RST_AT bytes, or until stuck), never read, close() */
    EM_HALF_RST,     /* send without reading until all is sent or sending is
                      * stuck (LEN becomes what was sent), half-close, then read
                      * a little at a time; RST once RST_AT came back and the
                      * server's socket is in CLOSE_WAIT with echo still owed
                      * (so its next write fails with EPIPE for real) */
    EM_WAIT_CLOSE,   /* send DATA (none: silent) never reading, and wait for the
                      * server to close the connection (S8); t_last_io counts
                      * the server's bytes arriving in our receive queue too */
};

enum echo_end {
    EE_RUNNING,
    EE_EOF,        /* the server closed (FIN) */
    EE_RESET,      /* ECONNRESET/EPIPE from the server's side */
    EE_LOCAL,      /* we closed it, as the mode says */
    EE_CLOSED,     /* EM_WAIT_CLOSE: the server's socket left ESTABLISHED */
    EE_TIMEOUT,    /* still running at the deadline */
    EE_CONNFAIL,   /* connect failed */
    EE_ERROR,      /* another error (errno in err) */
};

struct echo_conn {
    /* in */
    const unsigned char *data;
    size_t len;
    enum echo_mode mode;
    size_t chunk;        /* bytes per send (0: 16 KiB) */
    int interval_ms;     /* at least this long between sends */
    int lockstep;        /* send the next chunk once the previous echo is back */
    size_t rst_at;       /* EM_RST, EM_CLOSE_NOREAD, EM_HALF_RST */
    int start_delay_ms;  /* first send that long after connecting */
    int shut_after_echo; /* half-close only once the whole echo is back: the
                          * server's reads meet data with no FIN queued
                          * (where the kernel can answer a read short) */
    int read_delay_ms;   /* read nothing that long after connecting: the
                          * server's send queue fills (where the kernel
                          * can answer a write short, or EAGAIN) */
    /* out */
    int fd;
    size_t sent, got;
    size_t first_bad;    /* offset of the first wrong byte, or (size_t)-1 */
    unsigned char bad_got[8]; /* what came at first_bad (bad_n bytes) */
    unsigned bad_n;
    enum echo_end end;
    int err;
    int rst_in_close_wait; /* EM_HALF_RST: the RST met the server in CLOSE_WAIT */
    long long t_start, t_end, t_last_io;
    /* private */
    int local_port, shut, connected;
    unsigned last_rxq;
    long long t_next_send, t_check;
};

/* The mapping echoes are checked against: the contract's (a-z as A-Z),
 * the plain echo (every byte unchanged), or none (no byte is compared:
 * only lengths sent and ends of stream). Set once S1 has seen the
 * server's; the contract's by default. */
enum echo_map { EMAP_UPPER, EMAP_IDENTITY, EMAP_NONE };
void echo_set_map(enum echo_map m);
enum echo_map echo_get_map(void);
const char *echo_map_str(enum echo_map m);
/* The byte the mapping expects back for B. */
unsigned char echo_mapped(unsigned char b);

/* Runs CONNS[0..N) against 127.0.0.1:PORT until every one that ends on its
 * own has ended or TIMEOUT_MS pass (those get EE_TIMEOUT); background ones
 * (EM_SILENT, EM_STALL) are closed then. Fills the out fields. */
void echo_run(struct echo_conn *conns, int n, int port, int timeout_ms);

/* S1/S2/S4: 0 if C got its whole exact echo and then end of stream, else -1
 * and a one-line reason in WHY. */
int echo_check_exact(const struct echo_conn *c, char *why, size_t whylen);

/* S5: 0 if C got an exact prefix of its echo and ended (EOF, reset, or
 * closed by us), not by timeout; else -1 and WHY. */
int echo_check_prefix(const struct echo_conn *c, char *why, size_t whylen);

/* "echo wrong at byte N: expected 41 42, got 61 62 (checked as ...)". */
const char *echo_bad_bytes(const struct echo_conn *c, char *buf, size_t len);

/* How many connections so far we reset, or closed with data unread
 * (EM_RST, EM_HALF_RST, EM_STALL, EM_CLOSE_NOREAD): the server's next
 * read or write on them fails (ECONNRESET, EPIPE), S5's condition. */
long echo_clients_gone(void);

/* "eof", "reset", ... */
const char *echo_end_str(enum echo_end e);

#endif

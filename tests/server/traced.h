/* traced.h: the server under `faultrun --backend=trace` instead of the
 * shim: a statically linked server (LD_PRELOAD cannot reach it), or any
 * server with SERVER_SUITE_FAULTRUN=1. The rules, seed and log the shim
 * would get from its environment go on faultrun's command line (-e, -s,
 * -l): the same rules, the same log lines.
 *
 * Under faultrun the process the suite starts (and waitpid()s) is the
 * supervisor; the server is its child, which /proc and signals are aimed
 * at. faultrun ends as the server ended (its exit code, or the same
 * signal), but only once every process it traces is gone: a server that
 * died while its forked children still serve is dead all the same, so
 * those orphans are killed (traced_kill_rest) to learn its status.
 * faultrun passes SIGTERM on to the server and ignores SIGINT itself;
 * the suite signals the server directly either way. */
#ifndef SERVER_TRACED_H
#define SERVER_TRACED_H

#include <stddef.h>
#include <sys/types.h>

enum { TRACED_WRAP_MAX = 12 };

/* 1 if PATH is an ELF file with no interpreter (no PT_INTERP: statically
 * linked), 0 if it has one, -1 if it is not an ELF file or unreadable. */
int traced_elf_static(const char *path);

/* The argv put before `SERVER PORT ...`: FAULTRUN --backend=trace -q -s 1
 * [-l LOG] [-e RULES] --, NULL-terminated, into OUT (TRACED_WRAP_MAX). */
void traced_wrapper(const char *faultrun, const char *rules, const char *log, const char **out);

/* Waits up to MS for faultrun SUP to have a child it traces (TracerPid
 * SUP): the server's pid, or -1 (faultrun exited first, or the time ran
 * out). SUP is not reaped. */
pid_t traced_server_pid(pid_t sup, int ms);

/* 1 if PID is traced by SUP. */
int traced_by(pid_t pid, pid_t sup);

/* SIGKILLs every process SUP still traces (the server is gone). */
void traced_kill_rest(pid_t sup);

/* What faultrun said when it refused to run (exit 2 before the server
 * ran: a rule the trace backend cannot do yet, a kernel it cannot trace
 * on): its first "faultrun:" line in OUT, into WHY. 1 if found, else 0. */
int traced_refusal(const char *out, char *why, size_t len);

#endif

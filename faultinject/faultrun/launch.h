/* launch.h: starting COMMAND for faultrun and passing on how it ended.
 * Owner: launch.c. */
#ifndef FI_LAUNCH_H
#define FI_LAUNCH_H

/* execvp(ARGV) or exit 127 (not found) / 126 with a message. */
void fr_exec(char **argv) __attribute__((noreturn));

/* Runs ARGV in a child (with FAULTINJECT_RULES set to RULES first, unless
 * NULL) and waits for it; its wait status. While it runs, faultrun ignores
 * the terminal's SIGINT and SIGQUIT (the child gets them itself) and
 * passes SIGTERM and SIGHUP on to it. Exits 2 if it cannot fork. */
int fr_launch(char **argv, const char *rules);

/* Ends faultrun as the child ended: its exit code, or the same signal. */
void fr_exit_like(int status) __attribute__((noreturn));

#endif

/* progress.h: the sweep's live line (faultinject.md, Sweep): points done,
 * failing and left, and the time since the sweep began, redrawn in place
 * with \r on standard error. Owner: progress.c.
 *
 * Only when standard error is a terminal: in a pipe, a log or CI nothing
 * of it is ever written. While it is on, a one-second timer (SIGALRM,
 * without SA_RESTART) interrupts the caller's waits so that the elapsed
 * time moves. */
#ifndef FI_PROGRESS_H
#define FI_PROGRESS_H

#include <stdint.h>

/* Turns the line on if standard error is a terminal; 1 if it did. */
int fr_progress_begin(void);

/* Draws the line; LEFT < 0 is unknown ("?"). Nothing when off. */
void fr_progress_show(uint64_t done, uint64_t failing, long long left);

/* Erases the line, before a line of output. Nothing when off. */
void fr_progress_clear(void);

/* Erases the line and stops the timer. */
void fr_progress_end(void);

#endif

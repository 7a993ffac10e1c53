/* shellword.h: the commands faultrun prints for a user to paste (a sweep's
 * "reproduce" line, a shrink's --replay command) quote each word so that
 * the shell reads it back as it was. Owner: shellword.c.
 */
#ifndef FR_SHELLWORD_H
#define FR_SHELLWORD_H

#include <stdio.h>

/* Writes WORD to F: bare when every character is safe for the shell (and
 * ALWAYS is 0), else in '...' with each ' written as '\''. */
void fr_shell_word(FILE *f, const char *word, int always);

#endif

/* shellword.c: a word as the shell reads it back (see shellword.h). */
#include "shellword.h"

#include <string.h>

void fr_shell_word(FILE *f, const char *word, int always)
{
    int safe = word[0] != '\0' && !always;
    for (const char *p = word; *p && safe; p++)
        safe = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                      "_@%+=:,./-", *p) != NULL;
    if (safe) {
        fputs(word, f);
        return;
    }
    fputc('\'', f);
    for (const char *p = word; *p; p++)
        if (*p == '\'')
            fputs("'\\''", f);
        else
            fputc(*p, f);
    fputc('\'', f);
}

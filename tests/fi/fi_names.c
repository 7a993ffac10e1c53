/* fi_names.c: prints names.h's vocabularies, one word a line ("call read",
 * "group rd", "fault short"), for scripts/man_names.sh to hold man
 * faultrun's lists against. */
#include <stdio.h>

#include "names.h"

int main(void)
{
    const char *g;
    for (int c = 0; c < FI_C_COUNT; c++)
        if (fi_call_listed((enum fi_call)c))
            printf("call %s\n", fi_call_name((enum fi_call)c));
    for (int i = 0; (g = fi_group_word(i, NULL, NULL)) != NULL; i++)
        printf("group %s\n", g);
    for (int i = 0; i < FI_F_COUNT; i++)
        printf("fault %s\n", fi_fault_word(fi_fault_at(i)));
    return 0;
}

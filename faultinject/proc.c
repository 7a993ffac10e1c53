/* proc.c: fork paths and per-process p= streams (see proc.h). */
#include "proc.h"

uint64_t fi_proc_stream(void)
{
    return 0;
}

const char *fi_proc_path(void)
{
    return "0";
}

void fi_proc_after_fork(void)
{
}

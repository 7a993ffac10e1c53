/* input_name.c: see input_name.h. */
#include "input_name.h"

#include <stddef.h>

const char *fuzz_input_name = NULL;

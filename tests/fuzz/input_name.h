/* input_name.h: the name of the input being checked (the replayed file),
 * shown in breach messages by wrap_check.c and rules_check.c; NULL under
 * libFuzzer, which names the crash file itself. */
#ifndef FUZZ_INPUT_NAME_H
#define FUZZ_INPUT_NAME_H

extern const char *fuzz_input_name;

#endif

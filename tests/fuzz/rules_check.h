/* rules_check.h: one fuzz input run through the shim's rule parser
 * (faultinject/common/rules.h) with the checks of faultinject.md's "Loud on bad
 * input": no crash, no overflow, every rejection has a message that names
 * the rule, every accepted rule is well formed and reads back the same.
 * Shared by fuzz_rules.c (libFuzzer) and fuzz_replay.c (plain test). */
#ifndef RULES_CHECK_H
#define RULES_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Returns normally when the parser behaved; prints what broke and aborts. */
void rules_check_input(const uint8_t *data, size_t size);

#endif

/* logparse_check.h: one fuzz input run through the injection log's parser
 * (faultinject/common/logparse.h), with the checks of faultinject.md's Replay and
 * "Loud on bad input": no crash, no read or write out of bounds, a bad log
 * named by its line, every accepted line in range and read back the same
 * when written out again. Shared by fuzz_logparse.c (libFuzzer) and
 * fuzz_replay.c (plain test over the committed corpus). */
#ifndef LOGPARSE_CHECK_H
#define LOGPARSE_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Returns normally when the parser behaved; prints what broke and aborts. */
void logparse_check_input(const uint8_t *data, size_t size);

#endif

/* wrap_check.h: one fuzz input run through wrap.c against a plain model of
 * wrap-contract.md (L1-L13 but L8, N1-N6, R1-R3, W1-W3, WN1-WN3, A1-A2, C1-C3, CL1, M1).
 *
 * Shared by the libFuzzer target (fuzz_wrap.c) and the plain replay test
 * (fuzz_replay.c), so a crash file found by the fuzzer is replayed by
 * `make test` with the very same check.
 */
#ifndef WRAP_CHECK_H
#define WRAP_CHECK_H

#include <stddef.h>
#include <stdint.h>

/* Runs the operations that DATA describes on wrap.c over scripted fake
 * descriptors. Returns normally when every result met the contract; on a
 * breach prints the clause and what differed to stderr and aborts. */
void wrap_check_input(const uint8_t *data, size_t size);

#endif

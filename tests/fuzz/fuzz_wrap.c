/* fuzz_wrap: libFuzzer target for wrap.c (L1-L13, N1-N6, R1-R3, W1-W3,
 * WN1-WN3, CL1, M1). The input chooses the byte streams, how they are split
 * into reads, which reads fail (EINTR, EAGAIN, reset, ...), and the calls
 * with their maxlen/n; wrap_check.c holds the model and the checks, and how
 * wrap.o's system calls are redirected (objcopy --redefine-sym).
 *   make fuzz FUZZ_SECONDS=30      (tests/reliability.mk)
 */
#include <stddef.h>
#include <stdint.h>

#include "wrap_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wrap_check_input(data, size);
    return 0;
}

/* fuzz_logparse: libFuzzer target for the injection log's parser
 * (faultinject/common/logparse.c, what --replay reads); the checks are in
 * logparse_check.c.   make fuzz-logparse FUZZ_SECONDS=30 (tests/reliability.mk)
 */
#include <stddef.h>
#include <stdint.h>

#include "logparse_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    logparse_check_input(data, size);
    return 0;
}

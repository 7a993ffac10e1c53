/* fuzz_rules: libFuzzer target for the shim's rule parser
 * (faultinject/common/rules.c through rules.h); the checks are in rules_check.c.
 *   make fuzz FUZZ_SECONDS=30      (tests/reliability.mk)
 */
#include <stddef.h>
#include <stdint.h>

#include "rules_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rules_check_input(data, size);
    return 0;
}

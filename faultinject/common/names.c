/* names.c: the tables of names.h, looked up. */
#include "names.h"

#include <string.h>

_Static_assert(FI_C_COUNT <= 32, "a rule's calls are a 32-bit mask");

/* Every fault's value is below FI_F_COUNT, and no two are the same (a
 * repeated value is a duplicate case label), so the enum is 0..COUNT-1. */
#define FAULT_IN_RANGE_(e, v, word, val, reach, help) \
    _Static_assert(v >= 0 && v < FI_F_COUNT, "FI_FAULTS: " #e "'s value out of range");
FI_FAULTS(FAULT_IN_RANGE_)

#define FAULT_CASE_(e, v, word, val, reach, help) case v:
__attribute__((unused)) static void fault_values_differ(int f)
{
    switch (f) {
    FI_FAULTS(FAULT_CASE_)
        break;
    default:
        break;
    }
}

static const struct {
    const char *name;
    enum fi_family family;
} calls[FI_C_COUNT] = {
#define CALL_ROW_(e, name, fam) [FI_C_##e] = { name, FI_FAM_##fam },
    FI_CALLS(CALL_ROW_)
};

static const struct {
    const char *word;
    enum fi_value value;
    unsigned calls;
    const char *help;
} faults[FI_F_COUNT] = {
#define FAULT_ROW_(e, v, word, val, reach, help) \
    [FI_F_##e] = { word, FI_V_##val, FI_REACH_##reach, help },
    FI_FAULTS(FAULT_ROW_)
};

static const enum fi_fault fault_order[FI_F_COUNT] = {
#define FAULT_ORDER_(e, v, word, val, reach, help) FI_F_##e,
    FI_FAULTS(FAULT_ORDER_)
};

static const struct {
    const char *word;
    enum fi_family family;
    const char *help;
} groups[] = {
#define GROUP_ROW_(word, fam, help) { word, FI_FAM_##fam, help },
    FI_GROUPS(GROUP_ROW_)
};

static int is(const char *word, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(word, name, len) == 0;
}

static unsigned family_calls(enum fi_family fam)
{
    unsigned mask = 0;
    for (int c = 0; c < FI_C_COUNT; c++)
        if (calls[c].family == fam)
            mask |= FI_BIT(c);
    return mask;
}

const char *fi_call_name(enum fi_call c)
{
    return calls[c].name;
}

enum fi_family fi_call_family(enum fi_call c)
{
    return calls[c].family;
}

int fi_call_listed(enum fi_call c)
{
    for (int later = (int)c + 1; later < FI_C_COUNT; later++)
        if (strcmp(calls[later].name, calls[c].name) == 0)
            return 0;
    return 1;
}

unsigned fi_calls_named(const char *word, size_t len)
{
    unsigned mask = 0;
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        if (is(word, len, groups[g].word))
            mask |= family_calls(groups[g].family);
    for (int c = 0; c < FI_C_COUNT; c++)
        if (is(word, len, calls[c].name))
            mask |= FI_BIT(c);
    return mask;
}

const char *fi_group_word(int i, unsigned *mask, const char **help)
{
    if (i < 0 || (size_t)i >= sizeof groups / sizeof groups[0])
        return NULL;
    if (mask != NULL)
        *mask = family_calls(groups[i].family);
    if (help != NULL)
        *help = groups[i].help;
    return groups[i].word;
}

enum fi_fault fi_fault_at(int i)
{
    return fault_order[i];
}

const char *fi_fault_word(enum fi_fault f)
{
    return faults[f].word;
}

enum fi_value fi_fault_value(enum fi_fault f)
{
    return faults[f].value;
}

unsigned fi_fault_calls(enum fi_fault f)
{
    return faults[f].calls;
}

const char *fi_fault_help(enum fi_fault f)
{
    return faults[f].help;
}

const char *fi_value_spelling(enum fi_value v)
{
    static const char *const spelled[] = {
        [FI_V_NONE] = "", [FI_V_BYTES] = "[=N]", [FI_V_ERRNO] = "=NAME", [FI_V_MS] = "=MS",
    };
    return spelled[v];
}

int fi_fault_from_word(const char *word, size_t len)
{
    for (int f = 0; f < FI_F_COUNT; f++)
        if (is(word, len, faults[f].word))
            return f;
    return -1;
}

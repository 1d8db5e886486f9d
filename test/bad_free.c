/* SPDX-License-Identifier: MIT */
/* Misuse with the default fault action: freeing a block twice in a row
 * (TEST_DOUBLE_FREE=1) or reallocating a block just freed (2), both caught
 * at every checks level, or freeing a pointer into the middle of a block
 * (0, checks=fast and full), must stop the program, reporting the kind and
 * the pointer (checked by expect_fault.py). */
#include "poolalloc.h"
#include "say_pointer.h"

int main(void)
{
    char *p = poolalloc_malloc(1);
#if TEST_DOUBLE_FREE
    char *bad = p;
    poolalloc_free(p);
#else
    char *bad = p + 1;
#endif
    say_bad_pointer((void *)bad);
#if TEST_DOUBLE_FREE == 2
    (void)!poolalloc_realloc(bad, 2);
#else
    poolalloc_free(bad);
#endif
    return 0; /* not reached */
}

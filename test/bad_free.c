/* SPDX-License-Identifier: MIT */
/* Misuse with the default fault action, which must stop the program,
 * reporting the kind and the pointer (checked by expect_fault.py):
 *   TEST_DOUBLE_FREE=1  a block freed twice in a row      (every checks level)
 *   TEST_DOUBLE_FREE=2  realloc of a block just freed     (every checks level)
 *   TEST_DOUBLE_FREE=3  a block freed again after another block of its pool
 *                       was freed (checks=fast and full)
 *   TEST_DOUBLE_FREE=4  realloc of a block freed before another one
 *                       (checks=fast and full)
 *   TEST_DOUBLE_FREE=0  a pointer into the middle of a block (checks=fast
 *                       and full) */
#include "poolalloc.h"
#include "say_pointer.h"

int main(void)
{
    /* 16 bytes: a block with room for the free mark (two pointers) on every
     * test layout, host included */
    char *p = poolalloc_malloc(16);
#if TEST_DOUBLE_FREE
    char *bad = p;
    char *q = poolalloc_malloc(16);
    poolalloc_free(p);
#if TEST_DOUBLE_FREE >= 3
    poolalloc_free(q); /* p is no longer its list's head */
#else
    (void)q;
#endif
#else
    char *bad = p + 1;
#endif
    say_bad_pointer((void *)bad);
#if TEST_DOUBLE_FREE == 2 || TEST_DOUBLE_FREE == 4
    (void)!poolalloc_realloc(bad, 17);
#else
    poolalloc_free(bad);
#endif
    return 0; /* not reached */
}

/*
 * free: the owning pool is found from the address alone (a compare tree over
 * the pool boundaries, no block header), and the block is pushed on that
 * pool's free list.  O(1).
 *
 * A pointer outside every pool is refused and reported to poolalloc_fault():
 * the tree yields that check for one compare, so it is always on.
 */
#include <stdlib.h>

#include "poolalloc_private.h"

void poolalloc_free(void *ptr)
{
    if (ptr == NULL)
        return;
    unsigned k = pool_of_ptr(ptr);
    if (k >= POOL_COUNT) {
        pool_report_fault(POOLALLOC_FAULT_FOREIGN_POINTER, ptr, __builtin_return_address(0));
        return;
    }
    pool_give(k, ptr);
}

#if POOLALLOC_LIBC_NAMES
void free(void *ptr) __attribute__((alias("poolalloc_free")));
void cfree(void *ptr) __attribute__((alias("poolalloc_free")));
#endif

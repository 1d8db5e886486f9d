/* SPDX-License-Identifier: MIT */
/*
 * free: the owning pool is found from the address alone (a table load and at
 * most a compare, src/pool.h; no block header), and the block is pushed on that
 * pool's free list.  O(1) (O(block) for the poisoning with checks=full).
 *
 * A bad pointer is refused and reported to poolalloc_fault(): outside every
 * pool (always: the tree yields that check for one compare); with
 * checks=fast also not at a block boundary or above the pool's edge; with
 * checks=full also a block that is already free (an atomic test-and-clear
 * of its allocated bit, so two racing frees of one block free it once).
 */
#include <stdlib.h>

#include "poolalloc_private.h"

void poolalloc_free(void *ptr)
{
    if (ptr == NULL)
        return;
    void *caller = __builtin_return_address(0);
    unsigned k = pool_of_valid_ptr(ptr, caller, false);
    if (k >= POOL_COUNT)
        return;
    pool_release(k, ptr, caller);
}

#if POOLALLOC_LIBC_NAMES && !POOLALLOC_TRACE /* traced: src/trace_names.c */
void free(void *ptr) __attribute__((alias("poolalloc_free")));
void cfree(void *ptr) __attribute__((alias("poolalloc_free")));
#endif

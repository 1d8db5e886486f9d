/* SPDX-License-Identifier: MIT */
/*
 * Out of memory: the shared failure path of every allocation entry point.
 * It counts the failure (stats: against the first pool the request tried,
 * and in the global OOM count), calls the weak hook poolalloc_oom(size,
 * caller) -- by default nothing -- and returns NULL with errno = ENOMEM.
 * Kept out of line so that the successful paths stay short.  O(1).
 */
#include <errno.h>
#include <stdlib.h>

#include "poolalloc_private.h"

__attribute__((weak)) void poolalloc_oom(size_t size, void *caller)
{
    (void)size;
    (void)caller;
}

#if POOLALLOC_STATS
void *pool_out_of_memory(size_t size, void *caller, unsigned first)
{
    if (first == POOL_FIRST_FOR_SIZE) {
        first = pool_for_size(size);
    }
    if (first < POOL_COUNT) {
        (void)counter_add(&pool_heap.state[first].fails, 1);
    }
    (void)counter_add(&pool_totals.oom_count, 1);
#else
void *pool_out_of_memory(size_t size, void *caller)
{
#endif
    poolalloc_oom(size, caller);
    errno = ENOMEM;
    return NULL;
}

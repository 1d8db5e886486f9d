/* SPDX-License-Identifier: MIT */
/*
 * malloc_usable_size: the block size of the owning pool.  O(1).  A bad
 * pointer (see free.c; with checks=full also a freed block) is reported and
 * gets 0.
 */
#include <malloc.h>

#include "poolalloc_private.h"

size_t poolalloc_usable_size(void *ptr)
{
    if (ptr == NULL) {
        return 0;
    }
    unsigned k = pool_of_valid_ptr(ptr, __builtin_return_address(0), true);
    if (k >= POOL_COUNT) {
        return 0;
    }
    return pool_block_size(k);
}

#if POOLALLOC_LIBC_NAMES
size_t malloc_usable_size(void *ptr) __attribute__((alias("poolalloc_usable_size")));
#endif

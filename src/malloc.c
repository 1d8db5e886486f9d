/*
 * malloc: size -> pool by table lookup, then take a block from that pool or,
 * with fallback on, from the next larger pools in turn.
 *
 * Complexity: O(1) per pool tried; at most POOL_COUNT pools (1 with
 * fallback off).  A request larger than the largest block fails at once.
 */
#include <errno.h>
#include <stdlib.h>

#include "poolalloc_private.h"

void *poolalloc_malloc(size_t size)
{
    if (size <= POOL_MAX_BLOCK) {
        unsigned k = pool_for_size(size);
        do {
            void *block = pool_take(k);
            if (block != NULL)
                return block;
        } while (POOLALLOC_FALLBACK && ++k < POOL_COUNT);
    }
    errno = ENOMEM;
    return NULL;
}

#if POOLALLOC_LIBC_NAMES
void *malloc(size_t size) __attribute__((alias("poolalloc_malloc")));
#endif

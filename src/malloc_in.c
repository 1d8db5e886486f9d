/* SPDX-License-Identifier: MIT */
/*
 * poolalloc_malloc_in: malloc from one region (-Dregions; the region
 * numbers are POOLALLOC_REGION_<NAME>, poolalloc_regions.h).  Size -> pool
 * by the region's own table, then that pool and (fallback) the region's
 * larger pools: never another region's.  The failure path is malloc's
 * (src/oom.c).  In a build with one region, region 0 is malloc.
 *
 * Complexity: O(1) per pool tried, at most the region's pool count.
 */
#include <errno.h>

#include "poolalloc_private.h"
#include "trace.h"

#if POOL_REGION_COUNT > 1
void *pool_alloc_in(unsigned region, size_t size, void *caller)
{
    if (region >= POOL_REGION_COUNT) {
        errno = EINVAL;
        return NULL;
    }
    unsigned first = pool_for_size_in(region, size);
    void *block = pool_take_from(first, pool_region_end(region), caller);
    if (block != NULL) {
        return block;
    }
    return pool_fail(size, first, caller);
}
#endif

void *poolalloc_malloc_in(unsigned region, size_t size)
{
    void *block;
#if POOL_REGION_COUNT > 1
    block = pool_alloc_in(region, size, __builtin_return_address(0));
#else
    if (region != 0) {
        errno = EINVAL;
        block = NULL;
    } else {
        block = pool_alloc_for(size, __builtin_return_address(0));
    }
#endif
    TRACE_MALLOC_IN(region, size, block);
    return block;
}

/* SPDX-License-Identifier: MIT */
/*
 * Introspection: pool count and per-pool usage.
 *
 * The high-water mark comes free from the count of never-used blocks handed
 * out, which never goes back; in_use is pool_in_use() (src/poolalloc_private.h).
 */
#include "poolalloc_private.h"

size_t poolalloc_pool_count(void)
{
    return POOL_COUNT;
}

bool poolalloc_pool_info(size_t index, struct poolalloc_pool_info *info)
{
    if (index >= POOL_COUNT)
        return false;
    unsigned k = (unsigned)index;
    info->block_size = pool_block_size(k);
    info->capacity = pool_capacity(k);
    info->alignment = pool_natural_align(k);
    info->start = pool_start(k);
    info->end = pool_end(k);
    info->high_water = pool_used(k);
    info->in_use = pool_in_use(k);
#if POOL_REGION_COUNT > 1
    info->region = pool_region_of(k);
#else
    info->region = 0;
#endif
    return true;
}

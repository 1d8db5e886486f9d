/*
 * Introspection: pool count and per-pool usage.
 *
 * The high-water mark comes free from the bump edge, which never moves back.
 * in_use is allocs - frees with the stats option; without it, it is derived
 * by walking the free list (bounded by the capacity, so a corrupted list
 * cannot hang the walk).
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
    const struct pool_geometry *geometry = &pool_geometry[index];
    info->block_size = geometry->block;
    info->capacity = (size_t)(geometry->end - geometry->start) / geometry->block;
    info->alignment = geometry->align;
    info->start = geometry->start;
    info->end = geometry->end;
    info->high_water = (size_t)(pool_edge_load((unsigned)index) - geometry->start) / geometry->block;
#if POOLALLOC_STATS
    /* frees first: a free that lands between the two loads cannot make the
     * difference negative. */
    size_t frees = counter_load(&pool_state[index].frees);
    info->in_use = counter_load(&pool_state[index].allocs) - frees;
#else
    info->in_use = info->high_water - pool_count_free((unsigned)index, info->capacity);
#endif
    return true;
}

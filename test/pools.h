/* SPDX-License-Identifier: MIT */
/*
 * Test helpers that read the configured layout through the public API, so
 * every test adapts to whatever -Dpools (and -Dregions) the build uses.
 * malloc serves the default region's pools only: the helpers that size
 * what malloc can take count those.
 */
#ifndef TEST_POOLS_H
#define TEST_POOLS_H

#include <stdint.h>
#include <string.h>

#include "poolalloc.h"

static inline struct poolalloc_pool_info pool(size_t k)
{
    struct poolalloc_pool_info info;
    memset(&info, 0, sizeof info);
    poolalloc_pool_info(k, &info);
    return info;
}

/* Pool holding ptr, or poolalloc_pool_count() if none. */
static inline size_t pool_holding(const void *ptr)
{
    size_t k;
    for (k = 0; k < poolalloc_pool_count(); k++) {
        struct poolalloc_pool_info info = pool(k);
        if ((uintptr_t)ptr >= (uintptr_t)info.start && (uintptr_t)ptr < (uintptr_t)info.end)
            break;
    }
    return k;
}

/* The pools malloc serves: the default region's, numbered first (every
 * pool in a build with one region). */
static inline size_t malloc_pool_count(void)
{
    size_t k = 0;
    while (k < poolalloc_pool_count() && pool(k).region == POOLALLOC_REGION_HEAP)
        k++;
    return k;
}

/* The largest block malloc can hand out. */
static inline size_t largest_block(void)
{
    return pool(malloc_pool_count() - 1).block_size;
}

/* First pool of malloc's whose block holds size bytes (malloc's pool count
 * if none). */
static inline size_t first_pool_for(size_t size)
{
    size_t k = 0;
    while (k < malloc_pool_count() && pool(k).block_size < size)
        k++;
    return k;
}

/* Blocks in use in every region. */
static inline size_t total_in_use(void)
{
    size_t n = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        n += pool(k).in_use;
    return n;
}

/* Blocks malloc can hand out. */
static inline size_t total_capacity(void)
{
    size_t n = 0;
    for (size_t k = 0; k < malloc_pool_count(); k++)
        n += pool(k).capacity;
    return n;
}

#endif

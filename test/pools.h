/* SPDX-License-Identifier: MIT */
/*
 * Test helpers that read the configured layout through the public API, so
 * every test adapts to whatever -Dpools the build uses.
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

static inline size_t largest_block(void)
{
    return pool(poolalloc_pool_count() - 1).block_size;
}

/* First pool whose block holds size bytes (pool count if none). */
static inline size_t first_pool_for(size_t size)
{
    size_t k = 0;
    while (k < poolalloc_pool_count() && pool(k).block_size < size)
        k++;
    return k;
}

static inline size_t total_in_use(void)
{
    size_t n = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        n += pool(k).in_use;
    return n;
}

static inline size_t total_capacity(void)
{
    size_t n = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        n += pool(k).capacity;
    return n;
}

#endif

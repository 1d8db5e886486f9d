/* SPDX-License-Identifier: MIT */
/*
 * malloc: size -> pool by table lookup, then take a block from that pool or,
 * with fallback on, from the next larger pools in turn (pool_alloc in
 * poolalloc_private.h); the failure path (OOM hook, ENOMEM) is src/oom.c.
 *
 * Complexity: O(1) per pool tried; at most POOL_COUNT pools (1 with
 * fallback off).  A request larger than the largest block fails at once.
 * checks=full adds the O(block) poison check of a recycled block.
 */
#include <errno.h>
#include <stdlib.h>

#include "poolalloc_private.h"

void *poolalloc_malloc(size_t size)
{
    return pool_alloc(size, __builtin_return_address(0));
}

void *pool_alloc_for(size_t size, void *caller)
{
    return pool_alloc(size, caller);
}

#if POOLALLOC_LIBC_NAMES && !POOLALLOC_TRACE /* traced: src/trace_names.c */
void *malloc(size_t size) __attribute__((alias("poolalloc_malloc")));
#endif

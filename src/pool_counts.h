/* SPDX-License-Identifier: MIT */
/*
 * The statistics of a take and a give, written once on top of the backend's
 * counter primitives (counter_add, counter_raise, declared by src/sync.h):
 * each update is atomic on its own, as the backend makes it.  Included by
 * every sync backend once its struct pool_state is complete (the state
 * array of src/pool_heap.h needs it).  The irq and none backends update
 * in-line inside their critical section instead (src/sync_masked.h); they
 * use these only on the rare paths of src/checks.c.  O(1).
 */
#ifndef POOL_COUNTS_H
#define POOL_COUNTS_H

#include "pool.h"
#include "pool_heap.h"
#include "pool_stats.h"
#include "sync.h"

POOL_INLINE void count_take(unsigned k)
{
#if POOLALLOC_STATS
    counter_add(&pool_heap.state[k].allocs, 1);
    counter_raise(&pool_totals.peak_bytes, counter_add(&pool_totals.bytes_in_use, pool_block_size(k)));
#else
    (void)k;
#endif
}

POOL_INLINE void count_give(unsigned k)
{
#if POOLALLOC_STATS
    counter_add(&pool_heap.state[k].frees, 1);
    counter_add(&pool_totals.bytes_in_use, -pool_block_size(k));
#else
    (void)k;
#endif
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Statistics: a consistent snapshot of the counters, and their reset.
 *
 * Counters (stats option) are updated by the sync backends inside each take
 * and give: allocs and frees per pool (in_use = allocs - frees), fails per
 * pool and the OOM count (src/oom.c), bytes in use and its peak.  Every
 * counter except bytes_in_use and the peak only grows (a reset records
 * baselines), and every operation bumps at least one of allocs, frees,
 * fails or oom_count.  So:
 *  - backends that stop the others (POOL_SYNC_LOCK_FREE 0, src/sync.h: irq,
 *    lock, none): copy with everything stopped (pool_lock_all), one pass;
 *  - lock-free backends (llsc, c11): copy (each pool's counters before its high-water
 *    count, the peak last, so an operation that lands in between is caught
 *    by its counter),
 *    then sum the counters again; an unchanged sum means no operation ran
 *    during the copy.  Up to SNAPSHOT_TRIES passes.
 * bytes_in_use is derived from the pools, and the peak is raised to it, so
 * the copy always satisfies in_use <= high_water and bytes <= peak.
 * Complexity: O(POOL_COUNT) per pass.
 */
#include "poolalloc_private.h"

#define SNAPSHOT_TRIES 8

#if POOLALLOC_STATS && POOL_SYNC_LOCK_FREE
/* Sum of every growing counter: changes whenever any operation ran. */
static size_t operations_sum(void)
{
    size_t sum = counter_load(&pool_totals.oom_count);
    for (unsigned k = 0; k < POOL_COUNT; k++) {
        struct pool_state *state = &pool_heap.state[k];
        sum += counter_load(&state->allocs) + counter_load(&state->frees) + counter_load(&state->fails);
    }
    return sum;
}
#endif

/* One pass: copy everything; returns the operations sum it saw (stats) or 0. */
static size_t copy_once(struct poolalloc_stats *totals, struct poolalloc_pool_stats *pools, size_t max_pools)
{
    size_t sum = 0;
    size_t bytes = 0;
#if POOLALLOC_STATS
    sum = counter_load(&pool_totals.oom_count);
#endif
    for (unsigned k = 0; k < POOL_COUNT; k++) {
        struct poolalloc_pool_stats one = { 0 };
        one.block_size = pool_block_size(k);
        one.capacity = pool_capacity(k);
#if POOLALLOC_STATS
        struct pool_state *state = &pool_heap.state[k];
        size_t frees = counter_load(&state->frees);
        size_t allocs = counter_load(&state->allocs);
        size_t fails = counter_load(&state->fails);
        sum += allocs + frees + fails;
        one.in_use = allocs - frees;
        one.allocations = allocs - counter_load(&state->allocs_at_reset);
        one.failures = fails - counter_load(&state->fails_at_reset);
#endif
        one.high_water = pool_used(k);
#if !POOLALLOC_STATS
        one.in_use = pool_in_use(k);
#endif
        if (one.in_use > one.high_water) /* an interrupted give or take (see the header) */
            one.in_use = one.high_water;
        bytes += one.in_use * one.block_size;
        if (k < max_pools)
            pools[k] = one;
    }
    totals->pool_count = POOL_COUNT;
    totals->bytes_in_use = bytes;
#if POOLALLOC_STATS
    totals->oom_count = counter_load(&pool_totals.oom_count) - counter_load(&pool_totals.oom_at_reset);
    size_t peak = counter_load(&pool_totals.peak_bytes);
    totals->peak_bytes = peak > bytes ? peak : bytes;
#else
    totals->oom_count = 0;
    totals->peak_bytes = 0;
#endif
    return sum;
}

bool poolalloc_stats(struct poolalloc_stats *totals, struct poolalloc_pool_stats *pools, size_t max_pools)
{
#if !POOLALLOC_STATS
    (void)copy_once(totals, pools, max_pools);
    return false;
#elif !POOL_SYNC_LOCK_FREE
    uint32_t saved = pool_lock_all();
    (void)copy_once(totals, pools, max_pools);
    pool_unlock_all(saved);
    return true;
#else
    for (int attempt = 0; attempt < SNAPSHOT_TRIES; attempt++) {
        size_t seen = copy_once(totals, pools, max_pools);
        if (operations_sum() == seen)
            return true;
    }
    return false;
#endif
}

void poolalloc_stats_reset(void)
{
#if POOLALLOC_STATS
    for (unsigned k = 0; k < POOL_COUNT; k++) {
        struct pool_state *state = &pool_heap.state[k];
        counter_store(&state->allocs_at_reset, counter_load(&state->allocs));
        counter_store(&state->fails_at_reset, counter_load(&state->fails));
    }
    counter_store(&pool_totals.oom_at_reset, counter_load(&pool_totals.oom_count));
    counter_store(&pool_totals.peak_bytes, counter_load(&pool_totals.bytes_in_use));
#endif
}

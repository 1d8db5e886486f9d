/* SPDX-License-Identifier: MIT */
/*
 * Statistics (the stats option, off by default): the counters each pool's
 * state carries and the whole-heap totals.  Every counter except
 * bytes_in_use and the peak only grows (modulo 2^32), so a reader that
 * copies them twice and sees no change has a consistent copy (src/stats.c);
 * in_use is allocs - frees.  A reset only records where the counters stood
 * (*_at_reset), so they keep growing.  The updates of a take and a give are
 * in src/pool_counts.h, on the sync backend's counter primitives.
 */
#ifndef POOL_STATS_H
#define POOL_STATS_H

#include "pool.h"

/* Plain words, updated inside critical sections (irq, none) or with relaxed
 * LDREX/STREX builtins (llsc); C11 atomics on the host. */
#if POOLALLOC_SYNC_C11
#include <stdatomic.h>
typedef _Atomic size_t pool_counter_t;
#else
typedef size_t pool_counter_t;
#endif

/* Relaxed single-word load and store of a counter.  O(1). */
POOL_INLINE size_t counter_load(pool_counter_t *counter)
{
    return POOL_LOAD_RELAXED(counter);
}

POOL_INLINE void counter_store(pool_counter_t *counter, size_t value)
{
#if POOLALLOC_SYNC_C11
    atomic_store_explicit(counter, value, memory_order_relaxed);
#else
    *(volatile size_t *)counter = value;
#endif
}

/* The counters in each pool's state record. */
#if POOLALLOC_STATS
#define POOL_STATE_COUNTERS                                                                       \
    pool_counter_t allocs;          /* successful takes, ever */                                     \
    pool_counter_t frees;           /* gives, ever */                                                 \
    pool_counter_t fails;           /* failed requests whose first pool this is, ever */             \
    pool_counter_t allocs_at_reset; /* allocs when the counters were last reset */                   \
    pool_counter_t fails_at_reset;  /* fails when the counters were last reset */
#else
#define POOL_STATE_COUNTERS
#endif

/* Whole-heap statistics. */
struct pool_totals {
    pool_counter_t bytes_in_use; /* sum of in_use * block, kept for the peak */
    pool_counter_t peak_bytes;   /* highest bytes_in_use since reset */
    pool_counter_t oom_count;    /* requests that failed for lack of memory, ever */
    pool_counter_t oom_at_reset; /* oom_count when the counters were last reset */
};
#if POOLALLOC_STATS
extern struct pool_totals pool_totals;
#endif

#endif /* POOL_STATS_H */

/*
 * The statistics of a take and a give, written once on top of the backend's
 * counter primitives (counter_add, counter_raise): each update is atomic on
 * its own, as the backend makes it.  Included by every sync backend after
 * those primitives.  The irq and none backends update in-line inside their
 * critical section instead (count_*_unsynchronised); they use these only on
 * the rare paths of src/checks.c.
 */
#ifndef POOL_COUNTS_H
#define POOL_COUNTS_H

POOL_INLINE void count_take(unsigned k)
{
#if POOLALLOC_STATS
    counter_add(&pool_state[k].allocs, 1);
    counter_raise(&pool_totals.peak_bytes, counter_add(&pool_totals.bytes_in_use, pool_geometry[k].block));
#else
    (void)k;
#endif
}

POOL_INLINE void count_give(unsigned k)
{
#if POOLALLOC_STATS
    counter_add(&pool_state[k].frees, 1);
    counter_add(&pool_totals.bytes_in_use, -pool_geometry[k].block);
#else
    (void)k;
#endif
}

#endif

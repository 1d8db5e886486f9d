/* SPDX-License-Identifier: MIT */
/*
 * sync=none: no protection at all.  For single-threaded firmware that never
 * allocates from an interrupt handler; the fastest and smallest backend.
 * Every helper is a plain read-modify-write.  O(1) each.
 */
#ifndef SYNC_NONE_H
#define SYNC_NONE_H

#include "sync.h"

/* src/sync.h: nothing else runs. */
#define POOL_SYNC_LOCK_FREE 0

#include "sync_masked.h"

/* *counter += delta; returns the new value. */
POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta)
{
    return *counter += delta;
}

/* *counter = max(*counter, value). */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value)
{
    if (value > *counter)
        *counter = value;
}

/* *word &= mask / *word |= mask (the empty-pool map; checks=full: the
 * allocated bits); return the old word. */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask)
{
    uint32_t old = *word;
    *word = old & mask;
    return old;
}

POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask)
{
    uint32_t old = *word;
    *word = old | mask;
    return old;
}

/* Nothing else runs: nothing to stop. */
POOL_INLINE uint32_t pool_lock_all(void)
{
    return 0;
}

POOL_INLINE void pool_unlock_all(uint32_t saved)
{
    (void)saved;
}

#include "pool_counts.h"

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    size_t fresh;
    void *block = pool_claim_unsynchronised(k, took, &fresh);
    return pool_take_finish(k, block, fresh, took);
}

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    return pool_give_unsynchronised(k, ptr);
}

#endif

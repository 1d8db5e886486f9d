/* SPDX-License-Identifier: MIT */
/*
 * sync=irq: a PRIMASK critical section around the few instructions that touch
 * a pool's free list, high-water count and counters (src/sync_masked.h).
 * Works on every Cortex-M profile (the only choice on ARMv6-M, which has no
 * exclusive loads).  The previous PRIMASK is restored, so it nests inside
 * callers' own critical sections.
 *
 * Interrupts are masked for the body of pool_claim_unsynchronised() or
 * pool_give_unsynchronised() only (statistics included): no loop, no call;
 * a never-used block's address is computed after the mask is lifted.
 * The counter and bitmap helpers mask for their own read-modify-write.
 */
#ifndef SYNC_IRQ_H
#define SYNC_IRQ_H

#include "sync.h"

/* src/sync.h: pool_lock_all() masks interrupts. */
#define POOL_SYNC_LOCK_FREE 0

#include <stdint.h>

#include "primask.h"
#include "sync_masked.h"

/* *counter += delta with interrupts masked; returns the new value. */
POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta)
{
    uint32_t primask = primask_mask();
    size_t value = *counter += delta;
    primask_restore(primask);
    return value;
}

/* *counter = max(*counter, value), masked. */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value)
{
    uint32_t primask = primask_mask();
    if (value > *counter)
        *counter = value;
    primask_restore(primask);
}

/* *word &= mask / *word |= mask (the empty-pool map; checks=full: the
 * allocated bits), masked; return the old word. */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask)
{
    uint32_t primask = primask_mask();
    uint32_t old = *word;
    *word = old & mask;
    primask_restore(primask);
    return old;
}

POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask)
{
    uint32_t primask = primask_mask();
    uint32_t old = *word;
    *word = old | mask;
    primask_restore(primask);
    return old;
}

/* Mask interrupts (nests); returns what pool_unlock_all() restores. */
POOL_INLINE uint32_t pool_lock_all(void)
{
    return primask_mask();
}

POOL_INLINE void pool_unlock_all(uint32_t saved)
{
    primask_restore(saved);
}

#include "pool_counts.h"

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    size_t fresh;
    uint32_t primask = primask_mask();
    void *block = pool_claim_unsynchronised(k, took, &fresh);
    primask_restore(primask);
    return pool_take_finish(k, block, fresh, took);
}

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    uint32_t primask = primask_mask();
    bool given = pool_give_unsynchronised(k, ptr);
    primask_restore(primask);
    return given;
}

#endif

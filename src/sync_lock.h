/* SPDX-License-Identifier: MIT */
/*
 * sync=lock: the firmware's own lock around the few instructions that touch
 * a pool's free list, high-water count and counters -- the bodies the irq
 * backend masks (src/sync_masked.h), with poolalloc_lock() and
 * poolalloc_unlock() (include/poolalloc.h) in place of PRIMASK.  For parts
 * whose cores share the heap (RP2040, STM32H7 M7 + M4, ...): the hooks
 * exclude the other cores (a hardware spinlock or semaphore, or an
 * LDREX/STREX spinlock) and this core's interrupt handlers (PRIMASK), and
 * carry the barriers (doc/atomicity.md, "Several cores").
 *
 * The library defines no hooks: a firmware built with sync=lock that
 * provides none fails to link ("undefined reference to `poolalloc_lock'"),
 * never runs unprotected.  The lock is held for the body of
 * pool_claim_unsynchronised() or pool_give_unsynchronised() only
 * (statistics included): no loop, no call, no user code; a never-used
 * block's address is computed after the unlock.  The allocator never calls
 * a hook while it holds the lock.
 */
#ifndef SYNC_LOCK_H
#define SYNC_LOCK_H

#include "sync.h"

/* src/sync.h: pool_lock_all() takes the firmware's lock. */
#define POOL_SYNC_LOCK_FREE 0

#include <stdint.h>

#include "poolalloc.h"
#include "sync_masked.h"

/* *counter += delta under the lock; returns the new value. */
POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta)
{
    uint32_t token = poolalloc_lock();
    size_t value = *counter += delta;
    poolalloc_unlock(token);
    return value;
}

/* *counter = max(*counter, value), under the lock. */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value)
{
    uint32_t token = poolalloc_lock();
    if (value > *counter)
        *counter = value;
    poolalloc_unlock(token);
}

/* *word &= mask / *word |= mask (the empty-pool map; checks=full: the
 * allocated bits), under the lock; return the old word. */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask)
{
    uint32_t token = poolalloc_lock();
    uint32_t old = *word;
    *word = old & mask;
    poolalloc_unlock(token);
    return old;
}

POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask)
{
    uint32_t token = poolalloc_lock();
    uint32_t old = *word;
    *word = old | mask;
    poolalloc_unlock(token);
    return old;
}

/* Take the heap lock for a rare whole-heap path (repair, snapshot);
 * returns what pool_unlock_all() gives back. */
POOL_INLINE uint32_t pool_lock_all(void)
{
    return poolalloc_lock();
}

POOL_INLINE void pool_unlock_all(uint32_t saved)
{
    poolalloc_unlock(saved);
}

#include "pool_counts.h"

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    size_t fresh;
    uint32_t token = poolalloc_lock();
    void *block = pool_claim_unsynchronised(k, took, &fresh);
    poolalloc_unlock(token);
    return pool_take_finish(k, block, fresh, took);
}

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    uint32_t token = poolalloc_lock();
    bool given = pool_give_unsynchronised(k, ptr);
    poolalloc_unlock(token);
    return given;
}

#endif

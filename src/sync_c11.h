/* SPDX-License-Identifier: MIT */
/*
 * sync=c11: the host backend, C11 atomics, safe between threads.  Used by the
 * host tests and fuzzing, where it makes multi-threaded stress tests under
 * ThreadSanitizer meaningful.
 *
 * The free list holds block indices in a side table (pool_next_index), and
 * its head packs a 32-bit generation tag with the index of the first free
 * block.  Every successful pop or push bumps the tag, so a compare-and-swap
 * that read a stale head fails even when the same block is at the head
 * again (ABA).  Losing threads only ever read the side table, never a block
 * that another thread owns.  Lock-free; CAS loops retry only when another
 * thread made progress.  Counters and the allocated bits are relaxed atomic
 * read-modify-writes.  No link lives in a block, so the whole of a freed
 * block is poisoned (checks=full) and a write to it cannot break the list.
 */
#ifndef SYNC_C11_H
#define SYNC_C11_H

#include <stdatomic.h>

#include "pool_checks.h"
#include "pool_stats.h"
#include "sync.h"

/* Threads are never stopped (src/sync.h); no link lives in a block. */
#define POOL_SYNC_LOCK_FREE 1
#define POOL_FREE_LINK_BYTES 0u

/* The state of a pool (this backend's own: the links are not in the blocks). */
struct pool_state {
    _Atomic uint64_t head; /* tag << 32 | (index of the first free block + 1); low half 0 = empty */
    _Atomic size_t used;   /* blocks handed out from the never-used part: the high-water mark */
    POOL_STATE_COUNTERS
};
#include "pool_heap.h"

/* Per pool: for each free block, the index + 1 of the next (0 = last). */
extern _Atomic uint32_t *const pool_next_index[POOL_COUNT];

/* The high-water mark of pool k.  O(1). */
POOL_INLINE size_t pool_used(unsigned k)
{
    return POOL_LOAD_RELAXED(&pool_heap.state[k].used);
}

/* The first block on pool k's free list, or NULL.  O(1). */
POOL_INLINE void *pool_free_head(unsigned k)
{
    uint32_t first = (uint32_t)atomic_load_explicit(&pool_heap.state[k].head, memory_order_acquire);
    return first == 0 ? NULL : pool_block_at(k, first - 1);
}

/* The index of block `block` of pool k in the side table.  O(1) (one divide). */
POOL_INLINE uint32_t side_table_index(unsigned k, const void *block)
{
    return (uint32_t)((size_t)((const char *)block - pool_start(k)) / pool_block_size(k));
}

/* The block after `block` on pool k's list (from the side table), or
 * NULL; an index past the pool gives the pool's end, which no caller takes
 * for a block.  O(1). */
POOL_INLINE void *pool_free_next(unsigned k, const void *block)
{
    uint32_t index = side_table_index(k, block);
    uint32_t next = atomic_load_explicit(&pool_next_index[k][index], memory_order_relaxed);
    if (next == 0)
        return NULL;
    return next - 1u < pool_capacity(k) ? pool_block_at(k, next - 1u) : pool_end(k);
}

/* Threads cannot be stopped: the walks read only atomics (the side table
 * and the heads), which is safe while others run.  O(1). */
POOL_INLINE uint32_t pool_lock_all(void)
{
    return 0;
}

POOL_INLINE void pool_unlock_all(uint32_t saved)
{
    (void)saved;
}

/* Nothing to repair: a write to a freed block cannot reach the side table,
 * and a block is put on the list only by a give its allocated bit let
 * through (checks=full).  O(1). */
POOL_INLINE void pool_free_list_rebuild(unsigned k, const pool_bits_t *live)
{
    (void)k;
    (void)live;
}

/* *counter += delta; returns the new value. */
POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta)
{
    return atomic_fetch_add_explicit(counter, delta, memory_order_relaxed) + delta;
}

/* *counter = max(*counter, value): a compare-and-swap loop. */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value)
{
    size_t seen = atomic_load_explicit(counter, memory_order_relaxed);
    while (value > seen &&
           !atomic_compare_exchange_weak_explicit(counter, &seen, value, memory_order_relaxed, memory_order_relaxed)) {
    }
}

/* *word &= mask / *word |= mask; return the old word. */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask)
{
    return atomic_fetch_and_explicit(word, mask, memory_order_relaxed);
}

POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask)
{
    return atomic_fetch_or_explicit(word, mask, memory_order_relaxed);
}

/* Statistics of a take / give. */
#include "pool_counts.h"

POOL_INLINE uint64_t list_head(uint32_t index_plus_one, uint32_t tag)
{
    return (uint64_t)tag << 32 | index_plus_one;
}

/* Take a block from pool k (free list, then the never-used part), or NULL.
 * O(1) but for CAS retries caused by other threads' progress. */
POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    struct pool_state *state = &pool_heap.state[k];
    uint64_t head = atomic_load_explicit(&state->head, memory_order_acquire);
    while ((uint32_t)head != 0) {
        uint32_t index = (uint32_t)head - 1;
        uint32_t next = atomic_load_explicit(&pool_next_index[k][index], memory_order_relaxed);
        uint64_t popped = list_head(next, (uint32_t)(head >> 32) + 1);
        if (atomic_compare_exchange_weak_explicit(&state->head, &head, popped, memory_order_acquire,
                                                  memory_order_acquire)) {
            *took = POOL_TOOK_RECYCLED | (next == 0 ? POOL_TOOK_LAST : 0u);
            count_take(k);
            return pool_block_at(k, index);
        }
    }
    size_t used = atomic_load_explicit(&state->used, memory_order_relaxed);
    while (used != pool_capacity(k)) {
        if (atomic_compare_exchange_weak_explicit(&state->used, &used, used + 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *took = used + 1 == pool_capacity(k) ? POOL_TOOK_LAST : 0u;
            count_take(k);
            return pool_block_at(k, used);
        }
    }
    return NULL;
}

/* Give block `ptr` back to pool k; false (nothing done) when it is the
 * list's head already -- freed twice in a row.  O(1) but for CAS retries. */
POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_heap.state[k];
    uint32_t index = side_table_index(k, ptr);
    uint64_t head = atomic_load_explicit(&state->head, memory_order_relaxed);
    uint64_t pushed;
    do {
        if ((uint32_t)head == index + 1)
            return false;
        atomic_store_explicit(&pool_next_index[k][index], (uint32_t)head, memory_order_relaxed);
        pushed = list_head(index + 1, (uint32_t)(head >> 32) + 1);
    } while (!atomic_compare_exchange_weak_explicit(&state->head, &head, pushed, memory_order_release,
                                                    memory_order_relaxed));
    count_give(k);
    return true;
}

/* Free blocks on pool k's list, counting at most `limit`.  A diagnostic. */
POOL_INLINE size_t pool_count_free(unsigned k, size_t limit)
{
    size_t n = 0;
    uint32_t next = (uint32_t)atomic_load_explicit(&pool_heap.state[k].head, memory_order_acquire);
    while (next != 0 && n < limit) {
        n++;
        next = atomic_load_explicit(&pool_next_index[k][next - 1], memory_order_relaxed);
    }
    return n;
}

#endif

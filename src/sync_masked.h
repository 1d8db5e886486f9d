/* SPDX-License-Identifier: MIT */
/*
 * The take and give shared by the irq and none backends: plain code, made
 * atomic by the irq backend's PRIMASK section around it (or not at all, for
 * sync=none).  Statistics are updated in-line, inside that section.
 * O(1) each, no loop, no call.
 */
#ifndef SYNC_MASKED_H
#define SYNC_MASKED_H

#include "pool_checks.h"
#include "pool_list.h"

/* Statistics of a take / give, in-line (the section makes them atomic). */
POOL_INLINE void count_take_unsynchronised(unsigned k)
{
#if POOLALLOC_STATS
    pool_heap.state[k].allocs++;
    size_t bytes = pool_totals.bytes_in_use += pool_block_size(k);
    if (bytes > pool_totals.peak_bytes)
        pool_totals.peak_bytes = bytes;
#else
    (void)k;
#endif
}

POOL_INLINE void count_give_unsynchronised(unsigned k)
{
#if POOLALLOC_STATS
    pool_heap.state[k].frees++;
    pool_totals.bytes_in_use -= pool_block_size(k);
#else
    (void)k;
#endif
}

/* What pool_claim_unsynchronised() leaves in *fresh when it claimed no
 * never-used block. */
#define POOL_NO_FRESH SIZE_MAX

/*
 * The shared part of taking a block from pool k: pop the free list's head
 * (returned, *took POOL_TOOK_RECYCLED), or else claim the index of the next never-used
 * block (*fresh; NULL returned), or nothing when the pool is exhausted (NULL,
 * *fresh == POOL_NO_FRESH).  With checks=full, POOL_TAKE_CORRUPT when the
 * head's link is damaged (nothing taken).  The address of a claimed block is
 * left to pool_take_finish(), outside any critical section: the irq
 * backend's masked window holds only the list and count updates.  Not
 * atomic by itself.  O(1).
 */
POOL_INLINE void *pool_claim_unsynchronised(unsigned k, unsigned *took, size_t *fresh)
{
    struct pool_state *state = &pool_heap.state[k];
    struct free_block *block = state->free;
    *fresh = POOL_NO_FRESH;
    if (block != NULL) {
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
        if (!pool_link_valid(k, block->next, state->used))
            return POOL_TAKE_CORRUPT;
#endif
        struct free_block *next = block->next;
        state->free = next;
        /* the list emptied: pool_took_last() looks at the rest unmasked */
        *took = next == NULL ? POOL_TOOK_RECYCLED | POOL_TOOK_LAST : POOL_TOOK_RECYCLED;
    } else {
        size_t used = state->used;
        if (used == pool_capacity(k))
            return NULL;
        state->used = used + 1;
        *took = 0u; /* the last one? pool_take_finish() says, unmasked */
        POOL_ASSUME(used != POOL_NO_FRESH); /* used < capacity < SIZE_MAX */
        *fresh = used;
    }
    count_take_unsynchronised(k);
    return block;
}

/* The block pool_claim_unsynchronised() took: the popped one, or the
 * claimed never-used one (with POOL_TOOK_LAST when it was the pool's
 * last: worked out here, outside the critical section).  O(1). */
POOL_INLINE void *pool_take_finish(unsigned k, void *block, size_t fresh, unsigned *took)
{
    if (fresh == POOL_NO_FRESH)
        return block;
    if (fresh + 1u == pool_capacity(k))
        *took = POOL_TOOK_LAST;
    return pool_block_at(k, fresh);
}

/* Give block `ptr` back to pool k; false (nothing done) when it is the
 * list's head already -- freed twice in a row.  Not atomic by itself.  O(1). */
POOL_INLINE bool pool_give_unsynchronised(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_heap.state[k];
    struct free_block *block = ptr;
    struct free_block *head = state->free;
    if (head == block)
        return false;
    block->next = head;
    state->free = block;
    count_give_unsynchronised(k);
    return true;
}

#endif

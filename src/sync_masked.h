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
    pool_state[k].allocs++;
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
    pool_state[k].frees++;
    pool_totals.bytes_in_use -= pool_block_size(k);
#else
    (void)k;
#endif
}

/*
 * Take a block from pool k (free list first, then the never-used part), or
 * NULL when the pool is exhausted; with checks=full, POOL_TAKE_CORRUPT when
 * the head's link is damaged (nothing taken), and *recycled tells a
 * free-list block from a never-used one.  Not atomic by itself.  O(1).
 */
POOL_INLINE void *pool_take_unsynchronised(unsigned k, bool *recycled)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = state->free;
    if (block != NULL) {
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
        if (!pool_link_valid(k, block->next, state->used))
            return POOL_TAKE_CORRUPT;
#endif
        *recycled = true;
        state->free = block->next;
    } else {
        size_t used = state->used;
        if (used == pool_capacity(k))
            return NULL;
        state->used = used + 1;
        block = (struct free_block *)(void *)pool_block_at(k, used);
    }
    count_take_unsynchronised(k);
    return block;
}

/* Give block `ptr` back to pool k; false (nothing done) when it is the
 * list's head already -- freed twice in a row.  Not atomic by itself.  O(1). */
POOL_INLINE bool pool_give_unsynchronised(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_state[k];
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

/* SPDX-License-Identifier: MIT */
/*
 * The state of a pool whose free list lives in its blocks (the llsc, irq,
 * lock and none backends): the list head and the count of never-used blocks
 * handed out so far.  All zero at reset (.bss).  The host backend
 * (sync_c11.h) keeps its links in a side table instead and has its own state
 * record.  Here: the contract's state, walk and repair (src/sync.h), which
 * need no atomicity of their own.
 */
#ifndef POOL_LIST_H
#define POOL_LIST_H

#include "pool.h"
#include "pool_stats.h"
#include "sync.h"

/* A free block's first word is its link. */
#define POOL_FREE_LINK_BYTES sizeof(struct free_block)

struct pool_state {
    struct free_block *free; /* free-list head, NULL when empty */
    size_t used;             /* blocks handed out from the never-used part: the high-water mark */
    POOL_STATE_COUNTERS
};
#include "pool_heap.h"

/* The high-water mark of pool k, read once.  O(1). */
POOL_INLINE size_t pool_used(unsigned k)
{
    return POOL_LOAD_RELAXED(&pool_heap.state[k].used);
}

/* The free-list head of pool k, read once.  O(1). */
POOL_INLINE void *pool_free_head(unsigned k)
{
    return POOL_LOAD_RELAXED(&pool_heap.state[k].free);
}

/* The link in `block` (src/sync.h: a block of the pool, read once).  O(1). */
POOL_INLINE void *pool_free_next(unsigned k, const void *block)
{
    (void)k;
    return POOL_LOAD_RELAXED(&((const struct free_block *)block)->next);
}

/* Free blocks on pool k's list, counting at most `limit`.  A diagnostic,
 * not synchronised: while interrupts allocate, the count may be off, but the
 * walk only follows word-aligned links inside the pool, so it never reads
 * outside the heap (a block taken meanwhile holds the user's bytes).
 * O(limit). */
POOL_INLINE size_t pool_count_free(unsigned k, size_t limit)
{
    size_t n = 0;
    const char *start = pool_start(k), *end = pool_end(k);
    for (const char *b = pool_free_head(k); n < limit; n++) {
        if (b < start || b >= end || ((uintptr_t)b & (sizeof(void *) - 1)) != 0)
            break;
        b = pool_free_next(k, b);
    }
    return n;
}

/* Thread pool k's blocks handed out so far whose `live` bit is clear onto a
 * new list, in address order, with everything stopped.  O(capacity). */
POOL_INLINE void pool_free_list_rebuild(unsigned k, const pool_bits_t *live)
{
    uint32_t saved = pool_lock_all();
    struct pool_state *state = &pool_heap.state[k];
    struct free_block *head = NULL;
    for (size_t index = state->used; index-- > 0;) {
        if ((live[index / 32u] & (1u << (index % 32u))) == 0) {
            struct free_block *block = (struct free_block *)(void *)pool_block_at(k, index);
            block->next = head;
            head = block;
        }
    }
    state->free = head;
    pool_unlock_all(saved);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The state of a pool whose free list lives in its blocks (the llsc, irq and
 * none backends): the list head and the count of never-used blocks handed
 * out so far.  All zero at reset (.bss).  The host backend (sync_c11.h) keeps
 * its links in a side table instead and has its own state record.
 */
#ifndef POOL_LIST_H
#define POOL_LIST_H

#include "pool_stats.h"

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

/* Free blocks on pool k's list, counting at most `limit`.  A diagnostic,
 * not synchronised: while interrupts allocate, the count may be off, but the
 * walk only follows word-aligned links inside the pool, so it never reads
 * outside the heap (a block taken meanwhile holds the user's bytes).
 * O(limit). */
static inline size_t pool_count_free(unsigned k, size_t limit)
{
    size_t n = 0;
    const char *start = pool_start(k), *end = pool_end(k);
    for (const char *b = pool_free_head(k); n < limit; n++) {
        if (b < start || b >= end || ((uintptr_t)b & (sizeof(void *) - 1)) != 0)
            break;
        b = (const char *)((const struct free_block *)(const void *)b)->next;
    }
    return n;
}

#endif

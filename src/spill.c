/* SPDX-License-Identifier: MIT */
/*
 * Spills (fallback): a request whose pool is full goes to the next larger
 * pool of its region that has a block.
 *
 * Algorithm: a map of "known empty" bits, one per pool (src/pool.h,
 * pool_heap.empty, src/pool_heap.h).  The candidates above pool k are the clear bits after
 * k's; count leading zeros names the smallest.  A malloc that takes the
 * last block of a pool, or finds a pool empty, sets the pool's bit and then
 * looks at the pool again, clearing the bit when a block came back
 * meanwhile; a free clears the bit after its push.  So a set bit always
 * follows a look that saw the pool empty, and every push after that look
 * clears it: once no call is half-way, a set bit means an empty pool, and a
 * spill never skips a block that a finished free gave back.  A clear bit
 * may belong to an empty pool (a free that read its bit just before a take
 * set it, then cleared it); the spill then tries that pool, marks it and
 * goes on -- one try more.  Without fallback there is no map.
 *
 * Complexity: O(1) -- one try, one count of leading zeros per 32 pools of
 * the region -- when the map is exact; one more try per stale bit, which
 * needs an interrupt at a precise point.
 */
#include "poolalloc_private.h"

#if POOL_SPILL_MAP
/* When the bit was set already, the look that set it saw the pool empty
 * and no push has cleared it since: nothing to look at again.  One copy
 * (not inlined): it runs when a pool runs dry. */
__attribute__((noinline)) void pool_mark_empty(unsigned k)
{
    pool_bits_t *word = pool_empty_word(k);
    uint32_t bit = pool_empty_bit(k);
#ifdef POOLALLOC_TEST_MARK_WITHOUT_LOOK /* a broken variant for the preemption sweep's teeth */
    (void)bits_fetch_or(word, bit);
#else
    if ((bits_fetch_or(word, bit) & bit) == 0 && (pool_free_head(k) != NULL || pool_used(k) < pool_capacity(k))) {
        (void)bits_fetch_and(word, ~bit);
    }
#endif
}

void *pool_took_last(unsigned k, void *block)
{
    if (pool_free_head(k) == NULL) {
        pool_mark_empty(k);
    }
    return block;
}

/* pool_mark_empty() for a pool found empty by a spill: usually marked
 * already (when its last block was taken), and then a load is enough.
 * One copy for both calls.  O(1). */
__attribute__((noinline)) static void pool_mark_found_empty(unsigned k)
{
    if ((POOL_LOAD_RELAXED(pool_empty_word(k)) & pool_empty_bit(k)) == 0) {
        pool_mark_empty(k);
    }
}

/* The first pool from `from` on, below `end`, whose bit is clear; `end`
 * when none.  O(words).  Not inlined: inlined twice, GCC threads the
 * spill's loop into one with two entries, which bench/wcet.py (rightly)
 * cannot bound. */
__attribute__((noinline)) static unsigned next_candidate(unsigned from, unsigned end)
{
#if POOL_EMPTY_WORDS == 1
    /* One word (up to 32 pools): no loop.  end <= 32, so from < 32 here. */
    if (from < end) {
        uint32_t candidates = ~POOL_LOAD_RELAXED(pool_empty_word(0u)) & (0xffffffffu >> from);
        if (candidates != 0) {
            unsigned next = (unsigned)__builtin_clz(candidates);
            return next < end ? next : end;
        }
    }
    return end;
#else
    while (from < end) {
        uint32_t candidates = ~POOL_LOAD_RELAXED(pool_empty_word(from)) & (0xffffffffu >> (from % 32u));
        if (candidates != 0) {
            return from - from % 32u + (unsigned)__builtin_clz(candidates);
        }
        from += 32u - from % 32u;
    }
    return end;
#endif
}

void *pool_spill(unsigned k, unsigned end, void *caller)
{
    pool_mark_found_empty(k);
    for (unsigned next = next_candidate(k + 1u, end); next < end; next = next_candidate(next + 1u, end)) {
        unsigned took;
        void *block = pool_take_block(next, &took, caller);
        if (block != NULL) {
            return pool_taken(next, block, took);
        }
        pool_mark_found_empty(next);
    }
    return NULL;
}
#else
void *pool_spill(unsigned k, unsigned end, void *caller)
{
    while (++k < end) {
        unsigned took;
        void *block = pool_take_block(k, &took, caller);
        if (block != NULL) {
            return block;
        }
    }
    return NULL;
}
#endif

void *pool_alloc_slow(size_t size, void *caller)
{
    unsigned k = pool_for_size(size);
    void *block = NULL;
    if (POOLALLOC_FALLBACK && k < POOL_DEFAULT_END) {
        block = pool_spill(k, POOL_DEFAULT_END, caller);
    }
    if (block != NULL) {
        return block;
    }
    /* The first pool is found again there: keeping it costs this path a
     * register. */
    return pool_fail(size, POOL_FIRST_FOR_SIZE, caller);
}

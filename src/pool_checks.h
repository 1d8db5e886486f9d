/* SPDX-License-Identifier: MIT */
/*
 * Misuse detection (the checks option): the divide-free block-boundary test
 * (checks=fast and full) and the per-block allocated bits, poison and link
 * validation (checks=full).  The checks=full take and give are in
 * src/checks.c.
 */
#ifndef POOL_CHECKS_H
#define POOL_CHECKS_H

#include "pool.h"

#if POOLALLOC_CHECKS >= POOL_CHECKS_FAST
/*
 * Block-boundary test without a divide (ARMv6-M has none), per pool, from
 * src/gen_layout.py: the block is 2^shift * q with q odd, inverse = q^-1 mod
 * 2^32, limit = (2^32 - 1) / block.  An offset n is a multiple of the block
 * iff rotr(n * inverse, shift) <= limit, and then that value is n / block
 * (Hacker's Delight 10-17).  One 32-bit multiply, a rotate, a compare.
 */
struct pool_block_test {
    uint32_t inverse;
    uint32_t limit;
    uint32_t shift;
};
extern const struct pool_block_test pool_block_test[POOL_COUNT];

/* Index of the block at `offset` bytes into pool k, or UINT32_MAX when the
 * offset is not a multiple of the block size.  O(1). */
POOL_INLINE uint32_t pool_block_index(unsigned k, uint32_t offset)
{
#if defined __ARM_FEATURE_IDIV
    /* A hardware divide is one instruction: divide and multiply back. */
    uint32_t block = (uint32_t)pool_block_size(k);
    uint32_t index = offset / block;
    return index * block == offset ? index : UINT32_MAX;
#else
    const struct pool_block_test *test = &pool_block_test[k];
    uint32_t product = offset * test->inverse;
    uint32_t shift = test->shift;
    uint32_t rotated = shift == 0 ? product : (product >> shift | product << (32u - shift));
    return rotated <= test->limit ? rotated : UINT32_MAX;
#endif
}

#if POOLALLOC_CHECKS == POOL_CHECKS_FAST
/*
 * checks=fast marks a free block: its second word holds POOL_FREE_MARK
 * (generated, odd), written by free before the push and cleared by the take
 * that hands the block out again.  A block freed again, or given to realloc
 * or malloc_usable_size, that carries the mark is then looked up on its
 * pool's free list (pool_free_list_holds, src/checks.c: a bounded walk, on
 * this rare path only); user data that happens to equal the mark costs the
 * walk, never a false report.  A pool of pointer-sized blocks has no second
 * word: there only a block freed twice in a row is caught.  O(1).
 */
POOL_INLINE bool pool_has_mark(unsigned k)
{
    return POOL_MIN_BLOCK >= 2 * sizeof(void *) || pool_block_size(k) >= 2 * sizeof(void *);
}

POOL_INLINE uintptr_t *pool_mark_word(void *ptr)
{
    return (uintptr_t *)ptr + 1;
}

/* Is the block at ptr, a block boundary of pool k among those handed out,
 * on pool k's free list?  O(capacity): runs only for a marked block. */
bool pool_free_list_holds(unsigned k, const void *ptr);

/* Is the block at ptr (a block boundary of pool k) free?  O(1), plus the
 * walk when it carries the mark. */
POOL_INLINE bool pool_block_is_marked_free(unsigned k, void *ptr)
{
#ifdef POOLALLOC_TEST_NO_FREE_MARK /* a broken variant for the tests' teeth */
    (void)k;
    (void)ptr;
    return false;
#else
    return pool_has_mark(k) && *(volatile uintptr_t *)pool_mark_word(ptr) == POOL_FREE_MARK &&
           pool_free_list_holds(k, ptr);
#endif
}
#endif

/* Index of `ptr` in pool k (UINT32_MAX when not a block boundary).  O(1). */
POOL_INLINE uint32_t pool_index_of_block(unsigned k, const void *ptr)
{
    return pool_block_index(k, (uint32_t)((const char *)ptr - pool_start(k)));
}
#endif

#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
/* One bit per block, set while the block is allocated (gen_layout.py). */
extern pool_bits_t *const pool_live_bits[POOL_COUNT];

/* Freed blocks are filled with this byte, after the backend's link
 * (POOL_FREE_LINK_BYTES, src/sync.h). */
#define POOL_POISON_BYTE 0xa5u
/* What pool_take() returns when the head block's link is not a valid block. */
#define POOL_TAKE_CORRUPT ((void *)(uintptr_t)1)

/* Is `next` a possible free-list link of pool k: NULL, or a block boundary
 * among the `used` blocks handed out so far?  O(1). */
POOL_INLINE bool pool_link_valid(unsigned k, const void *next, size_t used)
{
    if (next == NULL)
        return true;
    if ((const char *)next < pool_start(k) || (const char *)next >= pool_end(k))
        return false;
    return pool_index_of_block(k, next) < used;
}
#endif

#endif /* POOL_CHECKS_H */

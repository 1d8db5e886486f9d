/* SPDX-License-Identifier: MIT */
/*
 * poolalloc's core: the data model, the layout accessors, size -> pool and
 * pointer -> pool.  Everything else builds on these.
 *
 * The region, between the linker symbols (by default __heap_start and
 * __heap_end; src/gen_layout.py generates the placement):
 *
 *   __poolalloc_base                                          __poolalloc_end
 *   v                                                                       v
 *   +---------+----------------+-----------+---- ... ----+------------------+
 *   | pool 0  | pool 2         | pool 1    |             | pool 8           |
 *   | 8 B     | 24 B blocks    | 16 B      |             | 1024 B blocks    |
 *   +---------+----------------+-----------+---- ... ----+------------------+
 *   (__poolalloc_base: the heap start rounded up to the largest alignment)
 *   pools are numbered by block size and placed by natural alignment, the
 *   most aligned at the bottom, so every pool starts naturally aligned; the
 *   rest of the region, up to the heap end, stays free towards the stack.
 *
 * One pool: geometry (block, capacity, offset) in flash, a state record in
 * .bss (all zero at reset: no start-up code at all).
 *
 *   pool_start(k)                         start + capacity * block
 *   v                                                            v
 *   +-------+-------+-------+-------+-------+--------------------+
 *   | live  | free  | live  | free  | live  |    never used      |
 *   +-------+-|-----+-------+---^---+-------+--------------------+
 *             |                 |           ^
 *             +-> NULL          |           start + used * block: the
 *   state.free -----------------+           "edge"; used only grows, so
 *   (a free block's first word links         it is the high-water mark
 *    to the next free block)
 *
 * A block comes from the free list first, else from the edge (used + 1);
 * free pushes it on the list.  No block carries a header: free finds the
 * pool from the address alone.
 *
 * Several regions (-Dregions, doc/design.md "Regions"): each is laid out
 * as above from its own base; pools are numbered region by region (region
 * 0, the one malloc serves, first), so a region is a range of pool indices,
 * and pointer -> pool first finds the region by a compare per region.
 */
#ifndef POOL_H
#define POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "poolalloc.h"
#include "poolalloc_config.h"

/* The hot-path helpers are always inlined: -Os would otherwise keep one
 * out-of-line copy per file as soon as a file calls them twice, which costs
 * the call on every malloc and free.  -fno-inline (__NO_INLINE__) still
 * wins: bench/'s deliberately slowed build relies on it. */
#ifdef __NO_INLINE__
#define POOL_INLINE static inline
#else
#define POOL_INLINE static inline __attribute__((always_inline))
#endif

/* A fact the generated tables guarantee.  On the target it is told to the
 * compiler (no code): it drops the tests the fact makes redundant.  On the
 * host (unit tests, sanitizers) it is an assertion, so that a generator bug
 * stops a test instead of being undefined behaviour
 * (test/broken/layout_out_of_range.py). */
#if POOLALLOC_HOST_REGION
#include <assert.h>
#define POOL_ASSUME(fact) assert(fact)
#else
#define POOL_ASSUME(fact)                                                                          \
    do {                                                                                           \
        if (!(fact))                                                                               \
            __builtin_unreachable();                                                               \
    } while (0)
#endif

/* A relaxed load of one word of allocator state (a word access is atomic
 * on every target): C11 atomics on the host backend, a volatile load (read
 * exactly once) elsewhere.  O(1). */
#if POOLALLOC_SYNC_C11
#define POOL_LOAD_RELAXED(object) atomic_load_explicit((object), memory_order_relaxed)
#else
#define POOL_LOAD_RELAXED(object) (*(volatile __typeof__(*(object)) *)(object))
#endif

/* A word of bits the backends update atomically (bits_fetch_and/_or): the
 * empty-pool map and, with checks=full, the allocated bits. */
#if POOLALLOC_SYNC_C11
#include <stdatomic.h>
typedef _Atomic uint32_t pool_bits_t;
#else
typedef uint32_t pool_bits_t;
#endif

/* Check levels (the checks option). */
#define POOL_CHECKS_NONE 0
#define POOL_CHECKS_FAST 1
#define POOL_CHECKS_FULL 2

/* The base of the (default) region; the generated lookups use it. */
#if POOLALLOC_HOST_REGION
extern char poolalloc_host_region[];
#define POOL_BASE (poolalloc_host_region)
#else
/* Defined by the generated linker script poolalloc.ld. */
extern char __poolalloc_base[];
#define POOL_BASE (__poolalloc_base)
#endif

#include "pool_layout.h"

/* A free block: its first word links to the next free block of its pool. */
struct free_block {
    struct free_block *next;
};

#if POOL_LOOKUP_ENTRIES > 0
extern const uint8_t pool_size_lookup[POOL_LOOKUP_ENTRIES];
#endif

_Static_assert(POOL_COUNT <= 255, "pool indices are stored as uint8_t");
_Static_assert(POOL_MALLOC_ALIGN >= sizeof(void *) && (POOL_MALLOC_ALIGN & (POOL_MALLOC_ALIGN - 1)) == 0,
               "malloc alignment is a power of two, at least a pointer");
_Static_assert(POOL_REGION_BYTES <= UINT32_MAX, "block tests use 32-bit offsets");

/* ---- Layout accessors: O(1) each ------------------------------------------ */

POOL_INLINE size_t pool_block_size(unsigned k)
{
    return pool_geometry.block[k];
}

POOL_INLINE size_t pool_capacity(unsigned k)
{
    return pool_geometry.capacity[k];
}

POOL_INLINE char *pool_start(unsigned k)
{
#if POOL_REGION_COUNT > 1
    return pool_base_of(k) + pool_geometry.offset[k]; /* a compare per region */
#else
    return POOL_BASE + pool_geometry.offset[k];
#endif
}

POOL_INLINE char *pool_end(unsigned k)
{
    return pool_start(k) + pool_capacity(k) * pool_block_size(k);
}

/* Block `index` of pool k (never NULL). */
POOL_INLINE char *pool_block_at(unsigned k, size_t index)
{
    char *block = pool_start(k) + index * pool_block_size(k);
    POOL_ASSUME(block != NULL);
    return block;
}

/* Every block of pool k is aligned to this (the largest power of two that
 * divides the block size: the pool itself starts so aligned). */
POOL_INLINE size_t pool_natural_align(unsigned k)
{
    size_t block = pool_block_size(k);
    return block & -block;
}

/* ---- Size -> pool ---------------------------------------------------------- */

/*
 * Index of the first pool whose block holds `size` bytes; POOL_COUNT when
 * the size is larger than every block.  size 0 gets pool 0 (malloc(0)
 * returns a unique block).  Sizes up to POOL_SIZE_TABLE_LIMIT (usually the
 * second-largest block): one compare, one table load and POOL_LOOKUP_STEPS
 * correction compares (usually 0); larger sizes: one compare per block
 * above the limit (usually one).  Configure prints both.  O(1).
 */
POOL_INLINE unsigned pool_for_size(size_t size)
{
#if POOL_LOOKUP_ENTRIES > 0
    if (size <= POOL_SIZE_TABLE_LIMIT) {
        /* ceil(size / granule): the table is exact at the blocks' granule */
        unsigned k = pool_size_lookup[(size + (1u << POOL_LOOKUP_SHIFT) - 1) >> POOL_LOOKUP_SHIFT];
        /* the table names pools of the default region only: malloc then
         * needs no test against the region's end (-Dregions) */
        POOL_ASSUME(k < POOL_DEFAULT_END);
#if POOL_LOOKUP_STEPS > 0
        for (unsigned step = 0; step < POOL_LOOKUP_STEPS; step++)
            k += size > pool_block_size(k);
#endif
        return k;
    }
#endif
    return pool_for_large_size(size);
}

#if POOL_REGION_COUNT > 1
/* The first pool of region `region` that holds `size` bytes (POOL_COUNT
 * when none does, or no such region): pool_for_size() for region 0, an
 * exact table and compares for the others (pool_layout.h).  O(1). */
POOL_INLINE unsigned pool_for_size_in(unsigned region, size_t size)
{
    return region == 0 ? pool_for_size(size) : pool_for_size_in_extra(region, size);
}
#endif

/* What a backend's pool_take(k, &took) reports besides the block: it came
 * from the free list (not the never-used part), and the take may have left
 * the pool without a block (the list emptied with no never-used block
 * left, or the last never-used block taken: pool_taken() in
 * src/poolalloc_private.h looks closer). */
#define POOL_TOOK_RECYCLED 1u
#define POOL_TOOK_LAST 2u

/* ---- Empty pools (fallback) ------------------------------------------------ */

/*
 * With fallback, a full pool's request goes to the next larger pool of its
 * region that has a block, found in constant time: pool k's bit in the map,
 * 0x80000000 >> (k % 32) of word k / 32, is set while the pool is known to
 * be empty, so the candidates above pool k are the clear bits after its own
 * and the smallest is one count of leading zeros away.  Set when a malloc
 * drains a pool or finds it empty (pool_mark_empty, src/spill.c), cleared
 * by the free that gives the pool a block back (pool_note_given).  A bit
 * may be clear for an empty pool (one more try), never set for a pool that
 * has a block once no call is half-way (src/spill.c says why).  All zero at
 * reset: every pool may have a block.
 */
#if POOLALLOC_FALLBACK && POOL_COUNT > 1
#define POOL_SPILL_MAP 1
#define POOL_EMPTY_WORDS ((POOL_COUNT + 31u) / 32u)
#else
#define POOL_SPILL_MAP 0
#define POOL_EMPTY_WORDS 1u /* unused; ISO C has no empty array */
#endif

#if POOL_SPILL_MAP
/* The map word of pool k (src/pool_heap.h), and pool k's bit in it.  O(1). */
#define pool_empty_word(k) (&pool_heap.empty[(k) / 32u])

POOL_INLINE uint32_t pool_empty_bit(unsigned k)
{
    return 0x80000000u >> (k % 32u);
}

/* Pool k was seen empty: set its bit, then look again and clear it when a
 * block came back meanwhile.  Out of line: it runs when a pool runs dry,
 * not on every call.  O(1). */
void pool_mark_empty(unsigned k);
#endif

/* ---- Pointer -> pool ------------------------------------------------------- */

/*
 * Index of the pool whose memory holds `ptr`, or POOL_COUNT when `ptr` lies
 * outside every pool.  O(1): one compare with the region's size, one load
 * of a table that names the pool holding the last byte of each granule of
 * the region, and, where a pool starts inside a granule, one compare with
 * that pool's start (two where three pools share a granule); a layout
 * whose many small pools would need more gets a compare tree instead.
 * src/gen_layout.py chooses the granule and the order of the pools in
 * memory; configure prints the result.
 */
POOL_INLINE unsigned pool_of_ptr(const void *ptr)
{
#if POOL_REGION_COUNT > 1
    /* One compare per region finds the region, then its own lookup. */
    return pool_index_of_address((uintptr_t)ptr);
#else
    return pool_index_of_offset((uintptr_t)ptr - (uintptr_t)POOL_BASE);
#endif
}

#endif /* POOL_H */

/* SPDX-License-Identifier: MIT */
/*
 * Aligned allocation: memalign, aligned_alloc, posix_memalign, valloc,
 * pvalloc.
 *
 * Pools start naturally aligned (src/gen_layout.py), so every block of a pool
 * with block size b is aligned to the largest power of two dividing b.  A
 * request is served by the first pool whose blocks are large enough and
 * aligned enough; with fallback on, by the next such pool when that one is
 * full.  Alignments up to POOL_MALLOC_ALIGN are plain malloc.  Like
 * malloc, only the default region's pools serve.
 *
 * Complexity: O(POOL_COUNT) at worst (a bounded scan), O(1) per pool tried.
 */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "poolalloc_private.h"

static bool is_power_of_two(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Shared by all entry points; alignment is already known to be a power of
 * two.  `caller` is the user's call site, for the hooks.  A failure is
 * counted against the first pool that was large and aligned enough. */
static void *alloc_aligned(size_t alignment, size_t size, void *caller)
{
    /* Up to malloc's alignment, a block of at least `alignment` bytes is
     * aligned enough: smaller blocks are powers of two aligned to their size,
     * larger ones multiples of POOL_MALLOC_ALIGN.  A smaller block may not be
     * (memalign(8, 3) must not get a 4-byte block). */
    if (alignment <= POOL_MALLOC_ALIGN)
        return pool_alloc_for(size < alignment ? alignment : size, caller);
    unsigned first = POOL_COUNT;
    for (unsigned k = pool_for_size(size); k < POOL_DEFAULT_END; k++) {
        if (pool_natural_align(k) < alignment)
            continue;
        if (first == POOL_COUNT)
            first = k;
        unsigned took;
        void *block = pool_take_block(k, &took, caller);
        if (block != NULL)
            return pool_taken(k, block, took);
        if (!POOLALLOC_FALLBACK)
            break;
    }
    return pool_fail(size, first, caller);
}

/* memalign on behalf of `caller`: EINVAL for a non-power-of-two alignment. */
static void *memalign_for(size_t alignment, size_t size, void *caller)
{
    if (!is_power_of_two(alignment)) {
        errno = EINVAL;
        return NULL;
    }
    return alloc_aligned(alignment, size, caller);
}

void *poolalloc_memalign(size_t alignment, size_t size)
{
    return memalign_for(alignment, size, __builtin_return_address(0));
}

/* C11/C17: the alignment must be a valid (power-of-two) alignment. */
void *poolalloc_aligned_alloc(size_t alignment, size_t size)
{
    return memalign_for(alignment, size, __builtin_return_address(0));
}

/* POSIX: returns the error instead of setting errno, which stays unchanged. */
int poolalloc_posix_memalign(void **result, size_t alignment, size_t size)
{
    if (!is_power_of_two(alignment) || alignment % sizeof(void *) != 0)
        return EINVAL;
    int saved_errno = errno;
    void *block = alloc_aligned(alignment, size, __builtin_return_address(0));
    errno = saved_errno;
    if (block == NULL)
        return ENOMEM;
    *result = block;
    return 0;
}

void *poolalloc_valloc(size_t size)
{
    return alloc_aligned(POOLALLOC_PAGE_SIZE, size, __builtin_return_address(0));
}

void *poolalloc_pvalloc(size_t size)
{
    size_t rounded;
    if (__builtin_add_overflow(size, POOLALLOC_PAGE_SIZE - 1, &rounded))
        return pool_fail(SIZE_MAX, POOL_COUNT, __builtin_return_address(0));
    return alloc_aligned(POOLALLOC_PAGE_SIZE, rounded & ~(size_t)(POOLALLOC_PAGE_SIZE - 1),
                         __builtin_return_address(0));
}

#if POOLALLOC_LIBC_NAMES && !POOLALLOC_TRACE /* traced: src/trace_names.c */
void *memalign(size_t alignment, size_t size) __attribute__((alias("poolalloc_memalign")));
void *aligned_alloc(size_t alignment, size_t size) __attribute__((alias("poolalloc_aligned_alloc")));
int posix_memalign(void **result, size_t alignment, size_t size) __attribute__((alias("poolalloc_posix_memalign")));
void *valloc(size_t size) __attribute__((alias("poolalloc_valloc")));
void *pvalloc(size_t size) __attribute__((alias("poolalloc_pvalloc")));
#endif

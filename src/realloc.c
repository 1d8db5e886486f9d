/* SPDX-License-Identifier: MIT */
/*
 * realloc and its BSD variants.
 *
 * A block keeps its place whenever the new size still fits it, growing or
 * shrinking: pools have one block size, so moving would only cost a copy.
 * Otherwise: allocate in the block's own region, copy the whole old block (the new size is larger),
 * free the old one.  When the allocation fails the old block is untouched and
 * still owned by the caller.  realloc(p, 0) frees p and returns NULL.  A bad
 * pointer (see free.c; with checks=full also a freed block) is reported and
 * gets NULL, the heap untouched.
 *
 * Complexity: O(1) in place; O(old block size) for the copy when moving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc_private.h"

/* realloc on behalf of `caller` (the user's call site, for the hooks); with
 * free_on_failure (reallocf) a valid block whose move fails is freed too --
 * decided here, after the pointer was checked, so that a bad pointer is
 * reported once and never given to free.  Inlined into realloc itself (no
 * extra call on the in-place path); the BSD variants share one out-of-line
 * copy, reallocate_for(). */
static inline __attribute__((always_inline)) void *reallocate(void *ptr, size_t size, void *caller,
                                                              bool free_on_failure)
{
    if (ptr == NULL) {
        return pool_alloc_for(size, caller);
    }
    unsigned k = pool_of_valid_ptr(ptr, caller, true);
    if (k >= POOL_COUNT) {
        return NULL;
    }
    if (size == 0) {
        pool_release(k, ptr, caller);
        return NULL;
    }
    size_t block = pool_block_size(k);
    if (size <= block) {
        return ptr;
    }
#if POOL_REGION_COUNT > 1
    void *moved = pool_alloc_in(pool_region_of(k), size, caller); /* stays in its region */
#else
    void *moved = pool_alloc_for(size, caller);
#endif
    if (moved != NULL) {
        (void)memcpy(moved, ptr, block);
        pool_release(k, ptr, caller);
    } else if (free_on_failure) {
        pool_release(k, ptr, caller);
    }
    return moved;
}

void *poolalloc_realloc(void *ptr, size_t size)
{
    return reallocate(ptr, size, __builtin_return_address(0), false);
}

static __attribute__((noinline)) void *reallocate_for(void *ptr, size_t size, void *caller, bool free_on_failure)
{
    return reallocate(ptr, size, caller, free_on_failure);
}

/* FreeBSD reallocf: like realloc, but frees the old block when it cannot be
 * moved.  A bad pointer is reported once and left alone, as by realloc. */
void *poolalloc_reallocf(void *ptr, size_t size)
{
    return reallocate_for(ptr, size, __builtin_return_address(0), true);
}

/* OpenBSD reallocarray: realloc(ptr, count * size) with overflow detection. */
void *poolalloc_reallocarray(void *ptr, size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes))
        return pool_fail(SIZE_MAX, POOL_COUNT, __builtin_return_address(0));
    return reallocate_for(ptr, bytes, __builtin_return_address(0), false);
}

#if POOLALLOC_LIBC_NAMES && !POOLALLOC_TRACE /* traced: src/trace_names.c */
void *realloc(void *ptr, size_t size) __attribute__((alias("poolalloc_realloc")));
void *reallocf(void *ptr, size_t size) __attribute__((alias("poolalloc_reallocf")));
void *reallocarray(void *ptr, size_t count, size_t size) __attribute__((alias("poolalloc_reallocarray")));
#endif

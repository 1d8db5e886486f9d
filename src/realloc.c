/*
 * realloc and its BSD variants.
 *
 * A block keeps its place whenever the new size still fits it, growing or
 * shrinking: pools have one block size, so moving would only cost a copy.
 * Otherwise: allocate, copy the whole old block (the new size is larger),
 * free the old one.  When the allocation fails the old block is untouched and
 * still owned by the caller.  realloc(p, 0) frees p and returns NULL.
 *
 * Complexity: O(1) in place; O(old block size) for the copy when moving.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc_private.h"

void *poolalloc_realloc(void *ptr, size_t size)
{
    if (ptr == NULL)
        return poolalloc_malloc(size);
    unsigned k = pool_of_ptr(ptr);
    if (k >= POOL_COUNT) {
        pool_report_fault(POOLALLOC_FAULT_FOREIGN_POINTER, ptr, __builtin_return_address(0));
        return NULL;
    }
    if (size == 0) {
        pool_give(k, ptr);
        return NULL;
    }
    size_t block = pool_geometry[k].block;
    if (size <= block)
        return ptr;
    void *moved = poolalloc_malloc(size);
    if (moved != NULL) {
        memcpy(moved, ptr, block);
        pool_give(k, ptr);
    }
    return moved;
}

/* FreeBSD reallocf: like realloc, but frees the old block on failure. */
void *poolalloc_reallocf(void *ptr, size_t size)
{
    void *result = poolalloc_realloc(ptr, size);
    if (result == NULL && size != 0)
        poolalloc_free(ptr);
    return result;
}

/* OpenBSD reallocarray: realloc(ptr, count * size) with overflow detection. */
void *poolalloc_reallocarray(void *ptr, size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return poolalloc_realloc(ptr, bytes);
}

#if POOLALLOC_LIBC_NAMES
void *realloc(void *ptr, size_t size) __attribute__((alias("poolalloc_realloc")));
void *reallocf(void *ptr, size_t size) __attribute__((alias("poolalloc_reallocf")));
void *reallocarray(void *ptr, size_t count, size_t size) __attribute__((alias("poolalloc_reallocarray")));
#endif

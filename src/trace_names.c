/* SPDX-License-Identifier: MIT */
/*
 * The C library's malloc-family names with tracing on (-Dtrace=true): each
 * calls the poolalloc_* function and records one event (src/trace.c) with
 * its own return address as the caller.  Without tracing these names are
 * aliases of the poolalloc_* functions (the alias blocks at the end of
 * malloc.c, free.c, calloc.c, realloc.c and memalign.c) and this file is not
 * built.  The poolalloc_* functions call each other directly, so only the
 * call the program made is recorded.  free is recorded before the block is
 * released, allocations after they return.
 */
#include <malloc.h>
#include <stdlib.h>

#include "poolalloc_private.h"
#include "trace.h"

#if POOLALLOC_LIBC_NAMES && POOLALLOC_TRACE
void *malloc(size_t size)
{
    void *result = poolalloc_malloc(size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_MALLOC, size, 0, result, NULL);
    return result;
}

void free(void *ptr)
{
    TRACE_FREE(ptr);
    poolalloc_free(ptr);
}

void cfree(void *ptr)
{
    TRACE_FREE(ptr);
    poolalloc_free(ptr);
}

void *calloc(size_t count, size_t size)
{
    void *result = poolalloc_calloc(count, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_CALLOC, trace_product(count, size), 0, result, NULL);
    return result;
}

void *realloc(void *ptr, size_t size)
{
    void *result = poolalloc_realloc(ptr, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_REALLOC, size, 0, result, ptr);
    return result;
}

void *reallocf(void *ptr, size_t size)
{
    void *result = poolalloc_reallocf(ptr, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_REALLOCF, size, 0, result, ptr);
    return result;
}

void *reallocarray(void *ptr, size_t count, size_t size)
{
    void *result = poolalloc_reallocarray(ptr, count, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_REALLOCARRAY, trace_product(count, size), 0, result, ptr);
    return result;
}

void *memalign(size_t alignment, size_t size)
{
    void *result = poolalloc_memalign(alignment, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_MEMALIGN, size, alignment, result, NULL);
    return result;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    void *result = poolalloc_aligned_alloc(alignment, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_ALIGNED_ALLOC, size, alignment, result, NULL);
    return result;
}

int posix_memalign(void **result, size_t alignment, size_t size)
{
    int error = poolalloc_posix_memalign(result, alignment, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_POSIX_MEMALIGN, size, alignment, error == 0 ? *result : NULL, NULL);
    return error;
}

void *valloc(size_t size)
{
    void *result = poolalloc_valloc(size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_VALLOC, size, POOLALLOC_PAGE_SIZE, result, NULL);
    return result;
}

void *pvalloc(size_t size)
{
    void *result = poolalloc_pvalloc(size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_PVALLOC, size, POOLALLOC_PAGE_SIZE, result, NULL);
    return result;
}
#endif

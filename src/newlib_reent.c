/* SPDX-License-Identifier: MIT */
/*
 * newlib's reentrant malloc family.  newlib's own code (stdio buffers,
 * strdup via _strdup_r, locale, atexit) calls these directly, so they must be
 * ours or the linker pulls newlib's allocator.  Each forwards to the plain
 * call and reports errno through the given reent structure.  With tracing on
 * (-Dtrace=true) each records itself under its plain name (src/trace.h).
 * Built for newlib and newlib-nano only (picolibc has no struct _reent).
 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdlib.h>

#include "poolalloc_private.h"
#include "trace.h"

/* The call failed: make errno visible through `reent` as newlib expects. */
static void *failed(struct _reent *reent, void *result)
{
    if (result == NULL)
        reent->_errno = errno;
    return result;
}

void *_malloc_r(struct _reent *reent, size_t size)
{
    void *result = poolalloc_malloc(size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_MALLOC, size, 0, result, NULL);
    return failed(reent, result);
}

void _free_r(struct _reent *reent, void *ptr)
{
    (void)reent;
    TRACE_FREE(ptr);
    poolalloc_free(ptr);
}

void _cfree_r(struct _reent *reent, void *ptr)
{
    (void)reent;
    TRACE_FREE(ptr);
    poolalloc_free(ptr);
}

void *_calloc_r(struct _reent *reent, size_t count, size_t size)
{
    void *result = poolalloc_calloc(count, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_CALLOC, trace_product(count, size), 0, result, NULL);
    return failed(reent, result);
}

void *_realloc_r(struct _reent *reent, void *ptr, size_t size)
{
    void *result = poolalloc_realloc(ptr, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_REALLOC, size, 0, result, ptr);
    return size == 0 ? result : failed(reent, result);
}

void *_reallocf_r(struct _reent *reent, void *ptr, size_t size)
{
    void *result = poolalloc_reallocf(ptr, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_REALLOCF, size, 0, result, ptr);
    return size == 0 ? result : failed(reent, result);
}

void *_memalign_r(struct _reent *reent, size_t alignment, size_t size)
{
    void *result = poolalloc_memalign(alignment, size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_MEMALIGN, size, alignment, result, NULL);
    return failed(reent, result);
}

void *_valloc_r(struct _reent *reent, size_t size)
{
    void *result = poolalloc_valloc(size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_VALLOC, size, POOLALLOC_PAGE_SIZE, result, NULL);
    return failed(reent, result);
}

void *_pvalloc_r(struct _reent *reent, size_t size)
{
    void *result = poolalloc_pvalloc(size);
    TRACE_ALLOC(POOLALLOC_TRACE_OP_PVALLOC, size, POOLALLOC_PAGE_SIZE, result, NULL);
    return failed(reent, result);
}

size_t _malloc_usable_size_r(struct _reent *reent, void *ptr)
{
    (void)reent;
    return poolalloc_usable_size(ptr);
}

struct mallinfo _mallinfo_r(struct _reent *reent)
{
    (void)reent;
    return poolalloc_mallinfo();
}

void _malloc_stats_r(struct _reent *reent)
{
    (void)reent;
    poolalloc_malloc_stats();
}

void _mstats_r(struct _reent *reent, char *title)
{
    (void)reent;
    poolalloc_mstats(title);
}

int _mallopt_r(struct _reent *reent, int param, int value)
{
    (void)reent;
    return poolalloc_mallopt(param, value);
}

int _malloc_trim_r(struct _reent *reent, size_t pad)
{
    (void)reent;
    return poolalloc_malloc_trim(pad);
}

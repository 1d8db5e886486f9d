/* SPDX-License-Identifier: MIT */
/*
 * Allocation trace recorder (-Dtrace=true), internal API.  The format is
 * doc/trace-format.md; the recorder is src/trace.c, the recording wrappers
 * that carry the C library's names are src/trace_names.c (and newlib's _r
 * functions in src/newlib_reent.c).
 *
 * Only the outermost call the program makes is recorded: the wrappers call
 * the poolalloc_* functions, which call each other directly, unrecorded.
 * Allocations are recorded after they return, free before the block is
 * released (doc/trace-format.md, "Ordering under interrupts").
 */
#ifndef POOLALLOC_TRACE_H
#define POOLALLOC_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "poolalloc_config.h"

#include "poolalloc_trace.h"

#if POOLALLOC_TRACE
/* Record one allocation-family event (op 1, 3..11).  `caller` is the return
 * address of the entry point the program called.  O(1), plus a drain of the
 * buffer to the sink from thread mode when it is half full. */
void trace_record_alloc(enum poolalloc_trace_op op, size_t size, size_t align, const void *result, const void *old,
                        const void *caller);

/* Record poolalloc_malloc_in(region, size). */
void trace_record_malloc_in(unsigned region, size_t size, const void *result, const void *caller);

/* Record free(ptr) (also cfree); call it before the block is released. */
void trace_record_free(const void *ptr, const void *caller);

/* count * size as the trace records it: all ones when it overflows. */
static inline size_t trace_product(size_t count, size_t size)
{
    size_t bytes;
    return __builtin_mul_overflow(count, size, &bytes) ? SIZE_MAX : bytes;
}

/* For use inside the entry point itself, so that the caller is its own. */
#define TRACE_ALLOC(op, size, align, result, old)                                                          \
    trace_record_alloc((op), (size), (align), (result), (old), __builtin_return_address(0))
#define TRACE_MALLOC_IN(region, size, result)                                                              \
    trace_record_malloc_in((region), (size), (result), __builtin_return_address(0))
#define TRACE_FREE(ptr) trace_record_free((ptr), __builtin_return_address(0))
#else
#define TRACE_ALLOC(op, size, align, result, old) ((void)0)
#define TRACE_MALLOC_IN(region, size, result) ((void)0)
#define TRACE_FREE(ptr) ((void)0)
#endif

#endif /* POOLALLOC_TRACE_H */

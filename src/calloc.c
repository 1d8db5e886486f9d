/* SPDX-License-Identifier: MIT */
/*
 * calloc: overflow-checked count * size, then malloc and clear.  Blocks are
 * recycled without being cleared and never-used blocks hold whatever RAM held
 * at reset, so the clear is unconditional.  O(size) for the clear.  An
 * overflowing count * size is a failure for lack of memory (OOM hook with
 * size SIZE_MAX, ENOMEM).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc_private.h"

void *poolalloc_calloc(size_t count, size_t size)
{
    size_t bytes;
    void *caller = __builtin_return_address(0);
    if (__builtin_mul_overflow(count, size, &bytes))
        return pool_fail(SIZE_MAX, POOL_COUNT, caller);
    void *block = pool_alloc_for(bytes, caller);
    if (block != NULL) {
        (void)memset(block, 0, bytes);
    }
    return block;
}

#if POOLALLOC_LIBC_NAMES && !POOLALLOC_TRACE /* traced: src/trace_names.c */
void *calloc(size_t count, size_t size) __attribute__((alias("poolalloc_calloc")));
#endif

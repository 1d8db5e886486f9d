/*
 * calloc: overflow-checked count * size, then malloc and clear.  Blocks are
 * recycled without being cleared and never-used blocks hold whatever RAM held
 * at reset, so the clear is unconditional.  O(size) for the clear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc_private.h"

void *poolalloc_calloc(size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    void *block = poolalloc_malloc(bytes);
    if (block != NULL)
        memset(block, 0, bytes);
    return block;
}

#if POOLALLOC_LIBC_NAMES
void *calloc(size_t count, size_t size) __attribute__((alias("poolalloc_calloc")));
#endif

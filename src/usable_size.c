/*
 * malloc_usable_size: the block size of the owning pool.  O(1).
 */
#include <malloc.h>

#include "poolalloc_private.h"

size_t poolalloc_usable_size(void *ptr)
{
    if (ptr == NULL)
        return 0;
    unsigned k = pool_of_ptr(ptr);
    if (k >= POOL_COUNT) {
        pool_report_fault(POOLALLOC_FAULT_FOREIGN_POINTER, ptr, __builtin_return_address(0));
        return 0;
    }
    return pool_geometry[k].block;
}

#if POOLALLOC_LIBC_NAMES
size_t malloc_usable_size(void *ptr) __attribute__((alias("poolalloc_usable_size")));
#endif

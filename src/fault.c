/*
 * Misuse reporting.  pool_report_fault() is what the allocator calls; it
 * forwards to poolalloc_fault(), a weak hook the application may replace.
 * The default prints one line on stderr and aborts: a heap that has been
 * handed a bad pointer should stop the program, not corrupt it later.
 */
#include <stdio.h>
#include <stdlib.h>

#include "poolalloc_private.h"

const char *poolalloc_fault_name(enum poolalloc_fault_kind kind)
{
    switch (kind) {
    case POOLALLOC_FAULT_FOREIGN_POINTER:
        return "pointer outside every pool";
    }
    return "unknown fault";
}

__attribute__((weak)) void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    fprintf(stderr, "poolalloc: %s: %p (called from %p)\n", poolalloc_fault_name(kind), ptr, caller);
    abort();
}

void pool_report_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    poolalloc_fault(kind, ptr, caller);
}

/*
 * Misuse reporting.  pool_report_fault() is what the allocator calls; it
 * forwards to poolalloc_fault(), a weak hook the application may replace.
 * The line names the kind, the pointer, its owning pool when there is one
 * and the caller:
 *   poolalloc: block is not allocated (double free): 0x... in pool 2 (24-byte blocks) (called from 0x...)
 *
 * The default writes one line to stderr and aborts: a heap that has been
 * handed a bad pointer should stop the program, not corrupt it later.  It
 * formats with a few lines of its own rather than fprintf(), so that a
 * malloc/free-only program does not drag in printf.  Output: picolibc's
 * tinystdio stderr (unbuffered, allocation-free; its semihosting write() has
 * no fd 2), elsewhere write(2), which needs no stdio buffer -- newlib's
 * would come from the heap that just reported a fault.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolalloc_private.h"

const char *poolalloc_fault_name(enum poolalloc_fault_kind kind)
{
    switch (kind) {
    case POOLALLOC_FAULT_NONE:
        return "no fault";
    case POOLALLOC_FAULT_FOREIGN_POINTER:
        return "pointer outside every pool";
    case POOLALLOC_FAULT_MISALIGNED_POINTER:
        return "pointer not at a block boundary";
    case POOLALLOC_FAULT_UNALLOCATED_POINTER:
        return "pointer to a block never allocated";
    case POOLALLOC_FAULT_DOUBLE_FREE:
        return "block is not allocated (double free)";
    case POOLALLOC_FAULT_USE_AFTER_FREE:
        return "freed block was written (use after free)";
    case POOLALLOC_FAULT_FREE_LIST_CORRUPT:
        return "free list corrupt";
    case POOLALLOC_FAULT_FREE_LIST_CYCLE:
        return "free list has a cycle";
    case POOLALLOC_FAULT_COUNT_MISMATCH:
        return "pool counts inconsistent";
    case POOLALLOC_FAULT_EDGE_CORRUPT:
        return "pool edge corrupt";
    }
    return "unknown fault";
}

/* Append `text` at `out`; returns the new end. */
static char *append_text(char *out, const char *text)
{
    size_t len = strlen(text);
    memcpy(out, text, len);
    return out + len;
}

/* Append the decimal digits of `value`; returns the new end. */
static char *append_decimal(char *out, size_t value)
{
    char digits[3 * sizeof value];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0)
        *out++ = digits[--n];
    return out;
}

/* Append 0x and the hex digits of `value`; returns the new end. */
static char *append_hex(char *out, uintptr_t value)
{
    out = append_text(out, "0x");
    for (int shift = (int)(8 * sizeof value) - 4; shift >= 0; shift -= 4)
        *out++ = "0123456789abcdef"[(value >> shift) & 0xf];
    return out;
}

__attribute__((weak)) void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    char line[192];
    char *end = append_text(line, "poolalloc: ");
    end = append_text(end, poolalloc_fault_name(kind));
    end = append_text(end, ": ");
    end = append_hex(end, (uintptr_t)ptr);
    unsigned k = pool_of_ptr(ptr);
    if (k < POOL_COUNT) {
        end = append_text(end, " in pool ");
        end = append_decimal(end, k);
        end = append_text(end, " (");
        end = append_decimal(end, pool_geometry[k].block);
        end = append_text(end, "-byte blocks)");
    }
    end = append_text(end, " (called from ");
    end = append_hex(end, (uintptr_t)caller);
    end = append_text(end, ")\n");
#ifdef __PICOLIBC__
    *end = '\0';
    fputs(line, stderr);
#else
    (void)!write(2, line, (size_t)(end - line));
#endif
    abort();
}

void pool_report_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    poolalloc_fault(kind, ptr, caller);
}

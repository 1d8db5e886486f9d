/*
 * Misuse reporting.  pool_report_fault() is what the allocator calls; it
 * forwards to poolalloc_fault(), a weak hook the application may replace.
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
    case POOLALLOC_FAULT_FOREIGN_POINTER:
        return "pointer outside every pool";
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
    char line[128];
    char *end = append_text(line, "poolalloc: ");
    end = append_text(end, poolalloc_fault_name(kind));
    end = append_text(end, ": ");
    end = append_hex(end, (uintptr_t)ptr);
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

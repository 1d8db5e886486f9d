/* SPDX-License-Identifier: MIT */
/*
 * The default fault action: poolalloc_fault(), weak, called when a misuse is
 * detected (include/poolalloc.h), chosen by the fault option:
 *
 *   trap     (default) stop at once on an undefined instruction (UDF), with
 *            the report in the registers: r0 = the fault kind
 *            (POOLALLOC_FAULT_*), r1 = the pointer, r2 = the caller.  The
 *            core takes a HardFault; a debugger or the firmware's fault
 *            handler shows those registers.  Two bytes of flash.
 *   abort    abort(): SIGABRT, what hosted C programs (and picolibc's own
 *            malloc tests) expect; costs abort() and the C library's signal
 *            code when the firmware does not already link them.
 *   message  one line on stderr, then abort():
 *     poolalloc: block is not allocated (double free): 0x... in pool 2 (24-byte blocks) (called from 0x...)
 *            It formats with a few lines of its own rather than fprintf(),
 *            so that a malloc/free-only program does not drag in printf.
 *            Output: picolibc's tinystdio stderr (unbuffered,
 *            allocation-free), elsewhere write(2), which needs no stdio
 *            buffer -- newlib's would come from the heap that just reported
 *            a fault.
 *
 * A heap that has been handed a bad pointer should stop the program, not
 * corrupt it later; an application that prefers to log and go on defines
 * its own poolalloc_fault().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolalloc_private.h"
#include "text_append.h"

#if POOLALLOC_FAULT_MESSAGE
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
        end = append_decimal(end, pool_block_size(k));
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

#elif POOLALLOC_FAULT_ABORT
__attribute__((weak)) void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)kind;
    (void)ptr;
    (void)caller;
    abort();
}
#elif POOLALLOC_HOST_REGION
/* A host build has no HardFault to read registers from: SIGILL. */
__attribute__((weak)) void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)kind;
    (void)ptr;
    (void)caller;
    __builtin_trap();
}
#else
__attribute__((weak)) void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    /* Pinned to r0-r2, where they arrived, so the fault handler sees them. */
    register uint32_t r0 __asm__("r0") = (uint32_t)kind;
    register void *r1 __asm__("r1") = ptr;
    register void *r2 __asm__("r2") = caller;
    __asm__ volatile("udf #0" : : "r"(r0), "r"(r1), "r"(r2));
    __builtin_unreachable();
}
#endif

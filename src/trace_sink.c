/* SPDX-License-Identifier: MIT */
/*
 * The default trace sink (-Dtrace=true): where src/trace.c sends the bytes
 * of the trace, in order (header first).  Weak: define your own
 * poolalloc_trace_sink() to send the trace over SWO, RTT or a UART.
 *
 * Cortex-M: the file poolalloc.trace in the debugger's (or QEMU's) working
 * directory, through raw ARM semihosting calls (BKPT 0xAB: SYS_OPEN mode
 * "wb", SYS_WRITE), which need nothing from the C library, so the same code
 * serves picolibc and newlib.  Without a debugger attached BKPT faults: the
 * default sink is for runs under QEMU or a probe with semihosting.
 *
 * Host: stdio, the file named by $POOLALLOC_TRACE_FILE or poolalloc.trace.
 */
#include <stddef.h>
#include <stdint.h>

#include "poolalloc_private.h"

#define TRACE_FILE_NAME "poolalloc.trace"

#if POOLALLOC_HOST_REGION
#include <stdio.h>
#include <stdlib.h>

__attribute__((weak)) void poolalloc_trace_sink(const void *bytes, size_t length)
{
    static FILE *file;
    static int failed;
    if (file == NULL && !failed) {
        const char *name = getenv("POOLALLOC_TRACE_FILE");
        file = fopen(name != NULL ? name : TRACE_FILE_NAME, "wb");
        failed = file == NULL;
    }
    if (file != NULL) {
        (void)fwrite(bytes, 1, length, file);
        (void)fflush(file);
    }
}
#else
#define SYS_OPEN 0x01u
#define SYS_WRITE 0x05u
#define OPEN_MODE_WB 5u

static uintptr_t semihost(uintptr_t operation, const void *argument)
{
    register uintptr_t r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

__attribute__((weak)) void poolalloc_trace_sink(const void *bytes, size_t length)
{
    static intptr_t handle = -2; /* -2: not opened yet; -1: the open failed */
    if (handle == -2) {
        static const char name[] = TRACE_FILE_NAME;
        const uintptr_t open_args[3] = { (uintptr_t)name, OPEN_MODE_WB, sizeof name - 1 };
        handle = (intptr_t)semihost(SYS_OPEN, open_args);
    }
    if (handle < 0)
        return;
    const uintptr_t write_args[3] = { (uintptr_t)handle, (uintptr_t)bytes, length };
    (void)semihost(SYS_WRITE, write_args);
}
#endif

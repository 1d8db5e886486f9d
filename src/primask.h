/* SPDX-License-Identifier: MIT */
/*
 * PRIMASK on Cortex-M: mask interrupts, returning the previous mask, and put
 * it back.  Restoring (rather than clearing) lets these sections nest inside
 * the application's own.  Shared by the irq backend, the rare all-stopped
 * paths of the llsc backend (repair, snapshots) and the trace recorder.
 */
#ifndef PRIMASK_H
#define PRIMASK_H

#include <stdint.h>

static inline uint32_t primask_mask(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void primask_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#endif

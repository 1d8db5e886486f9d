/*
 * sync=irq: a PRIMASK critical section around the few instructions that touch
 * a pool's free list, edge and counters.  Works on every Cortex-M profile
 * (the only choice on ARMv6-M, which has no exclusive loads).  The previous
 * PRIMASK is restored, so it nests inside callers' own critical sections.
 *
 * Interrupts are masked for the body of pool_take_unsynchronised() or
 * pool_give_unsynchronised() only: no loop, no call.
 */
#ifndef SYNC_IRQ_H
#define SYNC_IRQ_H

#include <stdint.h>

static inline uint32_t irq_mask(void)
{
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
    return primask;
}

static inline void irq_restore(uint32_t primask)
{
    __asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

#if POOLALLOC_TEST_BROKEN_POP
/*
 * Deliberately broken, compiled only for test/preempt.c's expected-failure
 * test: head and `next` are read before interrupts are masked and the head
 * is only compared inside -- a compare-and-swap emulated with PRIMASK, which
 * lets ABA through.
 */
static inline void *pool_take(unsigned k)
{
    struct pool_state *state = &pool_state[k];
    for (;;) {
        struct free_block *seen = *(struct free_block *volatile *)&state->free;
        if (seen == NULL)
            break;
        struct free_block *next = seen->next;
        uint32_t primask = irq_mask();
        if (state->free == seen) {
            state->free = next;
#if POOLALLOC_STATS
            state->in_use++;
#endif
            irq_restore(primask);
            return seen;
        }
        irq_restore(primask);
    }
    uint32_t primask = irq_mask();
    void *block = pool_take_unsynchronised(k);
    irq_restore(primask);
    return block;
}
#else
static inline void *pool_take(unsigned k)
{
    uint32_t primask = irq_mask();
    void *block = pool_take_unsynchronised(k);
    irq_restore(primask);
    return block;
}
#endif

static inline void pool_give(unsigned k, void *ptr)
{
    uint32_t primask = irq_mask();
    pool_give_unsynchronised(k, ptr);
    irq_restore(primask);
}

#endif

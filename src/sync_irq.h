/*
 * sync=irq: a PRIMASK critical section around the few instructions that touch
 * a pool's free list, edge and counters.  Works on every Cortex-M profile
 * (the only choice on ARMv6-M, which has no exclusive loads).  The previous
 * PRIMASK is restored, so it nests inside callers' own critical sections.
 *
 * Interrupts are masked for the body of pool_take_unsynchronised() or
 * pool_give_unsynchronised() only (statistics included): no loop, no call.
 * The counter and bitmap helpers mask for their own read-modify-write.
 */
#ifndef SYNC_IRQ_H
#define SYNC_IRQ_H

#include <stdint.h>

#include "primask.h"

POOL_INLINE uint32_t irq_mask(void)
{
    return primask_mask();
}

POOL_INLINE void irq_restore(uint32_t primask)
{
    primask_restore(primask);
}

#if POOLALLOC_TEST_BROKEN_POP
/*
 * Deliberately broken, compiled only for test/preempt.c's expected-failure
 * test: head and `next` are read before interrupts are masked and the head
 * is only compared inside -- a compare-and-swap emulated with PRIMASK, which
 * lets ABA through.
 */
POOL_INLINE void *pool_take(unsigned k, bool *recycled)
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
            count_take_unsynchronised(k);
            irq_restore(primask);
            return seen;
        }
        irq_restore(primask);
    }
    uint32_t primask = irq_mask();
    void *block = pool_take_unsynchronised(k, recycled);
    irq_restore(primask);
    return block;
}
#else
POOL_INLINE void *pool_take(unsigned k, bool *recycled)
{
    uint32_t primask = irq_mask();
    void *block = pool_take_unsynchronised(k, recycled);
    irq_restore(primask);
    return block;
}
#endif

POOL_INLINE void pool_give(unsigned k, void *ptr)
{
    uint32_t primask = irq_mask();
    pool_give_unsynchronised(k, ptr);
    irq_restore(primask);
}

/* *counter += delta with interrupts masked; returns the new value. */
POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta)
{
    uint32_t primask = irq_mask();
    size_t value = *counter += delta;
    irq_restore(primask);
    return value;
}

/* *counter = max(*counter, value), masked. */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value)
{
    uint32_t primask = irq_mask();
    if (value > *counter)
        *counter = value;
    irq_restore(primask);
}

/* *word &= mask / *word |= mask, masked; return the old word. */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask)
{
    uint32_t primask = irq_mask();
    uint32_t old = *word;
    *word = old & mask;
    irq_restore(primask);
    return old;
}

POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask)
{
    uint32_t primask = irq_mask();
    uint32_t old = *word;
    *word = old | mask;
    irq_restore(primask);
    return old;
}

/* Mask interrupts (nests); returns what pool_unlock_all() restores. */
POOL_INLINE uint32_t pool_lock_all(void)
{
    return irq_mask();
}

POOL_INLINE void pool_unlock_all(uint32_t saved)
{
    irq_restore(saved);
}

#include "pool_counts.h"

#endif

/*
 * sync=llsc: lock-free pools with LDREX/STREX, for ARMv7-M, ARMv7E-M and
 * ARMv8-M mainline.  Interrupts are never masked.
 *
 * Pop (take from the free list):
 *     LDREX head -> block;  load block->next;  STREX next -> head
 * The load of `next` sits inside the exclusive window.  Exception entry and
 * return clear the local monitor, so if any interrupt handler runs between
 * the LDREX and the STREX -- and could pop `block`, pop its successor and
 * push `block` back (the ABA pattern) -- the STREX fails and the pop starts
 * again with fresh values.  A compare-and-swap loop reads `next` before its
 * window and is not safe: that is Drone OS's bug (DESIGN.md section 3).
 *
 * Push: `block->next = head` is written before the window (the block is still
 * ours), then LDREX head, compare, STREX: ABA is harmless for a push.
 * Bump: LDREX edge, compare with the end, STREX edge + block.
 * Counters (stats) and the allocated bits (checks=full): LDREX/STREX
 * read-modify-writes, GCC's relaxed __atomic builtins, one per counter.
 *
 * Every loop repeats only when its STREX failed, which on a single core
 * happens only when an exception intervened.  No barriers: this is safe
 * against interrupts and RTOS threads on one core, not across cores.
 */
#ifndef SYNC_LLSC_H
#define SYNC_LLSC_H

#include <stdbool.h>

#include "primask.h"

POOL_INLINE void *load_exclusive(void *const *address)
{
    void *value;
    __asm__ volatile("ldrex %0, [%1]" : "=r"(value) : "r"(address) : "memory");
    return value;
}

/* True when the store happened, i.e. nothing intervened since the LDREX. */
POOL_INLINE bool store_exclusive(void **address, void *value)
{
    unsigned failed;
    __asm__ volatile("strex %0, %2, [%1]" : "=&r"(failed) : "r"(address), "r"(value) : "memory");
    return failed == 0;
}

POOL_INLINE void clear_exclusive(void)
{
    __asm__ volatile("clrex" : : : "memory");
}

/* *counter += delta (LDREX/STREX); returns the new value. */
POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta)
{
    return __atomic_add_fetch(counter, delta, __ATOMIC_RELAXED);
}

/* *counter = max(*counter, value): one load when the value is not higher,
 * a compare-and-swap loop when it is. */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value)
{
    size_t seen = __atomic_load_n(counter, __ATOMIC_RELAXED);
    while (value > seen && !__atomic_compare_exchange_n(counter, &seen, value, true, __ATOMIC_RELAXED,
                                                        __ATOMIC_RELAXED)) {
    }
}

/* *word &= mask / *word |= mask (LDREX/STREX); return the old word. */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask)
{
    return __atomic_fetch_and(word, mask, __ATOMIC_RELAXED);
}

POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask)
{
    return __atomic_fetch_or(word, mask, __ATOMIC_RELAXED);
}

/* Mask interrupts (the rare repair paths only); returns the old PRIMASK. */
POOL_INLINE uint32_t pool_lock_all(void)
{
    return primask_mask();
}

POOL_INLINE void pool_unlock_all(uint32_t saved)
{
    primask_restore(saved);
}

/* Statistics of a take / give: a separate atomic update each. */
#include "pool_counts.h"

POOL_INLINE void *pool_take(unsigned k, bool *recycled)
{
    struct pool_state *state = &pool_state[k];
    for (;;) {
#if POOLALLOC_TEST_BROKEN_POP
        /* Deliberately broken, compiled only for test/preempt.c's
         * expected-failure test: `next` is read before the exclusive window,
         * as a compare-and-swap loop does, which lets ABA through. */
        struct free_block *seen = state->free;
        struct free_block *next = seen != NULL ? seen->next : NULL;
        struct free_block *block = load_exclusive((void *const *)&state->free);
        if (block == NULL)
            break;
        if (block != seen)
            continue;
#else
        struct free_block *block = load_exclusive((void *const *)&state->free);
        if (block == NULL)
            break;
        struct free_block *next = block->next;
#endif
#if POOLALLOC_CHECKS >= 2
        if (!pool_link_valid(k, next, state->edge)) {
            clear_exclusive();
            return POOL_TAKE_CORRUPT;
        }
#endif
        if (store_exclusive((void **)&state->free, next)) {
            *recycled = true;
            count_take(k);
            return block;
        }
    }
    for (;;) {
        char *edge = load_exclusive((void *const *)&state->edge);
        if (edge == pool_geometry[k].end) {
            clear_exclusive();
            return NULL;
        }
        if (store_exclusive((void **)&state->edge, edge + pool_geometry[k].block)) {
            count_take(k);
            return edge;
        }
    }
}

POOL_INLINE void pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = ptr;
    struct free_block *head = state->free;
    do {
        block->next = head;
    } while (!__atomic_compare_exchange_n(&state->free, &head, block, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    count_give(k);
}

#endif

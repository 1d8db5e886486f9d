/* SPDX-License-Identifier: MIT */
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
 * window and is not safe (doc/design.md, "Atomicity").
 *
 * Push: `block->next = head` is written before the window (the block is still
 * ours; no store sits between LDREX and STREX, as the architecture asks),
 * then LDREX head, compare, STREX: ABA is harmless for a push.  A block that
 * is the head already is refused (freed twice in a row).
 * Bump: LDREX used, compare with the capacity, STREX used + 1.
 * Counters (stats) and the allocated bits (checks=full): LDREX/STREX
 * read-modify-writes, GCC's relaxed __atomic builtins, one per counter.
 *
 * Every loop repeats only when its STREX failed, which on a single core
 * happens only when an exception intervened.  No barriers: this is safe
 * against interrupts and RTOS threads on one core, not across cores.
 */
#ifndef SYNC_LLSC_H
#define SYNC_LLSC_H

#include "sync.h"

/* src/sync.h: interrupts are never masked on the hot path. */
#define POOL_SYNC_LOCK_FREE 1

#include "pool_checks.h"
#include "pool_list.h"
#include "primask.h"

POOL_INLINE uintptr_t load_exclusive(volatile void *address)
{
    uintptr_t value;
    __asm__ volatile("ldrex %0, [%1]" : "=r"(value) : "r"(address) : "memory");
    return value;
}

/* True when the store happened, i.e. nothing intervened since the LDREX. */
POOL_INLINE bool store_exclusive(volatile void *address, uintptr_t value)
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

/* *word &= mask / *word |= mask (the empty-pool map; checks=full: the
 * allocated bits) (LDREX/STREX); return the old word. */
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

#include "pool_counts.h"

/* Pop the head of pool k's free list, or NULL when the list is empty; with
 * checks=full, POOL_TAKE_CORRUPT when the head's link is damaged. */
POOL_INLINE void *pool_pop(unsigned k, unsigned *took)
{
    struct pool_state *state = &pool_heap.state[k];
    for (;;) {
        struct free_block *block = (struct free_block *)load_exclusive(&state->free);
        if (block == NULL)
            return NULL;
        struct free_block *next = block->next;
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
        if (!pool_link_valid(k, next, state->used)) {
            clear_exclusive();
            return POOL_TAKE_CORRUPT;
        }
#endif
        if (store_exclusive(&state->free, (uintptr_t)next)) {
            *took = POOL_TOOK_RECYCLED;
            if (next == NULL && POOL_LOAD_RELAXED(&state->used) == pool_capacity(k))
                *took = POOL_TOOK_RECYCLED | POOL_TOOK_LAST;
            return block;
        }
    }
}

/* Hand out pool k's next never-used block, or NULL when none is left. */
POOL_INLINE void *pool_bump(unsigned k, unsigned *took)
{
    struct pool_state *state = &pool_heap.state[k];
    for (;;) {
        size_t used = load_exclusive(&state->used);
        if (used == pool_capacity(k)) {
            clear_exclusive();
            return NULL;
        }
        if (store_exclusive(&state->used, used + 1)) {
            *took = used + 1 == pool_capacity(k) ? POOL_TOOK_LAST : 0u;
            return pool_block_at(k, used);
        }
    }
}

/* Take a block from pool k: the free list first, then the never-used part;
 * *took says which, and whether it may have been the last (POOL_TOOK_*).
 * NULL when the pool is exhausted (POOL_TAKE_CORRUPT: see pool_pop). */
POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    void *block = pool_pop(k, took);
    if (block == NULL)
        block = pool_bump(k, took);
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
    if (block == POOL_TAKE_CORRUPT)
        return block;
#endif
    if (block != NULL)
        count_take(k);
    return block;
}

/* Give block `ptr` back to pool k; false (nothing done) when it is the
 * list's head already -- freed twice in a row. */
POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_heap.state[k];
    struct free_block *block = ptr;
    struct free_block *head = POOL_LOAD_RELAXED(&state->free);
    do {
        if (head == block)
            return false;
        block->next = head;
    } while (!__atomic_compare_exchange_n(&state->free, &head, block, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    count_give(k);
    return true;
}

#endif

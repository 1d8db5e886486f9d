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
 * Counters: LDREX/STREX increments (GCC's relaxed __atomic builtins).
 *
 * Every loop repeats only when its STREX failed, which on a single core
 * happens only when an exception intervened.  No barriers: this is safe
 * against interrupts and RTOS threads on one core, not across cores.
 */
#ifndef SYNC_LLSC_H
#define SYNC_LLSC_H

#include <stdbool.h>

static inline void *load_exclusive(void *const *address)
{
    void *value;
    __asm__ volatile("ldrex %0, [%1]" : "=r"(value) : "r"(address) : "memory");
    return value;
}

/* True when the store happened, i.e. nothing intervened since the LDREX. */
static inline bool store_exclusive(void **address, void *value)
{
    unsigned failed;
    __asm__ volatile("strex %0, %2, [%1]" : "=&r"(failed) : "r"(address), "r"(value) : "memory");
    return failed == 0;
}

static inline void clear_exclusive(void)
{
    __asm__ volatile("clrex" : : : "memory");
}

static inline void count_blocks(struct pool_state *state, int delta)
{
#if POOLALLOC_STATS
    __atomic_fetch_add(&state->in_use, (size_t)delta, __ATOMIC_RELAXED);
#else
    (void)state;
    (void)delta;
#endif
}

static inline void *pool_take(unsigned k)
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
        if (store_exclusive((void **)&state->free, next)) {
            count_blocks(state, 1);
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
            count_blocks(state, 1);
            return edge;
        }
    }
}

static inline void pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = ptr;
    struct free_block *head = state->free;
    do {
        block->next = head;
    } while (!__atomic_compare_exchange_n(&state->free, &head, block, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    count_blocks(state, -1);
}

#endif

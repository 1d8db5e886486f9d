/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure preemption
 * test only (test/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_broken_pop.h"'): the real llsc or irq backend,
 * but its pop reads the head's `next` before the atomic window, as a
 * compare-and-swap loop does -- which lets the ABA pattern through.
 */
#ifndef SYNC_BROKEN_POP_H
#define SYNC_BROKEN_POP_H

#define pool_take pool_take_correct
#if POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#else
#include "sync_irq.h"
#endif
#undef pool_take

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    struct pool_state *state = &pool_heap.state[k];
    for (;;) {
        struct free_block *seen = pool_free_head(k);
        if (seen == NULL)
            break;
        struct free_block *next = seen->next; /* too early: outside the window */
#if POOLALLOC_SYNC_LLSC
        if ((struct free_block *)load_exclusive(&state->free) != seen) {
            clear_exclusive();
            continue;
        }
        if (store_exclusive(&state->free, (uintptr_t)next)) {
#else
        uint32_t primask = primask_mask();
        bool same = state->free == seen;
        if (same)
            state->free = next;
        primask_restore(primask);
        if (same) {
#endif
            *took = POOL_TOOK_RECYCLED | POOL_TOOK_LAST; /* may be: pool_taken() looks */
            return seen;
        }
    }
    return pool_take_correct(k, took);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure preemption
 * sweep only (test/sweep/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_double_free_check_outside.h"'): the real
 * llsc or irq backend, but its push compares the block with the list's
 * head once, before the atomic push, instead of inside it.  A handler that
 * frees the same block between the compare and the push is not seen: the
 * block goes on the list twice (the sweep's `double` handler).
 */
#ifndef SYNC_DOUBLE_FREE_CHECK_OUTSIDE_H
#define SYNC_DOUBLE_FREE_CHECK_OUTSIDE_H

#define pool_give pool_give_correct
#if POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#else
#include "sync_irq.h"
#endif
#undef pool_give

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_heap.state[k];
    struct free_block *block = ptr;
    if (POOL_LOAD_RELAXED(&state->free) == block)
        return false; /* broken: the head may become this block after this compare */
#if POOLALLOC_SYNC_LLSC
    struct free_block *head = POOL_LOAD_RELAXED(&state->free);
    do {
        block->next = head;
    } while (!__atomic_compare_exchange_n(&state->free, &head, block, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    count_give(k);
#else
    uint32_t primask = primask_mask();
    block->next = state->free;
    state->free = block;
    count_give_unsynchronised(k);
    primask_restore(primask);
#endif
    return true;
}

#endif

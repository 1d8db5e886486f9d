/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure preemption
 * sweep of the irq backend only (test/sweep/meson.build builds a library
 * with -DPOOLALLOC_TEST_SYNC='"sync_irq_unmask_early.h"'): sync_irq.h, but
 * every critical section restores PRIMASK one instruction too early, before
 * its last store (the new free-list head, or the new edge).  An interrupt
 * that arrived while masked runs right there, between the section's reads
 * and its store.
 */
#ifndef SYNC_IRQ_UNMASK_EARLY_H
#define SYNC_IRQ_UNMASK_EARLY_H

#define pool_take pool_take_correct
#define pool_give pool_give_correct
#include "sync_irq.h"
#undef pool_take
#undef pool_give

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    struct pool_state *state = &pool_heap.state[k];
    uint32_t primask = primask_mask();
    struct free_block *block = state->free;
    if (block != NULL) {
        struct free_block *next = block->next;
        count_take_unsynchronised(k);
        primask_restore(primask); /* broken: before the store */
        state->free = next;
        *took = POOL_TOOK_RECYCLED | POOL_TOOK_LAST; /* may be: pool_taken() looks */
        return block;
    }
    size_t used = state->used;
    if (used == pool_capacity(k)) {
        primask_restore(primask);
        return NULL;
    }
    count_take_unsynchronised(k);
    primask_restore(primask); /* broken: before the store */
    state->used = used + 1;
    *took = POOL_TOOK_LAST;
    return pool_block_at(k, used);
}

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_heap.state[k];
    struct free_block *block = ptr;
    uint32_t primask = primask_mask();
    struct free_block *head = state->free;
    if (head == block) {
        primask_restore(primask);
        return false;
    }
    block->next = head;
    count_give_unsynchronised(k);
    primask_restore(primask); /* broken: before the store */
    state->free = block;
    return true;
}

#endif

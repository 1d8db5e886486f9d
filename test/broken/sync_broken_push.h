/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure preemption
 * sweep only (test/sweep/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_broken_push.h"'): the real llsc or irq
 * backend, but its push reads the head, links the block and stores the new
 * head with plain loads and stores -- no exclusive access, no masking.  A
 * handler that pops or pushes in between is overwritten: a block it took
 * stays on the list, or a block it gave back is lost.
 */
#ifndef SYNC_BROKEN_PUSH_H
#define SYNC_BROKEN_PUSH_H

#define pool_give pool_give_correct
#if POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#else
#include "sync_irq.h"
#endif
#undef pool_give

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    struct free_block *volatile *head = &pool_heap.state[k].free;
    struct free_block *block = ptr;
    struct free_block *seen = *head;
    if (seen == block)
        return false;
    block->next = seen;
    *head = block; /* broken: the head may have changed since it was read */
    count_give(k);
    return true;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure preemption
 * sweep only (test/sweep/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_broken_bump.h"'): the real llsc or irq
 * backend, but when the free list is empty the never-used edge is bumped
 * with a plain load and store -- no exclusive access, no masking.  A
 * handler that bumps in between is handed the same block as the code it
 * interrupted.
 */
#ifndef SYNC_BROKEN_BUMP_H
#define SYNC_BROKEN_BUMP_H

#define pool_take pool_take_correct
#if POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#else
#include "sync_irq.h"
#endif
#undef pool_take

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    if (pool_free_head(k) != NULL)
        return pool_take_correct(k, took);
    volatile size_t *edge = &pool_heap.state[k].used;
    size_t used = *edge;
    if (used == pool_capacity(k))
        return NULL;
    *edge = used + 1; /* broken: the edge may have moved since it was read */
    *took = POOL_TOOK_LAST; /* may be: pool_taken() looks */
    count_take(k);
    return pool_block_at(k, used);
}

#endif

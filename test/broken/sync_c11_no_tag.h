/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure threads test
 * only (test/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_c11_no_tag.h"'): the real c11 backend, but
 * pop and push leave the head's generation tag as it is, so a
 * compare-and-swap that read a stale head succeeds whenever the same block
 * is at the head again (ABA) and installs a stale `next`.
 *
 * So that test_threads fails every run rather than once in a while, the pop
 * holds its window (between reading `next` and the compare-and-swap) open
 * for a millisecond, in one thread at a time: the thread that finds the
 * window free sleeps in it, the others run through theirs at full speed,
 * which is the interleaving the test's ABA rounds set up.
 */
#ifndef SYNC_C11_NO_TAG_H
#define SYNC_C11_NO_TAG_H

#include <threads.h>

#define pool_take pool_take_tagged
#define pool_give pool_give_tagged
#include "sync_c11.h"
#undef pool_take
#undef pool_give

static _Atomic int pool_window_held;

/* Sleep a millisecond unless another thread sleeps in its window already. */
static inline void pool_hold_window_open(void)
{
    int free_window = 0;
    if (atomic_compare_exchange_strong(&pool_window_held, &free_window, 1)) {
        const struct timespec millisecond = { .tv_sec = 0, .tv_nsec = 1000000 };
        (void)thrd_sleep(&millisecond, NULL);
        atomic_store(&pool_window_held, 0);
    }
}

POOL_INLINE void *pool_take(unsigned k, unsigned *took)
{
    struct pool_state *state = &pool_heap.state[k];
    uint64_t head = atomic_load_explicit(&state->head, memory_order_acquire);
    while ((uint32_t)head != 0) {
        uint32_t index = (uint32_t)head - 1;
        uint32_t next = atomic_load_explicit(&pool_next_index[k][index], memory_order_relaxed);
        pool_hold_window_open();
        uint64_t popped = list_head(next, (uint32_t)(head >> 32)); /* broken: same tag */
        if (atomic_compare_exchange_weak_explicit(&state->head, &head, popped, memory_order_acquire,
                                                  memory_order_acquire)) {
            *took = POOL_TOOK_RECYCLED | POOL_TOOK_LAST; /* may be: pool_taken() looks */
            count_take(k);
            return pool_block_at(k, index);
        }
    }
    return pool_take_tagged(k, took); /* the list is empty: the never-used part */
}

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_heap.state[k];
    uint32_t index = (uint32_t)((size_t)((char *)ptr - pool_start(k)) / pool_block_size(k));
    uint64_t head = atomic_load_explicit(&state->head, memory_order_relaxed);
    uint64_t pushed;
    do {
        if ((uint32_t)head == index + 1)
            return false;
        atomic_store_explicit(&pool_next_index[k][index], (uint32_t)head, memory_order_relaxed);
        pushed = list_head(index + 1, (uint32_t)(head >> 32)); /* broken: same tag */
    } while (!atomic_compare_exchange_weak_explicit(&state->head, &head, pushed, memory_order_release,
                                                    memory_order_relaxed));
    count_give(k);
    return true;
}

#endif

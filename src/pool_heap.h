/* SPDX-License-Identifier: MIT */
/*
 * The allocator's RAM (.bss, all zero at reset): the empty-pool map and the
 * state record of every pool, in one object, so that free reaches the map
 * from the address it already holds for the pools (src/pool.h, "Empty
 * pools").  Included by each backend's list header once it has defined
 * struct pool_state.
 */
#ifndef POOL_HEAP_H
#define POOL_HEAP_H

#include "pool.h"

struct pool_heap {
    struct pool_state state[POOL_COUNT]; /* first: pool k's record at 8 * k */
    pool_bits_t empty[POOL_EMPTY_WORDS]; /* the empty-pool map (fallback) */
};
extern struct pool_heap pool_heap;

/* The state record of pool k is pool_heap.state[k]. */

#endif

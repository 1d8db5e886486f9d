/* SPDX-License-Identifier: MIT */
/*
 * The sync backend contract: exactly what a backend (src/sync_*.h, one per
 * build, chosen in src/poolalloc_private.h) defines.  The backends are the
 * only code that reads or changes a free list, a high-water count or a
 * counter; everything else (src/checks.c, src/stats.c, the front end) uses
 * these names only.
 *
 * Every backend includes this header first, so each of its definitions is
 * checked against the declaration here (a different signature does not
 * compile), and a primitive it forgets is an error too ("declared 'static'
 * but never defined", with -Werror).  The matrix builds all five backends:
 * c11 (host), none (host-nofallback-none), irq (Cortex-M0), llsc
 * (Cortex-M3), lock (the Cortex-M33 dual-core test).
 *
 *   state     struct pool_state: at least `used` (the high-water count) and
 *             POOL_STATE_COUNTERS (src/pool_stats.h); then the backend
 *             includes src/pool_heap.h (the state array) and, after
 *             counter_add / counter_raise, src/pool_counts.h.
 *   take/give pool_take, pool_give: the hot path, atomic as the backend
 *             promises.
 *   words     counter_add, counter_raise, bits_fetch_and, bits_fetch_or:
 *             single-word atomic read-modify-writes.
 *   walk      pool_free_head, pool_free_next, pool_count_free: read a free
 *             list without changing it (diagnostics, checks).
 *   repair    pool_free_list_rebuild (checks=full only calls it).
 *   stop      pool_lock_all / pool_unlock_all: stop every context that could
 *             change the heap, where the backend can (rare paths only).
 *   POOL_SYNC_LOCK_FREE        1 when ordinary paths never stop other
 *             contexts (llsc, c11): a reader of several words (a statistics
 *             snapshot) copies until nothing changed instead of stopping
 *             them; 0 (irq, lock, none) when pool_lock_all() does.
 *   POOL_FREE_LINK_BYTES       the bytes at the start of a free block that
 *             hold the backend's link (0: the links live elsewhere).
 */
#ifndef POOL_SYNC_H
#define POOL_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "pool_stats.h"

struct pool_state;

/* ---- take and give: O(1) (retries only where another context progressed) -- */

/* A block of pool k (its free list first, then a never-used block), NULL
 * when none is left; *took gets POOL_TOOK_* (src/pool.h).  With
 * checks=full, POOL_TAKE_CORRUPT when the head's link is not a block. */
POOL_INLINE void *pool_take(unsigned k, unsigned *took);

/* Give `ptr`, a block of pool k, back; false (nothing done) when it is the
 * list's head already (freed twice in a row). */
POOL_INLINE bool pool_give(unsigned k, void *ptr);

/* ---- single-word atomics: O(1) --------------------------------------------- */

POOL_INLINE size_t counter_add(pool_counter_t *counter, size_t delta); /* the new value */
POOL_INLINE void counter_raise(pool_counter_t *counter, size_t value); /* a maximum */
POOL_INLINE uint32_t bits_fetch_and(pool_bits_t *word, uint32_t mask); /* the old word */
POOL_INLINE uint32_t bits_fetch_or(pool_bits_t *word, uint32_t mask);  /* the old word */

/* ---- reading a pool -------------------------------------------------------- */

/* The high-water count of pool k, read once.  O(1). */
POOL_INLINE size_t pool_used(unsigned k);

/* The first block on pool k's free list, or NULL.  O(1). */
POOL_INLINE void *pool_free_head(unsigned k);

/* The block after `block` on pool k's list, or NULL.  `block` must be one
 * of pool k's blocks handed out so far (the caller checks each link before
 * it follows it): the answer may be anything on a damaged list, but reading
 * it never leaves the pool.  O(1). */
POOL_INLINE void *pool_free_next(unsigned k, const void *block);

/* Blocks on pool k's list, counting at most `limit`; a diagnostic, exact
 * only when nothing allocates meanwhile, never reading outside the pool.
 * O(limit). */
POOL_INLINE size_t pool_count_free(unsigned k, size_t limit);

/* ---- the rare paths ---------------------------------------------------------- */

/* Replace pool k's free list by its blocks handed out so far whose bit in
 * `live` (one bit per block, set while allocated) is clear.  Stops
 * everything meanwhile.  O(capacity). */
POOL_INLINE void pool_free_list_rebuild(unsigned k, const pool_bits_t *live);

/* Stop every context that could change the heap (nests); returns what
 * pool_unlock_all() restores.  O(1). */
POOL_INLINE uint32_t pool_lock_all(void);
POOL_INLINE void pool_unlock_all(uint32_t saved);

#endif /* POOL_SYNC_H */

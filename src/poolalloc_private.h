/* SPDX-License-Identifier: MIT */
/*
 * The allocator's front end, shared by the entry points (malloc.c, free.c,
 * realloc.c, ...): what one allocation and one release do, on top of
 *
 *   src/pool.h          data model, size -> pool, pointer -> pool
 *   src/pool_stats.h    statistics counters (stats option)
 *   src/pool_checks.h   misuse detection (checks option)
 *   src/sync_*.h        the sync backend: pool_take(k) and pool_give(k, ptr),
 *                       the only code that touches a free list or a
 *                       high-water count (plus the counter primitives)
 *
 * The hot path, top to bottom:
 *   malloc(n)  pool_alloc: k = pool_for_size(n); pool_take(k), then k + 1,
 *              ... (fallback); none left: pool_out_of_memory (src/oom.c)
 *   free(p)    pool_of_valid_ptr: k = pool_of_ptr(p), refused when
 *              outside every pool; pool_release: pool_give(k, p), refused
 *              when p is the list's head (freed twice in a row)
 */
#ifndef POOLALLOC_PRIVATE_H
#define POOLALLOC_PRIVATE_H

#include <malloc.h>

#include "pool.h"
#include "pool_checks.h"
#include "pool_stats.h"

/*
 * The sync backend: what it defines is the contract of src/sync.h (take and
 * give, the word atomics, the walk and repair primitives).  A test may
 * substitute a deliberately broken backend (POOLALLOC_TEST_SYNC,
 * test/broken/).
 */
#if defined POOLALLOC_TEST_SYNC
#include POOLALLOC_TEST_SYNC
#elif POOLALLOC_SYNC_IRQ
#include "sync_irq.h"
#elif POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#elif POOLALLOC_SYNC_LOCK
#include "sync_lock.h"
#elif POOLALLOC_SYNC_C11
#include "sync_c11.h"
#elif POOLALLOC_SYNC_NONE
#include "sync_none.h"
#else
#error "no sync backend selected (poolalloc_config.h)"
#endif
#if !defined POOL_SYNC_LOCK_FREE || !defined POOL_FREE_LINK_BYTES
#error "the sync backend does not define POOL_SYNC_LOCK_FREE and POOL_FREE_LINK_BYTES (src/sync.h)"
#endif

/*
 * Blocks of pool k allocated now: allocs - frees with the stats option;
 * otherwise the high-water mark minus a walk of the free list (bounded by
 * the capacity: O(capacity), exact only when nothing allocates meanwhile).
 */
POOL_INLINE size_t pool_in_use(unsigned k)
{
#if POOLALLOC_STATS
    /* frees first: a free that lands between the two loads cannot make the
     * difference negative. */
    size_t frees = counter_load(&pool_heap.state[k].frees);
    return counter_load(&pool_heap.state[k].allocs) - frees;
#else
    return pool_used(k) - pool_count_free(k, pool_capacity(k));
#endif
}

/*
 * The failure path of every allocation, pool_fail(size, first, caller)
 * (src/oom.c): with stats, counts the failure against pool `first`
 * (POOL_COUNT: no pool could serve the request at all; POOL_FIRST_FOR_SIZE:
 * the pool that malloc(size) tries first) and in the OOM count; calls
 * poolalloc_oom(size, caller), sets errno to ENOMEM and returns NULL.  Out
 * of line, so the hot paths stay short; without stats `first` is not even
 * passed.  O(1).
 */
#define POOL_FIRST_FOR_SIZE (POOL_COUNT + 1u)
#if POOLALLOC_STATS
void *pool_out_of_memory(size_t size, void *caller, unsigned first);
#define pool_fail(size, first, caller) pool_out_of_memory((size), (caller), (first))
#else
void *pool_out_of_memory(size_t size, void *caller);
#define pool_fail(size, first, caller) ((void)(first), pool_out_of_memory((size), (caller)))
#endif

#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
/* checks=full, src/checks.c: take with the allocated bit, link and poison
 * checks (O(block) for the poison check), and give with the double-free
 * check and poisoning (O(block)); false when the give was refused. */
void *pool_take_checked(unsigned k, unsigned *took, void *caller);
bool pool_give_checked(unsigned k, void *ptr, void *caller);
/* Is the block at ptr (a block boundary of pool k) allocated?  O(1). */
bool pool_block_is_live(unsigned k, const void *ptr);
#endif

/* Take a block from pool k with whatever the checks level adds; *took as
 * the backend's pool_take() reports it.  O(1), plus O(block) with
 * checks=full. */
POOL_INLINE void *pool_take_block(unsigned k, unsigned *took, void *caller)
{
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
    return pool_take_checked(k, took, caller);
#else
    (void)caller;
    void *block = pool_take(k, took);
#if POOLALLOC_CHECKS == POOL_CHECKS_FAST
    if (block != NULL && pool_has_mark(k))
        *pool_mark_word(block) = 0; /* allocated: no longer marked free */
#endif
    return block;
#endif
}

#if POOL_SPILL_MAP
/* pool_taken()'s out-of-line part (src/spill.c): marks pool k empty when it
 * has no block left; returns `block`. */
void *pool_took_last(unsigned k, void *block);
#endif

/* Pool k has a block again: clear its bit in the empty-pool map, after the
 * push (a take that marks the pool empty meanwhile looks again after
 * setting the bit, src/spill.c).  One load and a test when the bit is
 * clear, as it is unless the pool had run dry.  O(1). */
POOL_INLINE void pool_note_given(unsigned k)
{
#if POOL_SPILL_MAP
    pool_bits_t *word = pool_empty_word(k);
    /* bit k % 32 from the top: the sign after a shift (lsls; bmi) */
    if ((int32_t)(POOL_LOAD_RELAXED(word) << (k % 32u)) < 0)
        (void)bits_fetch_and(word, ~pool_empty_bit(k));
#else
    (void)k;
#endif
}

/* Give a block back, refusing (and reporting) a block freed twice in a row
 * (with checks=full: any block not allocated).  O(1), plus O(block) with
 * checks=full. */
POOL_INLINE void pool_release(unsigned k, void *ptr, void *caller)
{
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
    if (pool_give_checked(k, ptr, caller))
        pool_note_given(k);
#else
#if POOLALLOC_CHECKS == POOL_CHECKS_FAST
    if (pool_has_mark(k))
        *pool_mark_word(ptr) = POOL_FREE_MARK; /* still ours: before the push */
#endif
#ifdef POOLALLOC_TEST_CLEAR_BEFORE_PUSH /* a broken variant for the preemption sweep's teeth */
    pool_note_given(k);
#endif
    if (!pool_give(k, ptr)) {
        poolalloc_fault(POOLALLOC_FAULT_DOUBLE_FREE, ptr, caller);
        return;
    }
#ifndef POOLALLOC_TEST_CLEAR_BEFORE_PUSH
    pool_note_given(k);
#endif
#endif
}

/* A block taken from pool k: when the take may have left the pool without
 * a block (POOL_TOOK_LAST), a tail call marks it for the spills
 * (src/spill.c), so that the hot path keeps no register for it.  A test
 * otherwise.  O(1). */
POOL_INLINE void *pool_taken(unsigned k, void *block, unsigned took)
{
#if POOL_SPILL_MAP
    if ((took & POOL_TOOK_LAST) != 0u)
        return pool_took_last(k, block);
#else
    (void)k;
    (void)took;
#endif
    return block;
}

/* The spill of a request whose pool k is full (src/spill.c): a block of the
 * next larger pool below `end` that has one, or NULL.  O(1) with the
 * empty-pool map, plus a try per stale bit; else one try per pool. */
void *pool_spill(unsigned k, unsigned end, void *caller);

/* A block from pool k or (fallback) the next ones below `end`, the end of
 * k's region: fallback stays inside one region.  NULL when none has one. */
POOL_INLINE void *pool_take_from(unsigned k, unsigned end, void *caller)
{
    if (k >= end)
        return NULL;
    unsigned took;
    void *block = pool_take_block(k, &took, caller);
    if (block != NULL)
        return pool_taken(k, block, took);
    return POOLALLOC_FALLBACK ? pool_spill(k, end, caller) : NULL;
}

/* malloc's path past its own pool (src/spill.c): the spill (fallback),
 * then the failure.  Out of line and reached by a tail call, so that
 * malloc keeps nothing alive for it.  O(1) per pool tried. */
void *pool_alloc_slow(size_t size, void *caller);

/*
 * malloc(size) on behalf of `caller`: size -> pool by table lookup, a block
 * of that pool; else (pool_alloc_slow) of the next larger pool of the
 * default region that has one (fallback), else NULL with ENOMEM.  O(1).
 */
POOL_INLINE void *pool_alloc(size_t size, void *caller)
{
    unsigned k = pool_for_size(size);
    if (k < POOL_DEFAULT_END) {
        unsigned took;
        void *block = pool_take_block(k, &took, caller);
        if (block != NULL)
            return pool_taken(k, block, took);
    }
    return pool_alloc_slow(size, caller);
}

/* pool_alloc() out of line, for the entry points other than malloc
 * (src/malloc.c): one copy, not one per file. */
void *pool_alloc_for(size_t size, void *caller);

#if POOL_REGION_COUNT > 1
/* pool_alloc() in region `region` (src/malloc_in.c): its pools only; NULL
 * with ENOMEM when they are full or too small, EINVAL for no such region. */
void *pool_alloc_in(unsigned region, size_t size, void *caller);
#endif

#if POOLALLOC_CHECKS >= POOL_CHECKS_FAST
/* Is ptr, inside pool k, the start of one of the blocks the pool has handed
 * out so far (a block boundary below `used`)?  O(1).  With a hardware
 * divide: the quotient against `used`, then the remainder (one compare
 * each); else the divide-free index, whose "no boundary" (UINT32_MAX) is
 * never below `used`. */
POOL_INLINE bool pool_is_handed_out(unsigned k, const void *ptr)
{
    uint32_t offset = (uint32_t)((const char *)ptr - pool_start(k));
#if defined __ARM_FEATURE_IDIV
    uint32_t block = (uint32_t)pool_block_size(k);
    uint32_t index = offset / block;
    return index < pool_used(k) && index * block == offset;
#else
    return pool_block_index(k, offset) < pool_used(k);
#endif
}
#endif

/*
 * The pool of a pointer given to free, realloc or malloc_usable_size, or
 * POOL_COUNT after reporting the fault: outside every pool (always); with
 * checks=fast (the default) also not at a block boundary, a block never
 * handed out, or a free block (its mark, confirmed on the free list);
 * without checks, with `must_be_live` (realloc, usable_size), a block that
 * is its pool's free-list head -- just freed -- and with checks=full any
 * block that is not allocated.  O(1), plus the confirming walk of a marked
 * block.
 */
POOL_INLINE unsigned pool_of_valid_ptr(void *ptr, void *caller, bool must_be_live)
{
    unsigned k = pool_of_ptr(ptr);
    if (k >= POOL_COUNT) {
        poolalloc_fault(POOLALLOC_FAULT_FOREIGN_POINTER, ptr, caller);
        return POOL_COUNT;
    }
#if POOLALLOC_CHECKS >= POOL_CHECKS_FAST
    if (!pool_is_handed_out(k, ptr)) {
        poolalloc_fault(pool_index_of_block(k, ptr) == UINT32_MAX ? POOLALLOC_FAULT_MISALIGNED_POINTER
                                                                  : POOLALLOC_FAULT_UNALLOCATED_POINTER,
                        ptr, caller);
        return POOL_COUNT;
    }
#endif
#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL
    bool live = !must_be_live || pool_block_is_live(k, ptr);
#elif POOLALLOC_CHECKS == POOL_CHECKS_FAST
    (void)must_be_live; /* free too: a block freed earlier, not only just now */
    bool live = !pool_block_is_marked_free(k, ptr);
#else
    bool live = !must_be_live || ptr != pool_free_head(k);
#endif
    if (!live) {
        poolalloc_fault(POOLALLOC_FAULT_DOUBLE_FREE, ptr, caller);
        return POOL_COUNT;
    }
    return k;
}

#endif /* POOLALLOC_PRIVATE_H */

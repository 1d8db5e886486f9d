/*
 * Internals shared by the poolalloc sources.
 *
 * Data model.  The layout (src/gen_layout.py, run at configure time) fixes
 * every pool: a read-only geometry record (start, end, block size, alignment)
 * and a small mutable state record (free-list head, bump edge, counters).
 * Both are initialised statically from the linker symbol __poolalloc_base,
 * so start-up runs no code at all.
 *
 * A pool hands out blocks from its free list first (blocks given back by
 * free, linked through their first word) and otherwise from its "edge", a
 * bump pointer that walks once through never-used blocks.  The edge never
 * moves back, so (edge - start) / block is the pool's high-water mark.
 *
 * All code that touches a free list, an edge or a counter lives in the sync
 * backend headers (sync_*.h): pool_take() and pool_give() are the whole seam.
 */
#ifndef POOLALLOC_PRIVATE_H
#define POOLALLOC_PRIVATE_H

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "poolalloc.h"
#include "poolalloc_config.h"

/* The hot-path helpers are always inlined: -Os would otherwise keep one
 * out-of-line copy per file as soon as a file calls them twice, which costs
 * the call on every malloc and free.  -fno-inline (__NO_INLINE__) still
 * wins: bench/'s deliberately slowed build relies on it. */
#ifdef __NO_INLINE__
#define POOL_INLINE static inline
#else
#define POOL_INLINE static inline __attribute__((always_inline))
#endif

#include "pool_layout.h"

#if POOLALLOC_HOST_REGION
extern char poolalloc_host_region[];
#define POOL_BASE (poolalloc_host_region + POOL_HOST_REGION_PAD)
#else
/* Defined by the generated linker script poolalloc.ld. */
extern char __poolalloc_base[];
#define POOL_BASE (__poolalloc_base)
#endif

/* A free block: its first word links to the next free block of its pool. */
struct free_block {
    struct free_block *next;
};

/* Read-only description of a pool (flash). 16 bytes: indexed by a shift. */
struct pool_geometry {
    char *start;
    char *end;
    size_t block;
    size_t align;
};

/*
 * Counters and per-block bits: plain words, updated inside critical sections
 * (irq, none) or with relaxed LDREX/STREX builtins (llsc); C11 atomics on the
 * host.
 */
#if POOLALLOC_SYNC_C11
#include <stdatomic.h>
typedef _Atomic size_t pool_counter_t;
typedef _Atomic uint32_t pool_bits_t;
#else
typedef size_t pool_counter_t;
typedef uint32_t pool_bits_t;
#endif

/* Relaxed single-word load and store of a counter (a word access is
 * atomic on every target).  O(1). */
POOL_INLINE size_t counter_load(pool_counter_t *counter)
{
#if POOLALLOC_SYNC_C11
    return atomic_load_explicit(counter, memory_order_relaxed);
#else
    return *(volatile size_t *)counter;
#endif
}

POOL_INLINE void counter_store(pool_counter_t *counter, size_t value)
{
#if POOLALLOC_SYNC_C11
    atomic_store_explicit(counter, value, memory_order_relaxed);
#else
    *(volatile size_t *)counter = value;
#endif
}

/*
 * Statistics (stats option).  Every counter only grows (modulo 2^32), so a
 * reader that copies them twice and sees no change has a consistent copy
 * (src/stats.c); in_use is allocs - frees.  A reset only records where
 * the counters stood (*_at_reset), so they keep growing.
 */
#if POOLALLOC_STATS
#define POOL_STATE_COUNTERS                                                                       \
    pool_counter_t allocs;          /* successful takes, ever */                                     \
    pool_counter_t frees;           /* gives, ever */                                                 \
    pool_counter_t fails;           /* failed requests whose first pool this is, ever */             \
    pool_counter_t allocs_at_reset; /* allocs when the counters were last reset */                   \
    pool_counter_t fails_at_reset;  /* fails when the counters were last reset */
#else
#define POOL_STATE_COUNTERS
#endif

/* Mutable state of a pool (RAM). */
#if POOLALLOC_SYNC_C11
/*
 * Host backend: the free list is a list of block indices kept in a side
 * table (pool_next_index), not in the blocks, and its head carries a
 * generation tag.  The tag makes compare-and-swap ABA-free; the side table
 * means a thread that loses a race never reads a block another thread
 * already owns (which ThreadSanitizer would rightly call a data race).
 */
struct pool_state {
    _Atomic uint64_t head;  /* tag << 32 | (index of the first free block + 1); low half 0 = empty */
    _Atomic(char *) edge;   /* first never-used block; == end when none is left */
    POOL_STATE_COUNTERS
};

/* Per pool: for each free block, the index + 1 of the next (0 = last). */
extern _Atomic uint32_t *const pool_next_index[POOL_COUNT];
#else
struct pool_state {
    struct free_block *free; /* free-list head, NULL when empty */
    char *edge;              /* first never-used block; == end when none is left */
    POOL_STATE_COUNTERS
};
#endif

/* Whole-heap statistics (stats option), in src/stats.c. */
struct pool_totals {
    pool_counter_t bytes_in_use; /* sum of in_use * block, kept for the peak */
    pool_counter_t peak_bytes;   /* highest bytes_in_use since reset */
    pool_counter_t oom_count;    /* requests that failed for lack of memory, ever */
    pool_counter_t oom_at_reset; /* oom_count when the counters were last reset */
};
#if POOLALLOC_STATS
extern struct pool_totals pool_totals;
#endif

extern const struct pool_geometry pool_geometry[POOL_COUNT];
extern struct pool_state pool_state[POOL_COUNT];
extern const uint8_t pool_size_lookup[POOL_LOOKUP_ENTRIES];

/* The edge of pool k, read once.  O(1). */
POOL_INLINE char *pool_edge_load(unsigned k)
{
#if POOLALLOC_SYNC_C11
    return atomic_load_explicit(&pool_state[k].edge, memory_order_relaxed);
#else
    return *(char *volatile *)&pool_state[k].edge;
#endif
}

_Static_assert(sizeof(struct pool_geometry) == 4 * sizeof(void *), "geometry rows are indexed by a shift");
_Static_assert(POOL_COUNT <= 255, "pool indices are stored as uint8_t");
_Static_assert(POOL_MALLOC_ALIGN >= sizeof(void *) && (POOL_MALLOC_ALIGN & (POOL_MALLOC_ALIGN - 1)) == 0,
               "malloc alignment is a power of two, at least a pointer");
_Static_assert(POOL_REGION_BYTES <= UINT32_MAX, "block tests use 32-bit offsets");

#if POOLALLOC_CHECKS >= 1
/*
 * Block-boundary test without a divide (ARMv6-M has none), per pool, from
 * src/gen_layout.py: the block is 2^shift * q with q odd, inverse = q^-1 mod
 * 2^32, limit = (2^32 - 1) / block.  An offset n is a multiple of the block
 * iff rotr(n * inverse, shift) <= limit, and then that value is n / block
 * (Hacker's Delight 10-17).  One 32-bit multiply, a rotate, a compare.
 */
struct pool_block_test {
    uint32_t inverse;
    uint32_t limit;
    uint32_t shift;
};
extern const struct pool_block_test pool_block_test[POOL_COUNT];

/* Index of the block at `offset` bytes into pool k, or UINT32_MAX when the
 * offset is not a multiple of the block size.  O(1). */
POOL_INLINE uint32_t pool_block_index(unsigned k, uint32_t offset)
{
    const struct pool_block_test *test = &pool_block_test[k];
    uint32_t product = offset * test->inverse;
    uint32_t shift = test->shift;
    uint32_t rotated = shift == 0 ? product : (product >> shift | product << (32u - shift));
    return rotated <= test->limit ? rotated : UINT32_MAX;
}
#endif

#if POOLALLOC_CHECKS >= 2
/* One bit per block, set while the block is allocated (gen_layout.py). */
extern pool_bits_t *const pool_live_bits[POOL_COUNT];

/* Freed blocks are filled with this byte, after the free-list link on the
 * backends that keep the link in the block. */
#define POOL_POISON_BYTE 0xa5u
#if POOLALLOC_SYNC_C11
#define POOL_POISON_FROM 0u
#else
#define POOL_POISON_FROM sizeof(struct free_block)
#endif
/* What pool_take() returns when the head block's link is not a valid block. */
#define POOL_TAKE_CORRUPT ((void *)(uintptr_t)1)

/* Is `next` a possible free-list link of pool k: NULL, or a block boundary
 * below `edge`?  O(1). */
POOL_INLINE bool pool_link_valid(unsigned k, const void *next, const char *edge)
{
    if (next == NULL)
        return true;
    const struct pool_geometry *geometry = &pool_geometry[k];
    if ((const char *)next < geometry->start || (const char *)next >= edge)
        return false;
    return pool_block_index(k, (uint32_t)((const char *)next - geometry->start)) != UINT32_MAX;
}
#endif

#if !POOLALLOC_SYNC_C11
/*
 * Statistics of a take / give, for the backends whose pool_take runs inside
 * a critical section (irq) or alone (none).  O(1).
 */
POOL_INLINE void count_take_unsynchronised(unsigned k)
{
#if POOLALLOC_STATS
    pool_state[k].allocs++;
    size_t bytes = pool_totals.bytes_in_use += pool_geometry[k].block;
    if (bytes > pool_totals.peak_bytes)
        pool_totals.peak_bytes = bytes;
#else
    (void)k;
#endif
}

POOL_INLINE void count_give_unsynchronised(unsigned k)
{
#if POOLALLOC_STATS
    pool_state[k].frees++;
    pool_totals.bytes_in_use -= pool_geometry[k].block;
#else
    (void)k;
#endif
}

/*
 * Take a block from pool k (free list first, then the edge), or NULL when the
 * pool is exhausted; with checks=full, POOL_TAKE_CORRUPT when the head's link
 * is damaged (nothing taken), and *recycled tells a free-list block from a
 * never-used one.  Not atomic by itself: the irq and none backends wrap it.
 * O(1).
 */
POOL_INLINE void *pool_take_unsynchronised(unsigned k, bool *recycled)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = state->free;
    if (block != NULL) {
#if POOLALLOC_CHECKS >= 2
        if (!pool_link_valid(k, block->next, state->edge))
            return POOL_TAKE_CORRUPT;
#endif
        *recycled = true;
        state->free = block->next;
    } else if (state->edge != pool_geometry[k].end) {
        block = (struct free_block *)(void *)state->edge;
        state->edge += pool_geometry[k].block;
    } else {
        return NULL;
    }
    count_take_unsynchronised(k);
    return block;
}

/* Give block `ptr` back to pool k.  Not atomic by itself.  O(1). */
POOL_INLINE void pool_give_unsynchronised(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = ptr;
    block->next = state->free;
    state->free = block;
    count_give_unsynchronised(k);
}

/* Free blocks on pool k's list, counting at most `limit` (a damaged list
 * cannot hang the walk).  O(limit); a diagnostic, not synchronised. */
static inline size_t pool_count_free(unsigned k, size_t limit)
{
    size_t n = 0;
    for (const struct free_block *b = pool_state[k].free; b != NULL && n < limit; b = b->next)
        n++;
    return n;
}
#endif

/*
 * The sync backend defines pool_take(k, &recycled) and pool_give(k, ptr) --
 * the two operations above made safe against interrupts and threads (or not,
 * for sync=none), statistics included -- and the atomic helpers
 * counter_add(counter, delta) (returns the new value), counter_raise(counter,
 * value) (a maximum), bits_fetch_and / bits_fetch_or (return the old word)
 * and pool_lock_all() / pool_unlock_all() (everything stopped: for the rare
 * repair paths only).
 */
#if POOLALLOC_SYNC_IRQ
#include "sync_irq.h"
#elif POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#elif POOLALLOC_SYNC_C11
#include "sync_c11.h"
#elif POOLALLOC_SYNC_NONE
#include "sync_none.h"
#else
#error "no sync backend selected (poolalloc_config.h)"
#endif

/*
 * Index of the first pool whose block holds `size` bytes.
 * Precondition: size <= POOL_MAX_BLOCK.  O(1): one table load plus at most
 * POOL_LOOKUP_STEPS compares (1 for every layout whose table fits 256 entries
 * at a granule finer than the gap between blocks; printed at configure time).
 */
POOL_INLINE unsigned pool_for_size(size_t size)
{
    unsigned k = pool_size_lookup[size >> POOL_LOOKUP_SHIFT];
    for (unsigned step = 0; step < POOL_LOOKUP_STEPS; step++)
        k += size > pool_geometry[k].block;
    return k;
}

/*
 * Index of the pool whose memory holds `ptr`, or POOL_COUNT when `ptr` lies
 * outside every pool.  O(1): a compare tree over the pool boundaries.
 */
POOL_INLINE unsigned pool_of_ptr(const void *ptr)
{
    return pool_index_of_offset((uintptr_t)ptr - (uintptr_t)POOL_BASE);
}

/* Report misuse through the (weak, user-replaceable) hook. */
void pool_report_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller);

/*
 * The failure path of every allocation (src/oom.c): counts the failure
 * against pool `first` (POOL_COUNT: no pool could serve the request at all)
 * and in the OOM count, calls poolalloc_oom(size, caller), sets errno to
 * ENOMEM and returns NULL.  first == POOL_FIRST_FOR_SIZE: the pool that
 * malloc(size) tries first.  Out of line, so the hot paths stay short.  O(1).
 */
#define POOL_FIRST_FOR_SIZE (POOL_COUNT + 1u)
void *pool_out_of_memory(size_t size, unsigned first, void *caller);

#if POOLALLOC_CHECKS >= 2
/* checks=full, src/checks.c: take with the allocated bit, link and poison
 * checks (O(block) for the poison check), and give with the double-free
 * check and poisoning (O(block)); false when the give was refused. */
void *pool_take_checked(unsigned k, void *caller);
bool pool_give_checked(unsigned k, void *ptr, void *caller);
/* Is the block at ptr (a block boundary of pool k) allocated?  O(1). */
bool pool_block_is_live(unsigned k, const void *ptr);
#endif

/* Take a block from pool k with whatever the checks level adds.  O(1), plus
 * O(block) with checks=full. */
POOL_INLINE void *pool_take_block(unsigned k, void *caller)
{
#if POOLALLOC_CHECKS >= 2
    return pool_take_checked(k, caller);
#else
    (void)caller;
    bool recycled;
    return pool_take(k, &recycled);
#endif
}

/* Give a block back with whatever the checks level adds.  O(1), plus
 * O(block) with checks=full. */
POOL_INLINE void pool_give_block(unsigned k, void *ptr, void *caller)
{
#if POOLALLOC_CHECKS >= 2
    (void)pool_give_checked(k, ptr, caller);
#else
    (void)caller;
    pool_give(k, ptr);
#endif
}

/*
 * malloc(size) on behalf of `caller`: size -> pool by table lookup, then
 * that pool and (fallback) the larger ones in turn; the failure path is
 * out of line.  O(1) per pool tried.
 */
POOL_INLINE void *pool_alloc_or_null(size_t size, void *caller)
{
    if (size <= POOL_MAX_BLOCK) {
        unsigned k = pool_for_size(size);
        do {
            void *block = pool_take_block(k, caller);
            if (block != NULL)
                return block;
        } while (POOLALLOC_FALLBACK && ++k < POOL_COUNT);
    }
    return NULL;
}

POOL_INLINE void *pool_alloc(size_t size, void *caller)
{
    void *block = pool_alloc_or_null(size, caller);
    if (block != NULL)
        return block;
    /* The first pool is found again there: keeping it live here costs the
     * successful path registers and instructions. */
    return pool_out_of_memory(size, POOL_FIRST_FOR_SIZE, caller);
}

/* pool_alloc() out of line, for the entry points other than malloc
 * (src/malloc.c): one copy, not one per file. */
void *pool_alloc_for(size_t size, void *caller);

/*
 * The pool of a pointer given to free, realloc or malloc_usable_size, or
 * POOL_COUNT after reporting the fault: outside every pool (always); with
 * checks=fast also not at a block boundary, or at/above the pool's edge
 * (never handed out); with checks=full and `must_be_live`, also a block
 * that is not allocated (double free).  O(1).
 */
POOL_INLINE unsigned pool_of_valid_ptr(void *ptr, void *caller, bool must_be_live)
{
    unsigned k = pool_of_ptr(ptr);
    if (k >= POOL_COUNT) {
        pool_report_fault(POOLALLOC_FAULT_FOREIGN_POINTER, ptr, caller);
        return POOL_COUNT;
    }
#if POOLALLOC_CHECKS >= 1
    const struct pool_geometry *geometry = &pool_geometry[k];
    if (pool_block_index(k, (uint32_t)((char *)ptr - geometry->start)) == UINT32_MAX) {
        pool_report_fault(POOLALLOC_FAULT_MISALIGNED_POINTER, ptr, caller);
        return POOL_COUNT;
    }
    if ((char *)ptr >= pool_edge_load(k)) {
        pool_report_fault(POOLALLOC_FAULT_UNALLOCATED_POINTER, ptr, caller);
        return POOL_COUNT;
    }
#endif
#if POOLALLOC_CHECKS >= 2
    if (must_be_live && !pool_block_is_live(k, ptr)) {
        pool_report_fault(POOLALLOC_FAULT_DOUBLE_FREE, ptr, caller);
        return POOL_COUNT;
    }
#endif
    (void)must_be_live;
    return k;
}

#endif /* POOLALLOC_PRIVATE_H */

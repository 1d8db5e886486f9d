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

/* Mutable state of a pool (RAM). */
#if POOLALLOC_SYNC_C11
/*
 * Host backend: the free list is a list of block indices kept in a side
 * table (pool_next_index), not in the blocks, and its head carries a
 * generation tag.  The tag makes compare-and-swap ABA-free; the side table
 * means a thread that loses a race never reads a block another thread
 * already owns (which ThreadSanitizer would rightly call a data race).
 */
#include <stdatomic.h>

struct pool_state {
    _Atomic uint64_t head;  /* tag << 32 | (index of the first free block + 1); low half 0 = empty */
    _Atomic(char *) edge;   /* first never-used block; == end when none is left */
#if POOLALLOC_STATS
    _Atomic size_t in_use;  /* blocks currently handed out */
#endif
};

/* Per pool: for each free block, the index + 1 of the next (0 = last). */
extern _Atomic uint32_t *const pool_next_index[POOL_COUNT];
#else
struct pool_state {
    struct free_block *free; /* free-list head, NULL when empty */
    char *edge;              /* first never-used block; == end when none is left */
#if POOLALLOC_STATS
    size_t in_use;           /* blocks currently handed out */
#endif
};
#endif

extern const struct pool_geometry pool_geometry[POOL_COUNT];
extern struct pool_state pool_state[POOL_COUNT];
extern const uint8_t pool_size_lookup[POOL_LOOKUP_ENTRIES];

_Static_assert(sizeof(struct pool_geometry) == 4 * sizeof(void *), "geometry rows are indexed by a shift");
_Static_assert(POOL_COUNT <= 255, "pool indices are stored as uint8_t");
_Static_assert(POOL_MALLOC_ALIGN >= sizeof(void *) && (POOL_MALLOC_ALIGN & (POOL_MALLOC_ALIGN - 1)) == 0,
               "malloc alignment is a power of two, at least a pointer");

#if !POOLALLOC_SYNC_C11
/*
 * Take a block from pool k (free list first, then the edge), or NULL when the
 * pool is exhausted.  Not atomic by itself: the irq and none backends wrap
 * it.  O(1).
 */
static inline void *pool_take_unsynchronised(unsigned k)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = state->free;
    if (block != NULL) {
        state->free = block->next;
    } else if (state->edge != pool_geometry[k].end) {
        block = (struct free_block *)(void *)state->edge;
        state->edge += pool_geometry[k].block;
    } else {
        return NULL;
    }
#if POOLALLOC_STATS
    state->in_use++;
#endif
    return block;
}

/* Give block `ptr` back to pool k.  Not atomic by itself.  O(1). */
static inline void pool_give_unsynchronised(unsigned k, void *ptr)
{
    struct pool_state *state = &pool_state[k];
    struct free_block *block = ptr;
    block->next = state->free;
    state->free = block;
#if POOLALLOC_STATS
    state->in_use--;
#endif
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
 * The sync backend defines pool_take(k) and pool_give(k, ptr) -- the two
 * operations above made safe against interrupts and threads (or not, for
 * sync=none) -- and pool_in_use(k) when the stats option is on.
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
static inline unsigned pool_for_size(size_t size)
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
static inline unsigned pool_of_ptr(const void *ptr)
{
    return pool_index_of_offset((uintptr_t)ptr - (uintptr_t)POOL_BASE);
}

/* Report misuse through the (weak, user-replaceable) hook. */
void pool_report_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller);

#endif /* POOLALLOC_PRIVATE_H */

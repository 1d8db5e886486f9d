/*
 * poolalloc -- a deterministic fixed-block-pool heap for Cortex-M firmware.
 *
 * On a target build the whole malloc family of picolibc and newlib (malloc,
 * free, calloc, realloc, memalign, ..., and newlib's _malloc_r set) is
 * provided by this library; those names are aliases of the poolalloc_*
 * functions below.  Host builds (unit tests, fuzzing) keep the system malloc
 * and expose only the poolalloc_* names.
 *
 * The heap is a set of pools fixed at build time (-Dpools=BLOCK:CAPACITY,...).
 * A request is served by the first pool whose block is large enough (and, with
 * the fallback option, by the next larger pools when that one is full).
 * Every operation runs in bounded time independent of the heap state.
 */
#ifndef POOLALLOC_H
#define POOLALLOC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The malloc family under its own names.  Semantics are those of C17/POSIX
 * with these choices, documented in README.md:
 *  - malloc(0) returns a unique block from the smallest pool;
 *  - realloc(p, 0) frees p and returns NULL (errno unchanged);
 *  - realloc keeps the block whenever the new size still fits it;
 *  - failures return NULL with errno = ENOMEM (EINVAL for a bad alignment).
 */
void *poolalloc_malloc(size_t size);
void poolalloc_free(void *ptr);
void *poolalloc_calloc(size_t count, size_t size);
void *poolalloc_realloc(void *ptr, size_t size);
void *poolalloc_reallocf(void *ptr, size_t size);
void *poolalloc_reallocarray(void *ptr, size_t count, size_t size);
void *poolalloc_memalign(size_t alignment, size_t size);
void *poolalloc_aligned_alloc(size_t alignment, size_t size);
int poolalloc_posix_memalign(void **result, size_t alignment, size_t size);
void *poolalloc_valloc(size_t size);
void *poolalloc_pvalloc(size_t size);
size_t poolalloc_usable_size(void *ptr);

/* SVID/GNU statistics.  struct mallinfo is the C library's (<malloc.h>):
 * arena = bytes of all pools, uordblks = bytes of blocks in use, fordblks =
 * the rest, ordblks = free blocks.  malloc_stats prints a per-pool table on
 * stderr.  mallopt and malloc_trim have nothing to tune and return 0. */
struct mallinfo;
struct mallinfo poolalloc_mallinfo(void);
void poolalloc_malloc_stats(void);
void poolalloc_mstats(char *title);
int poolalloc_mallopt(int param, int value);
int poolalloc_malloc_trim(size_t pad);

/* valloc/pvalloc align to this "page" size, as newlib and picolibc do. */
#define POOLALLOC_PAGE_SIZE 4096u

/* One pool, as poolalloc_pool_info() reports it. */
struct poolalloc_pool_info {
    size_t block_size;   /* bytes per block */
    size_t capacity;     /* blocks in the pool */
    size_t in_use;       /* blocks currently allocated */
    size_t high_water;   /* most blocks ever allocated at once (never decreases) */
    size_t alignment;    /* every block is aligned to this (natural alignment) */
    void *start;         /* first byte of the pool */
    void *end;           /* one past its last byte */
};

/* Number of pools in the configured layout.  O(1). */
size_t poolalloc_pool_count(void);

/*
 * Fill *info for pool `index` (0 = smallest block); false if no such pool.
 * With the stats option on (default) this is O(1) and in_use is exact even
 * while interrupts allocate.  With stats off, in_use is counted by walking the
 * pool's free list: O(capacity), exact only when nothing allocates meanwhile.
 */
bool poolalloc_pool_info(size_t index, struct poolalloc_pool_info *info);

/* Kinds of misuse reported to poolalloc_fault(). */
enum poolalloc_fault_kind {
    POOLALLOC_FAULT_FOREIGN_POINTER = 1, /* free/realloc of a pointer outside every pool */
};

/*
 * Called when a misuse is detected; the bad call is refused and the heap is
 * left untouched.  `caller` is the return address of the poolalloc entry
 * point.  The default (a weak definition) prints kind, pointer, caller and
 * aborts; define your own to log and continue, or to reset the device.
 */
void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller);

/* Human-readable name of a fault kind ("foreign pointer", ...). */
const char *poolalloc_fault_name(enum poolalloc_fault_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* POOLALLOC_H */

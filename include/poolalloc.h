/* SPDX-License-Identifier: MIT */
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
 *
 * Diagnostics: statistics (poolalloc_stats), misuse detection (the checks
 * option; reports go to poolalloc_fault), an out-of-memory hook
 * (poolalloc_oom) and a heap consistency check (poolalloc_check).
 */
#ifndef POOLALLOC_H
#define POOLALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "poolalloc_regions.h" /* POOLALLOC_REGION_<NAME>, generated from -Dregions */
#include "poolalloc_version.h" /* POOLALLOC_VERSION_MAJOR ... _STRING */

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

/*
 * malloc from one region (-Dregions): region is POOLALLOC_REGION_<NAME>
 * (POOLALLOC_REGION_HEAP, 0, is the region malloc serves).  Only that
 * region's pools serve, with the same fallback rules and atomicity as
 * malloc; NULL with ENOMEM when they are full or too small, EINVAL for no
 * such region.  free, realloc and malloc_usable_size take a block from any
 * region (realloc keeps it in its region).  O(1) per pool tried.
 */
void *poolalloc_malloc_in(unsigned region, size_t size);

/* SVID/GNU statistics.  struct mallinfo is the C library's (<malloc.h>):
 * arena = bytes of all pools (of every region), uordblks = bytes of blocks in use, fordblks =
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
    unsigned region;     /* its region (POOLALLOC_REGION_<NAME>; 0: the default) */
};

/*
 * C++: the function poolalloc_pool_info() hides the struct of the same name
 * (as stat() hides struct stat), so C++ writes `struct poolalloc_pool_info`
 * or this typedef, which C may use too.  The same holds for
 * poolalloc_stats.  operator new and delete reach poolalloc through malloc
 * and free (doc/integration.md, "From C++").
 */
typedef struct poolalloc_pool_info poolalloc_pool_info_t;

/* Number of pools in the configured layout.  O(1). */
size_t poolalloc_pool_count(void);

/*
 * Fill *info for pool `index` (0 = smallest block); false if no such pool.
 * With the stats option on this is O(1) and in_use is exact even while
 * interrupts allocate.  With stats off (the default), in_use is counted by
 * walking the pool's free list: O(capacity), exact only when nothing
 * allocates meanwhile.
 */
bool poolalloc_pool_info(size_t index, struct poolalloc_pool_info *info);

/*
 * Statistics (-Dstats=true; off by default).  poolalloc_stats() copies the
 * counters into *totals and into pools[0 .. min(max_pools, pool count) - 1]
 * (pools may be NULL when max_pools is 0).
 *
 * The copy is consistent -- every number from one instant between the call
 * and its return -- even while interrupts or threads allocate:
 *   sync=irq   interrupts are masked while the counters are copied (about
 *              a dozen instructions per pool);
 *   sync=llsc, sync=c11
 *              nothing is masked: every counter only grows, so the counters
 *              are read twice and the copy is retried (up to 8 times) when
 *              an allocation changed them in between; O(pools) per try;
 *   sync=none  a plain copy.
 * A call made from an interrupt handler that preempted an allocation in
 * progress sees that one allocation either counted or not (in_use <=
 * high_water and bytes_in_use <= peak_bytes always hold).
 * Returns true for a consistent copy; false with stats=false (then in_use is
 * counted by walking the free lists and every counter is 0) or when the
 * counters kept changing for 8 tries.  O(pools) per try.
 */
struct poolalloc_pool_stats {
    size_t block_size;  /* bytes per block */
    size_t capacity;    /* blocks in the pool */
    size_t in_use;      /* blocks allocated now */
    size_t high_water;  /* most blocks ever allocated at once (the bump edge: not reset) */
    size_t allocations; /* successful allocations from this pool since the reset */
    size_t failures;    /* requests whose first pool this was that found it and every
                           fallback pool full (counted once, here), since the reset */
};

struct poolalloc_stats {
    size_t pool_count;   /* pools in the layout */
    size_t bytes_in_use; /* sum of in_use * block_size */
    size_t peak_bytes;   /* highest bytes_in_use since the reset */
    size_t oom_count;    /* allocations that returned NULL for lack of memory since the reset
                            (pool failures plus requests no pool could ever serve) */
};

/* The C++-friendly names of the two structs (see poolalloc_pool_info_t). */
typedef struct poolalloc_stats poolalloc_stats_t;
typedef struct poolalloc_pool_stats poolalloc_pool_stats_t;

bool poolalloc_stats(struct poolalloc_stats *totals, struct poolalloc_pool_stats *pools, size_t max_pools);

/*
 * Reset the counters: allocations, failures and oom_count to 0, peak_bytes
 * to the bytes in use now.  in_use and high_water are not counters and stay.
 * An allocation that runs concurrently is counted before or after the
 * reset.  O(pools).  Does nothing with stats=false.
 */
void poolalloc_stats_reset(void);

/* Kinds of misuse and damage reported to poolalloc_fault() and by
 * poolalloc_check(). */
enum poolalloc_fault_kind {
    POOLALLOC_FAULT_NONE = 0,               /* poolalloc_check(): every invariant holds */
    POOLALLOC_FAULT_FOREIGN_POINTER = 1,    /* free/realloc/usable_size of a pointer outside every pool */
    POOLALLOC_FAULT_MISALIGNED_POINTER = 2, /* checks>=fast: inside a pool, not at a block boundary */
    POOLALLOC_FAULT_UNALLOCATED_POINTER = 3,/* checks>=fast: a block at/above the pool's edge, never handed out */
    POOLALLOC_FAULT_DOUBLE_FREE = 4,        /* checks=full: the block is free (double free, or realloc/
                                               usable_size of a freed block) */
    POOLALLOC_FAULT_USE_AFTER_FREE = 5,     /* checks=full: a freed block was written (poison damaged);
                                               ptr = the block */
    POOLALLOC_FAULT_FREE_LIST_CORRUPT = 6,  /* a free-list entry is not a free block of its pool
                                               (checks=full: found and repaired at allocation) */
    POOLALLOC_FAULT_FREE_LIST_CYCLE = 7,    /* poolalloc_check(): the free list is longer than the pool */
    POOLALLOC_FAULT_COUNT_MISMATCH = 8,     /* poolalloc_check(): free + in use != high water (or the
                                               allocated bits disagree) */
    POOLALLOC_FAULT_EDGE_CORRUPT = 9,       /* poolalloc_check(): a pool's edge is outside it or misaligned */
};

/*
 * Called when a misuse is detected; the bad call is refused and the heap is
 * left untouched (free does nothing, realloc returns NULL, usable_size 0).
 * `caller` is the return address of the poolalloc entry point.  The default
 * (a weak definition) is chosen by the fault option: trap (the default) runs
 * `udf` with kind, pointer and caller in r0-r2 for the HardFault handler or
 * debugger; abort calls abort(); message prints kind, pointer, owning pool
 * and caller on stderr, then aborts.  Define your own to log and continue,
 * or to reset the device.
 * A USE_AFTER_FREE or FREE_LIST_CORRUPT report comes from an allocation,
 * whose caller did nothing wrong: when the hook returns, the allocation goes
 * on (the free list is rebuilt from the allocated bits) and succeeds.
 */
void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller);

/* Human-readable name of a fault kind ("pointer outside every pool", ...). */
const char *poolalloc_fault_name(enum poolalloc_fault_kind kind);

/*
 * Called (a weak hook; the default does nothing) just before an allocation
 * returns NULL for lack of memory -- every pool it may use is full, the size
 * is larger than every block, no pool has the alignment, or count * size
 * overflows (size is then SIZE_MAX).  errno is ENOMEM in every such case.
 * `caller` is the return address of the poolalloc entry point.
 */
void poolalloc_oom(size_t size, void *caller);

/*
 * sync=lock only (several cores sharing the heap; doc/atomicity.md): the
 * firmware defines both, the library none -- a sync=lock firmware without
 * them fails to link.  poolalloc_lock() returns once the caller holds the
 * heap lock exclusively against every other core and every interrupt
 * handler of this core that may allocate (e.g. PRIMASK saved and set, then
 * a hardware spinlock or semaphore taken), with a barrier after taking it
 * (DMB) so that this core sees the memory as the last holder left it; its
 * result is passed back to poolalloc_unlock(token), which issues a barrier,
 * releases the lock and restores what poolalloc_lock() changed.  Neither
 * may call the allocator.  The library holds the lock for at most the
 * instructions stated in doc/atomicity.md (no loop, no call), and never
 * takes it twice.
 */
uint32_t poolalloc_lock(void);
void poolalloc_unlock(uint32_t token);

/*
 * Verify every pool's invariants: the edge is a block boundary inside the
 * pool; the free-list walk (bounded by the capacity: no hang on a cycle)
 * finds only block boundaries below the edge, never more blocks than the
 * edge passed; with stats, free + in_use == high_water and the byte total
 * matches; with checks=full, no free-list block is marked allocated, every
 * free block's poison is intact and the allocated bits count in_use.
 * Reports the first violation in *result (may be NULL): its kind, pool and
 * the offending block (NULL when the violation is a count).  Returns true
 * when every invariant holds (result->kind == POOLALLOC_FAULT_NONE).
 * Does not call poolalloc_fault().  Not atomic: call it when no allocation
 * can run concurrently (e.g. with interrupts masked), or a block in flight
 * can show as a count mismatch.  O(total capacity), plus O(heap bytes) for
 * the poison with checks=full.
 */
struct poolalloc_check_result {
    enum poolalloc_fault_kind kind; /* POOLALLOC_FAULT_NONE when the heap is consistent */
    size_t pool;                    /* the pool that breaks an invariant */
    void *ptr;                      /* the offending block or list entry, or NULL */
};

bool poolalloc_check(struct poolalloc_check_result *result);

/*
 * Allocation tracing (-Dtrace=true; doc/trace-format.md).  Every malloc-
 * family call the program makes is recorded in a RAM ring and drained to
 * poolalloc_trace_sink(), whose default writes poolalloc.trace through
 * semihosting (stdio on the host).  The ring is drained from thread mode
 * when half full and at exit (with the END record).
 *
 * poolalloc_trace_flush: write the recorded events to the sink now.  From an
 * interrupt handler it returns without doing anything.
 * poolalloc_trace_sink: weak; define it to send the bytes elsewhere (SWO,
 * RTT, UART).  Called from thread mode only, one call at a time, with the
 * trace's bytes in order (header first).
 * Neither exists with trace=false.
 */
void poolalloc_trace_flush(void);
void poolalloc_trace_sink(const void *bytes, size_t length);

#ifdef __cplusplus
}
#endif

#endif /* POOLALLOC_H */

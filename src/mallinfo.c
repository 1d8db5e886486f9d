/* SPDX-License-Identifier: MIT */
/*
 * The SVID/GNU statistics and tuning calls, answered from the pool records.
 *
 * mallinfo: arena = bytes of all pools, uordblks = bytes of blocks in use
 * (whole blocks), fordblks = the rest, ordblks = free blocks, usmblks = peak
 * bytes in use since the stats reset (stats option), others 0.
 * malloc_stats / mstats: a per-pool table on stderr (poolalloc_stats():
 * block, capacity, in use, high-water, allocations, failures) and the
 * totals (the counters are 0 with stats=false).
 * mallopt / malloc_trim: nothing to tune or give back; they report so (0).
 * Complexity: O(POOL_COUNT) (O(total capacity) with the stats option off).
 */
#include <malloc.h>
#include <stdio.h>

#include "poolalloc_private.h"

struct mallinfo poolalloc_mallinfo(void)
{
    struct mallinfo mi = { 0 };
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++) {
        mi.arena += info.capacity * info.block_size;
        mi.uordblks += info.in_use * info.block_size;
        mi.ordblks += info.capacity - info.in_use;
    }
    mi.fordblks = mi.arena - mi.uordblks;
#if POOLALLOC_STATS
    mi.usmblks = counter_load(&pool_totals.peak_bytes);
#endif
    return mi;
}

void poolalloc_malloc_stats(void)
{
    struct poolalloc_stats totals;
    struct poolalloc_pool_stats pools[POOL_COUNT];
    (void)poolalloc_stats(&totals, pools, POOL_COUNT);
#if POOL_REGION_COUNT > 1
    static const char *const region_names[POOL_REGION_COUNT] = POOL_REGION_NAMES;
#endif
    fprintf(stderr, "pool    block capacity   in use  high-water       allocs    failed\n");
    for (size_t k = 0; k < POOL_COUNT; k++) {
#if POOL_REGION_COUNT > 1
        /* Pools are numbered region by region: a heading where one starts. */
        unsigned region = pool_region_of((unsigned)k);
        if (k == 0 || region != pool_region_of((unsigned)k - 1))
            fprintf(stderr, "region %u (%s):\n", region, region_names[region]);
#endif
        fprintf(stderr, "%4u %8u %8u %8u %11u %12lu %9lu\n", (unsigned)k, (unsigned)pools[k].block_size,
                (unsigned)pools[k].capacity, (unsigned)pools[k].in_use, (unsigned)pools[k].high_water,
                (unsigned long)pools[k].allocations, (unsigned long)pools[k].failures);
    }
    fprintf(stderr, "bytes in use %lu, peak %lu, out of memory %lu\n", (unsigned long)totals.bytes_in_use,
            (unsigned long)totals.peak_bytes, (unsigned long)totals.oom_count);
}

void poolalloc_mstats(char *title)
{
    if (title != NULL)
        fprintf(stderr, "%s\n", title);
    poolalloc_malloc_stats();
}

int poolalloc_mallopt(int param, int value)
{
    (void)param;
    (void)value;
    return 0; /* SVID: 0 = the parameter was not applied; pools have no tunables */
}

int poolalloc_malloc_trim(size_t pad)
{
    (void)pad;
    return 0; /* nothing is ever given back to a system: the region is fixed */
}

#if POOLALLOC_LIBC_NAMES
struct mallinfo mallinfo(void) __attribute__((alias("poolalloc_mallinfo")));
void malloc_stats(void) __attribute__((alias("poolalloc_malloc_stats")));
void mstats(char *title) __attribute__((alias("poolalloc_mstats")));
int mallopt(int param, int value) __attribute__((alias("poolalloc_mallopt")));
int malloc_trim(size_t pad) __attribute__((alias("poolalloc_malloc_trim")));
#endif

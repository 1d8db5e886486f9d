/* SPDX-License-Identifier: MIT */
/*
 * Workload "regions": the steady mix on a layout of several regions (the
 * test layouts of test/regions/, heap + dma, heap + fast + dma), to count
 * what malloc, poolalloc_malloc_in and free cost there.
 *
 * Algorithm: one slot per block of every pool, read from
 * poolalloc_pool_info(), so no call can fail (every NULL is an error); a
 * slot asks for a size its pool's block holds and the region's next
 * smaller block does not, so that pool serves it.  Each step picks a slot
 * at random and allocates it -- malloc for the default region,
 * poolalloc_malloc_in(region, size) for the others -- or frees it through
 * free.  poolalloc only (BENCH_REGIONS=1).
 */
#include "bench.h"
#include "poolalloc.h"

const size_t bench_libc_heap_budget = 0;

#define MAX_SLOTS 64
#define STEPS 1500

static void *block[MAX_SLOTS];
static uint16_t low_of[MAX_SLOTS], high_of[MAX_SLOTS], size_of[MAX_SLOTS];
static uint8_t region_of[MAX_SLOTS];

/* One slot per block; returns the number of slots. */
static unsigned make_slots(void)
{
    unsigned n = 0;
    size_t below = 0; /* the previous pool's block, in the same region */
    unsigned region = 0;
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++) {
        if (info.region != region)
            below = 0;
        region = info.region;
        for (size_t b = 0; b < info.capacity && n < MAX_SLOTS; b++, n++) {
            low_of[n] = (uint16_t)(below + 1);
            high_of[n] = (uint16_t)info.block_size;
            region_of[n] = (uint8_t)region;
        }
        below = info.block_size;
    }
    return n;
}

/* A block for an empty slot: a size its pool serves, from its region. */
static void *fill(unsigned slot, size_t *size)
{
    *size = low_of[slot] + bench_rand(high_of[slot] - low_of[slot] + 1u);
    return region_of[slot] == POOLALLOC_REGION_HEAP ? bench_malloc(*size)
                                                     : bench_malloc_in(region_of[slot], *size);
}

void workload(void)
{
    unsigned slots = make_slots();
    if (slots == 0 || slots == MAX_SLOTS)
        bench_error();
    bench_slots(block, size_of, slots, STEPS, fill);
}

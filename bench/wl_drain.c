/* SPDX-License-Identifier: MIT */
/*
 * Workload "drain": the longest paths of any layout, for poolalloc-tune's
 * cost model (bench/cost_calibrate.py).  Requests of growing sizes, each
 * until one fails: with fallback the first (1 byte) drains every pool
 * through spills, each taking its pool's last block, and every later one
 * fails after the spill search; without fallback each size fills the pools
 * that serve it first and then fails.  Then sizes larger than any block and
 * random sizes, which must all fail, and every block freed in the order it
 * was taken (each pool's first free gives a drained pool a block back).
 */
#include "bench.h"

const size_t bench_libc_heap_budget = 65536u;

#define HELD_MAX 1024
#define FAILING 100

static void *held[HELD_MAX];
static uint32_t held_size[HELD_MAX];
static const uint32_t fill_sizes[] = { 1, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 128, 192, 256, 384, 512, 768,
                                       1024, 2048, 3000, 4096, 6000, 8192, 12000, 16384, 20000, 32768, 65536 };

void workload(void)
{
    unsigned n = 0;
    for (unsigned f = 0; f < sizeof fill_sizes / sizeof fill_sizes[0]; f++) {
        while (n < HELD_MAX) {
            void *ptr = bench_malloc(fill_sizes[f]);
            if (ptr == NULL)
                break;
            held[n] = ptr;
            held_size[n] = fill_sizes[f];
            bench_tag(ptr, held_size[n], (uint8_t)n);
            n++;
        }
    }
    if (n == 0 || n == HELD_MAX)
        bench_error();
    for (unsigned i = 0; i < FAILING; i++) {
        if (bench_malloc(1 + bench_rand(70000)) != NULL)
            bench_error();
    }
    for (unsigned i = 0; i < n; i++) {
        bench_check(held[i], held_size[i], (uint8_t)i);
        bench_free(held[i]);
    }
}

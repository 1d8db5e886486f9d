/* SPDX-License-Identifier: MIT */
/*
 * Workload "exhaust": the heap is full and every call fails.  Fill it with
 * 1024-byte requests until one fails, then 256, 128, ..., 8 and 1 byte; then
 * 300 requests of random sizes (malloc, calloc, and realloc of a held block
 * to a larger size) must all return NULL; then free everything.
 * The C library's allocator gets the default pool layout's bytes (11520) as
 * its heap, so both sides start from the same budget.
 */
#include "bench.h"

const size_t bench_libc_heap_budget = 11520u;

#define HELD_MAX 1024
#define FAILING 300

static void *held[HELD_MAX];
static uint16_t held_size[HELD_MAX];
static const uint16_t fill_sizes[] = { 1024, 256, 128, 64, 48, 32, 24, 16, 8, 1 };

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
        size_t size = 1 + bench_rand(1024);
        void *ptr;
        switch (bench_rand(8)) {
        case 0:
            ptr = bench_calloc(1, size);
            break;
        case 1: {
            unsigned h = bench_rand(n);
            ptr = bench_realloc(held[h], held_size[h] + 1024u);
            if (ptr != NULL)
                held[h] = ptr; /* keep it freeable; counted as an error below */
            break;
        }
        default:
            ptr = bench_malloc(size);
            break;
        }
        if (ptr != NULL)
            bench_error();
    }

    for (unsigned i = 0; i < n; i++) {
        bench_check(held[i], held_size[i], (uint8_t)i);
        bench_free(held[i]);
    }
}

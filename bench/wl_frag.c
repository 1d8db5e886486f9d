/* SPDX-License-Identifier: MIT */
/*
 * Workload "frag": the sequence that hurts first-fit allocators.  Each round
 * fills the heap with 64 small blocks (12 and 20 bytes, interleaved), frees
 * every other one, leaving small holes no larger request fits, then asks for
 * larger blocks (40 to 700 bytes); then frees the rest of the small ones,
 * requests 28-byte blocks that fit the merged holes, and frees everything.
 * Rounds alternate which half is freed.  Sized for the default pool layout:
 * no call may fail.
 */
#include "bench.h"

const size_t bench_libc_heap_budget = 64u * 1024u;

#define SMALL 64
#define LARGE 39
#define MEDIUM 32
#define ROUNDS 4

static void *small[SMALL];
static void *large[LARGE];
static void *medium[MEDIUM];
static uint16_t large_size[LARGE];

/* Larger requests: count x size, within the default layout's capacities. */
static const uint16_t large_plan[][2] = { { 12, 40 }, { 12, 60 }, { 6, 100 }, { 6, 200 }, { 3, 700 } };

static size_t small_size(unsigned i)
{
    return (i % 2 == 0) ? 12 : 20;
}

static void *must_malloc(size_t size, uint8_t tag)
{
    void *ptr = bench_malloc(size);
    if (ptr == NULL)
        bench_error();
    else
        bench_tag(ptr, size, tag);
    return ptr;
}

static void release(void *ptr, size_t size, uint8_t tag)
{
    if (ptr == NULL)
        return;
    bench_check(ptr, size, tag);
    bench_free(ptr);
}

void workload(void)
{
    for (unsigned round = 0; round < ROUNDS; round++) {
        unsigned odd = round % 2;
        for (unsigned i = 0; i < SMALL; i++)
            small[i] = must_malloc(small_size(i), (uint8_t)i);
        for (unsigned i = odd; i < SMALL; i += 2) {
            release(small[i], small_size(i), (uint8_t)i);
            small[i] = NULL;
        }
        unsigned n = 0;
        for (unsigned p = 0; p < sizeof large_plan / sizeof large_plan[0]; p++) {
            for (unsigned j = 0; j < large_plan[p][0]; j++) {
                large_size[n] = (uint16_t)(large_plan[p][1] + round);
                large[n] = must_malloc(large_size[n], (uint8_t)(100 + n));
                n++;
            }
        }
        for (unsigned i = 1 - odd; i < SMALL; i += 2) {
            release(small[i], small_size(i), (uint8_t)i);
            small[i] = NULL;
        }
        for (unsigned i = 0; i < MEDIUM; i++)
            medium[i] = must_malloc(28, (uint8_t)(200 + i));
        for (unsigned i = 0; i < n; i++)
            release(large[i], large_size[i], (uint8_t)(100 + i));
        for (unsigned i = 0; i < MEDIUM; i++)
            release(medium[i], 28, (uint8_t)(200 + i));
    }
}

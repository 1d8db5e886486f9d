/* SPDX-License-Identifier: MIT */
/*
 * Workload "steady": a long-running mix of sizes at about half occupancy,
 * the way firmware allocates messages and buffers.  66 slots, each bound to a
 * size class; each step picks a slot at random and either allocates it
 * (malloc, or calloc one time in eight) or frees it.  The classes and their
 * slot counts match the default pool layout (8:32,16:32,...,1024:4), so no
 * call may fail: every NULL is an error.
 */
#include "bench.h"

const size_t bench_libc_heap_budget = 64u * 1024u;

struct size_class {
    uint16_t low, high; /* request sizes, inclusive */
    uint8_t slots;
};

static const struct size_class classes[] = {
    { 1, 8, 12 },    { 9, 16, 12 },   { 17, 24, 10 },   { 25, 32, 10 },  { 33, 48, 6 },
    { 49, 64, 6 },   { 65, 128, 4 },  { 129, 256, 4 },  { 257, 1024, 2 },
};

#define SLOTS 66
#define STEPS 1500

static void *block[SLOTS];
static uint16_t size_of[SLOTS];
static uint8_t class_of[SLOTS];

/* A block for an empty slot: a size of its class, by malloc or (one time
 * in eight) calloc. */
static void *fill(unsigned slot, size_t *size)
{
    const struct size_class *c = &classes[class_of[slot]];
    *size = c->low + bench_rand(c->high - c->low + 1u);
    if (bench_rand(8) != 0)
        return bench_malloc(*size);
    /* calloc(count, size) with the same total as a malloc */
    size_t count = (*size % 4 == 0) ? 4 : 1;
    void *ptr = bench_calloc(count, *size / count);
    *size = *size / count * count;
    return ptr;
}

void workload(void)
{
    unsigned n = 0;
    for (unsigned c = 0; c < sizeof classes / sizeof classes[0]; c++)
        for (unsigned s = 0; s < classes[c].slots; s++)
            class_of[n++] = (uint8_t)c;
    if (n != SLOTS)
        bench_error();
    bench_slots(block, size_of, SLOTS, STEPS, fill);
}

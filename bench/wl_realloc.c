/* SPDX-License-Identifier: MIT */
/*
 * Workload "realloc": strings and vectors that grow.  Four strings grow in
 * turn by 1 to 7 bytes per realloc up to about 240 bytes, while two vectors
 * double their capacity (8 to 1024 bytes) every 16 steps; then the vectors
 * shrink to 100 bytes and everything is freed.  Three rounds.  Within the
 * default pool layout: no call may fail.
 */
#include "bench.h"

const size_t bench_libc_heap_budget = 64u * 1024u;

#define STRINGS 4
#define VECTORS 2
#define ROUNDS 3
#define STRING_MAX 240
#define VECTOR_MAX 1024

static char *string[STRINGS];
static size_t length[STRINGS];
static char *vector[VECTORS];
static size_t capacity[VECTORS];

/* realloc that must succeed; the old contents' tag must survive a move. */
static void *grow(void *ptr, size_t old_size, size_t new_size, uint8_t tag)
{
    if (ptr != NULL)
        bench_check(ptr, old_size, tag);
    void *moved = bench_realloc(ptr, new_size);
    if (moved == NULL) {
        bench_error();
        return ptr;
    }
    if (ptr != NULL) {
        /* the first byte moved with the block; retag the new end */
        if (((uint8_t *)moved)[0] != tag)
            bench_error();
    }
    bench_tag(moved, new_size, tag);
    return moved;
}

void workload(void)
{
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned s = 0; s < STRINGS; s++) {
            length[s] = 1 + s;
            string[s] = grow(NULL, 0, length[s], (uint8_t)s); /* realloc(NULL, n) = malloc */
        }
        for (unsigned v = 0; v < VECTORS; v++) {
            capacity[v] = 8;
            vector[v] = grow(NULL, 0, capacity[v], (uint8_t)(10 + v));
        }
        for (unsigned step = 0;; step++) {
            unsigned done = 0;
            for (unsigned s = 0; s < STRINGS; s++) {
                if (length[s] >= STRING_MAX) {
                    done++;
                    continue;
                }
                size_t longer = length[s] + 1 + bench_rand(7);
                string[s] = grow(string[s], length[s], longer, (uint8_t)s);
                length[s] = longer;
            }
            if (step % 16 == 15) {
                for (unsigned v = 0; v < VECTORS; v++) {
                    if (capacity[v] < VECTOR_MAX) {
                        vector[v] = grow(vector[v], capacity[v], capacity[v] * 2, (uint8_t)(10 + v));
                        capacity[v] *= 2;
                    }
                }
            }
            if (done == STRINGS && capacity[0] >= VECTOR_MAX)
                break;
        }
        for (unsigned v = 0; v < VECTORS; v++) {
            vector[v] = grow(vector[v], capacity[v], 100, (uint8_t)(10 + v));
            capacity[v] = 100;
        }
        for (unsigned s = 0; s < STRINGS; s++) {
            bench_check(string[s], length[s], (uint8_t)s);
            bench_free(string[s]);
        }
        for (unsigned v = 0; v < VECTORS; v++) {
            bench_check(vector[v], capacity[v], (uint8_t)(10 + v));
            bench_free(vector[v]);
        }
    }
}

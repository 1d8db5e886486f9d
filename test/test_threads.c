/* SPDX-License-Identifier: MIT */
/*
 * Host, sync=c11: threads hammer the pools concurrently.
 *
 * THREADS threads each run OPS random operations (malloc of a random size,
 * free of a random held block, realloc, calloc).  An ownership map with one
 * atomic flag per block proves that no block is ever handed out twice (the
 * flag must be clear when a block is handed out and set when it is given
 * back); each held block carries its owner's pattern, checked before it is
 * given back, so no block is written by anyone else while owned.  At the
 * end every block must be allocatable again (none lost).  Run it under
 * ThreadSanitizer too (-Db_sanitize=thread): the backend must be race-free.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

#define THREADS 4
#define HELD_MAX 24
#ifndef OPS
#define OPS 1000000
#endif

static _Atomic unsigned char *owned;  /* one flag per block of every pool */
static size_t first_block_of[256];    /* global index of each pool's first block */
static _Atomic unsigned errors;

static size_t block_number(const void *p)
{
    size_t k = pool_holding(p);
    struct poolalloc_pool_info info = pool(k);
    return first_block_of[k] + (size_t)((const char *)p - (const char *)info.start) / info.block_size;
}

static void claim(void *p)
{
    if (atomic_exchange(&owned[block_number(p)], 1) != 0)
        atomic_fetch_add(&errors, 1); /* handed out twice */
}

static void release(void *p)
{
    if (atomic_exchange(&owned[block_number(p)], 0) != 1)
        atomic_fetch_add(&errors, 1);
}

struct held {
    unsigned char *ptr;
    size_t size;
    unsigned char mark;
};

static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

static void fill(struct held *h)
{
    memset(h->ptr, h->mark, h->size);
}

static void verify(const struct held *h)
{
    for (size_t i = 0; i < h->size; i++)
        if (h->ptr[i] != h->mark) {
            atomic_fetch_add(&errors, 1);
            return;
        }
}

static void *worker(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg * 2654435761u + 1;
    struct held held[HELD_MAX];
    size_t count = 0;
    size_t largest = largest_block();
    for (long op = 0; op < OPS; op++) {
        uint32_t r = next_random(&seed);
        unsigned choice = r % 8;
        if (count > 0 && (choice < 3 || count == HELD_MAX)) {
            size_t i = (r >> 8) % count;
            verify(&held[i]);
            release(held[i].ptr);
            poolalloc_free(held[i].ptr);
            held[i] = held[--count];
        } else if (count > 0 && choice == 3) {
            size_t i = (r >> 8) % count;
            size_t size = 1 + (r >> 16) % largest;
            verify(&held[i]);
            release(held[i].ptr);
            unsigned char *moved = poolalloc_realloc(held[i].ptr, size);
            if (moved == NULL) {
                claim(held[i].ptr); /* failed: the old block is still ours */
                continue;
            }
            claim(moved);
            size_t kept = held[i].size < size ? held[i].size : size;
            for (size_t b = 0; b < kept; b++)
                if (moved[b] != held[i].mark) {
                    atomic_fetch_add(&errors, 1);
                    break;
                }
            held[i].ptr = moved;
            held[i].size = size;
            fill(&held[i]);
        } else {
            size_t size = 1 + (r >> 8) % (choice == 4 ? 16 : largest);
            unsigned char *p = choice == 5 ? poolalloc_calloc(1, size) : poolalloc_malloc(size);
            if (p == NULL)
                continue;
            claim(p);
            if (choice == 5 && (p[0] != 0 || p[size - 1] != 0))
                atomic_fetch_add(&errors, 1);
            held[count] = (struct held){ p, size, (unsigned char)(r >> 24 | 1) };
            fill(&held[count]);
            count++;
        }
    }
    for (size_t i = 0; i < count; i++) {
        verify(&held[i]);
        release(held[i].ptr);
        poolalloc_free(held[i].ptr);
    }
    return NULL;
}

int main(void)
{
    size_t blocks = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++) {
        first_block_of[k] = blocks;
        blocks += pool(k).capacity;
    }
    if (!CHECK(blocks > 0 && poolalloc_pool_count() <= 256))
        return check_finish("test_threads");
    owned = calloc(blocks, sizeof *owned);
    if (!CHECK(owned != NULL))
        return check_finish("test_threads");

    pthread_t threads[THREADS];
    for (uintptr_t t = 0; t < THREADS; t++)
        CHECK(pthread_create(&threads[t], NULL, worker, (void *)(t + 1)) == 0);
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);

    CHECK(atomic_load(&errors) == 0);
    CHECK(total_in_use() == 0);
    /* None lost: every block of every pool can be handed out again, once. */
    size_t again = 0;
    for (size_t k = poolalloc_pool_count(); k-- > 0;) {
        void *p;
        while ((p = poolalloc_malloc(pool(k).block_size)) != NULL) {
            claim(p);
            again++;
        }
    }
    CHECK(again == blocks);
    CHECK(atomic_load(&errors) == 0);
    printf("test_threads: %d threads x %d operations\n", THREADS, OPS);
    free((void *)owned);
    return check_finish("test_threads");
}

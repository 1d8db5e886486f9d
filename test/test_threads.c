/* SPDX-License-Identifier: MIT */
/*
 * Host, sync=c11: threads hammer the pools concurrently.
 *
 * ABA rounds.  Two threads, barrier-synchronised, on the first pool: before
 * each round its free list starts A, B.  The victim mallocs once; the
 * attacker, as soon as the victim is inside its call, mallocs A and B,
 * frees A (the head again) and keeps B.  A pop that read A's `next` before
 * the attack and still succeeds after it makes B, the attacker's, the head:
 * the checker's next malloc then hands B out twice.  (The real backend's
 * window is nanoseconds wide, so these rounds cannot tell much by
 * themselves; test/broken/sync_c11_no_tag.h holds its window open, and then
 * they fail every run.)
 *
 * Random stress.  THREADS threads each run OPS random operations (malloc of
 * a random size, free of a random held block, realloc, calloc), until
 * the first ownership error (a broken heap only gets worse).
 *
 * Proof.  An ownership map with one atomic flag per block: a block handed
 * out while its flag is set, or given back while clear, is an ownership
 * error; each held block carries its owner's pattern, checked before it is
 * given back.  At the end, exactly: every pool hands out each of its blocks
 * once and then NULL.  The walks are bounded: a pool that hands out more
 * than its capacity has a cyclic free list, one that hands out fewer has
 * lost blocks; both are reported by name, never spun on.  A watchdog thread
 * aborts with the phase and the counts when nothing progresses for
 * WATCHDOG_SECONDS, so a hang is a clear failure well before Meson's
 * timeout.  Run it under ThreadSanitizer too (-Db_sanitize=thread): the
 * backend must be race-free.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

#define THREADS 4
#define HELD_MAX 24
#ifndef OPS
#define OPS 1000000
#endif
#ifndef ABA_ROUNDS
#define ABA_ROUNDS 200
#endif
#ifndef WATCHDOG_SECONDS
#define WATCHDOG_SECONDS 30 /* the whole test takes 2 s, 15 s under TSan; Meson waits 300 s */
#endif

static _Atomic unsigned char *owned;  /* one flag per block of every pool */
static size_t first_block_of[256];    /* global index of each pool's first block */
static _Atomic unsigned errors;       /* ownership and pattern errors */
static _Atomic unsigned allocator_faults;
static _Atomic unsigned long progress; /* bumped by every operation: what the watchdog watches */
static const char *_Atomic phase = "setup";
static _Atomic int finished;

/* A misuse the allocator detects itself (a block freed twice in a row:
 * what a stale pop leads to) is an ownership error; the call is refused
 * and the test goes on to report it. */
void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)caller;
    if (atomic_fetch_add(&allocator_faults, 1) == 0)
        printf("test_threads: the allocator reports %s at %p\n", poolalloc_fault_name(kind), ptr);
    atomic_fetch_add(&errors, 1);
}

static size_t block_number(const void *p)
{
    size_t k = pool_holding(p);
    struct poolalloc_pool_info info = pool(k);
    return first_block_of[k] + (size_t)((const char *)p - (const char *)info.start) / info.block_size;
}

static void claim(void *p)
{
    atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
    if (atomic_exchange(&owned[block_number(p)], 1) != 0 && atomic_fetch_add(&errors, 1) == 0)
        printf("test_threads: first ownership error: block %p handed out while owned (%s)\n", p,
               atomic_load(&phase));
}

static void release(void *p)
{
    if (atomic_exchange(&owned[block_number(p)], 0) != 1 && atomic_fetch_add(&errors, 1) == 0)
        printf("test_threads: first ownership error: block %p given back while not owned (%s)\n", p,
               atomic_load(&phase));
}

/* ---- Watchdog ------------------------------------------------------------- */

static void *watchdog(void *unused)
{
    (void)unused;
    const struct timespec tenth = { .tv_sec = 0, .tv_nsec = 100000000 };
    unsigned long seen = atomic_load(&progress);
    unsigned idle_tenths = 0;
    while (!atomic_load(&finished)) {
        nanosleep(&tenth, NULL);
        unsigned long now = atomic_load(&progress);
        idle_tenths = now == seen ? idle_tenths + 1 : 0;
        seen = now;
        if (idle_tenths == 10 * WATCHDOG_SECONDS) {
            printf("test_threads: watchdog: no progress for %d s in the %s phase (%lu operations done, "
                   "%u ownership errors so far): a thread spins or is stuck\n",
                   WATCHDOG_SECONDS, atomic_load(&phase), now, atomic_load(&errors));
            fflush(stdout);
            abort();
        }
    }
    return NULL;
}

/* ---- ABA rounds ------------------------------------------------------------ */

static pthread_barrier_t round_start, round_end;
static void *_Atomic victim_block;
static _Atomic int victim_calling;
static _Atomic int rounds_over;

static void *aba_victim(void *unused)
{
    (void)unused;
    size_t size = pool(0).block_size;
    for (;;) {
        pthread_barrier_wait(&round_start);
        if (atomic_load(&rounds_over))
            break;
        atomic_store(&victim_calling, 1);
        void *p = poolalloc_malloc(size);
        if (p != NULL)
            claim(p);
        atomic_store(&victim_block, p);
        pthread_barrier_wait(&round_end);
        pthread_barrier_wait(&round_end); /* the checker has looked */
    }
    return NULL;
}

/* Main is attacker and checker.  Returns the rounds run. */
static int aba_rounds(void)
{
    size_t size = pool(0).block_size;
    const struct timespec moment = { .tv_sec = 0, .tv_nsec = 200000 };
    pthread_t victim;
    pthread_barrier_init(&round_start, NULL, 2);
    pthread_barrier_init(&round_end, NULL, 2);
    if (!CHECK(pthread_create(&victim, NULL, aba_victim, NULL) == 0))
        return 0;
    int round;
    for (round = 0; round < ABA_ROUNDS; round++) {
        /* The list starts A, B. */
        void *a = poolalloc_malloc(size), *b = poolalloc_malloc(size);
        poolalloc_free(b);
        poolalloc_free(a);
        atomic_store(&victim_calling, 0);
        pthread_barrier_wait(&round_start);
        while (!atomic_load(&victim_calling)) {
        }
        nanosleep(&moment, NULL); /* the victim is inside its pop now, if anywhere */
        a = poolalloc_malloc(size);
        b = poolalloc_malloc(size);
        if (a != NULL)
            claim(a);
        if (b != NULL)
            claim(b);
        if (a != NULL) {
            release(a);
            poolalloc_free(a);
        }
        pthread_barrier_wait(&round_end);
        /* Check: the next block must be nobody's. */
        void *next = poolalloc_malloc(size);
        if (next != NULL) {
            claim(next);
            release(next);
            poolalloc_free(next);
        }
        if (b != NULL) {
            release(b);
            poolalloc_free(b);
        }
        void *v = atomic_load(&victim_block);
        if (v != NULL) {
            release(v);
            poolalloc_free(v);
        }
        pthread_barrier_wait(&round_end);
        if (atomic_load(&errors) != 0) { /* the heap is broken: stop before it spreads */
            round++;
            break;
        }
    }
    atomic_store(&rounds_over, 1);
    pthread_barrier_wait(&round_start);
    pthread_join(victim, NULL);
    pthread_barrier_destroy(&round_start);
    pthread_barrier_destroy(&round_end);
    return round;
}

/* ---- Random stress ---------------------------------------------------------- */

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
    for (long op = 0; op < OPS && atomic_load_explicit(&errors, memory_order_relaxed) == 0; op++) {
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

/* ---- Exact final check ------------------------------------------------------- */

/* Every block of every pool is handed out exactly once, then NULL; at most
 * capacity + 1 calls per pool.  Returns the blocks handed out; *cyclic and
 * *lost count the pools whose list hands out too many, the blocks missing. */
static size_t allocate_everything(unsigned *cyclic, size_t *lost)
{
    size_t total = 0;
    for (size_t k = malloc_pool_count(); k-- > 0;) {
        struct poolalloc_pool_info info = pool(k);
        size_t got = 0;
        void *p = NULL;
        while (got <= info.capacity && (p = poolalloc_malloc(info.block_size)) != NULL) {
            claim(p);
            got++;
        }
        if (p != NULL) {
            ++*cyclic;
            printf("test_threads: pool %zu (%zu-byte blocks): more than its %zu blocks handed out: its free list "
                   "is cyclic\n",
                   k, info.block_size, info.capacity);
        } else if (got < info.capacity) {
            *lost += info.capacity - got;
            printf("test_threads: pool %zu (%zu-byte blocks): %zu of its %zu blocks allocatable: %zu lost\n", k,
                   info.block_size, got, info.capacity, info.capacity - got);
        }
        total += got;
    }
    return total;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* every line out at once, whatever ends the run */
    size_t blocks = 0;
    for (size_t k = 0; k < malloc_pool_count(); k++) {
        first_block_of[k] = blocks;
        blocks += pool(k).capacity;
    }
    if (!CHECK(blocks > 0 && malloc_pool_count() <= 256))
        return check_finish("test_threads");
    owned = calloc(blocks, sizeof *owned);
    if (!CHECK(owned != NULL))
        return check_finish("test_threads");
    pthread_t dog;
    CHECK(pthread_create(&dog, NULL, watchdog, NULL) == 0);

    atomic_store(&phase, "ABA rounds");
    int rounds = aba_rounds();
    if (atomic_load(&errors) == 0) {
        atomic_store(&phase, "random stress");
        pthread_t threads[THREADS];
        for (uintptr_t t = 0; t < THREADS; t++)
            CHECK(pthread_create(&threads[t], NULL, worker, (void *)(t + 1)) == 0);
        for (int t = 0; t < THREADS; t++)
            pthread_join(threads[t], NULL);
        printf("test_threads: %d ABA rounds, %d threads x %d operations\n", rounds, THREADS, OPS);
        CHECK(atomic_load(&errors) != 0 || total_in_use() == 0);
    } else {
        printf("test_threads: ownership errors after %d ABA rounds; no stress on a broken heap\n", rounds);
    }

    /* None lost, none twice: every block of every pool can be handed out again, once. */
    atomic_store(&phase, "final allocate-everything");
    unsigned cyclic = 0;
    size_t lost = 0;
    size_t again = allocate_everything(&cyclic, &lost);
    atomic_store(&finished, 1);
    pthread_join(dog, NULL);

    unsigned ownership = atomic_load(&errors);
    if (ownership != 0)
        printf("test_threads: FAILED (ownership): %u blocks handed out twice, given back by a non-owner or "
               "overwritten (%u reported by the allocator)\n",
               ownership, atomic_load(&allocator_faults));
    if (cyclic != 0)
        printf("test_threads: FAILED (cyclic): %u pools hand out blocks without end\n", cyclic);
    if (lost != 0)
        printf("test_threads: FAILED (lost): %zu blocks never come back\n", lost);
    CHECK(ownership == 0);
    CHECK(cyclic == 0);
    CHECK(lost == 0);
    CHECK(again == blocks);
    free((void *)owned);
    return check_finish("test_threads");
}

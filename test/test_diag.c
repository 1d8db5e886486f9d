/* SPDX-License-Identifier: MIT */
/*
 * Diagnostics, on the host and under QEMU, in every configuration:
 * statistics after scripted sequences (exact numbers, as deltas from a
 * reset), the OOM hook and errno, every misuse the checks level detects
 * (reported to a recording poolalloc_fault, the heap unchanged), the repair
 * paths of checks=full, and poolalloc_check() -- after each of which every
 * block of every pool can still be allocated exactly once.
 * Build-time facts from test/meson.build: TEST_FALLBACK, TEST_STATS,
 * TEST_CHECKS (0/1/2), TEST_SYNC_C11 (links kept outside the blocks).
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

#define MAX_BLOCKS 4096
static void *blocks[MAX_BLOCKS];

/* Recording hooks. */
static unsigned faults, ooms;
static enum poolalloc_fault_kind last_kind;
static void *last_ptr, *last_caller, *oom_caller;
static size_t oom_size;

void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    faults++;
    last_kind = kind;
    last_ptr = ptr;
    last_caller = caller;
}

void poolalloc_oom(size_t size, void *caller)
{
    ooms++;
    oom_size = size;
    oom_caller = caller;
}

static struct poolalloc_stats totals(void)
{
    struct poolalloc_stats t;
    memset(&t, 0, sizeof t);
    CHECK(poolalloc_stats(&t, NULL, 0) == (bool)TEST_STATS);
    return t;
}

static struct poolalloc_pool_stats pool_stats(size_t k)
{
    static struct poolalloc_pool_stats s[256]; /* not on a small target stack */
    struct poolalloc_stats t;
    memset(s, 0, sizeof s);
    poolalloc_stats(&t, s, 256);
    return s[k];
}

static size_t last_pool(void)
{
    return malloc_pool_count() - 1;
}

/* The heap is consistent and every free block can be taken exactly once. */
static void check_heap_whole(const char *when)
{
    struct poolalloc_check_result r;
    if (!CHECK(poolalloc_check(&r)))
        printf("  after %s: %s in pool %u at %p\n", when, poolalloc_fault_name(r.kind), (unsigned)r.pool, r.ptr);
    size_t available = total_capacity() - total_in_use();
    size_t n = 0;
    for (size_t k = malloc_pool_count(); k-- > 0;) {
        void *p;
        while (n < MAX_BLOCKS && (p = poolalloc_malloc(pool(k).block_size)) != NULL)
            blocks[n++] = p;
    }
    if (!CHECK(n == available))
        printf("  after %s: %u blocks allocatable, %u expected\n", when, (unsigned)n, (unsigned)available);
    for (size_t i = 0; i < n; i++)
        poolalloc_free(blocks[i]);
    CHECK(poolalloc_check(NULL));
}

/* Exact counter values after a scripted sequence. */
static void test_stats(void)
{
    if (malloc_pool_count() < 2)
        return;
    size_t b0 = pool(0).block_size, bl = pool(last_pool()).block_size;
    poolalloc_stats_reset();
    struct poolalloc_stats base = totals();
    CHECK(base.pool_count == poolalloc_pool_count());
    CHECK(base.oom_count == 0 && base.peak_bytes == base.bytes_in_use);
    for (size_t k = 0; k < poolalloc_pool_count(); k++) {
        struct poolalloc_pool_stats s = pool_stats(k);
        CHECK(s.allocations == 0 && s.failures == 0);
        CHECK(s.in_use == pool(k).in_use && s.high_water == pool(k).high_water);
        CHECK(s.block_size == pool(k).block_size && s.capacity == pool(k).capacity);
    }

    void *a = poolalloc_malloc(1), *b = poolalloc_malloc(b0), *c = poolalloc_malloc(bl);
    CHECK(a != NULL && b != NULL && c != NULL);
    poolalloc_free(b);
    errno = 0;
    CHECK(poolalloc_malloc(bl + 1) == NULL && errno == ENOMEM);
    struct poolalloc_stats t = totals();
    if (TEST_STATS) {
        CHECK(pool_stats(0).allocations == 2);
        CHECK(pool_stats(last_pool()).allocations == 1);
        CHECK(t.bytes_in_use == base.bytes_in_use + b0 + bl);
        CHECK(t.peak_bytes == base.bytes_in_use + 2 * b0 + bl);
        CHECK(t.oom_count == 1);
        for (size_t k = 0; k < malloc_pool_count(); k++)
            CHECK(pool_stats(k).failures == 0); /* too large: no pool is charged */
        CHECK((size_t)poolalloc_mallinfo().usmblks == t.peak_bytes);
    } else {
        CHECK(t.oom_count == 0 && t.peak_bytes == 0 && pool_stats(0).allocations == 0);
    }
    CHECK(pool_stats(0).in_use == pool(0).in_use);
    poolalloc_free(a);
    poolalloc_free(c);

    /* Fill the largest pool from its own size: one failure charged to it. */
    size_t n = 0, cap_free = pool(last_pool()).capacity - pool(last_pool()).in_use;
    void *p;
    poolalloc_stats_reset();
    while (n < MAX_BLOCKS && (p = poolalloc_malloc(bl)) != NULL)
        blocks[n++] = p;
    CHECK(n == cap_free);
    if (TEST_STATS) {
        CHECK(pool_stats(last_pool()).allocations == n);
        CHECK(pool_stats(last_pool()).failures == 1);
        CHECK(totals().oom_count == 1);
        CHECK(pool_stats(last_pool()).high_water == pool(last_pool()).capacity);
    }
    /* With every pool full, a small request fails and is charged to pool 0
     * (the first it tried), whatever fallback did. */
    size_t m = n;
    for (size_t k = malloc_pool_count(); k-- > 0;)
        while (m < MAX_BLOCKS && (p = poolalloc_malloc(pool(k).block_size)) != NULL)
            blocks[m++] = p;
    poolalloc_stats_reset();
    CHECK(poolalloc_malloc(1) == NULL);
    if (TEST_STATS) {
        CHECK(pool_stats(0).failures == 1 && totals().oom_count == 1);
        if (2 * b0 <= bl) {
            CHECK(poolalloc_calloc(2, b0) == NULL);
            CHECK(pool_stats(first_pool_for(2 * b0)).failures == 1 + (first_pool_for(2 * b0) == 0));
        }
        CHECK(totals().peak_bytes == totals().bytes_in_use);
        CHECK(totals().bytes_in_use == (size_t)poolalloc_mallinfo().uordblks);
    }
    for (size_t i = 0; i < m; i++)
        poolalloc_free(blocks[i]);
    poolalloc_stats_reset();
    if (TEST_STATS)
        CHECK(pool_stats(0).failures == 0 && totals().oom_count == 0);
    poolalloc_malloc_stats();
    check_heap_whole("statistics");
}

/* The OOM hook runs before every NULL for lack of memory, errno ENOMEM. */
static void test_oom_hook(void)
{
    size_t bl = pool(last_pool()).block_size;
    unsigned before = ooms;
    errno = 0;
    CHECK(poolalloc_malloc(bl + 1) == NULL && errno == ENOMEM);
    CHECK(ooms == before + 1 && oom_size == bl + 1 && oom_caller != NULL);
    errno = 0;
    CHECK(poolalloc_calloc(SIZE_MAX / 2 + 1, 2) == NULL && errno == ENOMEM);
    CHECK(ooms == before + 2 && oom_size == SIZE_MAX);
    errno = 0;
    CHECK(poolalloc_memalign((size_t)POOLALLOC_PAGE_SIZE * 2, 1) == NULL && errno == ENOMEM);
    CHECK(ooms == before + 3 && oom_size == 1);
    void *p = poolalloc_malloc(1);
    errno = 0;
    CHECK(poolalloc_realloc(p, bl + 7) == NULL && errno == ENOMEM);
    CHECK(ooms == before + 4 && oom_size == bl + 7);
    errno = 0;
    CHECK(poolalloc_reallocarray(p, SIZE_MAX / 2 + 1, 2) == NULL && errno == ENOMEM && ooms == before + 5);
    void *spare = NULL;
    CHECK(poolalloc_posix_memalign(&spare, sizeof(void *), bl + 1) == ENOMEM && ooms == before + 6);
    /* Not a lack of memory: a bad alignment is EINVAL, no hook. */
    errno = 0;
    CHECK(poolalloc_memalign(3, 1) == NULL && errno == EINVAL && ooms == before + 6);
    poolalloc_free(p);
    CHECK(faults == 0);
    check_heap_whole("OOM");
}

/* A bad pointer is refused and reported with its kind; nothing changes. */
static void expect_fault(enum poolalloc_fault_kind kind, void *ptr, unsigned *expected)
{
    (*expected)++;
    if (!CHECK(faults == *expected && last_kind == kind && last_ptr == ptr && last_caller != NULL))
        printf("  expected %s at %p, got %u faults, last %s at %p\n", poolalloc_fault_name(kind), ptr, faults,
               poolalloc_fault_name(last_kind), last_ptr);
    faults = *expected;
}

static void test_bad_pointers(void)
{
    unsigned expected = faults;
    size_t before = total_in_use();
    static char not_heap[16];
    poolalloc_free(not_heap);
    expect_fault(POOLALLOC_FAULT_FOREIGN_POINTER, not_heap, &expected);
    /* reallocf frees the block it cannot move, but a bad pointer is no
     * block: reported once (the hook returned), never passed on to free. */
    CHECK(poolalloc_reallocf(not_heap, 1) == NULL);
    expect_fault(POOLALLOC_FAULT_FOREIGN_POINTER, not_heap, &expected);

    /* checks=fast: inside a pool but not at a block boundary. */
    char *p = poolalloc_malloc(pool(last_pool()).block_size);
    if (!CHECK(p != NULL))
        return;
    if (TEST_CHECKS >= 1) {
        poolalloc_free(p + 1);
        expect_fault(POOLALLOC_FAULT_MISALIGNED_POINTER, p + 1, &expected);
        CHECK(poolalloc_realloc(p + sizeof(void *), 1) == NULL);
        expect_fault(POOLALLOC_FAULT_MISALIGNED_POINTER, p + sizeof(void *), &expected);
        CHECK(poolalloc_usable_size(p + 3) == 0);
        expect_fault(POOLALLOC_FAULT_MISALIGNED_POINTER, p + 3, &expected);
        CHECK(poolalloc_usable_size(p) == pool(last_pool()).block_size);

        /* At or above a pool's edge: a block never handed out. */
        for (size_t k = 0; k < poolalloc_pool_count(); k++) {
            struct poolalloc_pool_info info = pool(k);
            if (info.high_water == info.capacity)
                continue;
            char *unused = (char *)info.start + info.high_water * info.block_size;
            poolalloc_free(unused);
            expect_fault(POOLALLOC_FAULT_UNALLOCATED_POINTER, unused, &expected);
            CHECK(poolalloc_realloc(unused, 1) == NULL);
            expect_fault(POOLALLOC_FAULT_UNALLOCATED_POINTER, unused, &expected);
            CHECK(poolalloc_usable_size((char *)info.end - info.block_size) == 0);
            expect_fault(POOLALLOC_FAULT_UNALLOCATED_POINTER, (char *)info.end - info.block_size, &expected);
        }
    }
    CHECK(total_in_use() == before + 1);

    /* Every level: a block freed twice in a row, realloc / usable_size of the
     * block just freed (it is its pool's free-list head). */
    poolalloc_free(p);
    poolalloc_free(p);
    expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, p, &expected);
    CHECK(poolalloc_realloc(p, 1) == NULL);
    expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, p, &expected);
    CHECK(poolalloc_usable_size(p) == 0);
    expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, p, &expected);
    CHECK(total_in_use() == before);
    /* checks=full: any freed block, also after other frees. */
    if (TEST_CHECKS >= 2) {
        char *q = poolalloc_malloc(pool(last_pool()).block_size);
        char *r = poolalloc_malloc(pool(last_pool()).block_size);
        CHECK(q != NULL && r != NULL);
        poolalloc_free(q);
        poolalloc_free(r);
        poolalloc_free(q);
        expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, q, &expected);
        CHECK(poolalloc_realloc(q, 1) == NULL);
        expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, q, &expected);
        CHECK(total_in_use() == before);
    }
    CHECK(faults == expected);
    check_heap_whole("bad pointers");
}

/* checks=full: writes to freed blocks are found by poolalloc_check() and at
 * the next allocation of the block; a damaged link is found and repaired. */
static void test_use_after_free(void)
{
    if (TEST_CHECKS < 2)
        return;
    unsigned expected = faults;
    size_t block = pool(last_pool()).block_size;
    struct poolalloc_check_result r;

    /* A write past the link word: poison damage. */
    char *p = poolalloc_malloc(block);
    poolalloc_free(p);
    p[block - 1] = 'x';
    CHECK(!poolalloc_check(&r) && r.kind == POOLALLOC_FAULT_USE_AFTER_FREE && r.ptr == p && r.pool == last_pool());
    char *again = poolalloc_malloc(block); /* LIFO: the same block */
    CHECK(again == p);
    expect_fault(POOLALLOC_FAULT_USE_AFTER_FREE, p, &expected);
    poolalloc_free(again);
    check_heap_whole("use after free");

    /* The first word: the link (or, on the host backend, poison). */
    p = poolalloc_malloc(block);
    poolalloc_free(p);
    *(uintptr_t *)(void *)p = 1;
    CHECK(!poolalloc_check(&r) && r.pool == last_pool());
    if (TEST_SYNC_C11) {
        CHECK(r.kind == POOLALLOC_FAULT_USE_AFTER_FREE && r.ptr == p);
        CHECK(poolalloc_malloc(block) == p);
        expect_fault(POOLALLOC_FAULT_USE_AFTER_FREE, p, &expected);
        poolalloc_free(p);
    } else {
        CHECK(r.kind == POOLALLOC_FAULT_FREE_LIST_CORRUPT);
        void *q = poolalloc_malloc(block); /* repaired, then served */
        expect_fault(POOLALLOC_FAULT_FREE_LIST_CORRUPT, p, &expected);
        CHECK(q != NULL);
        poolalloc_free(q);
    }
    check_heap_whole("damaged link");

    /* A link overwritten with a live block: that block must not be handed
     * out twice. */
    if (!TEST_SYNC_C11 && pool(last_pool()).capacity >= 2) {
        char *live = poolalloc_malloc(block);
        p = poolalloc_malloc(block);
        poolalloc_free(p);
        *(void **)(void *)p = live;
        CHECK(!poolalloc_check(&r) && r.kind == POOLALLOC_FAULT_FREE_LIST_CORRUPT && r.ptr == live);
        void *first = poolalloc_malloc(block);
        CHECK(first == p);
        void *second = poolalloc_malloc(block);
        expect_fault(POOLALLOC_FAULT_FREE_LIST_CORRUPT, live, &expected);
        CHECK(second != live);
        poolalloc_free(first);
        poolalloc_free(second);
        poolalloc_free(live);
        check_heap_whole("link to a live block");
    }
    CHECK(faults == expected);
}

/* checks=none, last: a double free with another free in between goes
 * unnoticed by free (only a block freed twice in a row is refused), and
 * poolalloc_check() finds the damage (a cycle).  The heap is broken after. */
static void test_check_finds_cycle(void)
{
    if (TEST_CHECKS != 0 || TEST_SYNC_C11)
        return;
    unsigned before = faults;
    void *p = poolalloc_malloc(1);
    void *q = poolalloc_malloc(1);
    poolalloc_free(p);
    poolalloc_free(q);
    poolalloc_free(p);
    CHECK(faults == before);
    struct poolalloc_check_result r;
    CHECK(!poolalloc_check(&r) && r.kind == POOLALLOC_FAULT_FREE_LIST_CYCLE && r.pool == 0);
}

int main(void)
{
    CHECK(poolalloc_check(NULL));
    test_stats();
    test_oom_hook();
    test_bad_pointers();
    test_use_after_free();
    CHECK(strcmp(poolalloc_fault_name(POOLALLOC_FAULT_DOUBLE_FREE), "block is not allocated (double free)") == 0);
    test_check_finds_cycle();
    return check_finish("test_diag");
}

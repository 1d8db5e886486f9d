/* SPDX-License-Identifier: MIT */
/*
 * Semantics of every malloc-family entry point, on the host and under QEMU.
 *
 * The tests read the layout through poolalloc_pool_info(), so they hold for
 * any -Dpools.  They call the poolalloc_* names, which on a target are the
 * very functions behind malloc & co (test_libc.c checks that identity).
 * Build-time facts come as macros from test/meson.build:
 *   TEST_FALLBACK (0/1), TEST_ALIGNMENT (the alignment option).
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

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Largest power of two <= n (n >= 1). */
static size_t floor_pow2(size_t n)
{
    size_t p = 1;
    while (p <= n / 2)
        p *= 2;
    return p;
}

static unsigned char pattern(size_t block, size_t byte)
{
    return (unsigned char)(block * 131u + byte * 7u + 1u);
}

/* Allocate every free block of pools `first` and up, largest pools first so
 * that each pool is filled by requests of its own block size (fallback only
 * reaches pools that are already full).  Returns the count. */
static size_t fill_pools_from(size_t first)
{
    size_t n = 0;
    for (size_t k = malloc_pool_count(); k-- > first;) {
        size_t size = pool(k).block_size;
        void *p;
        while (n < MAX_BLOCKS && (p = poolalloc_malloc(size)) != NULL)
            blocks[n++] = p;
    }
    return n;
}

static size_t allocate_everything(void)
{
    return fill_pools_from(0);
}

static void free_all(size_t n)
{
    for (size_t i = 0; i < n; i++)
        poolalloc_free(blocks[i]);
}

static size_t free_blocks(void)
{
    return total_capacity() - total_in_use();
}

static void test_layout(void)
{
    size_t count = poolalloc_pool_count();
    CHECK(count > 0);
    CHECK(total_capacity() <= MAX_BLOCKS);
    for (size_t k = 0; k < count; k++) {
        struct poolalloc_pool_info info = pool(k);
        CHECK(info.capacity > 0);
        CHECK(info.block_size >= sizeof(void *));
        CHECK((uintptr_t)info.start % info.alignment == 0);
        CHECK(info.block_size % info.alignment == 0);
        CHECK(info.in_use <= info.high_water && info.high_water <= info.capacity);
        if (k > 0 && pool(k - 1).region == info.region) /* sorted within a region */
            CHECK(pool(k - 1).block_size < info.block_size);
        CHECK(k == 0 || pool(k - 1).region <= info.region);
        /* Pools never overlap. */
        for (size_t j = 0; j < k; j++) {
            struct poolalloc_pool_info other = pool(j);
            CHECK((char *)other.end <= (char *)info.start || (char *)info.end <= (char *)other.start);
        }
    }
    struct poolalloc_pool_info none;
    CHECK(!poolalloc_pool_info(count, &none));
}

/* Every size from 0 to the largest block: served by the first pool that
 * fits, aligned for any object of that size, usable up to the block size. */
static void test_every_size(void)
{
    size_t before = total_in_use();
    for (size_t n = 0; n <= largest_block(); n++) {
        void *p = poolalloc_malloc(n);
        if (!CHECK(p != NULL))
            continue;
        size_t k = pool_holding(p);
        CHECK(k == first_pool_for(n == 0 ? 1 : n));
        CHECK(poolalloc_usable_size(p) == pool(k).block_size);
        CHECK(poolalloc_usable_size(p) >= n);
        size_t need = min_size(TEST_ALIGNMENT, floor_pow2(n == 0 ? 1 : n));
        CHECK((uintptr_t)p % need == 0);
        CHECK((size_t)((char *)p - (char *)pool(k).start) % pool(k).block_size == 0);
        memset(p, 0x5a, poolalloc_usable_size(p));
        poolalloc_free(p);
    }
    CHECK(total_in_use() == before);
    CHECK(poolalloc_malloc(largest_block() + 1) == NULL);
}

/* Fill the whole heap: no two live blocks overlap (each keeps its own
 * pattern), every pool is full, every request fails with ENOMEM, and after
 * freeing everything the heap serves exactly as many blocks again. */
static void test_exhaustion_and_recovery(void)
{
    size_t available = free_blocks();
    size_t n = allocate_everything();
    CHECK(n == available);
    for (size_t k = 0; k < malloc_pool_count(); k++)
        CHECK(pool(k).in_use == pool(k).capacity && pool(k).high_water == pool(k).capacity);
    for (size_t i = 0; i < n; i++) {
        size_t size = poolalloc_usable_size(blocks[i]);
        for (size_t b = 0; b < size; b++)
            ((unsigned char *)blocks[i])[b] = pattern(i, b);
    }
    size_t intact = 0;
    for (size_t i = 0; i < n; i++) {
        size_t size = poolalloc_usable_size(blocks[i]), b = 0;
        while (b < size && ((unsigned char *)blocks[i])[b] == pattern(i, b))
            b++;
        intact += b == size;
    }
    CHECK(intact == n);

    for (size_t size = 0; size <= largest_block() + 1; size += 1 + size / 4) {
        errno = 0;
        CHECK(poolalloc_malloc(size) == NULL);
        CHECK(errno == ENOMEM);
    }
    errno = 0;
    CHECK(poolalloc_calloc(1, 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(poolalloc_memalign(sizeof(void *), 1) == NULL && errno == ENOMEM);
    void *spare = NULL;
    CHECK(poolalloc_posix_memalign(&spare, sizeof(void *), 1) == ENOMEM && spare == NULL);

    free_all(n);
    CHECK(free_blocks() == available);
    size_t again = allocate_everything();
    CHECK(again == n);
    free_all(again);
}

/* A full pool spills into the next larger pool with fallback on, and
 * fails with fallback off. */
static void test_fallback(void)
{
    if (malloc_pool_count() < 2)
        return;
    struct poolalloc_pool_info small = pool(0);
    size_t n = 0;
    void *p;
    while (n < MAX_BLOCKS && (p = poolalloc_malloc(small.block_size)) != NULL && pool_holding(p) == 0)
        blocks[n++] = p;
    CHECK(pool(0).in_use == small.capacity);
    if (TEST_FALLBACK) {
        CHECK(p != NULL && pool_holding(p) == 1);
        CHECK(poolalloc_usable_size(p) == pool(1).block_size);
        poolalloc_free(p);
    } else {
        CHECK(p == NULL);
        errno = 0;
        CHECK(poolalloc_malloc(small.block_size) == NULL && errno == ENOMEM);
    }
    free_all(n);
}

static void test_malloc_zero_and_free_null(void)
{
    size_t before = total_in_use();
    void *a = poolalloc_malloc(0), *b = poolalloc_malloc(0);
    CHECK(a != NULL && b != NULL && a != b);
    CHECK(pool_holding(a) == 0);
    poolalloc_free(a);
    poolalloc_free(b);
    poolalloc_free(NULL);
    CHECK(total_in_use() == before);
    CHECK(poolalloc_usable_size(NULL) == 0);
}

static void test_realloc(void)
{
    size_t before = total_in_use();
    size_t b0 = pool(0).block_size;

    /* realloc(NULL, n) is malloc(n). */
    unsigned char *p = poolalloc_realloc(NULL, 1);
    CHECK(p != NULL && pool_holding(p) == 0);
    if (p == NULL)
        return;
    for (size_t i = 0; i < b0; i++)
        p[i] = pattern(1, i);

    /* Growing and shrinking within the block keep it in place. */
    CHECK(poolalloc_realloc(p, b0) == p);
    CHECK(poolalloc_realloc(p, 1) == p);

    if (malloc_pool_count() >= 2) {
        /* Growing past the block moves it and keeps the whole old block. */
        unsigned char *q = poolalloc_realloc(p, b0 + 1);
        CHECK(q != NULL && q != p && pool_holding(q) == 1);
        if (q != NULL) {
            size_t same = 0;
            for (size_t i = 0; i < b0; i++)
                same += q[i] == pattern(1, i);
            CHECK(same == b0);
            CHECK(total_in_use() == before + 1);
            p = q;
        }
    }

    /* A request no pool can hold fails, leaving the block owned and intact. */
    size_t held = poolalloc_usable_size(p);
    errno = 0;
    CHECK(poolalloc_realloc(p, largest_block() + 1) == NULL);
    CHECK(errno == ENOMEM);
    CHECK(total_in_use() == before + 1);
    size_t same = 0;
    for (size_t i = 0; i < b0; i++)
        same += p[i] == pattern(1, i);
    CHECK(same == b0 && poolalloc_usable_size(p) == held);

    /* A move that fails because the larger pools are full also keeps it. */
    if (malloc_pool_count() >= 2 && held < largest_block()) {
        size_t n = fill_pools_from(pool_holding(p) + 1);
        errno = 0;
        CHECK(poolalloc_realloc(p, held + 1) == NULL && errno == ENOMEM);
        CHECK(poolalloc_usable_size(p) == held && p[0] == pattern(1, 0));
        free_all(n);
    }

    /* realloc(p, 0) frees p and returns NULL. */
    CHECK(poolalloc_realloc(p, 0) == NULL);
    CHECK(total_in_use() == before);

    /* reallocf frees the block when it fails; realloc(NULL, 0) is malloc(0). */
    void *r = poolalloc_realloc(NULL, 0);
    CHECK(r != NULL);
    errno = 0;
    CHECK(poolalloc_reallocf(r, largest_block() + 1) == NULL && errno == ENOMEM);
    CHECK(total_in_use() == before);

    /* reallocarray: count * size overflow is caught, the block is kept. */
    void *s = poolalloc_reallocarray(NULL, 2, b0 / 2);
    CHECK(s != NULL && pool_holding(s) == 0);
    errno = 0;
    CHECK(poolalloc_reallocarray(s, SIZE_MAX / 2 + 1, 2) == NULL && errno == ENOMEM);
    CHECK(poolalloc_reallocarray(s, 1, b0) == s);
    poolalloc_free(s);
    CHECK(total_in_use() == before);
}

static void test_calloc(void)
{
    size_t b0 = pool(0).block_size;
    /* A recycled block (LIFO free list) is dirty; calloc must clear it. */
    unsigned char *dirty = poolalloc_malloc(b0);
    if (!CHECK(dirty != NULL))
        return;
    memset(dirty, 0xa5, b0);
    poolalloc_free(dirty);
    unsigned char *clean = poolalloc_calloc(1, b0);
    CHECK(clean == dirty);
    size_t zeros = 0;
    for (size_t i = 0; clean != NULL && i < b0; i++)
        zeros += clean[i] == 0;
    CHECK(zeros == b0);
    poolalloc_free(clean);

    errno = 0;
    CHECK(poolalloc_calloc(SIZE_MAX / 2 + 1, 2) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(poolalloc_calloc(2, SIZE_MAX / 2 + 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK(poolalloc_calloc(1, largest_block() + 1) == NULL && errno == ENOMEM);
    void *z = poolalloc_calloc(0, 0);
    CHECK(z != NULL);
    poolalloc_free(z);
}

/* The first pool with a block >= size and an alignment >= align, if any. */
static size_t pool_for_aligned(size_t align, size_t size)
{
    for (size_t k = first_pool_for(size); k < malloc_pool_count(); k++)
        if (pool(k).alignment >= align)
            return k;
    return malloc_pool_count();
}

static void test_aligned(void)
{
    size_t before = total_in_use();
    size_t largest_align = 1;
    for (size_t k = 0; k < malloc_pool_count(); k++)
        if (pool(k).alignment > largest_align)
            largest_align = pool(k).alignment;

    for (size_t align = 1; align <= 2 * largest_align; align *= 2) {
        size_t sizes[] = { 1, align / 2, align, align + 1, largest_block() };
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t size = sizes[i];
            size_t k = pool_for_aligned(align, size);
            bool servable = k < malloc_pool_count();

            errno = 0;
            void *m = poolalloc_memalign(align, size);
            CHECK((m != NULL) == servable);
            if (m != NULL) {
                CHECK((uintptr_t)m % align == 0);
                CHECK(pool_holding(m) == k);
                CHECK(poolalloc_usable_size(m) >= size);
            } else {
                CHECK(errno == ENOMEM);
            }
            poolalloc_free(m);

            void *a = poolalloc_aligned_alloc(align, size);
            CHECK((a != NULL) == servable && (uintptr_t)a % align == 0);
            poolalloc_free(a);

            void *pm = (void *)&pm;
            int rc = poolalloc_posix_memalign(&pm, align, size);
            if (align % sizeof(void *) != 0) {
                CHECK(rc == EINVAL && pm == (void *)&pm);
            } else if (servable) {
                CHECK(rc == 0 && pm != NULL && (uintptr_t)pm % align == 0);
                poolalloc_free(pm);
            } else {
                CHECK(rc == ENOMEM && pm == (void *)&pm);
            }
        }
    }

    /* Bad alignments: EINVAL, nothing allocated; posix_memalign leaves errno. */
    errno = 0;
    CHECK(poolalloc_memalign(3, 8) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(poolalloc_memalign(0, 8) == NULL && errno == EINVAL);
    errno = 0;
    CHECK(poolalloc_aligned_alloc(24, 8) == NULL && errno == EINVAL);
    void *untouched = NULL;
    errno = 0;
    CHECK(poolalloc_posix_memalign(&untouched, 12, 8) == EINVAL && untouched == NULL && errno == 0);
    CHECK(poolalloc_posix_memalign(&untouched, sizeof(void *) / 2, 8) == EINVAL && errno == 0);

    /* valloc/pvalloc: page (4096) alignment, served only by a 4096-aligned pool. */
    bool page_pool = pool_for_aligned(POOLALLOC_PAGE_SIZE, 1) < malloc_pool_count();
    void *v = poolalloc_valloc(1);
    CHECK((v != NULL) == page_pool && (uintptr_t)v % POOLALLOC_PAGE_SIZE == 0);
    poolalloc_free(v);
    void *pv = poolalloc_pvalloc(1);
    CHECK((pv != NULL) == (pool_for_aligned(POOLALLOC_PAGE_SIZE, POOLALLOC_PAGE_SIZE) < malloc_pool_count()));
    poolalloc_free(pv);
    errno = 0;
    CHECK(poolalloc_pvalloc(SIZE_MAX) == NULL && errno == ENOMEM);
    CHECK(total_in_use() == before);
}

static void test_mallinfo(void)
{
    size_t arena = 0, used = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++) {
        arena += pool(k).capacity * pool(k).block_size;
        used += pool(k).in_use * pool(k).block_size;
    }
    struct mallinfo mi = poolalloc_mallinfo();
    CHECK((size_t)mi.arena == arena);
    CHECK((size_t)mi.uordblks == used);
    CHECK((size_t)mi.fordblks == arena - used);
    void *p = poolalloc_malloc(1);
    struct mallinfo after = poolalloc_mallinfo();
    CHECK((size_t)after.uordblks == used + pool(0).block_size);
    CHECK((size_t)after.ordblks + 1 == (size_t)mi.ordblks);
    poolalloc_free(p);
    CHECK(poolalloc_mallopt(1, 1) == 0);
    CHECK(poolalloc_malloc_trim(0) == 0);
}

/* Misuse: a pointer outside every pool is refused and reported. */
static unsigned faults;
static enum poolalloc_fault_kind last_kind;
static void *last_ptr;

void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)caller;
    faults++;
    last_kind = kind;
    last_ptr = ptr;
}

static void test_foreign_pointer(void)
{
    static char not_heap[16];
    size_t before = total_in_use();
    poolalloc_free(not_heap);
    CHECK(faults == 1 && last_kind == POOLALLOC_FAULT_FOREIGN_POINTER && last_ptr == not_heap);
    CHECK(poolalloc_realloc(not_heap + 8, 4) == NULL && faults == 2 && last_ptr == not_heap + 8);
    CHECK(poolalloc_usable_size(not_heap) == 0 && faults == 3);
    /* One byte past the last pool is outside too. */
    char *end = pool(poolalloc_pool_count() - 1).end;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        if ((char *)pool(k).end > end)
            end = pool(k).end;
    poolalloc_free(end);
    CHECK(faults == 4 && last_ptr == end);
    CHECK(total_in_use() == before);
    CHECK(strcmp(poolalloc_fault_name(POOLALLOC_FAULT_FOREIGN_POINTER), "pointer outside every pool") == 0);
}

int main(void)
{
    test_layout();
    test_every_size();
    test_exhaustion_and_recovery();
    test_fallback();
    test_malloc_zero_and_free_null();
    test_realloc();
    test_calloc();
    test_aligned();
    test_mallinfo();
    test_foreign_pointer();
    return check_finish("test_api");
}

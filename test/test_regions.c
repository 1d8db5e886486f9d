/* SPDX-License-Identifier: MIT */
/*
 * Several heap regions (-Dregions; built with two and with three regions,
 * test/regions/): every region serves poolalloc_malloc_in() from its own
 * pools only; free, realloc and malloc_usable_size take a block from any
 * region, found by its address; realloc keeps a block in its region; an
 * exhausted region does not spill into another, and malloc serves from the
 * default region only.  The layout is read through poolalloc_pool_info().
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

#define MAX_BLOCKS 256

static void *blocks[MAX_BLOCKS];

/* Region of the pool holding ptr; POOLALLOC_REGION_COUNT if none. */
static unsigned region_holding(const void *ptr)
{
    size_t k = pool_holding(ptr);
    return k < poolalloc_pool_count() ? pool(k).region : POOLALLOC_REGION_COUNT;
}

/* Largest block of region r. */
static size_t region_largest_block(unsigned r)
{
    size_t largest = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        if (pool(k).region == r && pool(k).block_size > largest)
            largest = pool(k).block_size;
    return largest;
}

static size_t region_capacity(unsigned r)
{
    size_t n = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        if (pool(k).region == r)
            n += pool(k).capacity;
    return n;
}

/* A block from each region, given back through free(). */
static void test_each_region(void)
{
    for (unsigned r = 0; r < POOLALLOC_REGION_COUNT; r++) {
        void *p = poolalloc_malloc_in(r, 1);
        CHECK(p != NULL && region_holding(p) == r);
        CHECK(poolalloc_usable_size(p) >= 1);
        memset(p, 0x5a, poolalloc_usable_size(p));
        poolalloc_free(p);
        CHECK(total_in_use() == 0);
    }
    errno = 0;
    CHECK(poolalloc_malloc_in(POOLALLOC_REGION_COUNT, 1) == NULL && errno == EINVAL);
}

/* realloc moves a block to a larger one of its own region, and fails (the
 * block untouched) past the region's largest block. */
static void test_realloc_stays(void)
{
    for (unsigned r = 0; r < POOLALLOC_REGION_COUNT; r++) {
        unsigned char *p = poolalloc_malloc_in(r, 1);
        CHECK(p != NULL);
        size_t small = poolalloc_usable_size(p);
        memset(p, 0xa5, small);
        size_t largest = region_largest_block(r);
        unsigned char *q = poolalloc_realloc(p, largest);
        CHECK(q != NULL && region_holding(q) == r && poolalloc_usable_size(q) == largest);
        CHECK(q != NULL && q[0] == 0xa5 && q[small - 1] == 0xa5);
        errno = 0;
        if (largest < largest_block()) {
            CHECK(poolalloc_realloc(q, largest + 1) == NULL && errno == ENOMEM);
            CHECK(region_holding(q) == r && poolalloc_usable_size(q) == largest);
        }
        poolalloc_free(q);
        CHECK(total_in_use() == 0);
    }
}

/* Exhausting region r leaves every other region its blocks, and malloc
 * takes only default-region blocks. */
static void test_no_spill(void)
{
    for (unsigned r = 0; r < POOLALLOC_REGION_COUNT; r++) {
        size_t n = 0;
        void *p;
        while (n < MAX_BLOCKS && (p = poolalloc_malloc_in(r, 1)) != NULL) {
            CHECK(region_holding(p) == r);
            blocks[n++] = p;
        }
        CHECK(n == region_capacity(r));
        errno = 0;
        CHECK(poolalloc_malloc_in(r, 1) == NULL && errno == ENOMEM);
        if (r == POOLALLOC_REGION_HEAP) {
            errno = 0;
            CHECK(poolalloc_malloc(1) == NULL && errno == ENOMEM);
        } else {
            p = poolalloc_malloc(1);
            CHECK(p != NULL && region_holding(p) == POOLALLOC_REGION_HEAP);
            poolalloc_free(p);
        }
        for (unsigned i = 1; i < POOLALLOC_REGION_COUNT; i++) {
            /* The lint reads the default build's poolalloc_regions.h (one
             * region); this file is built with two and three. */
            // cppcheck-suppress moduloofone
            unsigned other = (r + i) % POOLALLOC_REGION_COUNT;
            p = poolalloc_malloc_in(other, 1);
            CHECK(p != NULL && region_holding(p) == other);
            poolalloc_free(p);
        }
        while (n > 0)
            poolalloc_free(blocks[--n]);
        CHECK(total_in_use() == 0);
    }
}

/* The layout: every pool in a region, regions numbered from the heap. */
static void test_layout(void)
{
    CHECK(POOLALLOC_REGION_HEAP == 0);
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        CHECK(pool(k).region < POOLALLOC_REGION_COUNT && (k == 0 || pool(k).region >= pool(k - 1).region));
    for (unsigned r = 0; r < POOLALLOC_REGION_COUNT; r++)
        CHECK(region_capacity(r) > 0);
}

int main(void)
{
    test_layout();
    test_each_region();
    test_realloc_stays();
    test_no_spill();
    poolalloc_malloc_stats(); /* a heading per region, named: test/meson.build checks them */
    return check_finish("test_regions");
}

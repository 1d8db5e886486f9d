/* SPDX-License-Identifier: MIT */
/*
 * What a layout costs in instructions: the lookup shape src/gen_layout.py
 * gives it (ported decision by decision: _size_lookup, _orders and
 * _address_lookup; test_cost.py checks that both agree), and a model of
 * the worst-case instructions of malloc and free for that shape, fitted to
 * measurements of the default thumbv7m picolibc build (doc/performance.md,
 * "The tuner's cost model"; bench/cost_calibrate.py measures them).
 */
#include <string.h>

#include "tune.h"

/* gen_layout.py's limits: MAX_LOOKUP_ENTRIES, MAX_ADDRESS_STEPS. */
#define MAX_LOOKUP_ENTRIES 256u
#define MAX_ADDRESS_STEPS 2u

static unsigned bit_length(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x >>= 1)
        n++;
    return n;
}

/* Python's bisect_left on the ascending blocks: how many are below x. */
static size_t blocks_below(const struct tune_layout *lay, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (lay->block[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* _lookup_for_shift: the correction steps of the table for sizes
 * 0..limit at granule 2^s (entry i holds the first pool of size
 * (i - 1) * 2^s + 1; its worst size is its last). */
static unsigned size_steps(const struct tune_layout *lay, uint64_t limit, unsigned s, uint64_t entries)
{
    unsigned steps = 0;
    for (uint64_t i = 1; i < entries; i++) {
        size_t k = blocks_below(lay, lay->count, ((i - 1) << s) + 1);
        uint64_t last = (i << s) < limit ? i << s : limit;
        size_t worst = blocks_below(lay, lay->count, last);
        if (worst - k > steps)
            steps = (unsigned)(worst - k);
    }
    return steps;
}

/* (a, b, c) < (d, e, f), lexicographically. */
static bool key_less(const uint64_t *a, const uint64_t *b)
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i];
    return false;
}

/* _size_lookup: the limit, granule and correction steps with the fewest
 * compares on the worst path, then the smallest table. */
static void size_lookup(const struct tune_layout *lay, bool exact_only, struct tune_shape *sh)
{
    uint64_t best[3] = { 0 };
    bool found = false;
    for (size_t j = lay->count - 1; j-- > 0;) {
        uint64_t limit = lay->block[j], above = lay->count - 2 - j, min_align = UINT64_MAX;
        for (size_t k = 0; k <= j; k++)
            if (tune_natural_align(lay->block[k]) < min_align)
                min_align = tune_natural_align(lay->block[k]);
        unsigned first = bit_length(min_align); /* >= 1: every block has a natural alignment */
        for (unsigned s = first > 0 ? first - 1 : 0; s <= bit_length(limit) && s < 64; s++) {
            uint64_t entries = ((limit + ((uint64_t)1 << s) - 1) >> s) + 1;
            if (entries > MAX_LOOKUP_ENTRIES)
                continue;
            unsigned steps = size_steps(lay, limit, s, entries);
            if (steps > 0 && exact_only)
                continue;
            uint64_t key[3] = { steps > above ? steps : above, steps + above, entries };
            if (!found || key_less(key, best)) {
                memcpy(best, key, sizeof best);
                found = true;
                sh->size_limit = limit;
                sh->size_shift = s;
                sh->size_steps = steps;
                sh->size_entries = (size_t)entries;
            }
            if (steps == 0)
                break;
        }
        if (found && best[0] == 0)
            break;
    }
    for (size_t k = 0; k < lay->count; k++)
        sh->size_compares += lay->block[k] > sh->size_limit;
}

/* Sort idx[0..n) stably by key (insertion sort: at most 255 pools). */
static void stable_sort(size_t *idx, size_t n, const int64_t *key)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;
        for (; j > 0 && key[idx[j - 1]] > key[v]; j--)
            idx[j] = idx[j - 1];
        idx[j] = v;
    }
}

#define ORDER_KINDS 5u

/* _orders: physical order `kind` (0: by block, 1: by bytes, 2: by bytes
 * descending, 3: the small pools spread between the large ones, 4: that
 * reversed), within classes of decreasing natural alignment. */
static void physical_order(const struct tune_layout *lay, unsigned kind, size_t *order)
{
    int64_t key[POOLALLOC_TRACE_MAX_POOLS];
    for (size_t k = 0; k < lay->count; k++)
        key[k] = (int64_t)(lay->block[k] * lay->capacity[k]) * (kind == 2 ? -1 : 1);
    size_t n = 0;
    for (uint64_t a = (uint64_t)1 << 63; a != 0; a >>= 1) {
        size_t cls[POOLALLOC_TRACE_MAX_POOLS], c = 0;
        for (size_t k = 0; k < lay->count; k++)
            if (tune_natural_align(lay->block[k]) == a)
                cls[c++] = k;
        if (kind != 0)
            stable_sort(cls, c, key);
        if (kind == 3 || kind == 4) {
            size_t spread[POOLALLOC_TRACE_MAX_POOLS] = { 0 }, m = 0, half = c / 2;
            for (size_t i = 0; i < c - half || i < half; i++) {
                if (i < c - half)
                    spread[m++] = cls[c - 1 - i];        /* large, largest first */
                if (i < half)
                    spread[m++] = cls[i];                /* small, smallest first */
            }
            for (size_t i = 0; i < c; i++)
                cls[i] = kind == 3 ? spread[i] : spread[c - 1 - i];
        }
        memcpy(&order[n], cls, c * sizeof cls[0]);
        n += c;
    }
}

/* The most pool starts (other than granule boundaries) in one granule
 * 2^a, for pools placed back to back in `order`. */
static unsigned starts_inside(const struct tune_layout *lay, const size_t *order, unsigned a)
{
    unsigned most = 0, run = 0;
    uint64_t off = 0, granule = UINT64_MAX;
    for (size_t i = 0; i < lay->count; i++) {
        if ((off & (((uint64_t)1 << a) - 1)) != 0) {
            run = (off >> a) == granule ? run + 1 : 1;   /* offsets ascend: one granule's starts are adjacent */
            granule = off >> a;
            most = run > most ? run : most;
        }
        off += lay->block[order[i]] * lay->capacity[order[i]];
    }
    return most;
}

/* _address_lookup: the order and granule with the fewest compares, then
 * the smallest table; a compare tree when that is more than
 * MAX_ADDRESS_STEPS. */
static void address_lookup(const struct tune_layout *lay, struct tune_shape *sh)
{
    uint64_t total = 0;
    for (size_t k = 0; k < lay->count; k++)
        total += lay->block[k] * lay->capacity[k];
    bool found = false;
    uint64_t best_steps = 0, best_entries = 0;
    size_t orders[ORDER_KINDS][POOLALLOC_TRACE_MAX_POOLS];
    for (unsigned kind = 0; kind < ORDER_KINDS; kind++) {
        physical_order(lay, kind, orders[kind]);
        bool seen = false;          /* gen_layout.py tries each distinct order once */
        for (unsigned o = 0; o < kind; o++)
            seen |= memcmp(orders[o], orders[kind], lay->count * sizeof orders[0][0]) == 0;
        if (seen)
            continue;
        unsigned from = bit_length(total - 1) + 1 > bit_length(MAX_LOOKUP_ENTRIES)
                        ? bit_length(total - 1) + 1 - bit_length(MAX_LOOKUP_ENTRIES) : 0;
        for (unsigned a = from; a <= bit_length(total); a++) {
            uint64_t entries = (total + ((uint64_t)1 << a) - 1) >> a;
            if (entries > MAX_LOOKUP_ENTRIES)
                continue;
            unsigned steps = starts_inside(lay, orders[kind], a);
            if (!found || steps < best_steps || (steps == best_steps && entries < best_entries)) {
                found = true;
                best_steps = steps;
                best_entries = entries;
                sh->addr_shift = a;
            }
        }
    }
    sh->addr_steps = (unsigned)best_steps;
    sh->addr_entries = (size_t)best_entries;
    sh->addr_tree = best_steps > MAX_ADDRESS_STEPS;
    if (sh->addr_tree) {
        sh->addr_entries = 0;
        sh->addr_shift = 0;
    }
}

void tune_layout_shape(const struct tune_layout *lay, bool exact_size_table, struct tune_shape *sh)
{
    memset(sh, 0, sizeof *sh);
    sh->count = lay->count;
    sh->tree_compares = bit_length(lay->count - 1);
    if (lay->count <= 1)
        return;
    size_lookup(lay, exact_size_table, sh);
    address_lookup(lay, sh);
}

/*
 * The model: instructions per call, the call included, of the default
 * thumbv7m picolibc build (GCC 12.2 -Os, sync=llsc, checks=fast), the
 * longest call bench/wl_drain.c makes on sixteen layouts chosen to vary
 * one term at a time (bench/cost_calibrate.py; doc/performance.md, "The
 * tuner's cost model", has the table); where layouts disagree on a term,
 * the largest.  Interrupt retries are not included.
 *
 * malloc: with fallback the longest is a spill that takes the next pool's
 * last block (it marks that pool empty), or a failing malloc; both look
 * the size up twice (pool_alloc_slow does it again), so each correction
 * step or extra compare counts twice.  A pool of pointer-sized blocks has
 * no free mark and makes the take test for one.  More than 32 pools: the
 * empty-pool map has several words and the search is a loop.
 * free: the pointer lookup, the free mark's test, the push and, with
 * fallback, clearing the pool's empty bit.
 */
#define ONE_POOL_MALLOC 31u                 /* no lookup, no map */
#define ONE_POOL_MALLOC_FALLBACK 56u        /* failing: the fallback path's calls */
#define ONE_POOL_FREE 41u
#define MALLOC_TAKE 38u                     /* fallback off: the take of a pool's last block */
#define MALLOC_FAIL 39u                     /* fallback off: a failing malloc */
#define MALLOC_SPILL 139u                   /* fallback on: a spill that drains the next pool */
#define MALLOC_SPILL_FAIL 94u               /* fallback on: a failing malloc */
#define SMALL_BLOCK_TAKE 4u                 /* a pool of pointer-sized blocks (no free mark) */
#define SMALL_BLOCK_SPILL 7u
#define SIZE_STEP 7u                        /* fallback off: the first correction step */
#define SIZE_STEP_MORE 4u                   /* fallback off: each further step */
#define SIZE_STEP_TWICE 15u                 /* fallback on (two lookups): the first step */
#define SIZE_STEP_TWICE_MORE 8u             /* fallback on: each further step */
#define SIZE_COMPARE 3u                     /* fallback off: per compare beyond the first */
#define SIZE_COMPARE_TWICE 4u               /* fallback on: two lookups */
#define MAP_WORDS_LOOP 15u                  /* fallback on, more than 32 pools */
#define MAP_WORD 12u                        /* per map word beyond two */
#define FREE_BASE 47u
#define FREE_BASE_FALLBACK 59u
#define SMALL_BLOCK_FREE 3u
#define FREE_MAP_WORDS 5u                   /* fallback on, more than 32 pools: the word's address */
#define FREE_TREE 1u                        /* + TREE_COMPARE per level of a compare tree */
#define TREE_COMPARE 3u
#define WALK_PER_BLOCK 13u                  /* bench/wcet.py's static bound of free, per block */

/* The most measured: the compiler's code for a compare varies by 3 or 4
 * instructions from layout to layout (register pressure, block order). */
static const unsigned addr_step_cost[2][MAX_ADDRESS_STEPS + 1] = {
    { 0u, 7u, 13u },                        /* fallback off */
    { 0u, 7u, 13u },                        /* fallback on */
};

static unsigned max_u(unsigned a, unsigned b)
{
    return a > b ? a : b;
}

/* The correction steps' instructions: the first costs more (the loop's
 * set-up), `twice` on the spill path. */
static unsigned steps_cost(unsigned steps, bool twice)
{
    if (steps == 0)
        return 0;
    return twice ? SIZE_STEP_TWICE + SIZE_STEP_TWICE_MORE * (steps - 1) : SIZE_STEP + SIZE_STEP_MORE * (steps - 1);
}

static unsigned malloc_cost(const struct tune_shape *sh, bool small, bool fallback)
{
    unsigned steps = sh->size_steps, extra = sh->size_compares > 1 ? sh->size_compares - 1 : 0;
    if (!fallback)
        return max_u(MALLOC_TAKE + (small ? SMALL_BLOCK_TAKE : 0u), MALLOC_FAIL) +
               max_u(steps_cost(steps, false), SIZE_COMPARE * extra);
    size_t words = (sh->count + 31) / 32;
    unsigned map = words > 1 ? MAP_WORDS_LOOP + MAP_WORD * (unsigned)(words - 2) : 0u;
    /* A spill through the compares: a request for a pool above the limit,
     * not the last (which has no pool to spill into). */
    unsigned spill = MALLOC_SPILL + (small ? SMALL_BLOCK_SPILL : 0u) +
                     max_u(steps_cost(steps, true), extra > 1 ? SIZE_COMPARE_TWICE * (extra - 1) : 0u);
    unsigned fail = MALLOC_SPILL_FAIL + max_u(steps_cost(steps, true), SIZE_COMPARE_TWICE * extra);
    return max_u(spill, fail) + map;
}

static unsigned free_cost(const struct tune_shape *sh, bool small, bool fallback)
{
    unsigned cost = fallback ? FREE_BASE_FALLBACK : FREE_BASE;
    if (sh->addr_tree)
        cost += FREE_TREE + TREE_COMPARE * sh->tree_compares;
    else
        cost += addr_step_cost[fallback][sh->addr_steps];
    if (fallback && sh->count > 32)
        cost += FREE_MAP_WORDS;
    return cost + (small ? SMALL_BLOCK_FREE : 0u);
}

void tune_layout_cost(const struct tune_layout *lay, const struct tune_shape *sh, bool fallback, struct tune_cost *c)
{
    memset(c, 0, sizeof *c);
    c->free_walk_per_block = WALK_PER_BLOCK;
    for (size_t k = 0; k < lay->count; k++)
        if (lay->capacity[k] > c->free_walk_blocks)
            c->free_walk_blocks = lay->capacity[k];
    if (lay->count == 1) {
        c->malloc_worst = fallback ? ONE_POOL_MALLOC_FALLBACK : ONE_POOL_MALLOC;
        c->free_worst = ONE_POOL_FREE;
        return;
    }
    /* Blocks below two pointers have no free mark (src/pool_checks.h). */
    bool small = lay->block[0] < 8u;
    c->malloc_worst = malloc_cost(sh, small, fallback);
    c->free_worst = free_cost(sh, small, fallback);
}

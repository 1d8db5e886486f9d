/* SPDX-License-Identifier: MIT */
/*
 * The layout optimiser: the exact cheapest pool layout for a trace's demand.
 *
 * Model (doc/trace-format.md and tools/tune/README.md say the same): a
 * layout is a set of valid block sizes; every request goes to the pool the
 * allocator tries first (smallest block large enough, and for an
 * over-aligned request naturally aligned enough); a pool's capacity is the
 * peak over time of the live count of the requests it serves; the cost is
 * sum(block * capacity) plus, per pool, the RAM of its state record (the
 * trace's pool_state_size).  Such a layout serves the trace with fallback
 * off as well as on.
 *
 * Search: dynamic programming over candidate blocks in increasing order.  A
 * pool's requests are the plain sizes between the previous block (exclusive)
 * and its own (inclusive), plus the over-aligned classes it is the first to
 * satisfy, so the state is (last block, set of classes served, pools used).
 * Candidates: with no over-aligned requests, each distinct size rounded up
 * to a valid block (an optimal block is always the rounded-up largest size
 * it serves: shrinking it to that changes no routing and costs less); with
 * over-aligned requests, every valid block up to U = the largest size rounded
 * up to a valid multiple of the largest alignment (no optimal block exceeds
 * U: a pool of U serves everything still unserved more cheaply than any
 * larger pools).
 *
 * Peaks: with no over-aligned requests (the common case) the pools that
 * start at a given size are all evaluated in one sweep of the demand: the
 * peak tree (peak_tree.c) has a leaf per candidate block k, and a demand
 * change of size s >= the pool's first size adds to leaves k >= the first
 * candidate that holds s, so leaf k ends with the peak of the pool [lo, k].
 * The demand is kept as a stream of (leaf, walk) steps; the steps below a
 * row's first candidate are left out and neighbours on the same leaf merged
 * into one walk (a malloc followed by a free of the same size is one
 * step).  PEAK_LANES rows share a sweep, one lane each (peak_lanes).  Only
 * pools of at most `span` candidates (n / 32 at first) get their exact
 * peak, from the steps of their window; a longer pool gets a lower bound,
 * the most of its blocks live at one of a few snapshot instants
 * (chunk_areas), and if the optimum with those bounds uses no long pool it
 * is the optimum (its costs are exact, every other layout's only too low);
 * otherwise span grows fourfold.
 *
 * The programme over those peaks: without a pool limit O(n^2); with one
 * below the candidate count, a price per pool bisected until the cheapest
 * priced layout fits (exact when it has exactly the limit's pools), else
 * the programme with the pool count in the state, pruned by the prices'
 * bounds (plain_optimum).  Measured (tools/tune/README.md, "Speed"): 3000
 * sizes and 20 000 records in 0.2 s, 5000 sizes and 1 M records in 2-3 s
 * (87 s with a sweep per row and the pool count in every state).  With
 * over-aligned classes a pool's peak is one sweep of the demand,
 * memoised, for each (lo, hi, classes) the programme asks for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

#define MAX_CANDIDATES_ALIGNED 2048u
#define INF UINT64_MAX
#define AREA_CHUNKS 32u            /* instants of the snapshot bound (chunk_areas), at most */
#define STEPS_PER_INSTANT 256u     /* fewer instants for fewer steps: a short trace takes the exact path */

/* A run of demand changes on one leaf of the peak tree: the leaf's count
 * rises by `high` at most and ends `delta` above where it started. */
struct walk_step {
    uint32_t leaf;
    int32_t delta, high;
};

struct dp {
    const struct tune_model *m;
    void (*progress)(size_t done, size_t total);
    uint64_t pool_state_bytes; /* RAM of each pool's state record */
    uint64_t ptr, align;       /* the target's pointer size and -Dalignment */
    uint64_t *cand;            /* candidate blocks, ascending */
    size_t ncand;
    size_t *hi;                /* hi[j] = first size index with size > cand[j] */
    size_t *plain_prefix;      /* plain_prefix[i] = used plain sizes among 0..i-1 */
    bool *class_used;
    size_t classes;            /* K */
    uint32_t full;             /* the classes some request uses */
    uint32_t *peak_cache;      /* [(lo, hi, delta)] + 1; 0 = not computed; NULL = none */
    size_t nsizes;
    /* States (j, mask, p): j = 0 (no pool yet) or 1 + candidate index of the
     * last pool; mask = classes served; p = pools used (only when limited). */
    size_t max_pools;
    bool limited;              /* max_pools < ncand: the pool count is part of the state */
    size_t masks, pdim, nstates;
    uint64_t *cost;            /* cheapest cost of reaching each state, INF if unreachable */
    uint32_t *back;            /* the state it was reached from */
    uint64_t *peak_at;         /* the peak of the last pool of each state */
    /* Rows of peaks (no over-aligned classes): */
    struct walk_step *steps;   /* the demand as walks on the leaves */
    struct walk_step *window;  /* those of one block of rows (peak_block) */
    uint64_t *area;            /* area[c * (ncand + 1) + k]: live blocks of leaves < k at instant c */
    size_t instants;           /* of area: 1 .. AREA_CHUNKS */
    size_t step_count;
    struct peak_lanes tree;    /* a leaf per candidate, a lane per row of a block */
    uint64_t *rows;            /* rows[r * ncand + k]: peak of the pool [row j0 + r's lo, cand[k]] */
    uint32_t *tri;             /* every pool's peak: tri[tri_at(d, j, k)] (plain requests only) */
};

static size_t state_of(const struct dp *d, size_t j, size_t mask, size_t p)
{
    return (j * d->masks + mask) * d->pdim + p;
}

/* Where the pool of candidates j .. k (j <= k) is in d->tri: row j holds
 * k = j .. ncand - 1. */
static size_t tri_at(const struct dp *d, size_t j, size_t k)
{
    size_t before = j == 0 ? 0 : j * d->ncand - j * (j - 1) / 2;    /* rows 0 .. j - 1 */
    return before + (k - j);
}

/* Peak live count of plain sizes [lo, hi) plus the classes in delta. */
static uint64_t peak_of(struct dp *d, size_t lo, size_t hi, uint32_t delta)
{
    size_t slot = 0;
    if (d->peak_cache != NULL) {
        slot = ((lo * (d->nsizes + 1) + hi) << d->classes) | delta;
        if (d->peak_cache[slot] != 0)
            return d->peak_cache[slot] - 1u;
    }
    const struct tune_model *m = d->m;
    int64_t live = 0, peak = 0;
    for (size_t i = 0; i < m->demand_count; i++) {
        uint32_t key = m->demand[i].key;
        bool in = key < m->size_count ? (key >= lo && key < hi)
                                      : ((delta >> (key - m->size_count)) & 1u) != 0;
        if (in) {
            live += m->demand[i].delta;
            if (live > peak)
                peak = live;
        }
    }
    if (d->peak_cache != NULL && peak < (int64_t)UINT32_MAX)
        d->peak_cache[slot] = (uint32_t)peak + 1u;
    return (uint64_t)peak;
}

static int out_of_memory(char *err, size_t err_len)
{
    (void)snprintf(err, err_len, "out of memory");
    return -1;
}

/* Append candidate y to d->cand when it is at most `top` (room grows as
 * needed); 0, or -1 when out of memory or over MAX_CANDIDATES_ALIGNED. */
static int push_candidate(struct dp *d, size_t *room, uint64_t y, uint64_t top)
{
    if (y > top)
        return 0;
    if (d->ncand == *room) {
        size_t more = *room * 2 + 64;
        uint64_t *grown = realloc(d->cand, more * sizeof *grown);
        if (grown == NULL)
            return -1;
        d->cand = grown;
        *room = more;
    }
    d->cand[d->ncand++] = y;
    return 0;
}

/* The blocks a pool whose requests need at least x bytes and alignment g
 * (1: plain requests only) can have in an optimal layout: the least valid
 * multiple of g from x, and when that is a multiple of 2g (so perhaps of a
 * larger alignment some other pool serves), the next one, which is not. */
static int push_pair(struct dp *d, size_t *room, uint64_t x, uint64_t g, uint64_t top)
{
    uint64_t y = tune_round_valid(x, g, d->ptr, d->align);
    uint64_t step = g > d->align ? g : d->align;
    if (push_candidate(d, room, y, top) != 0)
        return -1;
    return y >= d->align && y % (2 * step) == 0 ? push_candidate(d, room, y + step, top) : 0;
}

/* The candidate blocks with over-aligned classes.  An optimal layout has
 * one whose every block b is the least valid y >= x that is a multiple of
 * g and a multiple of no alignment of the classes served above b (shrinking
 * b to that y changes no request's pool and costs less), where g is the
 * largest alignment of b's classes (1 if none) and x the larger of its
 * largest request and the block below plus one.  Such a y is push_pair's
 * (x, g).  x is a request size, or the block below + 1 when b serves only
 * classes that fit the block below but not its alignment: then g is above
 * that block's natural alignment, so these chains climb the alignments
 * and end within one round per alignment.  No block exceeds `top` (the
 * comment at the top of the file).  0, or -1 with err. */
static int aligned_candidates(struct dp *d, uint64_t top, char *err, size_t err_len)
{
    const struct tune_model *m = d->m;
    size_t room = 0;
    uint64_t g[TUNE_MAX_CLASSES + 1] = { 1 };
    size_t ng = 1;
    for (size_t c = 0; c < m->class_count; c++)
        if (d->class_used[c])
            g[ng++] = m->classes[c].align;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->size_count; i++) {
        bool plain = d->plain_prefix[i + 1] != d->plain_prefix[i], aligned = false;
        for (size_t c = 0; c < m->class_count; c++)
            aligned |= d->class_used[c] && m->classes[c].size_index == i;
        for (size_t a = 0; rc == 0 && (plain || aligned) && a < ng; a++)
            rc = push_pair(d, &room, m->sizes[i], g[a], top);
    }
    for (size_t round = 0, done = 0; rc == 0 && round < ng; round++) {
        size_t end = d->ncand;
        for (size_t k = done; rc == 0 && k < end; k++)
            for (size_t a = 1; rc == 0 && a < ng; a++)
                if (g[a] > tune_natural_align(d->cand[k]))
                    rc = push_pair(d, &room, d->cand[k] + 1, g[a], top);
        done = end;
    }
    if (rc != 0)
        return out_of_memory(err, err_len);
    d->ncand = tune_sort_unique(d->cand, d->ncand);
    if (d->ncand > MAX_CANDIDATES_ALIGNED) {
        (void)snprintf(err, err_len, "%zu candidate blocks (over-aligned requests with %zu distinct sizes): the "
                       "exact search handles at most %u", d->ncand, m->size_count, MAX_CANDIDATES_ALIGNED);
        return -1;
    }
    return 0;
}

/* Fill d->cand; 0, or -1 with err. */
static int candidates(struct dp *d, char *err, size_t err_len)
{
    const struct tune_model *m = d->m;
    uint64_t max_size = 0, max_align = 1;
    for (size_t i = 0; i < m->size_count; i++)
        if (d->plain_prefix[i + 1] != d->plain_prefix[i] && m->sizes[i] > max_size)
            max_size = m->sizes[i];
    for (size_t c = 0; c < m->class_count; c++) {
        if (!d->class_used[c])
            continue;
        if (m->sizes[m->classes[c].size_index] > max_size)
            max_size = m->sizes[m->classes[c].size_index];
        if (m->classes[c].align > max_align)
            max_align = m->classes[c].align;
    }
    uint64_t top = tune_round_valid(max_size, max_align, d->ptr, d->align);
    if (max_size > UINT32_MAX || max_align > UINT32_MAX || top > UINT32_MAX) {
        (void)snprintf(err, err_len, "a request of %llu bytes (alignment %llu) needs a block above 4 GiB",
                       (unsigned long long)max_size, (unsigned long long)max_align);
        return -1;
    }
    if (d->classes == 0) {
        d->cand = malloc((m->size_count + 1) * sizeof *d->cand);
        if (d->cand == NULL)
            return out_of_memory(err, err_len);
        for (size_t i = 0; i < m->size_count; i++)
            if (d->plain_prefix[i + 1] != d->plain_prefix[i])
                d->cand[d->ncand++] = tune_round_valid(m->sizes[i], 1, d->ptr, d->align);
        d->ncand = tune_sort_unique(d->cand, d->ncand);
    } else if (aligned_candidates(d, top, err, err_len) != 0) {
        return -1;
    }
    d->hi = malloc((d->ncand + 1) * sizeof *d->hi);
    if (d->hi == NULL)
        return out_of_memory(err, err_len);
    size_t i = 0;
    for (size_t j = 0; j < d->ncand; j++) {
        while (i < m->size_count && m->sizes[i] <= d->cand[j])
            i++;
        d->hi[j] = i;
    }
    return 0;
}

static void free_dp(struct dp *d)
{
    free(d->steps);
    free(d->window);
    free(d->area);
    free(d->rows);
    free(d->tri);
    free(d->peak_at);
    peak_lanes_free(&d->tree);
    free(d->cand);
    free(d->hi);
    free(d->plain_prefix);
    free(d->class_used);
    free(d->peak_cache);
    free(d->cost);
    free(d->back);
}

/* Which plain sizes (d->plain_prefix) and classes (d->class_used, d->full)
 * some demand uses.  0, or -1 with err. */
static int mark_used(struct dp *d, char *err, size_t err_len)
{
    const struct tune_model *m = d->m;
    d->plain_prefix = calloc(m->size_count + 1, sizeof *d->plain_prefix);
    d->class_used = calloc(m->class_count + 1, sizeof *d->class_used);
    bool *plain_used = calloc(m->size_count + 1, sizeof *plain_used);
    if (d->plain_prefix == NULL || d->class_used == NULL || plain_used == NULL) {
        free(plain_used);
        return out_of_memory(err, err_len);
    }
    for (size_t i = 0; i < m->demand_count; i++) {
        uint32_t key = m->demand[i].key;
        if (key < m->size_count)
            plain_used[key] = true;
        else
            d->class_used[key - m->size_count] = true;
    }
    for (size_t i = 0; i < m->size_count; i++)
        d->plain_prefix[i + 1] = d->plain_prefix[i] + plain_used[i];
    free(plain_used);
    for (size_t c = 0; c < m->class_count; c++)
        if (d->class_used[c])
            d->full |= 1u << c;
    return 0;
}

/* The state arrays (every state unreachable but the start) and, when it is
 * small enough to pay off and not there yet, the peak cache.  0, or -1 with err. */
static int alloc_states(struct dp *d, size_t max_pools, char *err, size_t err_len)
{
    size_t sizes = d->nsizes + 1;
    d->masks = (size_t)1 << d->classes;
    if (d->classes > 0 && d->peak_cache == NULL && sizes * sizes * d->masks <= ((size_t)1 << 22)) {
        d->peak_cache = calloc(sizes * sizes * d->masks, sizeof *d->peak_cache);
        if (d->peak_cache == NULL)
            return out_of_memory(err, err_len);
    }
    /* With no pool limit below the candidate count, the count is not tracked. */
    d->max_pools = max_pools;
    d->limited = max_pools < d->ncand;
    d->pdim = d->limited ? max_pools + 1 : 1;
    d->nstates = (d->ncand + 1) * d->masks * d->pdim;
    d->cost = calloc(d->nstates, sizeof *d->cost);
    d->back = calloc(d->nstates, sizeof *d->back);
    d->peak_at = calloc(d->nstates, sizeof *d->peak_at);
    if (d->cost == NULL || d->back == NULL || d->peak_at == NULL)
        return out_of_memory(err, err_len);
    for (size_t s = 0; s < d->nstates; s++)
        d->cost[s] = INF;
    d->cost[state_of(d, 0, 0, 0)] = 0;
    return 0;
}

/* The classes not in `mask` that a pool of `block` is the first to serve. */
static uint32_t classes_served(const struct dp *d, uint64_t block, size_t mask)
{
    const struct tune_model *m = d->m;
    uint32_t delta = 0;
    for (size_t c = 0; c < d->classes; c++)
        if ((d->full >> c & 1u) != 0 && (mask >> c & 1u) == 0 &&
            tune_block_serves(block, m->sizes[m->classes[c].size_index], m->classes[c].align))
            delta |= 1u << c;
    return delta;
}

/* Relax every state (j, mask, .) with the pool of candidate k, which serves
 * the plain sizes [lo, hi) and the classes it is the first to serve. */
static void add_pool(struct dp *d, size_t j, size_t k, size_t lo, size_t mask)
{
    uint64_t peak = 0;
    uint64_t block = d->cand[k];
    size_t hi = d->hi[k];
    uint32_t delta = classes_served(d, block, mask);
    if (d->plain_prefix[hi] == d->plain_prefix[lo] && delta == 0)
        return;                              /* the pool would serve nothing */
    uint64_t pool_cost = UINT64_MAX;
    for (size_t p = 0; p < d->pdim; p++) {
        uint64_t base = d->cost[state_of(d, j, mask, p)];
        if (base == INF || (d->limited && p == d->max_pools))
            continue;
        if (pool_cost == UINT64_MAX) {
            peak = d->tri != NULL ? d->tri[tri_at(d, j, k)] : peak_of(d, lo, hi, delta);
            pool_cost = block * peak + d->pool_state_bytes;
        }
        size_t to = state_of(d, k + 1, mask | delta, d->limited ? p + 1 : 0);
        if (base + pool_cost < d->cost[to]) {
            d->cost[to] = base + pool_cost;
            d->back[to] = (uint32_t)state_of(d, j, mask, p);
            d->peak_at[to] = peak;
        }
    }
}

/* Snapshots of the live counts at d->instants instants (one per
 * STEPS_PER_INSTANT steps, 1 to AREA_CHUNKS): in each slice of the steps,
 * the one after which the most blocks are live in all.
 * d->area[c * (ncand + 1) + k] = live blocks of the leaves below k at
 * instant c, so that a pool's live count at the instant is a difference,
 * and the largest of those a lower bound of its peak in O(AREA_CHUNKS)
 * (fill_peaks).  Two sweeps: find the instants, then copy the counts
 * there.  0, or -1 with err. */
static int chunk_areas(struct dp *d, char *err, size_t err_len)
{
    size_t n = d->ncand, steps = d->step_count, at[AREA_CHUNKS];
    size_t chunks = steps / STEPS_PER_INSTANT;
    d->instants = chunks < 1 ? 1 : chunks > AREA_CHUNKS ? AREA_CHUNKS : chunks;
    int64_t *live = calloc(n + 1, sizeof *live), total = 0;
    d->area = calloc(AREA_CHUNKS * (n + 1), sizeof *d->area);
    if (live == NULL || d->area == NULL) {
        free(live);
        return out_of_memory(err, err_len);
    }
    for (size_t c = 0, i = 0; c < d->instants; c++) {
        int64_t most = -1;
        at[c] = SIZE_MAX;
        for (size_t end = steps * (c + 1) / d->instants; i < end; i++) {
            total += d->steps[i].delta;
            if (total > most) {
                most = total;
                at[c] = i;
            }
        }
    }
    for (size_t c = 0, i = 0; c < d->instants; c++) {
        uint64_t *snap = &d->area[c * (n + 1)];
        for (; at[c] != SIZE_MAX && i <= at[c]; i++)
            live[d->steps[i].leaf] += d->steps[i].delta;
        for (size_t l = 0; l < n && at[c] != SIZE_MAX; l++)
            snap[l + 1] = snap[l] + (uint64_t)live[l];
    }
    free(live);
    return 0;
}

/* The snapshot bound of the pool of candidates j .. k: the most of its
 * blocks live at one of the snapshot instants. */
static uint64_t average_bound(const struct dp *d, size_t j, size_t k)
{
    uint64_t best = 0;
    for (size_t c = 0; c < d->instants; c++) {
        const uint64_t *snap = &d->area[c * (d->ncand + 1)];
        uint64_t live = snap[k + 1] - snap[j];
        best = live > best ? live : best;
    }
    return best;
}

/* The demand as steps on the leaves (no over-aligned classes): a size's
 * leaf is the first candidate that holds it.  0, or -1 with err. */
static int build_steps(struct dp *d, char *err, size_t err_len)
{
    const struct tune_model *m = d->m;
    if (m->demand_count > INT32_MAX) {
        (void)snprintf(err, err_len, "%zu demand changes: more than the search handles", m->demand_count);
        return -1;
    }
    d->steps = malloc((m->demand_count + 1) * sizeof *d->steps);
    d->rows = calloc(PEAK_LANES * d->ncand, sizeof *d->rows);
    d->window = malloc((m->demand_count + 1) * sizeof *d->window);
    d->tri = malloc((d->ncand * (d->ncand + 1) / 2 + 1) * sizeof *d->tri);
    if (d->steps == NULL || d->window == NULL || d->rows == NULL || d->tri == NULL ||
        peak_lanes_init(&d->tree, d->ncand) != 0)
        return out_of_memory(err, err_len);
    /* Candidate k holds the sizes [hi[k - 1], hi[k]); every used size is
     * below hi[ncand - 1]. */
    uint32_t *leaf_of = malloc((m->size_count + 1) * sizeof *leaf_of);
    if (leaf_of == NULL)
        return out_of_memory(err, err_len);
    for (size_t k = 0, i = 0; k < d->ncand; k++)
        for (; i < d->hi[k]; i++)
            leaf_of[i] = (uint32_t)k;
    for (size_t i = 0; i < m->demand_count; i++) {
        int32_t delta = m->demand[i].delta;
        d->steps[i] = (struct walk_step){ leaf_of[m->demand[i].key], delta, delta > 0 ? delta : 0 };
    }
    free(leaf_of);
    d->step_count = m->demand_count;
    return chunk_areas(d, err, err_len);
}

/* Rows j0 .. j0 + PEAK_LANES - 1 in one pass, row j0 + r in lane r, over
 * the candidates [j0, j0 + width): d->rows[r * ncand + k] = peak of the
 * pool that starts after candidate j0 + r - 1 and ends at candidate k >=
 * j0 + r.  A step on leaf l counts in the rows that start at l or below
 * (lanes [0, l - j0]) and in no leaf below l: steps outside the window
 * are left out, and neighbours on one leaf left together merge into one
 * walk (a malloc and a free of one size). */
static void peak_block(struct dp *d, size_t j0, size_t width)
{
    size_t kept = 0;
    for (size_t i = 0; i < d->step_count; i++) {
        struct walk_step s = d->steps[i];
        if (s.leaf < j0 || s.leaf - j0 >= width)
            continue;
        struct walk_step *last = kept > 0 ? &d->window[kept - 1] : NULL;
        if (last != NULL && last->leaf == s.leaf) {
            if (last->delta + s.high > last->high)
                last->high = last->delta + s.high;
            last->delta += s.delta;
        } else {
            d->window[kept++] = s;
        }
    }
    peak_lanes_clear(&d->tree, width);
    for (size_t i = 0; i < kept; i++) {
        size_t at = d->window[i].leaf - j0;
        unsigned lanes = at + 1 < PEAK_LANES ? (unsigned)at + 1 : PEAK_LANES;
        peak_lanes_walk_suffix(&d->tree, at, d->window[i].delta, d->window[i].high, lanes);
    }
    /* Leaf k - j0 of the tree is candidate k. */
    peak_lanes_collect(&d->tree, d->rows + j0, d->ncand);
}

/* The dynamic programme: states of j are final before j is expanded
 * (pools only grow).  Each pool (j, k, classes) has its peak computed once,
 * then every state of j is relaxed with it. */
static void relax_all(struct dp *d)
{
    for (size_t j = 0; j <= d->ncand; j++) {
        size_t lo = j == 0 ? 0 : d->hi[j - 1];
        if (d->progress != NULL)
            d->progress(j, d->ncand);
        for (size_t k = j; k < d->ncand; k++)
            for (size_t mask = 0; mask < d->masks; mask++)
                if ((mask & ~(size_t)d->full) == 0)
                    add_pool(d, j, k, lo, mask);
    }
}

/* The cheapest final state (every plain size and every class served), or
 * SIZE_MAX when none is reachable. */
static size_t best_final_state(const struct dp *d)
{
    size_t best = SIZE_MAX;
    for (size_t j = 1; j <= d->ncand; j++) {
        if (d->plain_prefix[d->nsizes] != d->plain_prefix[d->hi[j - 1]])
            continue;
        for (size_t p = 0; p < d->pdim; p++) {
            size_t s = state_of(d, j, (size_t)d->full, p);
            if (d->cost[s] != INF && (best == SIZE_MAX || d->cost[s] < d->cost[best]))
                best = s;
        }
    }
    return best;
}

/* The layout of state `best`: walk back one pool per step, from the
 * largest down, then put the pools in increasing order. */
static void walk_back(struct dp *d, size_t best, struct tune_optimum *out)
{
    size_t count = 0;
    for (size_t s = best; s != state_of(d, 0, 0, 0) && count < POOLALLOC_TRACE_MAX_POOLS; s = d->back[s]) {
        size_t j = s / d->pdim / d->masks;
        out->layout.block[count] = d->cand[j - 1];
        out->peak[count] = d->peak_at[s];
        count++;
    }
    out->layout.count = count;
    for (size_t a = 0, b = count > 0 ? count - 1 : 0; a < b; a++, b--) {
        uint64_t t = out->layout.block[a];
        out->layout.block[a] = out->layout.block[b];
        out->layout.block[b] = t;
        t = out->peak[a];
        out->peak[a] = out->peak[b];
        out->peak[b] = t;
    }
}

/* The pools of the layout of state `best`. */
static size_t pools_of(const struct dp *d, size_t best)
{
    size_t count = 0;
    for (size_t s = best; s != state_of(d, 0, 0, 0); s = d->back[s])
        count++;
    return count;
}

/* The programme with at most max_pools pools (SIZE_MAX: any number) from
 * fresh states: *best the cheapest final state, SIZE_MAX when none.  0, or
 * -1 with err. */
static int solve(struct dp *d, size_t max_pools, size_t *best, char *err, size_t err_len)
{
    free(d->cost);
    free(d->back);
    free(d->peak_at);
    d->cost = NULL;
    d->back = NULL;
    d->peak_at = NULL;
    if (alloc_states(d, max_pools, err, err_len) != 0)
        return -1;
    relax_all(d);
    *best = best_final_state(d);
    return 0;
}

/* Every pool's peak into d->tri, PEAK_LANES rows per pass over the
 * demand, exact for the pools of at most `span` candidates; a longer pool
 * [j, k] gets a lower bound: the larger of the peak of [j, j + span - 1]
 * (a pool's peak only grows with its last candidate) and average_bound. */
static void fill_peaks(struct dp *d, size_t span)
{
    size_t n = d->ncand;
    for (size_t j0 = 0; j0 < n; j0 += PEAK_LANES) {
        size_t width = n - j0 < PEAK_LANES - 1 + span ? n - j0 : PEAK_LANES - 1 + span;
        if (d->progress != NULL)
            d->progress(j0, n);
        peak_block(d, j0, width);
        for (size_t j = j0; j < n && j < j0 + PEAK_LANES; j++)
            for (size_t k = j; k < n; k++) {     /* a peak counts records: it fits 32 bits */
                uint64_t peak = d->rows[(j - j0) * n + (k - j < span ? k : j + span - 1)];
                if (k - j >= span) {
                    uint64_t average = average_bound(d, j, k);
                    peak = average > peak ? average : peak;
                }
                d->tri[tri_at(d, j, k)] = (uint32_t)peak;
            }
    }
    if (d->progress != NULL)
        d->progress(n, n);
}

/* The most candidates a pool of o's layout spans (pools ascending). */
static size_t widest_pool(const struct dp *d, const struct tune_optimum *o)
{
    size_t widest = 0, first = 0;
    for (size_t p = 0; p < o->layout.count; p++) {
        size_t k = 0;
        while (d->cand[k] != o->layout.block[p])
            k++;
        widest = k + 1 - first > widest ? k + 1 - first : widest;
        first = k + 1;
    }
    return widest;
}

/* The programme with a price of `lambda` bytes per pool and no pool limit
 * (plain requests; states j = 0 .. ncand as in relax_all, with the fewest
 * pools among the cheapest): cost[j], pools[j], from[j].  The final state,
 * or SIZE_MAX. */
struct priced {
    uint64_t *cost;
    uint32_t *pools, *from;
};

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static size_t priced_programme(const struct dp *d, uint64_t lambda, struct priced *s)
{
    size_t n = d->ncand, best = SIZE_MAX;
    for (size_t j = 0; j <= n; j++) {
        s->cost[j] = j == 0 ? 0 : INF;
        s->pools[j] = 0;
        s->from[j] = 0;
    }
    for (size_t j = 0; j < n; j++) {
        size_t lo = j == 0 ? 0 : d->hi[j - 1];
        for (size_t k = j; s->cost[j] != INF && k < n; k++) {
            if (d->plain_prefix[d->hi[k]] == d->plain_prefix[lo])
                continue;                        /* the pool would serve nothing */
            uint64_t c = add_sat(s->cost[j], add_sat(d->cand[k] * d->tri[tri_at(d, j, k)],
                                                     d->pool_state_bytes + lambda));
            uint32_t pools = s->pools[j] + 1;
            if (c < s->cost[k + 1] || (c == s->cost[k + 1] && pools < s->pools[k + 1])) {
                s->cost[k + 1] = c;
                s->pools[k + 1] = pools;
                s->from[k + 1] = (uint32_t)j;
            }
        }
    }
    for (size_t j = 1; j <= n; j++)
        if (s->cost[j] != INF && d->plain_prefix[d->nsizes] == d->plain_prefix[d->hi[j - 1]] &&
            (best == SIZE_MAX || s->cost[j] < s->cost[best] ||
             (s->cost[j] == s->cost[best] && s->pools[j] < s->pools[best])))
            best = j;
    return best;
}

/* The layout of final state `best` of a priced programme, pools ascending. */
static void priced_layout(const struct dp *d, const struct priced *s, size_t best, struct tune_optimum *out)
{
    size_t count = s->pools[best];
    out->layout.count = count;
    for (size_t j = best, p = count; p-- > 0; j = s->from[j]) {
        out->layout.block[p] = d->cand[j - 1];
        out->peak[p] = d->tri[tri_at(d, s->from[j], j - 1)];
    }
}

/* suffix[j]: the least cost, at a price of lambda per pool, of pools
 * serving every size above state j's (0 at a final state). */
static void priced_suffix(const struct dp *d, uint64_t lambda, uint64_t *suffix)
{
    size_t n = d->ncand;
    for (size_t j = n + 1; j-- > 0;) {
        size_t lo = j == 0 ? 0 : d->hi[j - 1];
        suffix[j] = j > 0 && d->plain_prefix[d->nsizes] == d->plain_prefix[lo] ? 0 : INF;
        for (size_t k = j; suffix[j] != 0 && k < n; k++)
            if (d->plain_prefix[d->hi[k]] != d->plain_prefix[lo] && suffix[k + 1] != INF) {
                uint64_t c = add_sat(add_sat(d->cand[k] * d->tri[tri_at(d, j, k)], d->pool_state_bytes + lambda),
                                     suffix[k + 1]);
                suffix[j] = c < suffix[j] ? c : suffix[j];
            }
    }
}

/* The programme with the pool count in the state, pruned: a state (j, p)
 * of cost c can end no cheaper than c + suffix[j] - lambda * (max_pools -
 * p) (the remaining pools cost their priced suffix less their price), so
 * states whose bound reaches `upper` (a layout already found) are not
 * expanded.  *out is the cheaper layout it finds, or count 0 when none
 * beats `upper`.  0, or -1 with err. */
static int bounded_search(struct dp *d, size_t max_pools, uint64_t lambda, uint64_t upper,
                          struct tune_optimum *out, char *err, size_t err_len)
{
    size_t n = d->ncand;
    uint64_t *suffix = calloc(n + 1, sizeof *suffix);
    uint32_t *alive = malloc((max_pools + 1) * sizeof *alive);
    free(d->cost);                               /* a previous search's states */
    free(d->back);
    free(d->peak_at);
    d->cost = NULL;
    d->back = NULL;
    d->peak_at = NULL;
    if (suffix == NULL || alive == NULL || alloc_states(d, max_pools, err, err_len) != 0) {
        free(suffix);
        free(alive);
        return out_of_memory(err, err_len);
    }
    priced_suffix(d, lambda, suffix);
    for (size_t j = 0; j < n; j++) {
        size_t lo = j == 0 ? 0 : d->hi[j - 1], live = 0;
        for (size_t p = 0; p < max_pools; p++) {
            uint64_t c = d->cost[state_of(d, j, 0, p)];
            if (c != INF && add_sat(c, suffix[j]) < add_sat(upper, lambda * (max_pools - p)))
                alive[live++] = (uint32_t)p;
        }
        for (size_t k = j; live > 0 && k < n; k++) {
            if (d->plain_prefix[d->hi[k]] == d->plain_prefix[lo])
                continue;
            uint64_t peak = d->tri[tri_at(d, j, k)], pool = d->cand[k] * peak + d->pool_state_bytes;
            for (size_t a = 0; a < live; a++) {
                size_t from = state_of(d, j, 0, alive[a]), to = state_of(d, k + 1, 0, alive[a] + 1u);
                if (d->cost[from] + pool < d->cost[to]) {
                    d->cost[to] = d->cost[from] + pool;
                    d->back[to] = (uint32_t)from;
                    d->peak_at[to] = peak;
                }
            }
        }
    }
    size_t best = best_final_state(d);
    out->layout.count = 0;
    if (best != SIZE_MAX && d->cost[best] < upper)
        walk_back(d, best, out);
    free(suffix);
    free(alive);
    return 0;
}

/* The cheapest layout of at most max_pools pools for plain requests.  With
 * a price of lambda per pool, the cheapest layout (fewest pools among
 * equals) uses fewer pools as lambda grows.  Without a price it is the
 * optimum if it fits the limit.  Otherwise a bisection finds the least
 * lambda whose layout fits; if that layout has exactly max_pools pools it
 * is the optimum (any layout L' of at most max_pools pools has cost(L') +
 * lambda * pools(L') >= cost + lambda * max_pools, so cost(L') >= cost);
 * if not (the optimum is not on the lower hull of cost against pool
 * count), bounded_search looks for a cheaper one, with that layout as its
 * upper bound and lambda's prices as its lower bounds.  O(n^2 log cost)
 * and what the bounds leave of O(n^2 max_pools).  *found false when no
 * layout serves.  0, or -1 with err. */
static int plain_optimum(struct dp *d, size_t max_pools, struct tune_optimum *out, bool *found, char *err,
                         size_t err_len)
{
    size_t n = d->ncand;
    struct priced s = { malloc((n + 1) * sizeof *s.cost), malloc((n + 1) * sizeof *s.pools),
                        malloc((n + 1) * sizeof *s.from) };
    int rc = s.cost == NULL || s.pools == NULL || s.from == NULL ? out_of_memory(err, err_len) : 0;
    size_t best = rc == 0 ? priced_programme(d, 0, &s) : SIZE_MAX;
    if (best != SIZE_MAX && s.pools[best] > max_pools) {
        uint64_t lo = 0, hi = add_sat(d->cand[n - 1] * d->tri[tri_at(d, 0, n - 1)], d->pool_state_bytes + 1);
        while (hi - lo > 1) {                    /* pools(lo) > max_pools >= pools(hi) */
            uint64_t mid = lo + (hi - lo) / 2;
            size_t b = priced_programme(d, mid, &s);
            *(s.pools[b] > max_pools ? &lo : &hi) = mid;
        }
        best = priced_programme(d, hi, &s);
        if (s.pools[best] != max_pools) {
            rc = bounded_search(d, max_pools, hi, s.cost[best] - hi * s.pools[best], out, err, err_len);
            if (rc != 0 || out->layout.count > 0) {
                *found = rc == 0;                /* a cheaper one, or an error */
                best = SIZE_MAX;
            }
        }
    }
    if (best != SIZE_MAX) {
        priced_layout(d, &s, best, out);
        *found = true;
    }
    free(s.cost);
    free(s.pools);
    free(s.from);
    return rc;
}

/* block_bytes and total_bytes of o's layout. */
uint64_t tune_layout_bytes(const struct tune_layout *lay, uint64_t pool_state_bytes)
{
    uint64_t bytes = pool_state_bytes * lay->count;
    for (size_t k = 0; k < lay->count; k++)
        bytes += lay->block[k] * lay->capacity[k];
    return bytes;
}

void tune_count_bytes(struct tune_optimum *o)
{
    o->total_bytes = tune_layout_bytes(&o->layout, o->pool_state_bytes);
    o->block_bytes = o->total_bytes - o->pool_state_bytes * o->layout.count;
}

/* Plain requests: pools of short spans first, the longer ones at a lower
 * bound of their cost (fill_peaks); the cheapest layout of short pools
 * only is the cheapest of all (its costs are exact, the others' only too
 * low).  Otherwise spans four times as long.  *found as plain_optimum's;
 * 0, or -1 with err. */
static int plain_search(struct dp *d, size_t max_pools, struct tune_optimum *out, bool *found, char *err,
                        size_t err_len)
{
    if (build_steps(d, err, err_len) != 0)
        return -1;
    for (size_t span = d->ncand / 32 > 2 ? d->ncand / 32 : 2;; span *= 4) {
        span = span < d->ncand ? span : d->ncand;
        fill_peaks(d, span);
        if (plain_optimum(d, max_pools, out, found, err, err_len) != 0)
            return -1;
        if (!*found || span == d->ncand || widest_pool(d, out) <= span)
            return 0;
    }
}

/* With classes the pool count in the state multiplies the programme's
 * work by the limit: first without it, which usually needs fewer pools
 * anyway.  *found as plain_search's; 0, or -1 with err. */
static int class_search(struct dp *d, size_t max_pools, struct tune_optimum *out, bool *found, char *err,
                        size_t err_len)
{
    size_t best = SIZE_MAX;
    if (max_pools < d->ncand) {
        if (solve(d, SIZE_MAX, &best, err, err_len) != 0)
            return -1;
        if (best != SIZE_MAX && pools_of(d, best) > max_pools)
            best = SIZE_MAX;
    }
    if (best == SIZE_MAX && solve(d, max_pools, &best, err, err_len) != 0)
        return -1;
    *found = best != SIZE_MAX;
    if (*found)
        walk_back(d, best, out);
    return 0;
}

int tune_optimise(const struct tune_model *m, const struct tune_target *target, struct tune_optimum *out,
                  char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    out->layout.malloc_align = target->alignment;
    out->pool_state_bytes = target->pool_state_bytes;
    struct dp d = { .m = m, .progress = target->progress, .pool_state_bytes = target->pool_state_bytes,
                    .ptr = target->pointer_size, .align = target->alignment, .classes = m->class_count,
                    .nsizes = m->size_count };
    size_t max_pools = target->max_pools;
    if (max_pools == 0 || max_pools > POOLALLOC_TRACE_MAX_POOLS)
        max_pools = POOLALLOC_TRACE_MAX_POOLS;
    if (m->class_count > TUNE_MAX_CLASSES) {
        (void)snprintf(err, err_len, "%zu distinct over-aligned (size, alignment) requests; the exact "
                       "search handles at most %u", m->class_count, TUNE_MAX_CLASSES);
        return -1;
    }
    bool found = false;
    int rc = mark_used(&d, err, err_len);
    if (rc == 0 && d.plain_prefix[m->size_count] == 0 && d.full == 0) {
        free_dp(&d);
        return 0;                            /* nothing to serve */
    }
    if (rc == 0)
        rc = candidates(&d, err, err_len);
    if (rc == 0)
        rc = d.classes == 0 ? plain_search(&d, max_pools, out, &found, err, err_len)
                            : class_search(&d, max_pools, out, &found, err, err_len);
    if (rc == 0 && !found) {
        (void)snprintf(err, err_len, "no layout of at most %zu pools serves every request", max_pools);
        rc = -1;
    }
    for (size_t k = 0; rc == 0 && k < out->layout.count; k++)
        out->layout.capacity[k] = out->peak[k];
    if (rc == 0)
        tune_count_bytes(out);
    free_dp(&d);
    return rc;
}

bool tune_headroom(struct tune_optimum *o, uint64_t budget, long headroom_pct)
{
    struct tune_layout *lay = &o->layout;
    if (lay->count == 0 || budget <= o->total_bytes)
        return headroom_pct <= 0;
    uint64_t left = budget - o->total_bytes;
    bool fitted = true;
    if (headroom_pct >= 0) {
        uint64_t extra[POOLALLOC_TRACE_MAX_POOLS], need = 0;
        for (size_t k = 0; k < lay->count; k++) {
            extra[k] = (o->peak[k] * (uint64_t)headroom_pct + 99) / 100;
            need += extra[k] * lay->block[k];
        }
        if (need <= left) {
            for (size_t k = 0; k < lay->count; k++)
                lay->capacity[k] += extra[k];
            o->block_bytes += need;
            o->total_bytes += need;
            return true;
        }
        fitted = false;
    }
    /* Fill: first whole multiples of every pool's peak, then one block at a
     * time to the pool with the least spare per peak block. */
    uint64_t round = 0;
    for (size_t k = 0; k < lay->count; k++)
        round += lay->block[k] * o->peak[k];
    uint64_t t = round == 0 ? 0 : left / round;
    for (size_t k = 0; k < lay->count; k++)
        lay->capacity[k] += t * o->peak[k];
    left -= t * round;
    for (;;) {
        size_t best = SIZE_MAX;
        for (size_t k = 0; k < lay->count; k++) {
            if (lay->block[k] > left)
                continue;
            if (best == SIZE_MAX) {
                best = k;
                continue;
            }
            /* (spare_k + 1) / peak_k < (spare_best + 1) / peak_best ? */
            uint64_t sk = lay->capacity[k] - o->peak[k] + 1, sb = lay->capacity[best] - o->peak[best] + 1;
            uint64_t lhs = sk * o->peak[best], rhs = sb * o->peak[k];
            if (lhs < rhs || (lhs == rhs && o->peak[k] > o->peak[best]))
                best = k;
        }
        if (best == SIZE_MAX)
            break;
        lay->capacity[best]++;
        left -= lay->block[best];
    }
    tune_count_bytes(o);
    return fitted;
}

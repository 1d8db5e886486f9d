/* SPDX-License-Identifier: MIT */
/*
 * The fallback-aware optimiser: the cheapest layout found among those that
 * rely on the allocator's fallback (a full pool spills into the larger
 * ones), verified by replaying the trace, with a lower bound no such layout
 * can beat.
 *
 * Algorithm:
 *
 *  1. Candidates are the requested sizes rounded up to valid blocks (an
 *     optimal block is the rounded-up largest size it serves).  P[c] is the
 *     peak over time of the live requests that no pool below candidate c
 *     can hold (size > cand[c - 1]; P[0] counts every request).  One sweep
 *     of the demand with the peak tree over c (peak_tree.c: range add,
 *     historic maximum per leaf): O(E log n) for E demand changes, n
 *     candidates.
 *
 *  2. Lower bound.  In any layout that serves the trace, the pools from the
 *     j-th up hold at least P[first candidate above block j-1] blocks at
 *     once (Hall's condition: those requests fit nowhere else), so with
 *     S_j = capacity of pools j.. and b_0 = 0,
 *         cost = sum_j b_j c_j = sum_j (b_j - b_{j-1}) S_j
 *              >= sum_j (b_j - b_{j-1}) P[above b_{j-1}]  (+ records).
 *     The right side depends only on consecutive blocks, so its minimum
 *     over all block sets is a shortest path over candidates, computed with
 *     a monotone convex-hull trick in O(n) per pool count: O(n * pools).
 *     That minimum is a lower bound for every layout with fallback.
 *
 *  3. The bound's blocks with capacities c_j = S_j - S_{j+1} meet Hall's
 *     condition at every instant, but blocks do not migrate: a request that
 *     spilled upwards keeps its larger block after a smaller one frees.  So
 *     the layout is replayed (tune_replay, the allocator's exact rules; each
 *     trace on its own when several must be served) and
 *     every failure adds a block to the pool that request tried first, until
 *     the replay is clean; then each repaired pool is trimmed back by binary
 *     search to the least capacity that still replays clean.
 *
 * The distance from the result to the bound is printed: the result is
 * optimal when they meet.  Over-aligned requests are not handled here (the
 * exact optimiser of optimise.c serves them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

#define MAX_REPAIR_ROUNDS 64u
#define SEED_SPREAD 1u     /* pool counts tried on either side of the bound's best */
#define TRIM_ALL_POOLS 32u /* larger layouts: only the repaired pools are trimmed */

static int out_of_memory(char *err, size_t err_len)
{
    (void)snprintf(err, err_len, "out of memory");
    return -1;
}

/* ---- Step 1: the threshold peaks (peak_tree.c) ---------------------------- */

/* peak[c] for c in [0, n): the most live requests at once whose first
 * candidate is c or above; first[key] is a plain size's first candidate. */
static int threshold_peaks(const struct tune_model *m, const size_t *first, size_t n, uint64_t *peak)
{
    struct peak_tree t;
    if (peak_tree_init(&t, n) != 0)
        return -1;
    for (size_t i = 0; i < m->demand_count; i++)
        peak_tree_add(&t, 0, first[m->demand[i].key] + 1, m->demand[i].delta);
    peak_tree_collect(&t, peak);
    peak_tree_free(&t);
    return 0;
}

/* ---- Step 2: the bound's blocks, by a convex-hull shortest path ------------- */

/* A pool after candidate i (i = -1: none yet) contributes the line
 * y = P[i+1] * x + (best[i] - P[i+1] * cand[i]), evaluated at x = cand[k]
 * of the next pool.  Slopes fall as i grows (P is non-increasing), queries
 * rise: a monotone hull, each line pushed and popped once per layer. */
__extension__ typedef __int128 wide; /* products of two 64-bit values */

struct line {
    int64_t slope, offset;
    size_t from; /* i + 1 */
};

static wide at(const struct line *l, int64_t x)
{
    return (wide)l->slope * x + l->offset;
}

/* True if b is never below both a and c (a.slope > b.slope > c.slope). */
static bool useless(const struct line *a, const struct line *b, const struct line *c)
{
    return (wide)(c->offset - a->offset) * (a->slope - b->slope) <=
           (wide)(b->offset - a->offset) * (a->slope - c->slope);
}

/* One layer: next[k] = min over i < k of prev[i] + P[i+1] (cand[k] - cand[i])
 * + record; prev[-1] (no pool yet) is prev_none.  INT64_MAX = unreachable. */
static void layer(const uint64_t *cand, const uint64_t *peak, size_t n, int64_t prev_none, const int64_t *prev,
                  int64_t *next, size_t *from, struct line *hull, uint64_t record)
{
    size_t head = 0, tail = 0;
    for (size_t k = 0; k < n; k++) {
        /* Add the line of "the previous pool ends at candidate k - 1" (for
         * the first layer only k = 0: no previous pool). */
        int64_t base = k == 0 ? prev_none : prev == NULL ? INT64_MAX : prev[k - 1];
        if (base != INT64_MAX) {
            int64_t slope = (int64_t)peak[k];
            struct line l = { slope, base - slope * (k == 0 ? 0 : (int64_t)cand[k - 1]), k };
            bool dominated = tail > head && hull[tail - 1].slope == slope && hull[tail - 1].offset <= l.offset;
            if (!dominated) {
                while (tail > head && hull[tail - 1].slope == slope)
                    tail--;
                // cppcheck-suppress knownConditionTrueFalse ; false positive: the loop above may leave 2 or more
                while (tail - head >= 2 && useless(&hull[tail - 2], &hull[tail - 1], &l))
                    tail--;
                hull[tail++] = l;
            }
        }
        if (tail == head) {
            next[k] = INT64_MAX;
            continue;
        }
        int64_t x = (int64_t)cand[k];
        while (tail - head >= 2 && at(&hull[head + 1], x) <= at(&hull[head], x))
            head++;
        next[k] = (int64_t)at(&hull[head], x) + (int64_t)record;
        from[k] = hull[head].from;
    }
}

/* ---- Step 3: verify by replay, repair, trim ---------------------------------- */

/* The traces a layout must serve, each replayed on its own. */
struct traces {
    const struct trace *const *t;
    size_t count;
};

/* The failures of every trace on `lay`, summed into *r. */
static int replay_failures(const struct traces *t, const struct tune_layout *lay, struct tune_replay *r)
{
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < t->count; i++) {
        struct tune_replay one;
        if (tune_replay(t->t[i], lay, true, false, 0, &one) != 0)
            return -1;
        r->failures += one.failures;
        r->invalid += one.invalid;
        r->failures_no_pool += one.failures_no_pool;
        for (size_t k = 0; k < lay->count; k++)
            r->pool[k].failures += one.pool[k].failures;
        tune_replay_free(&one);
    }
    return 0;
}

/* Smallest capacity of pool k (between lo and hi, hi known to work) with a
 * clean replay, the others fixed. */
static int trim(const struct traces *t, struct tune_layout *lay, size_t k, uint64_t lo)
{
    uint64_t hi = lay->capacity[k];
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        struct tune_replay r;
        lay->capacity[k] = mid;
        if (replay_failures(t, lay, &r) != 0)
            return -1;
        if (r.failures == r.invalid + r.failures_no_pool)
            hi = mid;
        else
            lo = mid + 1;
        tune_replay_free(&r);
    }
    lay->capacity[k] = hi;
    return 0;
}

/* Rounds of replay-and-grow until the replay is clean.  Requests no layout
 * of these blocks can serve (invalid, too large) are not the layout's. */
static int repair(const struct traces *t, struct tune_layout *lay, unsigned *rounds, char *err, size_t err_len)
{
    for (*rounds = 0;; ++*rounds) {
        struct tune_replay r;
        if (replay_failures(t, lay, &r) != 0)
            goto oom;
        uint64_t real = r.failures - r.invalid - r.failures_no_pool;
        if (real == 0) {
            tune_replay_free(&r);
            return 0;
        }
        if (*rounds == MAX_REPAIR_ROUNDS) {
            tune_replay_free(&r);
            (void)snprintf(err, err_len, "the fallback layout still fails %llu requests after %u repairs",
                           (unsigned long long)real, MAX_REPAIR_ROUNDS);
            return -1;
        }
        for (size_t k = 0; k < lay->count; k++)
            lay->capacity[k] += r.pool[k].failures;
        tune_replay_free(&r);
    }
oom:
    (void)snprintf(err, err_len, "out of memory");
    return -1;
}

/* A clean layout made cheaper: each pool, the largest blocks first, down
 * to the least capacity that still replays clean with the others fixed;
 * rounds until nothing moves.  Every step is a replay of the whole trace,
 * so a layout of more than TRIM_ALL_POOLS pools gets one pass over the
 * pools the repair grew only, each down to at most `floor` (the capacity
 * before the repair; NULL: none is trimmed).  A pool trimmed to nothing is
 * dropped. */
static int trim_all(const struct traces *t, struct tune_layout *lay, const uint64_t *floor)
{
    if (lay->count <= TRIM_ALL_POOLS) {
        for (bool moved = true; moved;) {
            moved = false;
            for (size_t k = lay->count; k-- > 0;) {
                uint64_t before = lay->capacity[k];
                if (trim(t, lay, k, 0) != 0)
                    return -1;
                moved |= lay->capacity[k] != before;
            }
        }
    } else if (floor != NULL) {
        for (size_t k = lay->count; k-- > 0;)
            if (lay->capacity[k] > floor[k] && trim(t, lay, k, floor[k]) != 0)
                return -1;
    }
    size_t kept = 0;
    for (size_t k = 0; k < lay->count; k++)
        if (lay->capacity[k] > 0) {
            lay->block[kept] = lay->block[k];
            lay->capacity[kept++] = lay->capacity[k];
        }
    lay->count = kept;
    return 0;
}

/* The bound's layout with `count` pools (from[] of its layers), capacities
 * S_j - S_{j+1}. */
static void bound_layout(const uint64_t *cand, const uint64_t *peak, size_t n, const size_t *from, size_t count,
                         struct tune_layout *lay)
{
    size_t k = n - 1;
    for (size_t p = count; p-- > 0;) {
        lay->block[p] = cand[k];
        size_t start = from[p * n + k]; /* the previous pool ended at start - 1 */
        lay->capacity[p] = peak[start] - (k + 1 < n ? peak[k + 1] : 0);
        k = start - 1;
    }
    lay->count = count;
}

/* ---- The search ---------------------------------------------------------------- */

/* The search's state: the candidate blocks and their threshold peaks
 * (step 1), the bound's layers (step 2), and what the seeds are checked
 * against (step 3). */
struct search {
    struct traces traces;
    uint64_t pointer_size, alignment, record;
    size_t max_pools;
    size_t n;           /* candidates */
    uint64_t *cand;     /* candidate blocks, ascending */
    size_t *first;      /* first[i]: the first candidate that holds size i */
    uint64_t *peak;     /* P[c] of step 1 */
    size_t layers;      /* pool counts 1..layers */
    int64_t *cost;      /* cost[p * n + k]: the bound with p + 1 pools, the last at k */
    size_t *from;       /* from[p * n + k]: where that last pool starts */
    struct line *hull;
};

static void search_free(struct search *s)
{
    free(s->cand);
    free(s->first);
    free(s->peak);
    free(s->cost);
    free(s->from);
    free(s->hull);
}

/* 1 (with err) when the model has over-aligned requests, else 0. */
static int plain_only(const struct tune_model *m, char *err, size_t err_len)
{
    for (size_t i = 0; i < m->demand_count; i++)
        if (m->demand[i].key >= m->size_count) {
            (void)snprintf(err, err_len, "over-aligned requests: only the exact search serves them");
            return 1;
        }
    return 0;
}

/* Step 1: the candidate blocks and their threshold peaks.  0, or -1 with
 * err. */
static int search_candidates(struct search *s, const struct tune_model *m, char *err, size_t err_len)
{
    s->cand = malloc((m->size_count + 1) * sizeof *s->cand);
    s->first = malloc((m->size_count + 1) * sizeof *s->first);
    s->peak = calloc(m->size_count + 1, sizeof *s->peak);
    if (s->cand == NULL || s->first == NULL || s->peak == NULL)
        return out_of_memory(err, err_len);
    for (size_t i = 0; i < m->size_count; i++) {
        uint64_t block = tune_round_valid(m->sizes[i], 1, s->pointer_size, s->alignment);
        if (block > UINT32_MAX) {
            (void)snprintf(err, err_len, "a request of %llu bytes needs a block above 4 GiB",
                           (unsigned long long)m->sizes[i]);
            return -1;
        }
        if (s->n == 0 || s->cand[s->n - 1] != block)
            s->cand[s->n++] = block;
        s->first[i] = s->n - 1;
    }
    if (s->n == 0 || m->demand_count == 0)
        return 0;
    if (threshold_peaks(m, s->first, s->n, s->peak) != 0)
        return out_of_memory(err, err_len);
    if (s->peak[0] > (uint64_t)INT64_MAX / 4 / s->cand[s->n - 1]) {
        (void)snprintf(err, err_len, "%llu live blocks of up to %llu bytes: beyond the search's arithmetic",
                       (unsigned long long)s->peak[0], (unsigned long long)s->cand[s->n - 1]);
        return -1;
    }
    return 0;
}

/* Step 2: layers p = 1 .. max_pools of the bound; *best_p the pool count
 * (less one) of the least, *bound that least.  0, or -1 with err. */
static int search_bound(struct search *s, size_t *best_p, uint64_t *bound, char *err, size_t err_len)
{
    size_t n = s->n;
    s->layers = s->max_pools < n ? s->max_pools : n;
    s->cost = calloc(s->layers * n, sizeof *s->cost);
    s->from = malloc(s->layers * n * sizeof *s->from);
    s->hull = malloc(n * sizeof *s->hull);
    if (s->cost == NULL || s->from == NULL || s->hull == NULL)
        return out_of_memory(err, err_len);
    *best_p = 0;
    for (size_t p = 0; p < s->layers; p++) {
        layer(s->cand, s->peak, n, p == 0 ? 0 : INT64_MAX, p == 0 ? NULL : &s->cost[(p - 1) * n], &s->cost[p * n],
              &s->from[p * n], s->hull, s->record);
        if (s->cost[p * n + n - 1] < s->cost[*best_p * n + n - 1])
            *best_p = p;
    }
    *bound = (uint64_t)s->cost[*best_p * n + n - 1];
    return 0;
}

/* Step 3, the bound's seeds: its layouts with about as many pools as its
 * best (best_p + 1), each repaired and trimmed; the cheapest into *lay
 * (the best bound is not always the best after repair).  0, or -1 with
 * err. */
static int search_seeds(const struct search *s, size_t best_p, struct tune_layout *lay, unsigned *repairs,
                        char *err, size_t err_len)
{
    bool found = false;
    size_t n = s->n;
    for (size_t p = best_p > SEED_SPREAD ? best_p - SEED_SPREAD : 0; p < s->layers && p <= best_p + SEED_SPREAD;
         p++) {
        if (s->cost[p * n + n - 1] == INT64_MAX)
            continue;
        struct tune_layout seeded = { .malloc_align = s->alignment };
        bound_layout(s->cand, s->peak, n, s->from, p + 1, &seeded);
        unsigned rounds;
        uint64_t before[POOLALLOC_TRACE_MAX_POOLS];
        memcpy(before, seeded.capacity, sizeof before);
        if (repair(&s->traces, &seeded, &rounds, err, err_len) != 0 || trim_all(&s->traces, &seeded, before) != 0)
            return -1;
        if (!found || tune_layout_bytes(&seeded, s->record) < tune_layout_bytes(lay, s->record)) {
            *lay = seeded;
            *repairs = rounds;
            found = true;
        }
    }
    return 0;
}

/* Step 3, the other seed: the no-fallback optimum is clean too; trimmed
 * with fallback in mind it sometimes ends cheaper than *lay (its pools'
 * blocks are not the bound's).  0, or -1 with err. */
static int search_other_seed(const struct search *s, const struct tune_layout *seed, struct tune_layout *lay,
                             char *err, size_t err_len)
{
    if (seed == NULL || seed->count == 0)
        return 0;
    struct tune_layout other = *seed;
    if (trim_all(&s->traces, &other, NULL) != 0)
        return out_of_memory(err, err_len);
    if (tune_layout_bytes(&other, s->record) < tune_layout_bytes(lay, s->record))
        *lay = other;
    return 0;
}

int tune_optimise_fallback(const struct trace *const *traces, size_t trace_count, const struct tune_model *m,
                           const struct tune_target *target, const struct tune_layout *seed, struct tune_fallback *out,
                           char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    struct tune_layout *lay = &out->optimum.layout;
    lay->malloc_align = target->alignment;
    if (plain_only(m, err, err_len) != 0)
        return 1;
    struct search s = { .traces = { traces, trace_count }, .pointer_size = target->pointer_size,
                        .alignment = target->alignment, .record = target->pool_state_bytes,
                        .max_pools = target->max_pools };
    if (s.max_pools == 0 || s.max_pools > POOLALLOC_TRACE_MAX_POOLS)
        s.max_pools = POOLALLOC_TRACE_MAX_POOLS;
    size_t best_p = 0;
    int rc = search_candidates(&s, m, err, err_len);
    if (rc == 0 && s.n > 0 && m->demand_count > 0) {
        rc = search_bound(&s, &best_p, &out->lower_bound, err, err_len);
        if (rc == 0)
            rc = search_seeds(&s, best_p, lay, &out->repairs, err, err_len);
        if (rc == 0)
            rc = search_other_seed(&s, seed, lay, err, err_len);
        for (size_t p = 0; rc == 0 && p < lay->count; p++)
            out->optimum.peak[p] = lay->capacity[p];
        out->optimum.pool_state_bytes = s.record;
        tune_count_bytes(&out->optimum);
    }
    search_free(&s);
    return rc;
}

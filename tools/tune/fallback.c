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
 *     the replay is clean; then each repaired pool is trimmed back (by
 *     steps of 1, 2, 4 ..., then by bisection) to the least capacity that
 *     still replays clean.
 *
 *  4. Local search from the cheapest of those seeds (and the exact
 *     optimiser's layout, trimmed): a pool removed, its block one candidate
 *     down or up, a block more in it, a block moved to the next pool or
 *     back, a pool inserted at a candidate; each move repaired and trimmed,
 *     the first that saves bytes taken, until none does.  A move whose
 *     blocks' own step-2 bound is no cheaper than the best is not replayed.
 *     Layouts of at most TRIM_ALL_POOLS pools, SEARCH_RECORDS records
 *     replayed at most.
 *
 *  5. Branch and bound, when there are at most EXHAUST_CANDIDATES
 *     candidates: every layout is searched, or the search proves none is
 *     cheaper.  Only candidates need be tried (a block between two serves
 *     what the lower one serves, and costs more), the top pool is the
 *     largest candidate with requests, and a capacity above the number of
 *     its requests live at once changes nothing; --max-pools limits the
 *     depth.  The pools are chosen from
 *     the smallest up, each a (block, capacity).  What the chosen pools do
 *     not hold does not depend on the pools above them (a request tries its
 *     first pool, then the larger ones, and every chosen pool is below the
 *     rest), so one replay with the top pool unlimited gives the stream X
 *     of requests left to the rest, and Q, the most of them live at once;
 *     the top pool with capacity Q completes a layout that replays exactly
 *     so: clean.  The rest holds X and nothing else, so step 2's argument
 *     applied to X bounds it: its first pool (block b) and those above hold
 *     Q blocks at once, and the pools above b hold X's requests larger than
 *     b, which are all of the trace's (the chosen blocks are below b):
 *         rest >= min over b of  b Q + togo(b),
 *         togo(b) = record + min over the next block b' of (b' - b) P[above b] + togo(b').
 *     A next pool with v blocks leaves a stream of at least Q - v and at
 *     least P[above its block] live at once: that bounds a child before its
 *     replay.  Children are searched least bound first.  A pool that never
 *     filled its v blocks behaves the same with any more, so larger v are
 *     skipped.  When the search ends within EXHAUST_RECORDS records
 *     replayed, its best is optimal and the printed bound is raised to it;
 *     otherwise to the least bound of a child it left unsearched (every
 *     layout not searched lies below one of them), if that is more.
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
#define TRIM_ALL_POOLS 128u /* larger layouts: only the repaired pools are trimmed */
/* Steps 4 and 5 are bounded by the records they replay (about 300 M a
 * second, search_replay.c): the json workload's 9197-record trace needs
 * about 60 M in step 5 to prove its optimum; on 29 000-record library-like
 * traces these budgets take about 3 s in all. */
#define SEARCH_RECORDS 200000000u   /* step 4 */
#define EXHAUST_CANDIDATES 64u      /* step 5 only with this many candidate blocks at most */
#define EXHAUST_RECORDS 400000000u  /* step 5 */
#define EXHAUST_TABLE (1u << 18)    /* entries of step 5's table of least costs at most */

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

/* The traces a layout must serve, each replayed on its own, compiled
 * (search_replay.c). */
struct traces {
    struct compiled_trace *c;
    size_t count;
    uint8_t *obj_pool; /* scratch: a pool number per object of the longest */
    uint8_t *first;    /* scratch: a first pool per request of the longest table */
    uint64_t events;   /* records of one replay of them all */
    uint64_t spent;    /* records replayed so far (the local search's budget) */
};

/* The traces compiled: 0, or -1 when out of memory. */
static int traces_init(struct traces *t, const struct trace *const *traces, size_t count, uint64_t alignment)
{
    uint32_t objects = 1, requests = 1;
    t->c = calloc(count, sizeof *t->c);
    if (t->c == NULL)
        return -1;
    t->count = count;
    for (size_t i = 0; i < count; i++) {
        if (compiled_trace_init(&t->c[i], traces[i], alignment) != 0)
            return -1;
        t->events += traces[i]->event_count;
        objects = t->c[i].objects > objects ? t->c[i].objects : objects;
        requests = t->c[i].requests > requests ? t->c[i].requests : requests;
    }
    t->obj_pool = malloc(objects);
    t->first = malloc(requests);
    return t->obj_pool == NULL || t->first == NULL ? -1 : 0;
}

static void traces_free(struct traces *t)
{
    for (size_t i = 0; t->c != NULL && i < t->count; i++)
        compiled_trace_free(&t->c[i]);
    free(t->c);
    free(t->obj_pool);
    free(t->first);
}

/* The failures and high waters of every trace on `lay`: failures summed,
 * high waters the largest, into *r. */
static void replay_all(struct traces *t, const struct tune_layout *lay, struct compiled_result *r)
{
    t->spent += t->events;
    compiled_replay(&t->c[0], lay, t->obj_pool, t->first, r);
    for (size_t i = 1; i < t->count; i++) {
        struct compiled_result one;
        compiled_replay(&t->c[i], lay, t->obj_pool, t->first, &one);
        r->failures += one.failures;
        r->invalid += one.invalid;
        r->failures_no_pool += one.failures_no_pool;
        for (size_t k = 0; k < lay->count; k++) {
            r->pool_failures[k] += one.pool_failures[k];
            r->high_water[k] = one.high_water[k] > r->high_water[k] ? one.high_water[k] : r->high_water[k];
        }
    }
}

/* True if `lay` serves every request of the traces that some layout of its
 * blocks can serve (invalid and too large ones are not the layout's). */
static bool clean(struct traces *t, const struct tune_layout *lay)
{
    struct compiled_result r;
    replay_all(t, lay, &r);
    return r.failures == r.invalid + r.failures_no_pool;
}

/* Smallest capacity of pool k (between lo and its capacity, known to
 * work) with a clean replay, the others fixed.  It gallops down from the
 * capacity before the binary search: a pool already at its least (most of
 * them, in the local search) costs one replay. */
static void trim(struct traces *t, struct tune_layout *lay, size_t k, uint64_t lo)
{
    uint64_t hi = lay->capacity[k];
    for (uint64_t step = 1; lo < hi; step *= 2) {
        uint64_t mid = hi - lo > step ? hi - step : lo;
        lay->capacity[k] = mid;
        if (!clean(t, lay)) {
            lo = mid + 1;
            break;
        }
        hi = mid;
    }
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        lay->capacity[k] = mid;
        if (clean(t, lay))
            hi = mid;
        else
            lo = mid + 1;
    }
    lay->capacity[k] = hi;
}

/* Rounds of replay-and-grow until the replay is clean.  Requests no layout
 * of these blocks can serve (invalid, too large) are not the layout's.  0
 * when clean; 1 (with err) when still failing after MAX_REPAIR_ROUNDS. */
static int repair(struct traces *t, struct tune_layout *lay, unsigned *rounds, char *err, size_t err_len)
{
    for (*rounds = 0;; ++*rounds) {
        struct compiled_result r;
        replay_all(t, lay, &r);
        uint64_t real = r.failures - r.invalid - r.failures_no_pool;
        if (real == 0)
            return 0;
        if (*rounds == MAX_REPAIR_ROUNDS) {
            (void)snprintf(err, err_len, "the fallback layout still fails %llu requests after %u repairs",
                           (unsigned long long)real, MAX_REPAIR_ROUNDS);
            return 1;
        }
        for (size_t k = 0; k < lay->count; k++)
            lay->capacity[k] += r.pool_failures[k];
    }
}

/* A clean layout made cheaper: each pool, the largest blocks first, down
 * to the least capacity that still replays clean with the others fixed;
 * rounds until nothing moves.  Every step is a replay of the whole trace,
 * so a layout of more than TRIM_ALL_POOLS pools gets one pass over the
 * pools the repair grew only, each down to at most `floor` (the capacity
 * before the repair; NULL: none is trimmed).  A pool trimmed to nothing is
 * dropped. */
static void trim_all(struct traces *t, struct tune_layout *lay, const uint64_t *floor)
{
    if (lay->count <= TRIM_ALL_POOLS) {
        for (bool moved = true; moved;) {
            moved = false;
            for (size_t k = lay->count; k-- > 0;) {
                uint64_t before = lay->capacity[k];
                trim(t, lay, k, 0);
                moved |= lay->capacity[k] != before;
            }
        }
    } else if (floor != NULL) {
        for (size_t k = lay->count; k-- > 0;)
            if (lay->capacity[k] > floor[k])
                trim(t, lay, k, floor[k]);
    }
    size_t kept = 0;
    for (size_t k = 0; k < lay->count; k++)
        if (lay->capacity[k] > 0) {
            lay->block[kept] = lay->block[k];
            lay->capacity[kept++] = lay->capacity[k];
        }
    lay->count = kept;
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
    traces_free(&s->traces);
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
static int search_seeds(struct search *s, size_t best_p, struct tune_layout *lay, unsigned *repairs,
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
        if (repair(&s->traces, &seeded, &rounds, err, err_len) != 0)
            return -1;
        trim_all(&s->traces, &seeded, before);
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
 * blocks are not the bound's). */
static void search_other_seed(struct search *s, const struct tune_layout *seed, struct tune_layout *lay)
{
    if (seed == NULL || seed->count == 0)
        return;
    struct tune_layout other = *seed;
    trim_all(&s->traces, &other, NULL);
    if (tune_layout_bytes(&other, s->record) < tune_layout_bytes(lay, s->record))
        *lay = other;
}

/* ---- Step 4: local search ------------------------------------------------------ */

/* The index of candidate `block` (present: every pool's block is one). */
static size_t cand_index(const struct search *s, uint64_t block)
{
    size_t lo = 0, hi = s->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cand[mid] < block)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Step 2's bound for the blocks of `lay` alone: no capacities of these
 * blocks cost less, so a move to them is not worth a replay when this is
 * no less than the best found. */
static uint64_t blocks_bound(const struct search *s, const struct tune_layout *lay)
{
    uint64_t sum = 0, below = 0;
    size_t above = 0; /* the first candidate above the previous block */
    for (size_t j = 0; j < lay->count; j++) {
        sum += (lay->block[j] - below) * s->peak[above] + s->record;
        below = lay->block[j];
        above = cand_index(s, below) + 1;
    }
    return sum;
}

/* `trial` repaired, trimmed, and into *best when cheaper.  1 if it was, 0
 * if not, -1 when out of memory. */
static int try_layout(struct search *s, struct tune_layout *trial, struct tune_layout *best)
{
    uint64_t cost = tune_layout_bytes(best, s->record);
    if (blocks_bound(s, trial) >= cost)
        return 0;
    unsigned rounds;
    if (repair(&s->traces, trial, &rounds, NULL, 0) != 0)
        return 0;
    trim_all(&s->traces, trial, NULL);
    if (tune_layout_bytes(trial, s->record) >= cost)
        return 0;
    *best = *trial;
    return 1;
}

/* Pool k removed: its requests go to the next pool up, with its blocks. */
static void move_drop(struct tune_layout *lay, size_t k)
{
    lay->capacity[k + 1] += lay->capacity[k];
    memmove(&lay->block[k], &lay->block[k + 1], (lay->count - k - 1) * sizeof lay->block[0]);
    memmove(&lay->capacity[k], &lay->capacity[k + 1], (lay->count - k - 1) * sizeof lay->capacity[0]);
    lay->count--;
}

/* A pool of cand[c] inserted before pool k; its capacity a first guess
 * (the trim corrects it): P above the pool below it less P above it, at
 * least 1. */
static void move_insert(const struct search *s, struct tune_layout *lay, size_t k, size_t c)
{
    size_t above = k == 0 ? 0 : cand_index(s, lay->block[k - 1]) + 1;
    uint64_t blocks = s->peak[above] - s->peak[c + 1];
    memmove(&lay->block[k + 1], &lay->block[k], (lay->count - k) * sizeof lay->block[0]);
    memmove(&lay->capacity[k + 1], &lay->capacity[k], (lay->count - k) * sizeof lay->capacity[0]);
    lay->block[k] = s->cand[c];
    lay->capacity[k] = blocks > 0 ? blocks : 1;
    lay->count++;
}

/* The moves of pool k below the largest (its removal, its block one
 * candidate down or up, a block more in it, a block from it to the next
 * pool or back), each repaired and trimmed, while none improves *best.  1
 * if one did, 0 if none, -1 when out of memory. */
static int pool_moves(struct search *s, struct tune_layout *best, size_t k)
{
    size_t here = cand_index(s, best->block[k]);
    size_t low = k == 0 ? 0 : cand_index(s, best->block[k - 1]) + 1;
    size_t high = cand_index(s, best->block[k + 1]);
    struct tune_layout trial = *best;
    move_drop(&trial, k);
    int rc = try_layout(s, &trial, best);
    if (rc == 0 && here > low) {
        trial = *best;
        trial.block[k] = s->cand[here - 1];
        rc = try_layout(s, &trial, best);
    }
    if (rc == 0 && here + 1 < high) {
        trial = *best;
        trial.block[k] = s->cand[here + 1];
        rc = try_layout(s, &trial, best);
    }
    if (rc == 0) {
        trial = *best;
        trial.capacity[k]++;
        rc = try_layout(s, &trial, best);
    }
    for (size_t from = k; from <= k + 1 && rc == 0; from++) {
        size_t to = from == k ? k + 1 : k;
        if (best->capacity[from] == 0)
            continue;
        trial = *best;
        trial.capacity[from]--;
        trial.capacity[to]++;
        rc = try_layout(s, &trial, best);
    }
    return rc;
}

/* A pool inserted before pool k here each candidate between pool k - 1 and
 * pool k, while none improves *best.  1 if one did, 0 if none, -1 when out
 * of memory. */
static int insert_moves(struct search *s, struct tune_layout *best, size_t k, uint64_t budget)
{
    size_t low = k == 0 ? 0 : cand_index(s, best->block[k - 1]) + 1;
    size_t here = cand_index(s, best->block[k]);
    int rc = 0;
    for (size_t c = low; c < here && rc == 0 && best->count < s->max_pools && s->traces.spent < budget; c++) {
        struct tune_layout trial = *best;
        move_insert(s, &trial, k, c);
        rc = try_layout(s, &trial, best);
    }
    return rc;
}

/* Step 4: moves around *best, first improvement, until none improves it,
 * it meets the bound, or `budget` records have been replayed.  The largest
 * pool stays: it is the only one that holds the largest request.  0, or -1
 * when out of memory. */
static int improve(struct search *s, struct tune_layout *best, uint64_t bound, uint64_t budget)
{
    if (best->count > TRIM_ALL_POOLS)
        return 0;
    for (int rc = 1; rc == 1;) {
        rc = 0;
        for (size_t k = 0; k < best->count && rc == 0; k++) {
            if (s->traces.spent >= budget || tune_layout_bytes(best, s->record) <= bound)
                return 0;
            if (k + 1 < best->count)
                rc = pool_moves(s, best, k);
            if (rc == 0)
                rc = insert_moves(s, best, k, budget);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- Step 5: branch and bound ------------------------------------------------- */

/* A child of a node: the next pool, cand[c] with v blocks, and the least
 * any layout below it can cost. */
struct child {
    uint64_t bound;
    size_t c;
    uint64_t v;
};

struct bnb {
    struct search *s;
    size_t top;                /* the largest candidate with requests: the top pool's */
    struct tune_layout cur;    /* the chosen pools, then the top pool, unlimited */
    uint64_t cost;             /* of the chosen pools, records included */
    struct tune_layout *best;
    uint64_t best_cost, budget;
    uint64_t open;             /* the least bound of what the budget left unsearched */
    uint64_t q_max;            /* P[0] */
    uint64_t *rest;            /* rest[lo * (q_max + 1) + q]: see bnb_tables */
};

/* togo[c] (a pool of cand[c] and those above it, the least by step 2) from
 * the top down, then rest[lo][q] = min over c >= lo of cand[c] q + togo[c]
 * (0 for q = 0: no pool needed), the least cost of pools from candidate lo
 * up that hold a stream of q blocks at once.  O(n^2 + n P[0]). */
static void bnb_tables(struct bnb *b, uint64_t *togo)
{
    const struct search *s = b->s;
    togo[b->top] = s->record;
    for (size_t c = b->top; c-- > 0;) {
        uint64_t least = UINT64_MAX;
        for (size_t d = c + 1; d <= b->top; d++) {
            uint64_t v = (s->cand[d] - s->cand[c]) * s->peak[c + 1] + togo[d];
            least = v < least ? v : least;
        }
        togo[c] = least + s->record;
    }
    uint64_t w = b->q_max + 1;
    for (size_t lo = b->top + 1; lo-- > 0;)
        for (uint64_t q = 0; q < w; q++) {
            uint64_t v = q == 0 ? 0 : s->cand[lo] * q + togo[lo];
            b->rest[lo * w + q] = lo == b->top || v < b->rest[(lo + 1) * w + q] ? v : b->rest[(lo + 1) * w + q];
        }
}

static uint64_t bnb_rest(const struct bnb *b, size_t lo, uint64_t q)
{
    return b->rest[lo * (b->q_max + 1) + q];
}

/* The most blocks each pool of b->cur held at once over the traces (each
 * replayed on its own), into hw[]. */
static void bnb_high_waters(struct bnb *b, uint64_t *hw)
{
    struct compiled_result r;
    replay_all(&b->s->traces, &b->cur, &r);
    memcpy(hw, r.high_water, b->cur.count * sizeof *hw);
}

static int child_order(const void *pa, const void *pb)
{
    const struct child *a = pa, *b = pb;
    if (a->bound != b->bound)
        return a->bound < b->bound ? -1 : 1;
    if (a->c != b->c)
        return a->c < b->c ? -1 : 1;
    return a->v < b->v ? -1 : a->v > b->v;
}

/* The children of the node whose stream holds q blocks at once that the
 * bound leaves, least bound first, into out[] (NULL: only counted).  The
 * new pool holds v of the stream at most, and the rest the stream's larger
 * requests.  Their count. */
static size_t bnb_children(const struct bnb *b, uint64_t q, struct child *out)
{
    const struct search *s = b->s;
    size_t k = b->cur.count - 1;
    size_t lo = k == 0 ? 0 : cand_index(s, b->cur.block[k - 1]) + 1;
    if (b->cur.count >= s->max_pools)
        return 0;
    size_t count = 0;
    for (size_t c = lo; c < b->top; c++)
        for (uint64_t v = 1; v <= q; v++) {
            uint64_t left = q - v > s->peak[c + 1] ? q - v : s->peak[c + 1];
            uint64_t bound = b->cost + s->cand[c] * v + s->record + bnb_rest(b, c + 1, left);
            if (bound >= b->best_cost)
                continue;
            if (out != NULL)
                out[count] = (struct child){ bound, c, v };
            count++;
        }
    if (out != NULL)
        qsort(out, count, sizeof *out, child_order);
    return count;
}

static int bnb_node(struct bnb *b, uint64_t q);

/* The chosen pools and cand[c] with v blocks, the top pool unlimited:
 * replayed, searched on unless bounded; *held the most blocks the new pool
 * held at once.  0, -1 when out of memory, 2 when the budget ran out. */
static int bnb_child(struct bnb *b, size_t c, uint64_t v, uint64_t *held)
{
    struct search *s = b->s;
    size_t k = b->cur.count - 1; /* the new pool's place: the top moves up */
    uint64_t hw[POOLALLOC_TRACE_MAX_POOLS];
    b->cur.block[k + 1] = s->cand[b->top];
    b->cur.capacity[k + 1] = UINT64_MAX;
    b->cur.block[k] = s->cand[c];
    b->cur.capacity[k] = v;
    b->cur.count++;
    int rc = 0;
    bnb_high_waters(b, hw);
    *held = hw[k];
    b->cost += s->cand[c] * v + s->record;
    if (b->cost + bnb_rest(b, c + 1, hw[k + 1]) < b->best_cost)
        rc = bnb_node(b, hw[k + 1]);
    b->cost -= s->cand[c] * v + s->record;
    b->cur.count--;
    b->cur.block[k] = s->cand[b->top];
    b->cur.capacity[k] = UINT64_MAX;
    return rc;
}

/* The node of the chosen pools whose stream holds q blocks at once: the
 * layout the top pool completes, then its children.  A pool that never
 * filled its v blocks behaves the same with any more: those children are
 * skipped.  0, -1 when out of memory, 2 when the budget ran out. */
static int bnb_node(struct bnb *b, uint64_t q)
{
    const struct search *s = b->s;
    size_t k = b->cur.count - 1;
    uint64_t done = b->cost + (q == 0 ? 0 : s->cand[b->top] * q + s->record);
    if (done < b->best_cost) {
        *b->best = b->cur;
        b->best->capacity[k] = q;
        b->best->count = q == 0 ? k : k + 1;
        b->best_cost = done;
    }
    /* Counted first, then kept: a node holds only the children it searches. */
    size_t count = bnb_children(b, q, NULL);
    struct child *ch = malloc((count > 0 ? count : 1) * sizeof *ch);
    if (ch == NULL)
        return -1;
    bnb_children(b, q, ch);
    uint64_t useful[EXHAUST_CANDIDATES];
    for (size_t c = 0; c < s->n; c++)
        useful[c] = UINT64_MAX;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0 && ch[i].bound < b->best_cost; i++) {
        if (ch[i].v > useful[ch[i].c])
            continue;
        if (s->traces.spent >= b->budget) {
            b->open = ch[i].bound < b->open ? ch[i].bound : b->open;
            rc = 2;
            break;
        }
        uint64_t held;
        rc = bnb_child(b, ch[i].c, ch[i].v, &held);
        if (held < ch[i].v)
            useful[ch[i].c] = held;
        if (rc == 2 && i + 1 < count)
            b->open = ch[i + 1].bound < b->open ? ch[i + 1].bound : b->open;
    }
    free(ch);
    return rc;
}

/* Step 5 when the candidates are few: *lay replaced by a cheaper layout if
 * there is one, and *bound raised to what the search proved.  0, or -1
 * when out of memory. */
static int exhaust(struct search *s, struct tune_layout *lay, uint64_t *bound, uint64_t budget)
{
    struct bnb b = { .s = s, .best = lay, .best_cost = tune_layout_bytes(lay, s->record), .budget = budget,
                     .open = UINT64_MAX, .q_max = s->peak[0] };
    if (s->n > EXHAUST_CANDIDATES || b.best_cost <= *bound || b.q_max >= EXHAUST_TABLE / s->n)
        return 0;
    for (b.top = s->n - 1; b.top > 0 && s->peak[b.top] == 0;)
        b.top--;
    uint64_t togo[EXHAUST_CANDIDATES];
    b.rest = malloc(s->n * (b.q_max + 1) * sizeof *b.rest);
    if (b.rest == NULL)
        return -1;
    bnb_tables(&b, togo);
    b.cur.malloc_align = s->alignment;
    b.cur.count = 1;
    b.cur.block[0] = s->cand[b.top];
    b.cur.capacity[0] = UINT64_MAX;
    int rc = bnb_node(&b, b.q_max);
    free(b.rest);
    uint64_t proved = b.open < b.best_cost ? b.open : b.best_cost;
    if (rc >= 0 && proved > *bound)
        *bound = proved;
    return rc < 0 ? -1 : 0;
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
    struct search s = { .pointer_size = target->pointer_size, .alignment = target->alignment,
                        .record = target->pool_state_bytes, .max_pools = target->max_pools };
    if (s.max_pools == 0 || s.max_pools > POOLALLOC_TRACE_MAX_POOLS)
        s.max_pools = POOLALLOC_TRACE_MAX_POOLS;
    size_t best_p = 0;
    int rc = traces_init(&s.traces, traces, trace_count, target->alignment) != 0 ? out_of_memory(err, err_len)
                                                                                  : search_candidates(&s, m, err, err_len);
    if (rc == 0 && s.n > 0 && m->demand_count > 0) {
        rc = search_bound(&s, &best_p, &out->lower_bound, err, err_len);
        if (rc == 0)
            rc = search_seeds(&s, best_p, lay, &out->repairs, err, err_len);
        if (rc == 0)
            search_other_seed(&s, seed, lay);
        if (rc == 0 && improve(&s, lay, out->lower_bound, s.traces.spent + SEARCH_RECORDS) != 0)
            rc = out_of_memory(err, err_len);
        if (rc == 0 && exhaust(&s, lay, &out->lower_bound, s.traces.spent + EXHAUST_RECORDS) != 0)
            rc = out_of_memory(err, err_len);
        for (size_t p = 0; rc == 0 && p < lay->count; p++)
            out->optimum.peak[p] = lay->capacity[p];
        out->optimum.pool_state_bytes = s.record;
        tune_count_bytes(&out->optimum);
    }
    search_free(&s);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * The optimiser against an exhaustive search, on thousands of small random
 * traces (argv[1] of them; fixed seed, so a failure is reproducible).
 *
 * The exhaustive search knows nothing of the optimiser's model (running
 * maximum sizes, candidate blocks, dynamic programme): for every set of
 * valid blocks up to a bound above any useful block, it simulates the trace
 * object by object with the allocator's own rules and fallback off (first
 * pool large and aligned enough; realloc in place while the new size fits
 * the block, otherwise a move through malloc; a request that failed in the
 * trace takes a block for an instant), takes each pool's peak as its
 * capacity, and keeps the cheapest sum(block * peak) + S * pools, S being
 * the RAM of a pool's state record (8 and 28 bytes, the default options'
 * and -Dstats=true's, in turn).  The optimiser must find exactly that cost,
 * with at most --max-pools pools, and its layout must replay the trace
 * without a failure.
 *
 * The fallback-aware search (fallback.c) on the same traces: its layout
 * must replay clean with fallback on, and no layout below its printed
 * bound may: every layout of valid blocks cheaper than the bound, with
 * capacities up to the live peak, is replayed with tune_replay (the
 * allocator's rules with fallback; up to ENUMERATION_REPLAYS per trace).
 * Where the search says its layout is optimal (bound = result), this
 * checks the claim.  Each of those layouts is also replayed by the search's
 * own compiled replay (search_replay.c), which must agree with tune_replay.  A prune too eager in step 5 is caught: with a
 * child's bound that forgets the v blocks its new pool takes (`left = q`
 * in bnb_children), 13 traces of the 10000 fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"
#include "xorshift.h"

#define MAX_EVENTS 48
#define MAX_OBJS 48
#define MAX_BLOCKS 16

/* A generated operation, in the test's own terms. */
struct op {
    int kind;           /* 0 alloc, 1 free, 2 realloc */
    int obj;            /* object index */
    uint64_t size, align;
    bool failed;        /* the trace records a failure */
};

struct gen {
    struct op ops[MAX_EVENTS];
    int nops;
    uint64_t alignment;
    uint64_t max_size;
    uint64_t max_align;     /* largest memalign alignment, 0 if none */
};

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(uint64_t n)
{
    return xorshift_below(&rng_state, n);
}

/* A random scenario and its trace (events point into t->events). */
static void generate(struct gen *g, struct trace *t, struct trace_event *ev)
{
    g->alignment = rnd(2) ? 8 : 4;
    g->max_size = g->alignment == 8 ? 40 : 24;
    uint64_t sizes[6];
    int nsizes = 2 + (int)rnd(5);
    for (int i = 0; i < nsizes; i++)
        sizes[i] = rnd(g->max_size + 1);
    bool live[MAX_OBJS] = { false };
    bool aligned[MAX_OBJS] = { false };
    int nobj = 0;
    g->nops = 5 + (int)rnd(MAX_EVENTS - 5);
    bool use_memalign = rnd(3) == 0;
    g->max_align = 0;
    memset(t, 0, sizeof *t);
    t->pointer_size = 4;
    t->alignment = g->alignment;
    t->pool_count = 1;
    t->pools[0].block = 64;
    t->pools[0].capacity = 1;
    t->events = ev;
    for (int i = 0; i < g->nops; i++) {
        struct op *o = &g->ops[i];
        struct trace_event *e = &ev[i];
        memset(o, 0, sizeof *o);
        memset(e, 0, sizeof *e);
        e->seq = (uint32_t)i;
        int pick = -1, nlive = 0;
        for (int k = 0; k < nobj; k++)
            nlive += live[k];
        if (nlive > 0) {
            int want = (int)rnd((uint64_t)nlive);
            for (int k = 0; k < nobj; k++)
                if (live[k] && want-- == 0)
                    pick = k;
        }
        int r = (int)rnd(10);
        if (pick >= 0 && r < 3) {
            o->kind = 1;
            o->obj = pick;
            live[pick] = false;
            e->op = POOLALLOC_TRACE_OP_FREE;
            e->old = 0x1000u + 16u * (uint32_t)pick;
        } else if (pick >= 0 && r < 5 && !aligned[pick]) {
            o->kind = 2;
            o->obj = pick;
            o->size = rnd(4) == 0 ? 0 : sizes[rnd((uint64_t)nsizes)];
            o->failed = o->size != 0 && rnd(8) == 0;
            e->op = POOLALLOC_TRACE_OP_REALLOC;
            e->old = 0x1000u + 16u * (uint32_t)pick;
            e->size = o->size;
            if (o->size == 0)
                live[pick] = false;
            else if (!o->failed)
                e->result = e->old;    /* the test keys objects by index: keep the pointer */
        } else if (nobj < MAX_OBJS) {
            o->kind = 0;
            o->obj = nobj;
            o->size = sizes[rnd((uint64_t)nsizes)];
            o->failed = rnd(10) == 0;
            if (use_memalign && rnd(4) == 0) {
                o->align = g->alignment << (1 + rnd(3));   /* over-aligned, or not (<= alignment) */
                if (rnd(3) == 0)
                    o->align = g->alignment;
                if (o->align > g->max_align)
                    g->max_align = o->align;
            }
            e->op = o->align ? POOLALLOC_TRACE_OP_MEMALIGN : POOLALLOC_TRACE_OP_MALLOC;
            e->size = o->size;
            e->align = o->align;
            if (!o->failed) {
                e->result = 0x1000u + 16u * (uint32_t)nobj;
                live[nobj] = true;
                aligned[nobj] = o->align > g->alignment;
            }
            nobj++;
        } else {
            o->kind = 1;
            o->obj = -1;
            e->op = POOLALLOC_TRACE_OP_FREE;
        }
    }
    t->event_count = (size_t)g->nops;
}

static bool valid_block(uint64_t b, uint64_t a)
{
    return tune_valid_block(b, 4, a);
}

/* First pool of `blocks` (n of them) for size/alignment; -1 if none. */
static int first_pool(const uint64_t *blocks, int n, uint64_t size, uint64_t align, uint64_t alignment)
{
    for (int k = 0; k < n; k++)
        if (blocks[k] >= (align <= alignment && size < align ? align : size) &&
            (align <= alignment || tune_natural_align(blocks[k]) >= align))
            return k;
    return -1;
}

/* Cost of serving the scenario with these blocks (fallback off, capacity =
 * peak); UINT64_MAX if some request has no pool. */
static uint64_t cost_of(const struct gen *g, const uint64_t *blocks, int n, uint64_t state_bytes)
{
    uint64_t in_use[MAX_BLOCKS] = { 0 }, peak[MAX_BLOCKS] = { 0 };
    int pool[MAX_OBJS];
    for (int i = 0; i < g->nops; i++) {
        const struct op *o = &g->ops[i];
        if (o->kind == 1) {
            if (o->obj >= 0)
                in_use[pool[o->obj]]--;
            continue;
        }
        if (o->kind == 2) {
            int cur = pool[o->obj];
            if (o->size == 0) {
                in_use[cur]--;
                continue;
            }
            if (o->size <= blocks[cur])
                continue;                      /* in place, growing or shrinking */
            int k = first_pool(blocks, n, o->size, 0, g->alignment);
            if (k < 0)
                return UINT64_MAX;
            if (++in_use[k] > peak[k])
                peak[k] = in_use[k];
            if (o->failed) {
                in_use[k]--;                   /* failed in the trace: an instant */
            } else {
                in_use[cur]--;
                pool[o->obj] = k;
            }
            continue;
        }
        int k = first_pool(blocks, n, o->size, o->align, g->alignment);
        if (k < 0)
            return UINT64_MAX;
        if (++in_use[k] > peak[k])
            peak[k] = in_use[k];
        if (o->failed)
            in_use[k]--;
        else
            pool[o->obj] = k;
    }
    uint64_t c = 0;
    for (int k = 0; k < n; k++)
        c += blocks[k] * peak[k] + state_bytes;
    return c;
}

/* Cheapest cost over every set of at most max_pools valid blocks. */
static uint64_t exhaustive(const struct gen *g, size_t max_pools, uint64_t state_bytes)
{
    uint64_t cand[MAX_BLOCKS];
    int m = 0;
    /* Beyond the bound the optimiser relies on (no useful block above the
     * largest size rounded up to the largest alignment): one step more. */
    uint64_t step = g->max_align > g->alignment ? g->max_align : g->alignment;
    uint64_t top = (g->max_size + step - 1) / step * step + g->alignment;
    for (uint64_t b = 4; b <= top && m < MAX_BLOCKS; b++)
        if (valid_block(b, g->alignment))
            cand[m++] = b;
    uint64_t best = UINT64_MAX;
    for (uint32_t set = 1; set < (1u << m); set++) {
        uint64_t blocks[MAX_BLOCKS];
        int n = 0;
        for (int k = 0; k < m; k++)
            if ((set >> k & 1u) != 0)
                blocks[n++] = cand[k];
        if ((size_t)n > max_pools)
            continue;
        uint64_t c = cost_of(g, blocks, n, state_bytes);
        if (c < best)
            best = c;
    }
    return best;
}

/* Every layout with fallback cheaper than `below` (blocks valid and at
 * most `top`, ascending from `from`; capacities up to the trace's live
 * peak, beyond which a pool changes nothing), while `*left` replays
 * remain: the first that replays clean into e->found.  1 found, 0 none,
 * -1 out of memory, 2 when the replays ran out, 3 when the compiled replay
 * disagrees with tune_replay. */
struct enumeration {
    const struct trace *t;
    uint64_t top, alignment, state_bytes, max_cap;
    uint64_t largest;        /* the largest request: a layout without a block for it fails */
    size_t max_pools;
    long left;
    struct tune_layout found;
    struct compiled_trace compiled; /* the trace as the search replays it */
    uint8_t obj_pool[2 * MAX_EVENTS + 1], first[2 * MAX_EVENTS + 1];
    struct compiled_result fast;
};

static int cheaper_clean(struct enumeration *e, struct tune_layout *lay, uint64_t from, uint64_t cost,
                         uint64_t below)
{
    uint64_t blocks = 0;
    for (size_t k = 0; k < lay->count; k++)
        blocks += lay->capacity[k];
    /* Replayed only if it might serve: a block for the largest request, one
     * for each object live at once. */
    if (lay->count > 0 && lay->block[lay->count - 1] >= e->largest && blocks >= e->max_cap) {
        if (e->left-- <= 0)
            return 2;
        struct tune_replay r;
        if (tune_replay(e->t, lay, true, false, 0, &r) != 0)
            return -1;
        compiled_replay(&e->compiled, lay, e->obj_pool, e->first, &e->fast);
        if (!compiled_result_matches(&e->fast, &r, lay->count)) {
            tune_replay_free(&r);
            return 3;
        }
        bool clean = r.failures == r.invalid;
        tune_replay_free(&r);
        if (clean) {
            e->found = *lay;
            return 1;
        }
    }
    if (lay->count == e->max_pools)
        return 0;
    for (uint64_t b = from; b <= e->top; b++) {
        if (!valid_block(b, e->alignment))
            continue;
        for (uint64_t c = 1; c <= e->max_cap && cost + b * c + e->state_bytes < below; c++) {
            lay->block[lay->count] = b;
            lay->capacity[lay->count++] = c;
            int rc = cheaper_clean(e, lay, b + 1, cost + b * c + e->state_bytes, below);
            lay->count--;
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* The most bytes a request of the scenario needs (an alignment up to
 * malloc's and above the size: a block that large, first_pool's rule). */
static uint64_t largest_request(const struct gen *g)
{
    uint64_t largest = 0;
    for (int i = 0; i < g->nops; i++) {
        const struct op *o = &g->ops[i];
        uint64_t need = o->align <= g->alignment && o->size < o->align ? o->align : o->size;
        largest = o->kind != 1 && need > largest ? need : largest;
    }
    return largest;
}

/* The most objects of the scenario live at once. */
static uint64_t live_peak(const struct gen *g)
{
    bool live[MAX_OBJS] = { false };
    uint64_t now = 0, peak = 0;
    for (int i = 0; i < g->nops; i++) {
        const struct op *o = &g->ops[i];
        if (o->obj < 0)
            continue;
        bool was = live[o->obj];
        live[o->obj] = o->kind == 0 ? !o->failed : o->kind == 2 ? o->size != 0 && was : false;
        now = now + live[o->obj] - was;
        /* A failed request takes a block for an instant. */
        uint64_t instant = now + (o->failed && !live[o->obj]);
        peak = instant > peak ? instant : peak;
    }
    return peak;
}

/* The fallback-aware search on the same trace (plain requests only): its
 * layout replays clean with fallback on, is no dearer than the exact
 * no-fallback optimum `exact`, and its lower bound holds: no layout with
 * fallback below it replays clean, every one of them replayed (blocks up
 * to the largest useful one; skipped, not failed, past ENUMERATION_REPLAYS
 * replays).  Where the bound meets the result (step 5 of fallback.c
 * proved it optimal), this proves it too.  NULL, or what went wrong. */
#define ENUMERATION_REPLAYS 1000
struct fallback_counts {
    long searched;   /* traces the fallback search took */
    long proved;     /* of those, its result met its bound */
    long enumerated; /* of those, every layout below the bound replayed */
};

static const char *check_fallback(const struct gen *g, const struct trace *t, const struct tune_model *m,
                                  const struct tune_target *target, const struct tune_optimum *exact,
                                  struct fallback_counts *n)
{
    static char why[260];
    struct tune_fallback f;
    char err[200];
    int rc = tune_optimise_fallback(&t, 1, m, target, &exact->layout, &f, err, sizeof err);
    if (rc == 1 || exact->layout.count == 0)
        return NULL;
    if (rc != 0) {
        (void)snprintf(why, sizeof why, "fallback search: %s", err);
        return why;
    }
    n->searched++;
    n->proved += f.lower_bound == f.optimum.total_bytes;
    struct tune_replay r;
    if (tune_replay(t, &f.optimum.layout, true, false, 0, &r) != 0)
        return "out of memory";
    uint64_t failures = r.failures - r.invalid;
    tune_replay_free(&r);
    if (failures != 0 || f.optimum.layout.count > target->max_pools)
        return "the fallback layout fails requests or has too many pools";
    if (f.optimum.total_bytes > exact->total_bytes || f.lower_bound > f.optimum.total_bytes) {
        (void)snprintf(why, sizeof why, "fallback %llu, bound %llu, exact %llu",
                       (unsigned long long)f.optimum.total_bytes, (unsigned long long)f.lower_bound,
                       (unsigned long long)exact->total_bytes);
        return why;
    }
    struct enumeration e = { .t = t, .top = g->max_size + g->alignment, .alignment = g->alignment,
                             .state_bytes = target->pool_state_bytes, .max_cap = live_peak(g),
                             .largest = largest_request(g), .max_pools = target->max_pools,
                             .left = ENUMERATION_REPLAYS };
    struct tune_layout lay = { .malloc_align = g->alignment };
    if (compiled_trace_init(&e.compiled, t, g->alignment) != 0)
        return "out of memory";
    rc = cheaper_clean(&e, &lay, 1, 0, f.lower_bound);
    compiled_trace_free(&e.compiled);
    if (rc < 0)
        return "out of memory";
    if (rc == 3)
        return "the compiled replay (search_replay.c) disagrees with tune_replay";
    n->enumerated += rc != 2;
    if (rc == 1) {
        (void)snprintf(why, sizeof why, "a %zu-pool layout of %llu bytes serves the trace below the bound %llu "
                       "(fallback result %llu)", e.found.count,
                       (unsigned long long)tune_layout_bytes(&e.found, e.state_bytes),
                       (unsigned long long)f.lower_bound, (unsigned long long)f.optimum.total_bytes);
        return why;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 3000;
    static struct trace_event ev[MAX_EVENTS];
    long failures = 0, nonempty = 0, with_classes = 0;
    struct fallback_counts fallback = { 0 };
    for (long run = 0; run < runs; run++) {
        struct gen g;
        struct trace t;
        generate(&g, &t, ev);
        size_t max_pools = rnd(3) == 0 ? 1 + (size_t)rnd(3) : 255;
        struct tune_model m;
        struct tune_optimum o;
        char err[200];
        if (tune_model_build(&t, g.alignment, UINT64_MAX, &m) != 0) {
            fprintf(stderr, "run %ld: model: out of memory\n", run);
            return 1;
        }
        if (m.class_count > TUNE_MAX_CLASSES) {      /* beyond the exact search: refused, not tested here */
            tune_model_free(&m);
            run--;
            continue;
        }
        with_classes += m.class_count > 0;
        const struct tune_target target = { .pointer_size = 4, .alignment = g.alignment,
                                            .pool_state_bytes = run % 2 == 0 ? 8 : 28, .max_pools = max_pools };
        if (tune_optimise(&m, &target, &o, err, sizeof err) != 0) {
            fprintf(stderr, "run %ld: optimise: %s\n", run, err);
            tune_model_free(&m);
            return 1;
        }
        const char *fallback_wrong = check_fallback(&g, &t, &m, &target, &o, &fallback);
        tune_model_free(&m);
        if (fallback_wrong != NULL) {
            fprintf(stderr, "run %ld: %s\n", run, fallback_wrong);
            failures++;
        }
        uint64_t want = exhaustive(&g, max_pools, target.pool_state_bytes);
        uint64_t got = o.layout.count == 0 ? UINT64_MAX : o.total_bytes;
        bool empty_ok = o.layout.count == 0 && want == UINT64_MAX;
        bool bad = !empty_ok && got != want;
        if (!bad && o.layout.count > 0) {
            nonempty++;
            struct tune_replay r;
            if (tune_replay(&t, &o.layout, false, false, 0, &r) != 0)
                return 1;
            bad = r.failures != 0 || o.layout.count > max_pools;
            tune_replay_free(&r);
        }
        if (bad) {
            failures++;
            fprintf(stderr, "run %ld (alignment %llu, max pools %zu): optimiser %llu, exhaustive %llu; layout",
                    run, (unsigned long long)g.alignment, max_pools, (unsigned long long)got,
                    (unsigned long long)want);
            for (size_t k = 0; k < o.layout.count; k++)
                fprintf(stderr, " %llu:%llu", (unsigned long long)o.layout.block[k],
                        (unsigned long long)o.layout.capacity[k]);
            fprintf(stderr, "\n");
            for (int i = 0; i < g.nops; i++)
                fprintf(stderr, "  %s obj %d size %llu align %llu%s\n",
                        g.ops[i].kind == 0 ? "alloc" : g.ops[i].kind == 1 ? "free" : "realloc",
                        g.ops[i].obj, (unsigned long long)g.ops[i].size, (unsigned long long)g.ops[i].align,
                        g.ops[i].failed ? " FAILED" : "");
            if (failures >= 3)
                break;
        }
    }
    printf("%ld random traces (%ld with a layout, %ld with over-aligned requests, %ld searched with "
           "fallback, %ld of them proved optimal by the search, %ld with every layout below the bound "
           "replayed): %ld mismatches\n", runs, nonempty, with_classes, fallback.searched, fallback.proved,
           fallback.enumerated, failures);
    /* The enumeration is the bound's test: it must have covered most of
     * the traces (three in four of 10000), not given up on them. */
    if (fallback.enumerated * 3 < fallback.searched * 2) {
        fflush(stdout);
        fprintf(stderr, "the enumeration covered %ld of %ld traces\n", fallback.enumerated, fallback.searched);
        return 1;
    }
    return failures == 0 ? 0 : 1;
}

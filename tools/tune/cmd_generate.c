/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune generate TRACE... --heap-size SIZE ...: the cheapest
 * layout that serves the traces (optimise.c's exact search, fallback.c's
 * search relying on fallback), region by region, with headroom from the
 * budget, and the meson configure line.  The command line is
 * generate_args.c's, the output generate_print.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "generate.h"

/* --no-spill-under PCT: true (said) when the exact layout o costs at most
 * PCT % more than fallback layout fb, with the worst cases the cost
 * model gives each (fb with -Dfallback=true, o with false). */
static bool spill_not_worth(const struct gen_args *g, const struct tune_optimum *o, const struct tune_optimum *fb)
{
    struct tune_shape so, sf;
    struct tune_cost co, cf;
    tune_layout_shape(&o->layout, false, &so);
    tune_layout_shape(&fb->layout, false, &sf);
    tune_layout_cost(&o->layout, &so, false, &co);
    tune_layout_cost(&fb->layout, &sf, true, &cf);
    uint64_t more = o->total_bytes - fb->total_bytes;
    bool take = more * 100u <= fb->total_bytes * (uint64_t)g->no_spill_under;
    printf("the layout that needs no fallback costs %llu bytes (%.1f%%) more; worst case malloc %u, free %u "
           "instructions with -Dfallback=false against %u and %u relying on fallback (cost model)\n",
           (unsigned long long)more, percent(more, fb->total_bytes), co.malloc_worst, co.free_worst,
           cf.malloc_worst, cf.free_worst);
    if (take)
        printf("using the layout that needs no fallback: at most %ld%% more (--no-spill-under; build it with "
               "-Dfallback=false for that worst case)\n", g->no_spill_under);
    else
        printf("more than --no-spill-under %ld%%: ", g->no_spill_under);
    return take;
}

/* The cost model's longest malloc or free on layout lay (one region),
 * built with -Dfallback as `fallback` says. */
static unsigned worst_instructions(const struct tune_layout *lay, bool fallback)
{
    struct tune_shape sh;
    struct tune_cost c;
    tune_layout_shape(lay, false, &sh);
    tune_layout_cost(lay, &sh, fallback, &c);
    return c.malloc_worst > c.free_worst ? c.malloc_worst : c.free_worst;
}

/* --max-instructions N: true (said) when fallback layout fb's worst case
 * is above N and exact layout o's, with -Dfallback=false, is not. */
static bool spill_too_slow(const struct gen_args *g, const struct tune_optimum *o, const struct tune_optimum *fb)
{
    unsigned slow = worst_instructions(&fb->layout, true), fast = worst_instructions(&o->layout, false);
    if (slow <= (unsigned long)g->max_instructions || fast > (unsigned long)g->max_instructions)
        return false;
    printf("the layout relying on fallback takes up to %u instructions per call, more than --max-instructions %ld; "
           "the one that needs no fallback, %llu bytes more, up to %u with -Dfallback=false (cost model): using it "
           "(build it with -Dfallback=false)\n", slow, g->max_instructions,
           (unsigned long long)(o->total_bytes - fb->total_bytes), fast);
    return true;
}

/* --max-instructions N on the final layout o: DOES NOT FIT (true) when its
 * worst case is above N -- with -Dfallback=false when o does not rely on
 * fallback. */
static bool print_too_slow(const struct gen_args *g, const struct tune_optimum *o, bool fallback)
{
    unsigned worst = worst_instructions(&o->layout, fallback);
    if (worst <= (unsigned long)g->max_instructions)
        return false;
    printf("DOES NOT FIT: the layout takes up to %u instructions per call%s (cost model), more than "
           "--max-instructions %ld (neither layout the search found is within it)\n", worst,
           fallback ? "" : " with -Dfallback=false", g->max_instructions);
    return true;
}

/* The fallback-aware search's result beside the exact one; replaces *o
 * by it when it is cheaper and allowed.  True if *o relies on fallback now;
 * *failed when the search failed (reported). */
static bool consider_fallback(const struct trace *const *ts, const struct gen_args *g, const struct tune_model *m,
                              const struct tune_target *target, struct tune_optimum *o, bool *failed)
{
    struct tune_fallback f;
    char err[200];
    int rc = tune_optimise_fallback(ts, g->path_count, m, target, &o->layout, &f, err, sizeof err);
    *failed = rc < 0;
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "poolalloc-tune: %s\n", err);
        else
            printf("no layout relying on fallback searched: %s\n", err);
        return false;
    }
    print_fallback(&f);
    if (g->no_fallback || f.optimum.total_bytes >= o->total_bytes) {
        printf("using the layout that needs no fallback%s\n",
               g->no_fallback ? " (--no-fallback)" : ": it is no dearer");
        return false;
    }
    if (g->max_instructions >= 0 && spill_too_slow(g, o, &f.optimum))
        return false;
    if (g->no_spill_under >= 0 && spill_not_worth(g, o, &f.optimum))
        return false;
    printf("using the layout relying on fallback, %llu bytes less (--no-fallback for the other; "
           "the firmware needs -Dfallback=true, the default)\n",
           (unsigned long long)(o->total_bytes - f.optimum.total_bytes));
    *o = f.optimum;
    return true;
}

static double seconds_now(void)
{
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) == 0)
        return 0.0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The optimiser's progress on stderr, once a second after the first two
 * (a search that ends sooner says nothing). */
static void show_progress(size_t done, size_t total)
{
    static double start, last;
    static bool shown;
    double now = seconds_now();
    if (done == 0) {
        start = last = now;
        shown = false;
        return;
    }
    bool finished = done == total;
    if (finished ? !shown : now - start < 2.0 || now - last < 1.0)
        return;
    fprintf(stderr, "poolalloc-tune: optimising: %.0f%% (candidate blocks %zu/%zu)\n", percent(done, total), done, total);
    last = now;
    shown = true;
}

/* The budget headroom is spread over, for minimum layout o (DOES NOT FIT
 * already ruled out): g->heap, held to what a region's pools may hold on
 * the target (tune_max_pool_bytes: --heap-size 5000M on a 32-bit trace);
 * without a budget, o itself, or with --headroom PCT all that room (PCT
 * decides).  Says when it holds the budget back. */
static uint64_t headroom_budget(const struct gen_args *g, const struct tune_optimum *o, unsigned ptr)
{
    uint64_t room = tune_max_pool_bytes(ptr) + o->pool_state_bytes * o->layout.count;
    if (g->heap == NO_BUDGET)
        return g->headroom < 0 ? o->total_bytes : room;
    if (g->heap <= room)
        return g->heap;
    print_budget_held(g, room, ptr);
    return room;
}

/* Optimise model m of traces ts for the budget g->heap (NO_BUDGET: none)
 * and print the result into *out; the exit status (3: does not fit). */
static int generate_layout(const struct trace *const *ts, const struct gen_args *g, const struct tune_model *m,
                           uint64_t pool_state_bytes, struct outcome *out)
{
    const struct tune_target target = { .pointer_size = ts[0]->pointer_size, .alignment = g->alignment,
                                        .pool_state_bytes = pool_state_bytes,
                                        .max_pools = (size_t)g->max_pools, .progress = show_progress };
    struct tune_optimum o;
    char err[200];
    memset(out, 0, sizeof *out);
    if (tune_optimise(m, &target, &o, err, sizeof err) != 0) {
        fprintf(stderr, "poolalloc-tune: %s\n", err);
        return 1;
    }
    if (o.layout.count == 0) {
        printf("\nthe trace allocates nothing: no layout to generate\n");
        return 0;
    }
    print_minimum(&o);
    bool failed = false;
    out->fallback = consider_fallback(ts, g, m, &target, &o, &failed);
    if (failed)
        return 1;
    out->needed = o.total_bytes;
    if (print_does_not_fit(g, &o, target.pointer_size))
        return 3;
    uint64_t minimum = o.total_bytes, budget = headroom_budget(g, &o, target.pointer_size);
    bool fitted = tune_headroom(&o, budget, g->headroom);
    if (!fitted && g->heap == NO_BUDGET && g->headroom > 0) {
        print_headroom_too_large(g, target.pointer_size);
        return 3;
    }
    print_headroom(g, fitted);
    if (g->max_instructions >= 0 && print_too_slow(g, &o, out->fallback))
        return 3;
    out->layout = o.layout;
    return print_budget_layout(ts, g, &o, minimum, out->fallback);
}

/* Model traces ts (one region's, or the traces themselves) and optimise
 * them for the budget g->heap into *out, printing as it goes; the exit
 * status. */
static int generate_models(const struct trace *ts, const struct gen_args *g, struct outcome *out)
{
    struct tune_model *ms = calloc(g->path_count, sizeof *ms);
    const struct trace *views[POOLALLOC_TUNE_MAX_TRACES];
    uint64_t record = 0;
    int rc = ms == NULL ? 1 : 0;
    for (size_t i = 0; rc == 0 && i < g->path_count; i++) {
        views[i] = &ts[i];
        if (ts[i].pool_state_size > record)
            record = ts[i].pool_state_size;
        /* No request above the budget less one pool's state can be served. */
        uint64_t limit = g->heap == NO_BUDGET ? UINT64_MAX
                         : g->heap > ts[i].pool_state_size ? g->heap - ts[i].pool_state_size : 0;
        rc = tune_model_build(&ts[i], g->alignment, limit, &ms[i]) != 0;
        if (rc == 0) {
            print_trace_summary(g->paths[i], &ts[i], &ms[i]);
            print_left_out(&ms[i]);
        }
    }
    struct tune_model merged = { 0 };
    if (rc == 0 && g->path_count > 1) {
        rc = tune_model_merge(ms, g->path_count, &merged) != 0;
        if (rc == 0)
            printf("\none layout for %zu traces, each replayed on its own: a pool's peak is the largest over them\n",
                   g->path_count);
    }
    if (rc != 0)
        fprintf(stderr, "poolalloc-tune: out of memory\n");
    else
        rc = generate_layout(views, g, g->path_count > 1 ? &merged : &ms[0], record, out);
    tune_model_free(&merged);
    for (size_t i = 0; ms != NULL && i < g->path_count; i++)
        tune_model_free(&ms[i]);
    free(ms);
    return rc;
}

/* generate_models for `budget`, with blocks that are multiples of `align`
 * when it is above the build's alignment (--alignment NAME=A): requests
 * below A ask for A and the optimiser runs as if -Dalignment were A, so
 * every block it may choose is a multiple of A.  g's alignment is the
 * build's again after. */
static int generate_aligned(struct trace *ts, struct gen_args *g, uint64_t budget, uint64_t align,
                            struct outcome *out)
{
    uint64_t build_alignment = g->alignment;
    if (align != build_alignment) {
        printf("blocks are multiples of %llu (--alignment %s=%llu): smaller requests count as %llu bytes\n",
               (unsigned long long)align, ts[0].regions[0].name, (unsigned long long)align,
               (unsigned long long)align);
        for (size_t i = 0; i < g->path_count; i++)
            tune_trace_raise_requests(&ts[i], align);
    }
    g->heap = budget;
    g->alignment = align;
    int rc = generate_models(ts, g, out);
    g->alignment = build_alignment;
    out->layout.malloc_align = build_alignment;
    return rc;
}

/* A region where the trace allocates nothing still needs a pool
 * (src/gen_layout.py): one block of the smallest valid size. */
static void placeholder_pool(const struct trace *t, const struct gen_args *g, struct outcome *out)
{
    out->layout.malloc_align = g->alignment;
    out->layout.count = 1;
    out->layout.block[0] = tune_round_valid(1, 1, t->pointer_size, g->alignment);
    out->layout.capacity[0] = 1;
    out->needed = tune_layout_bytes(&out->layout, t->pool_state_size);
    printf("a region needs a pool: one %llu-byte block (%llu bytes with its record)\n",
           (unsigned long long)out->layout.block[0], (unsigned long long)out->needed);
}

/* Region r of the traces: its sub-traces optimised for budget[r] and
 * block alignment align[r] into *out under a heading; the exit status. */
static int generate_region(const struct trace *ts, struct gen_args *g, unsigned r, const uint64_t *budget,
                           const uint64_t *align, struct outcome *out)
{
    struct trace *subs = calloc(g->path_count, sizeof *subs);
    int rc = subs == NULL;
    if (rc != 0)
        fprintf(stderr, "poolalloc-tune: out of memory\n");
    for (size_t i = 0; rc == 0 && i < g->path_count; i++)
        rc = load_region(&ts[i], r, &subs[i]);
    if (rc == 0) {
        print_region_heading(&ts[0], r, r > 0);
        rc = generate_aligned(subs, g, budget[r], align[r], out);
    }
    if (rc == 0 && out->layout.count == 0) {
        placeholder_pool(&ts[0], g, out);
        rc = out->needed > budget[r] ? 3 : 0;
    }
    for (size_t i = 0; subs != NULL && i < g->path_count; i++)
        trace_free(&subs[i]);
    free(subs);
    return rc;
}

/* Every region of the traces optimised on its own, then one configure
 * line for all; the exit status (3 when a region does not fit). */
static int generate_regions(const struct trace *ts, struct gen_args *g, const uint64_t *budget,
                            const uint64_t *align)
{
    const struct trace *t = &ts[0];
    struct outcome *outs = calloc(t->region_count, sizeof *outs);
    struct tune_layout *lays = calloc(t->region_count, sizeof *lays);
    int rc = outs == NULL || lays == NULL;
    bool fits = true;
    size_t pools = 0;
    for (unsigned r = 0; rc == 0 && r < t->region_count; r++) {
        rc = generate_region(ts, g, r, budget, align, &outs[r]);
        fits &= rc != 3;
        rc = rc == 3 ? 0 : rc;
        lays[r] = outs[r].layout;
        pools += outs[r].layout.count;
    }
    if (rc == 0)
        printf("\nall regions:\n");
    for (unsigned r = 0; rc == 0 && fits && r < t->region_count; r++)
        print_cost(&lays[r], t->regions[r].name, outs[r].fallback);
    for (unsigned r = 0; rc == 0 && r < t->region_count; r++)
        if (outs[r].needed > budget[r])
            printf("DOES NOT FIT: region %s needs at least %llu bytes, its budget is %llu\n", t->regions[r].name,
                   (unsigned long long)outs[r].needed, (unsigned long long)budget[r]);
    if (rc == 0 && fits && pools > POOLALLOC_TRACE_MAX_POOLS)
        printf("DOES NOT FIT: the regions need %zu pools, a build has at most %u (--max-pools N limits each "
               "region: give N <= %u / %u regions)\n", pools, POOLALLOC_TRACE_MAX_POOLS, POOLALLOC_TRACE_MAX_POOLS,
               t->region_count);
    if (rc == 0 && (!fits || pools > POOLALLOC_TRACE_MAX_POOLS))
        rc = 3;
    if (rc == 0) {
        print_fallback_regions(t, outs);
        print_configure(g, t, lays);
    }
    free(outs);
    free(lays);
    return rc;
}

/* Load the traces of g, check them and their budgets, and generate; the
 * exit status. */
static int generate_traces(struct gen_args *g, struct trace *ts)
{
    if (g->path_count == 0 || g->path_count > POOLALLOC_TUNE_MAX_TRACES)
        return 2;                        /* parse_generate refuses it */
    for (size_t i = 0; i < g->path_count; i++)
        if (load(g->paths[i], &ts[i]) != 0)
            return 1;
    if (check_same_target(ts, g) != 0)
        return 2;
    if (!g->have_alignment)
        g->alignment = ts[0].alignment;
    uint64_t budget[POOLALLOC_TRACE_MAX_POOLS] = { 0 };   /* region_budgets fills each region's */
    uint64_t align[POOLALLOC_TRACE_MAX_POOLS] = { 0 };    /* region_alignments, likewise */
    if (region_budgets(g, &ts[0], budget) != 0 || region_alignments(g, &ts[0], align) != 0)
        return 2;
    if (ts[0].region_count > 1 && g->max_instructions >= 0)
        return usage_error("generate: --max-instructions: the cost of a build of several regions is not modelled");
    if (ts[0].region_count > 1)
        return generate_regions(ts, g, budget, align);
    /* One region: the output has no headings, the configure line is plain. */
    struct outcome out;
    int rc = generate_aligned(ts, g, budget[0], align[0], &out);
    if (rc == 0 && out.layout.count > 0) {
        printf("\n");
        print_cost(&out.layout, NULL, out.fallback);
        print_configure(g, &ts[0], &out.layout);
    }
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    const char *paths[POOLALLOC_TUNE_MAX_TRACES];
    struct gen_args g = { .paths = paths };
    if (argc > POOLALLOC_TUNE_MAX_ARGS)
        return usage_error("generate: more than %d arguments", POOLALLOC_TUNE_MAX_ARGS);
    if (parse_generate(argc, argv, &g) != 0)
        return 2;
    struct trace *ts = calloc(g.path_count + 1, sizeof *ts);
    int rc = 1;
    if (ts == NULL)
        fprintf(stderr, "poolalloc-tune: out of memory\n");
    else
        rc = generate_traces(&g, ts);
    for (size_t i = 0; ts != NULL && i < g.path_count; i++)
        trace_free(&ts[i]);
    free(ts);
    return rc;
}

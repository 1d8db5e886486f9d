/* SPDX-License-Identifier: MIT */
/*
 * What generate prints (generate.h), all in one place: the minimum
 * layouts, the headroom rule, the final layout's table and its replay,
 * and the meson configure line.
 */
#include <stdio.h>
#include <string.h>

#include "generate.h"

void print_layout_table(const struct tune_optimum *o)
{
    printf("  %4s %8s %6s %9s %9s %12s\n", "pool", "block", "peak", "capacity", "bytes", "utilisation");
    for (size_t k = 0; k < o->layout.count; k++) {
        uint64_t bytes = o->layout.block[k] * o->layout.capacity[k];
        printf("  %4zu %8llu %6llu %9llu %9llu %11.1f%%\n", k, (unsigned long long)o->layout.block[k],
               (unsigned long long)o->peak[k], (unsigned long long)o->layout.capacity[k],
               (unsigned long long)bytes, percent(o->peak[k], o->layout.capacity[k]));
    }
}

/* The requests the model left out, and why. */
void print_left_out(const struct tune_model *m)
{
    note(m->excluded_large, "failed requests larger than the budget are left out");
    note(m->invalid_requests, "invalid requests (bad alignment or size overflow) can never succeed; left out");
}

void print_minimum(const struct tune_optimum *o)
{
    printf("\nminimum layout (every request served by the pool the allocator tries first; "
           "also works with -Dfallback=false):\n");
    printf("  %zu pools, %llu bytes of blocks + %zu x %llu bytes of pool records = %llu bytes\n",
           o->layout.count, (unsigned long long)o->block_bytes, o->layout.count,
           (unsigned long long)o->pool_state_bytes, (unsigned long long)o->total_bytes);
}

void print_fallback(const struct tune_fallback *f)
{
    const struct tune_optimum *o = &f->optimum;
    printf("\nminimum layout relying on fallback (a full pool spills into larger ones; verified by "
           "replaying the trace):\n");
    printf("  %zu pools, %llu bytes of blocks + %zu x %llu bytes of pool records = %llu bytes\n",
           o->layout.count, (unsigned long long)o->block_bytes, o->layout.count,
           (unsigned long long)o->pool_state_bytes, (unsigned long long)o->total_bytes);
    /* Signed: a layout below its bound would be a bug to show, not to wrap. */
    double gap = o->total_bytes >= f->lower_bound ? percent(o->total_bytes - f->lower_bound, f->lower_bound)
                                                  : -percent(f->lower_bound - o->total_bytes, f->lower_bound);
    if (o->total_bytes == f->lower_bound)
        printf("  no layout with fallback needs less than %llu bytes: this one is optimal\n",
               (unsigned long long)f->lower_bound);
    else
        printf("  no layout with fallback needs less than %llu bytes: this one is within %.1f%% of that bound\n",
               (unsigned long long)f->lower_bound, gap);
}

void print_headroom(const struct gen_args *g, bool fitted)
{
    if (g->heap == NO_BUDGET && g->headroom < 0)
        printf("headroom: none (no --heap-size: the minimum layout; --heap-size SIZE spreads a budget over the "
               "pools, --headroom PCT adds PCT%% of each pool's peak)\n");
    else if (g->headroom < 0)
        printf("headroom: the rest of the budget, in proportion to each pool's peak\n");
    else if (fitted)
        printf("headroom: %ld%% of each pool's peak\n", g->headroom);
    else
        printf("headroom: %ld%% of each pool's peak does not fit; the budget is filled in proportion "
               "to each pool's peak instead\n", g->headroom);
}

/* The most bytes of blocks a region holds on a target with `ptr`-byte
 * pointers, and its width in bits, for messages. */
static unsigned address_bits(unsigned ptr)
{
    return 8u * ptr < 32u ? 8u * ptr : 32u;
}

void print_headroom_too_large(const struct gen_args *g, unsigned ptr)
{
    printf("\nDOES NOT FIT: --headroom %ld%% takes the pools beyond %llu bytes of blocks, what a region "
           "holds on a %u-bit target\n", g->headroom, (unsigned long long)tune_max_pool_bytes(ptr),
           address_bits(ptr));
}

void print_budget_held(const struct gen_args *g, uint64_t room, unsigned ptr)
{
    printf("the budget of %llu bytes is more than a region's pools may hold on a %u-bit target (%llu bytes "
           "of blocks): the layout takes at most %llu bytes\n", (unsigned long long)g->heap, address_bits(ptr),
           (unsigned long long)tune_max_pool_bytes(ptr), (unsigned long long)room);
}

bool print_does_not_fit(const struct gen_args *g, const struct tune_optimum *o, unsigned ptr)
{
    if (o->block_bytes > tune_max_pool_bytes(ptr)) {
        print_layout_table(o);
        printf("\nDOES NOT FIT: the trace needs at least %llu bytes of blocks (with at most %llu pools); a "
               "region's pools hold at most %llu on a %u-bit target\n", (unsigned long long)o->block_bytes,
               (unsigned long long)g->max_pools, (unsigned long long)tune_max_pool_bytes(ptr), address_bits(ptr));
        return true;
    }
    if (g->heap == NO_BUDGET || o->total_bytes <= g->heap)
        return false;
    print_layout_table(o);
    printf("\nDOES NOT FIT: the trace needs at least %llu bytes (with at most %llu pools); "
           "the budget is %llu bytes\n",
           (unsigned long long)o->total_bytes, (unsigned long long)g->max_pools, (unsigned long long)g->heap);
    return true;
}

/* The layout with its headroom, its replay (fallback off) and the configure
 * line; 0, or 1 when out of memory (reported). */
int print_budget_layout(const struct trace *const *ts, const struct gen_args *g, const struct tune_optimum *o,
                        uint64_t minimum, bool fallback)
{
    if (g->heap == NO_BUDGET)
        printf("\nlayout (no --heap-size):\n");
    else
        printf("\nlayout for a budget of %llu bytes:\n", (unsigned long long)g->heap);
    print_layout_table(o);
    printf("  total %llu bytes (minimum %llu): %llu in blocks, %llu in pool records", (unsigned long long)o->total_bytes,
           (unsigned long long)minimum, (unsigned long long)o->block_bytes,
           (unsigned long long)(o->total_bytes - o->block_bytes));
    if (g->heap != NO_BUDGET)
        printf("; %llu of the budget unused", (unsigned long long)(g->heap - o->total_bytes));
    printf("\n");
    for (size_t i = 0; i < g->path_count; i++) {
        struct tune_replay r;
        if (tune_replay(ts[i], &o->layout, fallback, false, 0, &r) != 0) {
            fprintf(stderr, "poolalloc-tune: out of memory\n");
            return 1;
        }
        printf("  replay of %s on this layout, fallback %s: %llu failures\n",
               g->path_count > 1 ? g->paths[i] : "the trace", fallback ? "on" : "off",
               (unsigned long long)(r.failures - r.invalid));
        tune_replay_free(&r);
    }
    return 0;
}

/* The prefix of poolalloc's options on the meson configure line: empty for
 * a build of poolalloc itself, "poolalloc:" when this tool was built inside
 * a parent project (tools/tune/meson.build), whose configure knows the
 * options only as -Dpoolalloc:NAME. */
#ifndef POOLALLOC_TUNE_OPTION_PREFIX
#define POOLALLOC_TUNE_OPTION_PREFIX ""
#endif

/* The layout of each region of t (lays[r]) as one meson configure line:
 * the default region's entries, then NAME@BLOCK:CAPACITY for the others
 * (src/gen_layout.py's -Dpools syntax). */
void print_configure(const struct gen_args *g, const struct trace *t, const struct tune_layout *lays)
{
    printf("\nmeson configure -D" POOLALLOC_TUNE_OPTION_PREFIX "pools=");
    for (unsigned r = 0; r < t->region_count; r++) {
        if (r > 0)
            printf(",");
        print_layout_arg(stdout, &lays[r], r > 0 ? t->regions[r].name : NULL);
    }
    if (g->alignment != 8)
        printf(" -D" POOLALLOC_TUNE_OPTION_PREFIX "alignment=%llu", (unsigned long long)g->alignment);
    printf(" BUILDDIR\n");
}

/* Which regions rely on fallback (-Dfallback is one option for all). */
void print_fallback_regions(const struct trace *t, const struct outcome *outs)
{
    char names[TUNE_REGION_NAMES_LEN] = "";
    for (unsigned r = 0; r < t->region_count; r++)
        if (outs[r].fallback)
            (void)snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", names[0] ? ", " : "",
                           t->regions[r].name);
    if (names[0] == '\0')
        printf("no region relies on fallback: the layout also works with -Dfallback=false\n");
    else
        printf("regions relying on fallback: %s (the firmware needs -Dfallback=true, the default)\n", names);
}


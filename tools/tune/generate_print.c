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

void print_headroom(const struct gen_args *g, bool fitted)
{
    if (g->headroom < 0)
        printf("headroom: the rest of the budget, in proportion to each pool's peak\n");
    else if (fitted)
        printf("headroom: %ld%% of each pool's peak\n", g->headroom);
    else
        printf("headroom: %ld%% of each pool's peak does not fit; the budget is filled in proportion "
               "to each pool's peak instead\n", g->headroom);
}

/* The layout with its headroom, its replay (fallback off) and the configure
 * line; 0, or 1 when out of memory (reported). */
int print_budget_layout(const struct trace *const *ts, const struct gen_args *g,
                               const struct tune_optimum *o, uint64_t minimum, bool fallback)
{
    printf("\nlayout for a budget of %llu bytes:\n", (unsigned long long)g->heap);
    print_layout_table(o);
    printf("  total %llu bytes (minimum %llu): %llu in blocks, %llu in pool records; %llu of the budget unused\n",
           (unsigned long long)o->total_bytes, (unsigned long long)minimum, (unsigned long long)o->block_bytes,
           (unsigned long long)(o->total_bytes - o->block_bytes), (unsigned long long)(g->heap - o->total_bytes));
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

/* The layout of each region of t (lays[r]) as one meson configure line:
 * the default region's entries, then NAME@BLOCK:CAPACITY for the others
 * (src/gen_layout.py's -Dpools syntax). */
void print_configure(const struct gen_args *g, const struct trace *t, const struct tune_layout *lays)
{
    printf("\nmeson configure -Dpools=");
    for (unsigned r = 0; r < t->region_count; r++) {
        if (r > 0)
            printf(",");
        print_layout_arg(stdout, &lays[r], r > 0 ? t->regions[r].name : NULL);
    }
    if (g->alignment != 8)
        printf(" -Dalignment=%llu", (unsigned long long)g->alignment);
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


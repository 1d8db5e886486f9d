/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune report TRACE [--region NAME] [--svg FILE [--pools LAYOUT]]:
 * the trace summary, the histogram of requested sizes, the recorded layout
 * replayed with the allocator's rules, the blocks still allocated at the
 * end by caller, the lookup shape and worst case of a --pools layout
 * (cost.c) and the chart (svg.c); region by region for a trace with
 * several.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define BAR_WIDTH 40u

static void print_histogram(const struct tune_model *m)
{
    uint64_t most = 0;
    for (size_t i = 0; i < m->size_count; i++)
        if (m->stats[i].requests > most)
            most = m->stats[i].requests;
    printf("\nrequested sizes:\n  %8s %9s %9s\n", "size", "requests", "peak live");
    for (size_t i = 0; i < m->size_count; i++) {
        const struct tune_size_stat *s = &m->stats[i];
        if (s->requests == 0)
            continue;
        uint64_t len = (s->requests * BAR_WIDTH + most - 1) / most;
        printf("  %8llu %9llu %9llu  ", (unsigned long long)m->sizes[i], (unsigned long long)s->requests,
               (unsigned long long)s->peak_live);
        for (uint64_t b = 0; b < len; b++)
            putchar('#');
        putchar('\n');
    }
}

static void print_replay(const struct trace *t, const struct tune_layout *lay, const struct tune_replay *r)
{
    print_replay_as("recorded layout", (t->flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0, t, lay, r);
}

/* a + b, or UINT64_MAX ("at least") when that does not fit: a 64-bit
 * trace's sizes may add up beyond 2^64. */
static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

static void print_leaks(const struct tune_model *m, unsigned ptr)
{
    uint64_t bytes = 0;
    size_t callers = 0;
    for (size_t i = 0; i < m->leak_count; i++) {
        bytes = add_saturating(bytes, m->leaks[i].size);
        callers += i == 0 || m->leaks[i].caller != m->leaks[i - 1].caller;
    }
    printf("\nstill allocated at the end: %zu blocks, %s%llu bytes, from %zu callers\n", m->leak_count,
           bytes == UINT64_MAX ? "at least " : "", (unsigned long long)bytes, callers);
    if (m->leak_count == 0)
        return;
    printf("  %-*s %7s %8s  %s\n", (int)(2 + 2 * ptr), "caller", "blocks", "bytes", "sizes");
    for (size_t i = 0; i < m->leak_count;) {
        size_t j = i;
        uint64_t b = 0;
        while (j < m->leak_count && m->leaks[j].caller == m->leaks[i].caller)
            b = add_saturating(b, m->leaks[j++].size);
        printf("  0x%0*llx %7zu %s%8llu  ", (int)(2 * ptr), (unsigned long long)m->leaks[i].caller, j - i,
               b == UINT64_MAX ? ">=" : "", (unsigned long long)b);
        for (size_t k = i; k < j && k < i + 8; k++)
            printf("%s%llu", k > i ? " " : "", (unsigned long long)m->leaks[k].size);
        printf("%s\n", j - i > 8 ? " ..." : "");
        i = j;
    }
    printf("  (addr2line -f -p -e FIRMWARE.elf ADDRESS... names the callers)\n");
}

/* report TRACE [--svg FILE [--pools LAYOUT]] [--region NAME]. */
struct report_args {
    const char *path, *svg, *pools, *region;
};

static int parse_report(int argc, char **argv, struct report_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        bool is_svg = strncmp(arg, "--svg", 5) == 0 && (arg[5] == '\0' || arg[5] == '=');
        bool is_pools = strncmp(arg, "--pools", 7) == 0 && (arg[7] == '\0' || arg[7] == '=');
        bool is_region = strncmp(arg, "--region", 8) == 0 && (arg[8] == '\0' || arg[8] == '=');
        if (is_svg && (a->svg = option_value(argc, argv, &i)) == NULL)
            return usage_error("%s", "report: --svg needs a file name");
        else if (is_pools && (a->pools = option_value(argc, argv, &i)) == NULL)
            return usage_error("%s", "report: --pools needs a layout (BLOCK:CAPACITY,...)");
        else if (is_region && (a->region = option_value(argc, argv, &i)) == NULL)
            return usage_error("%s", "report: --region needs a region name");
        else if (!is_svg && !is_pools && !is_region && arg[0] == '-' && arg[1] != '\0')
            return usage_error("report: unknown option %s", arg);
        else if (!is_svg && !is_pools && !is_region && a->path == NULL)
            a->path = arg;
        else if (!is_svg && !is_pools && !is_region)
            return usage_error("report: more than one trace (%s)", arg);
    }
    if (a->path == NULL)
        return usage_error("%s", "report: no trace file given");
    return 0;
}

/* --pools: the layout, whether the trace needs fallback on it, and its
 * lookup shape and worst case (print_cost; region: NULL, or the region's
 * name in a build of several).  0, or 1 (reported). */
static int print_proposed_cost(const struct trace *t, const struct tune_layout *proposed, const char *region)
{
    uint64_t failures[2];                /* replays with fallback off, on */
    for (int on = 0; on < 2; on++) {
        struct tune_replay r;
        if (tune_replay(t, proposed, on != 0, false, 0, &r) != 0) {
            fprintf(stderr, "poolalloc-tune: out of memory\n");
            return 1;
        }
        failures[on] = r.failures - r.invalid;
        tune_replay_free(&r);
    }
    bool spills = failures[0] > 0;
    printf("\n--pools ");
    print_layout_arg(stdout, proposed, NULL);
    if (failures[1] > 0)
        printf(": %llu requests of the trace fail there, even with fallback\n", (unsigned long long)failures[1]);
    else
        printf(": %s\n", spills ? "the trace relies on fallback there (a replay with fallback off fails)"
                                 : "serves the trace with fallback off");
    print_cost(proposed, region, spills);
    return 0;
}

/* The report of trace t (one region's, named `region` when the build has
 * several): summary, histogram, the recorded layout replayed, leaks, and
 * with `proposed` (--pools; NULL: none) its cost and, when asked for, the
 * chart with it beside the recorded layout.  0, or 1 (reported). */
static int report_trace(const struct report_args *a, const struct trace *t, const struct tune_layout *proposed,
                        const char *region)
{
    struct tune_model m;
    struct tune_layout lay;
    struct tune_replay r;
    tune_recorded_layout(t, &lay);
    if (tune_model_build(t, t->alignment, UINT64_MAX, &m) != 0) {
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    if (tune_replay(t, &lay, (t->flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0, true, a->svg ? SVG_SAMPLES : 0,
                    &r) != 0) {
        tune_model_free(&m);
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    print_trace_summary(a->path, t, &m);
    print_histogram(&m);
    print_replay(t, &lay, &r);
    print_leaks(&m, t->pointer_size);
    int rc = proposed != NULL ? print_proposed_cost(t, proposed, region) : 0;
    if (rc == 0 && a->svg != NULL)
        rc = chart(a->svg, a->path, t, &lay, &r, proposed);
    tune_replay_free(&r);
    tune_model_free(&m);
    return rc;
}

/* The regions of a multi-region trace: name, pools, recorded layout. */
static void print_region_table(const struct trace *t)
{
    printf("regions: %u, each reported on its own below (a region's tables number its pools from 0)\n",
           t->region_count);
    int width = 4;
    for (unsigned r = 0; r < t->region_count; r++)
        if ((int)strlen(t->regions[r].name) > width)
            width = (int)strlen(t->regions[r].name);
    printf("  %6s %-*s %9s  %s\n", "region", width, "name", "pools", "recorded layout");
    struct tune_layout lay;
    tune_recorded_layout(t, &lay);
    for (unsigned r = 0; r < t->region_count; r++) {
        const struct trace_region *region = &t->regions[r];
        char pools[16];
        (void)snprintf(pools, sizeof pools, "%u..%u", region->first_pool, region->first_pool + region->pool_count - 1);
        printf("  %6u %-*s %9s  ", r, width, region->name, pools);
        struct tune_layout part = lay;
        part.count = region->pool_count;
        memcpy(part.block, &lay.block[region->first_pool], region->pool_count * sizeof lay.block[0]);
        memcpy(part.capacity, &lay.capacity[region->first_pool], region->pool_count * sizeof lay.capacity[0]);
        print_layout_arg(stdout, &part, NULL);
        printf("\n");
    }
    printf("\n");
}

/* The reports of the regions of t (all, or only `only` when >= 0), each of
 * its sub-trace under a heading when t has several; `proposed` holds a
 * layout per region (--pools).  0, or 1. */
static int report_regions(const struct report_args *a, const struct trace *t, int only,
                          const struct tune_layout *proposed)
{
    bool several = t->region_count > 1;
    if (several && only < 0)
        print_region_table(t);
    for (unsigned r = 0; r < t->region_count; r++) {
        if (only >= 0 && r != (unsigned)only)
            continue;
        struct trace sub;
        if (load_region(t, r, &sub) != 0)
            return 1;
        if (several)
            print_region_heading(t, r, only < 0 && r > 0);
        int rc = report_trace(a, &sub, proposed != NULL ? &proposed[r] : NULL, several ? t->regions[r].name : NULL);
        trace_free(&sub);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* --pools of report: the tagged list, a layout per region; the chosen
 * region's must not be empty.  0, or 2 (reported). */
static int report_layouts(const struct report_args *a, const struct trace *t, int only, struct tune_layout *lays)
{
    char err[TUNE_REGION_NAMES_LEN + 200];
    if (tune_parse_region_layouts(a->pools, t, t->alignment, lays, err, sizeof err) != 0)
        return usage_error("report: --pools %s: %s", a->pools, err);
    unsigned r = only >= 0 ? (unsigned)only : 0;
    if (lays[r].count == 0)
        return usage_error("report: --pools %s: no entries for region %s (%s@BLOCK:CAPACITY)", a->pools,
                           t->regions[r].name, t->regions[r].name);
    return 0;
}

int cmd_report(int argc, char **argv)
{
    struct report_args a = { 0 };
    if (parse_report(argc, argv, &a) != 0)
        return 2;
    struct trace t;
    if (load(a.path, &t) != 0)
        return 1;
    int only = -1, rc = find_region_arg("report", &t, a.region, &only);
    if (rc == 0 && a.svg != NULL && t.region_count > 1 && only < 0) {
        char names[TUNE_REGION_NAMES_LEN];
        tune_region_names(&t, names, sizeof names);
        rc = usage_error("report: --svg draws the pools of one region: give --region NAME too (the trace's "
                         "regions are %s)", names);
    }
    struct tune_layout *lays = a.pools != NULL ? calloc(t.region_count, sizeof *lays) : NULL;
    if (rc == 0 && a.pools != NULL && lays == NULL) {
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        rc = 1;
    }
    if (rc == 0 && lays != NULL)
        rc = report_layouts(&a, &t, only, lays);
    if (rc == 0)
        rc = report_regions(&a, &t, only, lays);
    free(lays);
    trace_free(&t);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * What the subcommands of poolalloc-tune share (cli.h): reading sizes and
 * options, bad command lines (exit status 2), loading a trace and a
 * region's sub-trace, and the lines every subcommand prints the same way
 * (a layout in -Dpools syntax, a region's heading, the trace summary, a
 * replay's per-pool table).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Parse a size with an optional K/M suffix, at most MAX_SIZE. */
enum parsed parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    bool huge = false;
    if (!isdigit((unsigned char)*p))
        return MALFORMED;
    for (; isdigit((unsigned char)*p); p++) {
        huge |= v > MAX_SIZE;
        if (!huge)
            v = v * 10 + (uint64_t)(*p - '0');
    }
    uint64_t mult = 1;
    if (*p == 'K' || *p == 'k')
        mult = 1024;
    else if (*p == 'M' || *p == 'm')
        mult = (uint64_t)1024 * 1024;
    if (mult != 1)
        p++;
    if (*p != '\0')
        return MALFORMED;
    if (huge || v > MAX_SIZE / mult)
        return TOO_LARGE;
    *out = v * mult;
    return PARSED;
}

/* A bad command line: the message, a pointer to --help, exit status 2. */
int print_usage_error(const char *msg)
{
    fprintf(stderr, "poolalloc-tune: %s\n(poolalloc-tune --help for usage)\n", msg);
    return 2;
}

char usage_message[USAGE_MESSAGE_LEN];

/* An option's value: after '=' or the next argument (*i advances); NULL
 * when there is none. */
const char *option_value(int argc, char **argv, int *i)
{
    const char *eq = strchr(argv[*i], '=');
    if (eq != NULL)
        return eq + 1;
    if (*i + 1 < argc && (argv[*i + 1][0] != '-' || argv[*i + 1][1] == '\0'))
        return argv[++*i];
    return NULL;
}

/* The alignment `a` checked against the trace's pointer size: 0, or 2

 * (reported). */
int check_alignment(uint64_t a, unsigned ptr)
{
    if (a < ptr)
        return usage_error("--alignment %llu is below the trace's pointer size (%u bytes)", (unsigned long long)a,
                           ptr);
    if (a > tune_max_alignment(ptr))
        return usage_error("--alignment %llu exceeds what the trace's %u-byte pointers allow (at most %llu: a "
                           "block is at least the alignment and no object exceeds PTRDIFF_MAX)",
                           (unsigned long long)a, ptr, (unsigned long long)tune_max_alignment(ptr));
    return 0;
}

int load(const char *path, struct trace *t)
{
    struct trace_error err;
    if (trace_load(path, t, &err) != 0) {
        fprintf(stderr, "poolalloc-tune: %s: byte %zu: %s\n", path, err.offset, err.msg);
        return 1;
    }
    return 0;
}

/* A layout in -Dpools syntax; with a region name `tag`, NAME@BLOCK:CAPACITY
 * entries (src/gen_layout.py: those of a region other than the default). */
void print_layout_arg(FILE *f, const struct tune_layout *lay, const char *tag)
{
    for (size_t k = 0; k < lay->count; k++)
        fprintf(f, "%s%s%s%llu:%llu", k ? "," : "", tag != NULL ? tag : "", tag != NULL ? "@" : "",
                (unsigned long long)lay->block[k], (unsigned long long)lay->capacity[k]);
}

/* The sub-trace of region r (region.c); 0, or 1 (reported). */
int load_region(const struct trace *t, unsigned r, struct trace *out)
{
    char err[200];
    if (tune_trace_region(t, r, out, err, sizeof err) != 0) {
        fprintf(stderr, "poolalloc-tune: %s\n", err);
        return 1;
    }
    return 0;
}

/* The heading of region r's part of the output of a multi-region trace. */
void print_region_heading(const struct trace *t, unsigned r, bool gap)
{
    const struct trace_region *region = &t->regions[r];
    printf("%s== region %s (region %u): pools %u..%u ==\n", gap ? "\n" : "", region->name, r,
           region->first_pool, region->first_pool + region->pool_count - 1);
}

/* The region called `name` (NULL: none asked for, r = -1), as *r; 0, or 2
 * (reported: not one of the trace's). */
int find_region_arg(const char *cmd, const struct trace *t, const char *name, int *r)
{
    *r = -1;
    if (name == NULL)
        return 0;
    for (unsigned k = 0; k < t->region_count; k++)
        if (strcmp(t->regions[k].name, name) == 0)
            *r = (int)k;
    if (*r >= 0)
        return 0;
    char names[TUNE_REGION_NAMES_LEN];
    tune_region_names(t, names, sizeof names);
    return usage_error("%s: --region %s: the trace has no such region; its regions are %s", cmd, name, names);
}

double percent(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : 100.0 * (double)part / (double)whole;
}

/* "note: COUNT TEXT", when count is not 0. */
void note(uint64_t count, const char *text)
{
    if (count > 0)
        printf("note: %llu %s\n", (unsigned long long)count, text);
}

/* Header lines and integrity warnings common to both commands. */
void print_trace_summary(const char *path, const struct trace *t, const struct tune_model *m)
{
    printf("trace: %s: %zu records, pointer size %u, alignment %llu, fallback %s\n", path,
           t->event_count, t->pointer_size, (unsigned long long)t->alignment,
           (t->flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0 ? "on" : "off");
    printf("recorded layout: ");
    struct tune_layout lay;
    tune_recorded_layout(t, &lay);
    print_layout_arg(stdout, &lay, NULL);
    printf("\n");
    if (t->dropped > 0)
        printf("WARNING: the recorder dropped %llu events (DROPPED records): the results below are approximate\n",
               (unsigned long long)t->dropped);
    if (t->seq_missing > 0)
        printf("WARNING: %llu events missing from the sequence with no DROPPED record "
               "(%zu jumps, the first at byte %zu)\n",
               (unsigned long long)t->seq_missing, t->seq_jumps, t->first_jump_offset);
    if (!t->has_end)
        printf("note: no END record: the program did not finish, or the recorder was not flushed\n");
    note(m->unknown_frees, "frees or reallocs of pointers the trace never returned");
    note(m->reused_live, "results were still live in the trace (a lost free, or events out of order)");
    note(m->aligned_reallocs, "reallocs grew over-aligned blocks; modelled as moving to a plain pool");
    uint64_t requests = m->allocations + m->invalid_requests + m->excluded_large;
    printf("requests: %llu allocations (%llu failed in the trace, %llu invalid), %llu frees, "
           "%llu in interrupt handlers\n",
           (unsigned long long)requests,
           (unsigned long long)m->failed_in_trace, (unsigned long long)m->invalid_requests,
           (unsigned long long)m->frees, (unsigned long long)m->irq_events);
    printf("peak live: %s%llu bytes in %llu blocks (a lower bound for any allocator)\n",
           m->peak_live_bytes == UINT64_MAX ? "at least " : "", (unsigned long long)m->peak_live_bytes,
           (unsigned long long)m->peak_live_blocks);
}

void print_replay_as(const char *title, bool fallback, const struct trace *t, const struct tune_layout *lay,
                            const struct tune_replay *r)
{
    printf("\n%s, replayed (first pool that fits%s):\n", title, fallback ? ", then larger pools" : ", no fallback");
    printf("  %4s %8s %9s %10s %12s %8s %10s %9s\n", "pool", "block", "capacity", "high water",
           "utilisation", "served", "spilled in", "failures");
    for (size_t k = 0; k < lay->count; k++) {
        const struct tune_pool_result *p = &r->pool[k];
        printf("  %4zu %8llu %9llu %10llu %11.1f%% %8llu %10llu %9llu\n", k,
               (unsigned long long)lay->block[k], (unsigned long long)lay->capacity[k],
               (unsigned long long)p->high_water, percent(p->high_water, lay->capacity[k]),
               (unsigned long long)p->served, (unsigned long long)p->spilled_in, (unsigned long long)p->failures);
    }
    printf("  failures: %llu in the replay (%llu with no pool large or aligned enough, %llu invalid), "
           "%llu in the trace\n",
           (unsigned long long)r->failures, (unsigned long long)r->failures_no_pool,
           (unsigned long long)r->invalid, (unsigned long long)r->trace_failures);
    bool addresses = false;
    for (unsigned k = 0; k < t->pool_count; k++)
        addresses |= t->pools[k].start != 0;
    if (addresses)
        printf("  blocks the replay placed in another pool than the firmware did: %llu\n",
               (unsigned long long)r->disagreements);
}

/* The size lookup's shape, as configure prints it (src/gen_layout.py). */
static void print_size_shape(const struct tune_shape *sh)
{
    if (sh->count == 1) {
        printf("  size lookup: one pool, one compare\n");
        return;
    }
    if (sh->size_entries == 0)
        printf("  size lookup: %u compare(s)\n", sh->size_compares);
    else
        printf("  size lookup: sizes up to %llu by a %zu-entry table (granule %llu), %u correction step(s); "
               "larger sizes: %u compare(s)\n", (unsigned long long)sh->size_limit, sh->size_entries,
               (unsigned long long)1 << sh->size_shift, sh->size_steps, sh->size_compares);
}

static void print_pointer_shape(const struct tune_shape *sh)
{
    if (sh->count == 1)
        printf("  pointer lookup: one pool, one compare\n");
    else if (sh->addr_tree)
        printf("  pointer lookup: compare tree, at most %u compares (%u pools smaller than a granule of a "
               "256-entry table share one; each would cost a compare)\n", sh->tree_compares, sh->addr_steps);
    else
        printf("  pointer lookup: %zu-entry table (granule %llu bytes), %u compare(s)\n", sh->addr_entries,
               (unsigned long long)1 << sh->addr_shift, sh->addr_steps);
}

void print_cost(const struct tune_layout *lay, const char *region, bool relies_on_fallback)
{
    struct tune_shape sh;
    struct tune_cost on, off;
    /* An extra region's size table is exact (src/gen_layout.py). */
    bool extra = region != NULL && strcmp(region, POOLALLOC_TRACE_DEFAULT_REGION) != 0;
    tune_layout_shape(lay, extra, &sh);
    tune_layout_cost(lay, &sh, true, &on);
    tune_layout_cost(lay, &sh, false, &off);
    if (region != NULL)
        printf("region %s: ", region);
    printf("cost (a model of the default thumbv7m picolibc build, 0 to 4 instructions above the measured worst "
           "on 16 layouts: doc/performance.md):\n");
    print_size_shape(&sh);
    print_pointer_shape(&sh);
    if (region != NULL) {
        /* Measured for builds of one region only: several add a compare
         * per region to free, and poolalloc_malloc_in for the others. */
        printf("  worst case: not modelled for a build of several regions (doc/performance.md, "
               "\"Several regions\")\n");
        return;
    }
    printf("  worst case, instructions per call: malloc %u, free %u with -Dfallback=true", on.malloc_worst,
           on.free_worst);
    if (relies_on_fallback)
        printf(" (the layout relies on it)\n");
    else
        printf("; malloc %u, free %u with -Dfallback=false\n", off.malloc_worst, off.free_worst);
    printf("  a free of a block that carries the free mark (misuse, or data equal to it) walks its pool's "
           "list: up to %u x %llu instructions more\n", on.free_walk_per_block,
           (unsigned long long)on.free_walk_blocks);
}

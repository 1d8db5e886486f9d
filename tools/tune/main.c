/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune: the host tool that turns a poolalloc allocation trace
 * (doc/trace-format.md) into a report (size histogram, peak live bytes, the
 * recorded layout's utilisation and failures, leaks by caller, optionally an
 * SVG of pool occupancy) or into the cheapest pool layout for a heap budget,
 * region by region for a build with several (region.c).
 * The manual is tools/tune/README.md; `poolalloc-tune --help` is its summary.
 *
 * Exit status: 0 success, 1 unreadable or malformed trace (or out of
 * memory), 2 bad command line, 3 the trace does not fit the budget, 4 the
 * layout given to replay fails some request.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tune.h"

#define BAR_WIDTH 40u
#define SVG_SAMPLES 800u
#define POOLALLOC_TUNE_MAX_TRACES 64
/* generate's words: the traces, a --heap-size NAME=SIZE per region (at
 * most one region per pool) and the other options. */
#define POOLALLOC_TUNE_MAX_ARGS ((int)(POOLALLOC_TUNE_MAX_TRACES + 2 * POOLALLOC_TRACE_MAX_POOLS + 16))

static const char usage_text[] =
    "usage: poolalloc-tune report TRACE [--region NAME] [--svg FILE [--pools LAYOUT]]\n"
    "       poolalloc-tune generate TRACE... --heap-size SIZE [--heap-size NAME=SIZE]... [--max-pools N]\n"
    "                               [--alignment A] [--alignment NAME=A]... [--headroom PCT] [--no-fallback]\n"
    "       poolalloc-tune replay TRACE --pools LAYOUT [--fallback on|off] [--alignment A]\n"
    "       poolalloc-tune --help\n"
    "\n"
    "Reads a poolalloc allocation trace (doc/trace-format.md; build with -Dtrace=true).\n"
    "\n"
    "report    histogram of requested sizes (requests, peak live blocks of each size);\n"
    "          peak live bytes, a lower bound for any allocator; the layout recorded in\n"
    "          the trace replayed with the allocator's rules (first pool that fits,\n"
    "          then larger pools if the trace says fallback is on): per-pool\n"
    "          utilisation and failures; blocks still allocated at the end, grouped by\n"
    "          caller address (feed them to addr2line -f -e FIRMWARE.elf).\n"
    "          --region NAME  only that region of a trace with several\n"
    "          --svg FILE   also draw each pool's occupancy over the trace (event\n"
    "                       axis, interrupt and failure markers, high water).\n"
    "          --pools LAYOUT  draw this layout (e.g. generate's) beside the\n"
    "                       recorded one, replayed on the same trace.\n"
    "\n"
    "generate  the layout with the fewest bytes that serves every request of the\n"
    "          trace with no failure, and the meson configure line for it.  Two\n"
    "          searches: exact over layouts in which every request is served by the\n"
    "          pool the allocator tries first (they also work with -Dfallback=false),\n"
    "          and over layouts that rely on fallback spilling (plain requests only;\n"
    "          every candidate verified by replaying the trace, with a lower bound no\n"
    "          such layout beats).  The cheaper is used unless --no-fallback.\n"
    "          A pool's capacity is the peak live count of the requests it serves;\n"
    "          each pool also costs the RAM of its state record, as the trace says\n"
    "          (8 bytes with the default options, 28 with -Dstats=true), counted in\n"
    "          the budget.  The rest of the budget becomes headroom, in proportion\n"
    "          to each pool's peak.  Several traces (scenarios, boards): the\n"
    "          layout serves each of them, replayed on its own; they must agree on\n"
    "          the pointer size (and on the alignment unless --alignment is given).\n"
    "          --heap-size SIZE  the budget: pools plus their records (K, M suffixes);\n"
    "                            NAME=SIZE: region NAME's (see Several regions)\n"
    "          --max-pools N     at most N pools (default and maximum 255)\n"
    "          --alignment A     the -Dalignment of the new build (default: the trace's);\n"
    "                            NAME=A: region NAME's blocks are multiples of A (DMA\n"
    "                            buffers on whole cache lines: dma=32)\n"
    "          --no-fallback     only layouts that work with -Dfallback=false\n"
    "          --headroom PCT    spare blocks = PCT% of each pool's peak (rounded up),\n"
    "                            leaving the rest of the budget unused; 0 = the bare\n"
    "                            optimum (default: fill the budget)\n"
    "\n"
    "\n"
    "replay    replay the trace on LAYOUT (-Dpools syntax, checked with the\n"
    "          allocator's rules): per-pool high water and failures.  Fallback as\n"
    "          the trace recorded it unless --fallback; --alignment as -Dalignment\n"
    "          (default: the trace's).\n"
    "\n"
    "SIZE: bytes, or with a K (1024) or M (1048576) suffix: 4096, 10K, 1M (at most 1 TiB).\n"
    "Exit status: 0 ok, 1 bad trace, 2 bad command line, 3 does not fit the budget,\n"
    "4 the replayed layout fails some request.\n";

/* The rest of --help (one string would exceed what C compilers must
 * accept). */
static const char usage_regions[] =
    "\n"
    "Several regions (a build with -Dregions): each region is modelled on its own\n"
    "from the calls that reached it (poolalloc_malloc_in: the region it names;\n"
    "the other allocations: the default region; free and realloc: the region of\n"
    "their pointer), under a heading '== region NAME (region R): pools A..B =='.\n"
    "          report: a table of the regions, then each one's report;\n"
    "                  --region NAME only that one (--svg needs it).\n"
    "          generate: --heap-size SIZE is the default region's budget,\n"
    "                  --heap-size NAME=SIZE region NAME's; every region needs one.\n"
    "                  One line for all: -Dpools=BLOCK:CAP,...,NAME@BLOCK:CAP,...\n"
    "          replay: LAYOUT in that syntax, with entries for every region.\n";

static int print_help(void)
{
    fputs(usage_text, stdout);
    fputs(usage_regions, stdout);
    return 0;
}

#define MAX_SIZE (UINT64_C(1) << 40) /* 1 TiB: anything above is a typo */

enum parsed { PARSED, MALFORMED, TOO_LARGE };

/* Parse a size with an optional K/M suffix, at most MAX_SIZE. */
static enum parsed parse_size(const char *s, uint64_t *out)
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
static int print_usage_error(const char *msg)
{
    fprintf(stderr, "poolalloc-tune: %s\n(poolalloc-tune --help for usage)\n", msg);
    return 2;
}

/* usage_error(FORMAT, ...): print_usage_error of the formatted message (a
 * macro, not a variadic function: clang-analyzer's va_list checker
 * misreads those). */
static char usage_message[3 * TUNE_REGION_NAMES_LEN + 1024];
#define usage_error(...) \
    ((void)snprintf(usage_message, sizeof usage_message, __VA_ARGS__), print_usage_error(usage_message))

/* An option's value: after '=' or the next argument (*i advances); NULL
 * when there is none. */
static const char *option_value(int argc, char **argv, int *i)
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
static int check_alignment(uint64_t a, unsigned ptr)
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

static int load(const char *path, struct trace *t)
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
static void print_layout_arg(FILE *f, const struct tune_layout *lay, const char *tag)
{
    for (size_t k = 0; k < lay->count; k++)
        fprintf(f, "%s%s%s%llu:%llu", k ? "," : "", tag != NULL ? tag : "", tag != NULL ? "@" : "",
                (unsigned long long)lay->block[k], (unsigned long long)lay->capacity[k]);
}

/* The sub-trace of region r (region.c); 0, or 1 (reported). */
static int load_region(const struct trace *t, unsigned r, struct trace *out)
{
    char err[200];
    if (tune_trace_region(t, r, out, err, sizeof err) != 0) {
        fprintf(stderr, "poolalloc-tune: %s\n", err);
        return 1;
    }
    return 0;
}

/* The heading of region r's part of the output of a multi-region trace. */
static void print_region_heading(const struct trace *t, unsigned r, bool gap)
{
    const struct trace_region *region = &t->regions[r];
    printf("%s== region %s (region %u): pools %u..%u ==\n", gap ? "\n" : "", region->name, r,
           region->first_pool, region->first_pool + region->pool_count - 1);
}

/* The region called `name` (NULL: none asked for, r = -1), as *r; 0, or 2
 * (reported: not one of the trace's). */
static int find_region_arg(const char *cmd, const struct trace *t, const char *name, int *r)
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

static double percent(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0.0 : 100.0 * (double)part / (double)whole;
}

/* "note: COUNT TEXT", when count is not 0. */
static void note(uint64_t count, const char *text)
{
    if (count > 0)
        printf("note: %llu %s\n", (unsigned long long)count, text);
}

/* Header lines and integrity warnings common to both commands. */
static void print_trace_summary(const char *path, const struct trace *t, const struct tune_model *m)
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
    printf("peak live: %llu bytes in %llu blocks (a lower bound for any allocator)\n",
           (unsigned long long)m->peak_live_bytes, (unsigned long long)m->peak_live_blocks);
}

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

static void print_replay_as(const char *title, bool fallback, const struct trace *t, const struct tune_layout *lay,
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

static void print_replay(const struct trace *t, const struct tune_layout *lay, const struct tune_replay *r)
{
    print_replay_as("recorded layout", (t->flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0, t, lay, r);
}

static void print_leaks(const struct tune_model *m, unsigned ptr)
{
    uint64_t bytes = 0;
    size_t callers = 0;
    for (size_t i = 0; i < m->leak_count; i++) {
        bytes += m->leaks[i].size;
        callers += i == 0 || m->leaks[i].caller != m->leaks[i - 1].caller;
    }
    printf("\nstill allocated at the end: %zu blocks, %llu bytes, from %zu callers\n", m->leak_count,
           (unsigned long long)bytes, callers);
    if (m->leak_count == 0)
        return;
    printf("  %-*s %7s %8s  %s\n", (int)(2 + 2 * ptr), "caller", "blocks", "bytes", "sizes");
    for (size_t i = 0; i < m->leak_count;) {
        size_t j = i;
        uint64_t b = 0;
        while (j < m->leak_count && m->leaks[j].caller == m->leaks[i].caller)
            b += m->leaks[j++].size;
        printf("  0x%0*llx %7zu %8llu  ", (int)(2 * ptr), (unsigned long long)m->leaks[i].caller, j - i,
               (unsigned long long)b);
        for (size_t k = i; k < j && k < i + 8; k++)
            printf("%s%llu", k > i ? " " : "", (unsigned long long)m->leaks[k].size);
        printf("%s\n", j - i > 8 ? " ..." : "");
        i = j;
    }
    printf("  (addr2line -f -p -e FIRMWARE.elf ADDRESS... names the callers)\n");
}

/* ---- The SVG chart ---------------------------------------------------------- */

/* One column of the chart: a layout and its replay of the trace. */
struct chart_column {
    const char *title;
    const struct tune_layout *lay;
    const struct tune_replay *r;
};

#define SVG_LEFT 60u
#define SVG_TOP 70u
#define SVG_PANEL 80u
#define SVG_GAP 50u
#define SVG_TICKS 5u

static void svg_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

/* x of slice i of n in a plot [x0, x0 + w). */
static double slice_x(size_t i, size_t n, unsigned x0, unsigned w)
{
    return x0 + (double)w * (double)i / (double)(n > 1 ? n - 1 : 1);
}

/* The event axis under a column: ticks labelled with record numbers. */
static void svg_axis(FILE *f, unsigned x0, unsigned w, unsigned y, size_t events)
{
    fprintf(f, "<g class=\"axis\" stroke=\"#333\">\n<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\"/>\n", x0, y, x0 + w, y);
    for (unsigned k = 0; k <= SVG_TICKS; k++) {
        double x = x0 + (double)w * k / SVG_TICKS;
        size_t event = events == 0 ? 0 : (size_t)((double)(events - 1) * k / SVG_TICKS);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\"/>\n", x, y, x, y + 5);
        fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%u\" text-anchor=\"middle\" stroke=\"none\">%zu</text>\n", x,
                y + 17, event);
    }
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\" stroke=\"none\">trace record (event number)</text>\n"
               "</g>\n", x0 + w / 2, y + 32);
}

/* The marker strip above a column's panels: interrupt-handler events in
 * purple, the column's failed requests in red. */
static void svg_markers(FILE *f, const struct trace *t, const struct chart_column *c, unsigned x0, unsigned w)
{
    size_t n = c->r->sample_count;
    unsigned y = SVG_TOP - 28;
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">irq</text>\n", x0 - 4, y + 8);
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">fail</text>\n", x0 - 4, y + 20);
    for (size_t i = 0, last = SIZE_MAX; i < t->event_count && n > 0; i++) {
        size_t slice = (size_t)((uint64_t)i * n / t->event_count);
        if ((t->events[i].flags & POOLALLOC_TRACE_RECORD_IN_IRQ) == 0 || slice == last)
            continue;
        last = slice;
        double x = slice_x(slice, n, x0, w);
        fprintf(f, "<line class=\"irq\" x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\" stroke=\"#8e44ad\"/>\n", x, y, x,
                y + 10);
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t fails = 0;
        for (size_t k = 0; k <= c->lay->count; k++)
            fails += c->r->fail_samples[k * n + i];
        if (fails == 0)
            continue;
        double x = slice_x(i, n, x0, w);
        fprintf(f, "<line class=\"failure\" x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\" stroke=\"#d62728\" "
                   "stroke-width=\"2\"><title>%llu failed</title></line>\n",
                x, y + 12, x, y + 22, (unsigned long long)fails);
    }
}

/* Pool k's panel: occupancy, capacity, its high-water line, its failures. */
static void svg_panel(FILE *f, const struct chart_column *c, size_t k, unsigned x0, unsigned w)
{
    const struct tune_layout *lay = c->lay;
    const struct tune_pool_result *p = &c->r->pool[k];
    size_t n = c->r->sample_count;
    unsigned y0 = SVG_TOP + (unsigned)k * SVG_PANEL, h = SVG_PANEL - 25, base = y0 + 15 + h;
    double cap = (double)lay->capacity[k];
    fprintf(f, "<text x=\"%u\" y=\"%u\">pool %zu: %llu-byte blocks, capacity %llu, high water %llu, "
               "failures %llu</text>\n", x0, y0 + 10, k, (unsigned long long)lay->block[k],
            (unsigned long long)lay->capacity[k], (unsigned long long)p->high_water, (unsigned long long)p->failures);
    fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"#f4f4f4\" stroke=\"#999\"/>\n", x0, y0 + 15,
            w, h);
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%llu</text>\n", x0 - 4, y0 + 22,
            (unsigned long long)lay->capacity[k]);
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">0</text>\n", x0 - 4, base);
    double hw = base - (cap > 0 ? (double)p->high_water / cap : 0.0) * h;
    fprintf(f, "<line class=\"high-water\" x1=\"%u\" y1=\"%.1f\" x2=\"%u\" y2=\"%.1f\" stroke=\"#ff7f0e\" "
               "stroke-dasharray=\"4 3\"><title>high water %llu</title></line>\n",
            x0, hw, x0 + w, hw, (unsigned long long)p->high_water);
    if (n == 0)
        return;
    fprintf(f, "<polyline class=\"occupancy\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
    for (size_t i = 0; i < n; i++) {
        double v = (double)c->r->samples[k * n + i];
        fprintf(f, "%.1f,%.1f ", slice_x(i, n, x0, w), base - (cap > 0 ? v / cap : 0.0) * h);
    }
    fprintf(f, "\"/>\n");
    for (size_t i = 0; i < n; i++)
        if (c->r->fail_samples[k * n + i] != 0)
            fprintf(f, "<circle class=\"failure\" cx=\"%.1f\" cy=\"%u\" r=\"3\" fill=\"#d62728\"/>\n",
                    slice_x(i, n, x0, w), y0 + 15);
}

/* Write the chart of one or two columns side by side; 0 or 1 (I/O error,
 * reported). */
static int write_svg(const char *path, const char *trace_path, const struct trace *t,
                     const struct chart_column *cols, size_t ncols)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "poolalloc-tune: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    unsigned plot = ncols > 1 ? 520u : 800u, rows = 0;
    for (size_t c = 0; c < ncols; c++)
        if (cols[c].lay->count > rows)
            rows = (unsigned)cols[c].lay->count;
    unsigned width = SVG_LEFT + (unsigned)ncols * (plot + SVG_GAP), height = SVG_TOP + rows * SVG_PANEL + 50;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
               "font-family=\"sans-serif\" font-size=\"11\">\n", width, height);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%u\" y=\"16\" font-size=\"14\">pool occupancy over %zu trace records: ", SVG_LEFT,
            t->event_count);
    svg_text(f, trace_path);
    fprintf(f, "</text>\n");
    for (size_t c = 0; c < ncols; c++) {
        unsigned x0 = SVG_LEFT + (unsigned)c * (plot + SVG_GAP);
        fprintf(f, "<text class=\"column\" x=\"%u\" y=\"34\" font-size=\"12\">", x0);
        svg_text(f, cols[c].title);
        fprintf(f, " (%llu failures)</text>\n", (unsigned long long)cols[c].r->failures);
        svg_markers(f, t, &cols[c], x0, plot);
        for (size_t k = 0; k < cols[c].lay->count; k++)
            svg_panel(f, &cols[c], k, x0, plot);
        svg_axis(f, x0, plot, SVG_TOP + rows * SVG_PANEL, t->event_count);
    }
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "poolalloc-tune: error writing %s\n", path);
        return 1;
    }
    return 0;
}

/* The chart of report --svg: the recorded layout, and `pools` beside it
 * when given.  0, or 1 (reported). */
static int chart(const char *svg, const char *path, const struct trace *t, const struct tune_layout *lay,
                 const struct tune_replay *r, const struct tune_layout *proposed)
{
    bool fallback = (t->flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0;
    struct chart_column cols[2] = { { "recorded layout", lay, r }, { "proposed layout (--pools)", proposed, NULL } };
    struct tune_replay pr;
    if (proposed != NULL) {
        if (tune_replay(t, proposed, fallback, false, SVG_SAMPLES, &pr) != 0) {
            fprintf(stderr, "poolalloc-tune: out of memory\n");
            return 1;
        }
        cols[1].r = &pr;
    }
    int rc = write_svg(svg, path, t, cols, proposed != NULL ? 2 : 1);
    if (proposed != NULL)
        tune_replay_free(&pr);
    if (rc == 0)
        printf("\noccupancy chart: %s\n", svg);
    return rc;
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
    if (a->pools != NULL && a->svg == NULL)
        return usage_error("%s", "report: --pools draws a layout in the chart: give --svg FILE too");
    return 0;
}

/* The report of trace t (one region's): summary, histogram, the recorded
 * layout replayed, leaks, and the chart when asked for (with `proposed`
 * beside the recorded layout when not NULL).  0, or 1 (reported). */
static int report_trace(const struct report_args *a, const struct trace *t, const struct tune_layout *proposed)
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
    int rc = a->svg != NULL ? chart(a->svg, a->path, t, &lay, &r, proposed) : 0;
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
        int rc = report_trace(a, &sub, proposed != NULL ? &proposed[r] : NULL);
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

static int cmd_report(int argc, char **argv)
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

struct gen_args {
    const char **paths;      /* the traces, argv's */
    size_t path_count;
    uint64_t heap, max_pools, alignment;
    long headroom;           /* -1: fill the budget */
    bool have_heap, have_alignment;
    bool no_fallback;        /* --no-fallback: only layouts that serve with fallback off */
    /* --heap-size NAME=SIZE: region NAME's budget (heap: --heap-size SIZE,
     * the default region's, or the one region's); --alignment NAME=A:
     * region NAME's blocks are multiples of A (DMA buffers on whole cache
     * lines), -Dalignment stays --alignment A's. */
    struct region_values {
        struct region_value {
            const char *name;    /* argv's, name_len bytes */
            size_t name_len;
            uint64_t value;
        } v[POOLALLOC_TRACE_MAX_POOLS];   /* one per region at most */
        size_t count;
    } budgets, aligns;
};

/* NAME=VALUE into *list, one per name; NULL, or the message (two %s: the
 * option and its argument). */
static const char *add_region_value(struct region_values *list, const char *name, size_t len, uint64_t n)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->v[i].name_len == len && memcmp(list->v[i].name, name, len) == 0)
            return "generate: %s %s: a second value for that region";
    if (len == 0)
        return "generate: %s %s: no region name before '='";
    if (list->count == sizeof list->v / sizeof list->v[0])
        return "generate: %s %s: more regions than a build can have";
    list->v[list->count++] = (struct region_value){ name, len, n };
    return NULL;
}

/* Each option of generate stores its value n in *g; NULL, or the message
 * for a value out of range (one %s: the value as given). */
static const char *set_heap_size(struct gen_args *g, uint64_t n)
{
    g->heap = n;
    g->have_heap = true;
    return NULL;
}

static const char *set_max_pools(struct gen_args *g, uint64_t n)
{
    if (n == 0 || n > POOLALLOC_TRACE_MAX_POOLS)
        return "generate: --max-pools %s: must be 1 to 255";
    g->max_pools = n;
    return NULL;
}

static const char *set_alignment(struct gen_args *g, uint64_t n)
{
    if (!tune_is_pow2(n))
        return "generate: --alignment %s: must be a power of two";
    g->alignment = n;
    g->have_alignment = true;
    return NULL;
}

static const char *set_headroom(struct gen_args *g, uint64_t n)
{
    if (n > 100000)
        return "generate: --headroom %s: at most 100000 (percent)";
    g->headroom = (long)n;
    return NULL;
}

static const struct gen_option {
    const char *name;
    const char *(*set)(struct gen_args *g, uint64_t n);
} gen_options[] = {
    { "--heap-size", set_heap_size },
    { "--max-pools", set_max_pools },
    { "--alignment", set_alignment },
    { "--headroom", set_headroom },
};

/* The option `arg` names (as "--name" or "--name=value"), or NULL. */
static const struct gen_option *find_gen_option(const char *arg)
{
    for (size_t o = 0; o < sizeof gen_options / sizeof gen_options[0]; o++) {
        size_t len = strlen(gen_options[o].name);
        if (strncmp(arg, gen_options[o].name, len) == 0 && (arg[len] == '\0' || arg[len] == '='))
            return &gen_options[o];
    }
    return NULL;
}

/* Parse generate's arguments; 0 or 2 (reported). */
static int parse_generate(int argc, char **argv, struct gen_args *g)
{
    g->max_pools = POOLALLOC_TRACE_MAX_POOLS;
    g->headroom = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--no-fallback") == 0) {
            g->no_fallback = true;
            continue;
        }
        const struct gen_option *option = find_gen_option(a);
        if (option == NULL) {
            if (a[0] == '-' && a[1] != '\0')
                return usage_error("generate: unknown option %s", a);
            if (g->path_count == POOLALLOC_TUNE_MAX_TRACES)
                return usage_error("generate: more than %d traces", POOLALLOC_TUNE_MAX_TRACES);
            g->paths[g->path_count++] = a;
            continue;
        }
        const char *v = option_value(argc, argv, &i), *arg = v, *eq = NULL;
        if (v == NULL)
            return usage_error("generate: %s needs a value", option->name);
        bool per_region = option->set == set_heap_size || option->set == set_alignment;
        if (per_region && (eq = strchr(v, '=')) != NULL)
            v = eq + 1;                  /* NAME=VALUE: region NAME's */
        uint64_t n;
        enum parsed parsed = parse_size(v, &n);
        if (parsed == TOO_LARGE)
            return usage_error("generate: %s %s: too large (at most %llu, 1 TiB)", option->name, v,
                               (unsigned long long)MAX_SIZE);
        if (parsed == MALFORMED)
            return usage_error("generate: %s: bad number '%s' (digits, optionally K or M)", option->name, v);
        if (eq == NULL) {
            const char *out_of_range = option->set(g, n);
            if (out_of_range != NULL)
                return usage_error(out_of_range, arg);
            continue;
        }
        bool is_align = option->set == set_alignment;
        const char *bad = is_align && !tune_is_pow2(n) ? "generate: %s %s: must be a power of two"
                          : add_region_value(is_align ? &g->aligns : &g->budgets, arg, (size_t)(eq - arg), n);
        if (bad != NULL)
            return usage_error(bad, option->name, arg);
    }
    if (g->path_count == 0)
        return usage_error("%s", "generate: no trace file given");
    if (!g->have_heap && g->budgets.count == 0)
        return usage_error("%s", "generate: --heap-size SIZE is required");
    return 0;
}

static void print_layout_table(const struct tune_optimum *o)
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
static void print_left_out(const struct tune_model *m)
{
    note(m->excluded_large, "failed requests larger than the budget are left out");
    note(m->invalid_requests, "invalid requests (bad alignment or size overflow) can never succeed; left out");
}

static void print_minimum(const struct tune_optimum *o)
{
    printf("\nminimum layout (every request served by the pool the allocator tries first; "
           "also works with -Dfallback=false):\n");
    printf("  %zu pools, %llu bytes of blocks + %zu x %llu bytes of pool records = %llu bytes\n",
           o->layout.count, (unsigned long long)o->block_bytes, o->layout.count,
           (unsigned long long)o->pool_state_bytes, (unsigned long long)o->total_bytes);
}

static void print_headroom(const struct gen_args *g, bool fitted)
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
static int print_budget_layout(const struct trace *const *ts, const struct gen_args *g,
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
static void print_configure(const struct gen_args *g, const struct trace *t, const struct tune_layout *lays)
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
    printf("\nminimum layout relying on fallback (a full pool spills into larger ones; verified by "
           "replaying the trace):\n");
    printf("  %zu pools, %llu bytes of blocks + %zu x %llu bytes of pool records = %llu bytes\n",
           f.optimum.layout.count, (unsigned long long)f.optimum.block_bytes, f.optimum.layout.count,
           (unsigned long long)f.optimum.pool_state_bytes, (unsigned long long)f.optimum.total_bytes);
    printf("  no layout with fallback needs less than %llu bytes: this one is within %.1f%% of that bound\n",
           (unsigned long long)f.lower_bound, percent(f.optimum.total_bytes - f.lower_bound, f.lower_bound));
    if (g->no_fallback || f.optimum.total_bytes >= o->total_bytes) {
        printf("using the layout that needs no fallback%s\n",
               g->no_fallback ? " (--no-fallback)" : ": it is no dearer");
        return false;
    }
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

/* What generate found for one region (or the one trace). */
struct outcome {
    struct tune_layout layout;         /* count 0: the trace allocates nothing there */
    bool fallback;                     /* relies on fallback */
    uint64_t needed;                   /* bytes of its minimum layout */
};

/* Optimise model m of traces ts for the budget g->heap and print the
 * result into *out; the exit status (3: does not fit). */
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
    if (o.total_bytes > g->heap) {
        print_layout_table(&o);
        printf("\nDOES NOT FIT: the trace needs at least %llu bytes (with at most %llu pools); "
               "the budget is %llu bytes\n",
               (unsigned long long)o.total_bytes, (unsigned long long)g->max_pools, (unsigned long long)g->heap);
        return 3;
    }
    uint64_t minimum = o.total_bytes;
    print_headroom(g, tune_headroom(&o, g->heap, g->headroom));
    out->layout = o.layout;
    return print_budget_layout(ts, g, &o, minimum, out->fallback);
}

/* The traces of one generate must be for one target: 0, or 2 (reported). */
static int check_same_target(const struct trace *ts, const struct gen_args *g)
{
    for (size_t i = 1; i < g->path_count; i++) {
        if (ts[i].pointer_size != ts[0].pointer_size)
            return usage_error("generate: %s has %u-byte pointers and %s %u-byte ones: one layout is for one target",
                               g->paths[0], ts[0].pointer_size, g->paths[i], ts[i].pointer_size);
        if (!g->have_alignment && ts[i].alignment != ts[0].alignment)
            return usage_error("generate: %s was recorded with alignment %llu and %s with %llu: give --alignment",
                               g->paths[0], (unsigned long long)ts[0].alignment, g->paths[i],
                               (unsigned long long)ts[i].alignment);
        char a[TUNE_REGION_NAMES_LEN], b[TUNE_REGION_NAMES_LEN];
        tune_region_names(&ts[0], a, sizeof a);
        tune_region_names(&ts[i], b, sizeof b);
        if (strcmp(a, b) != 0)
            return usage_error("generate: %s has the regions %s and %s %s: one layout is for one build",
                               g->paths[0], a, g->paths[i], b);
    }
    return check_alignment(g->have_alignment ? g->alignment : ts[0].alignment, ts[0].pointer_size);
}

/* budget[r] for each region of t from --heap-size; 0, or 2 (reported: an
 * unknown region, two budgets for one, a region without one). */
/* The region of t that v names, as *r; 0, or 2 (reported: no such region). */
static int region_of_value(const struct trace *t, const char *option, const struct region_value *v, unsigned *r)
{
    char names[TUNE_REGION_NAMES_LEN];
    for (*r = 0; *r < t->region_count; ++*r)
        if (strlen(t->regions[*r].name) == v->name_len && memcmp(t->regions[*r].name, v->name, v->name_len) == 0)
            return 0;
    tune_region_names(t, names, sizeof names);
    return usage_error("generate: %s %.*s=: the trace has no region '%.*s'; its regions are %s", option,
                       (int)v->name_len, v->name, (int)v->name_len, v->name, names);
}

/* Each region's budget (every region needs one: --heap-size SIZE is region
 * 0's) into budget[]; 0, or 2 (reported). */
static int region_budgets(const struct gen_args *g, const struct trace *t, uint64_t *budget)
{
    char names[TUNE_REGION_NAMES_LEN], missing[TUNE_REGION_NAMES_LEN] = "";
    bool have[POOLALLOC_TRACE_MAX_POOLS] = { g->have_heap };
    budget[0] = g->heap;
    tune_region_names(t, names, sizeof names);
    for (size_t i = 0; i < g->budgets.count; i++) {
        unsigned r;
        if (region_of_value(t, "--heap-size", &g->budgets.v[i], &r) != 0)
            return 2;
        if (have[r])
            return usage_error("generate: two budgets for region %s", t->regions[r].name);
        have[r] = true;
        budget[r] = g->budgets.v[i].value;
    }
    for (unsigned r = 0; r < t->region_count; r++)
        if (!have[r])
            (void)snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s%s",
                           missing[0] != '\0' ? ", " : "", t->regions[r].name);
    if (missing[0] != '\0')
        return usage_error("generate: no budget for region %s: give --heap-size NAME=SIZE for each region "
                           "(--heap-size SIZE is region %s's; the trace's regions are %s)", missing,
                           t->regions[0].name, names);
    return 0;
}

/* Each region's block alignment into align[]: --alignment NAME=A, else
 * the build's; at least the build's (its blocks must be valid there);
 * 0, or 2 (reported). */
static int region_alignments(const struct gen_args *g, const struct trace *t, uint64_t *align)
{
    for (unsigned r = 0; r < t->region_count; r++)
        align[r] = g->alignment;
    for (size_t i = 0; i < g->aligns.count; i++) {
        unsigned r;
        if (region_of_value(t, "--alignment", &g->aligns.v[i], &r) != 0)
            return 2;
        if (g->aligns.v[i].value < g->alignment || g->aligns.v[i].value > tune_max_alignment(t->pointer_size))
            return usage_error("generate: --alignment %s=%llu: must be from the build's alignment %llu to %llu",
                               t->regions[r].name, (unsigned long long)g->aligns.v[i].value,
                               (unsigned long long)g->alignment,
                               (unsigned long long)tune_max_alignment(t->pointer_size));
        align[r] = g->aligns.v[i].value;
    }
    return 0;
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
        uint64_t limit = g->heap > ts[i].pool_state_size ? g->heap - ts[i].pool_state_size : 0;
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

/* Which regions rely on fallback (-Dfallback is one option for all). */
static void print_fallback_regions(const struct trace *t, const struct outcome *outs)
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
    if (ts[0].region_count > 1)
        return generate_regions(ts, g, budget, align);
    /* One region: the output has no headings, the configure line is plain. */
    struct outcome out;
    int rc = generate_aligned(ts, g, budget[0], align[0], &out);
    if (rc == 0 && out.layout.count > 0)
        print_configure(g, &ts[0], &out.layout);
    return rc;
}

static int cmd_generate(int argc, char **argv)
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

/* replay TRACE --pools LAYOUT [--fallback on|off] [--alignment A]. */
struct replay_args {
    const char *path, *pools;
    int fallback;            /* -1: as the trace recorded it */
    uint64_t alignment;      /* 0: the trace's */
};

static int parse_replay(int argc, char **argv, struct replay_args *a)
{
    a->fallback = -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *v = NULL;
        if (strncmp(arg, "--pools", 7) == 0 && (arg[7] == '\0' || arg[7] == '=')) {
            if ((a->pools = option_value(argc, argv, &i)) == NULL)
                return usage_error("%s", "replay: --pools needs a layout (BLOCK:CAPACITY,...)");
        } else if (strncmp(arg, "--fallback", 10) == 0 && (arg[10] == '\0' || arg[10] == '=')) {
            v = option_value(argc, argv, &i);
            if (v == NULL || (strcmp(v, "on") != 0 && strcmp(v, "off") != 0))
                return usage_error("%s", "replay: --fallback needs on or off");
            a->fallback = strcmp(v, "on") == 0;
        } else if (strncmp(arg, "--alignment", 11) == 0 && (arg[11] == '\0' || arg[11] == '=')) {
            v = option_value(argc, argv, &i);
            enum parsed parsed = v == NULL ? MALFORMED : parse_size(v, &a->alignment);
            if (parsed != PARSED || !tune_is_pow2(a->alignment))
                return usage_error("%s", "replay: --alignment needs a power of two");
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return usage_error("replay: unknown option %s", arg);
        } else if (a->path == NULL) {
            a->path = arg;
        } else {
            return usage_error("replay: more than one trace (%s)", arg);
        }
    }
    if (a->path == NULL)
        return usage_error("%s", "replay: no trace file given");
    if (a->pools == NULL)
        return usage_error("%s", "replay: --pools LAYOUT is required");
    return 0;
}

/* Replay trace t (one region's) on lay and print the result; 0, 4 (a
 * request fails) or 1 (out of memory, reported). */
static int replay_trace(const char *path, const struct trace *t, const struct tune_layout *lay, bool fallback)
{
    struct tune_replay r;
    if (tune_replay(t, lay, fallback, false, 0, &r) != 0) {
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    printf("trace: %s: %zu records, pointer size %u\nlayout: ", path, t->event_count, t->pointer_size);
    print_layout_arg(stdout, lay, NULL);
    printf(", alignment %llu\n", (unsigned long long)lay->malloc_align);
    print_replay_as("layout", fallback, t, lay, &r);
    uint64_t failures = r.failures - r.invalid;
    printf("%s: %llu requests fail on this layout%s\n", failures == 0 ? "OK" : "FAILS",
           (unsigned long long)failures, r.invalid > 0 ? " (invalid requests, which fail on any, not counted)" : "");
    tune_replay_free(&r);
    return failures == 0 ? 0 : 4;
}

/* Every region's sub-trace replayed on its layout lays[r], under a heading
 * when there are several; the worst exit status. */
static int replay_regions(const char *path, const struct trace *t, const struct tune_layout *lays, bool fallback)
{
    bool several = t->region_count > 1, fails = false;
    for (unsigned r = 0; r < t->region_count; r++) {
        struct trace sub;
        if (load_region(t, r, &sub) != 0)
            return 1;
        if (several)
            print_region_heading(t, r, r > 0);
        int rc = replay_trace(path, &sub, &lays[r], fallback);
        trace_free(&sub);
        if (rc == 1)
            return 1;
        fails |= rc == 4;
    }
    if (several)
        printf("\n%s\n", fails ? "FAILS: some region's layout fails requests (above)" :
                                 "OK: no request fails in any region");
    return fails ? 4 : 0;
}

/* --pools of replay: a layout for each region of t, none empty; 0, or 2
 * (reported). */
static int replay_layouts(const struct replay_args *a, const struct trace *t, uint64_t align, struct tune_layout *lays)
{
    char err[TUNE_REGION_NAMES_LEN + 200];
    if (tune_parse_region_layouts(a->pools, t, align, lays, err, sizeof err) != 0)
        return usage_error("replay: --pools %s: %s", a->pools, err);
    for (unsigned r = 0; r < t->region_count; r++)
        if (lays[r].count == 0)
            return usage_error("replay: --pools %s: no entries for region %s (%s@BLOCK:CAPACITY; untagged "
                               "entries are region %s's)", a->pools, t->regions[r].name, t->regions[r].name,
                               t->regions[0].name);
    return 0;
}

static int cmd_replay(int argc, char **argv)
{
    struct replay_args a = { 0 };
    if (parse_replay(argc, argv, &a) != 0)
        return 2;
    struct trace t;
    if (load(a.path, &t) != 0)
        return 1;
    uint64_t align = a.alignment != 0 ? a.alignment : t.alignment;
    struct tune_layout *lays = calloc(t.region_count, sizeof *lays);
    int rc = lays == NULL ? 1 : check_alignment(align, t.pointer_size);
    if (lays == NULL)
        fprintf(stderr, "poolalloc-tune: out of memory\n");
    if (rc == 0)
        rc = replay_layouts(&a, &t, align, lays);
    bool fallback = a.fallback < 0 ? (t.flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0 : a.fallback == 1;
    if (rc == 0)
        rc = replay_regions(a.path, &t, lays, fallback);
    free(lays);
    trace_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given%s", "");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        return print_help();
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return print_help();
        }
    }
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "generate") == 0)
        return cmd_generate(argc - 2, argv + 2);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 2, argv + 2);
    return usage_error("unknown command '%s' (report, generate, replay)", cmd);
}

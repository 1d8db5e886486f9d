/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune: the host tool that turns a poolalloc allocation trace
 * (doc/trace-format.md) into a report (size histogram, peak live bytes, the
 * recorded layout's utilisation and failures, leaks by caller, optionally an
 * SVG of pool occupancy) or into the cheapest pool layout for a heap budget.
 * The manual is tools/tune/README.md; `poolalloc-tune --help` is its summary.
 *
 * Exit status: 0 success, 1 unreadable or malformed trace (or out of
 * memory), 2 bad command line, 3 the trace does not fit the budget.
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

static const char usage_text[] =
    "usage: poolalloc-tune report TRACE [--svg FILE]\n"
    "       poolalloc-tune generate TRACE --heap-size SIZE [--max-pools N] [--alignment A] [--headroom PCT]\n"
    "                               [--no-fallback]\n"
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
    "          --svg FILE   also draw each pool's occupancy over the trace.\n"
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
    "          to each pool's peak.\n"
    "          --heap-size SIZE  the budget: pools plus their records (K, M suffixes)\n"
    "          --max-pools N     at most N pools (default and maximum 255)\n"
    "          --alignment A     the -Dalignment of the new build (default: the trace's)\n"
    "          --no-fallback     only layouts that work with -Dfallback=false\n"
    "          --headroom PCT    spare blocks = PCT% of each pool's peak (rounded up),\n"
    "                            leaving the rest of the budget unused; 0 = the bare\n"
    "                            optimum (default: fill the budget)\n"
    "\n"
    "SIZE: bytes, or with a K (1024) or M (1048576) suffix: 4096, 10K, 1M.\n"
    "Exit status: 0 ok, 1 bad trace, 2 bad command line, 3 does not fit the budget.\n";

/* Parse a size with an optional K/M suffix; false if malformed or too large. */
static bool parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return false;
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    uint64_t mult = 1;
    if (*p == 'K' || *p == 'k')
        mult = 1024;
    else if (*p == 'M' || *p == 'm')
        mult = (uint64_t)1024 * 1024;
    if (mult != 1)
        p++;
    if (*p != '\0' || v > (UINT64_C(1) << 40) / mult)
        return false;                    /* over 1 TiB: a typo */
    *out = v * mult;
    return true;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "poolalloc-tune: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(poolalloc-tune --help for usage)\n");
    return 2;
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

static void print_layout_arg(FILE *f, const struct tune_layout *lay)
{
    for (size_t k = 0; k < lay->count; k++)
        fprintf(f, "%s%llu:%llu", k ? "," : "", (unsigned long long)lay->block[k],
                (unsigned long long)lay->capacity[k]);
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
    print_layout_arg(stdout, &lay);
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

static void print_replay(const struct trace *t, const struct tune_layout *lay, const struct tune_replay *r)
{
    bool fallback = (t->flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0;
    printf("\nrecorded layout, replayed (first pool that fits%s):\n",
           fallback ? ", then larger pools" : ", no fallback");
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

/* Write the occupancy chart; 0 or 1 (I/O error, reported). */
static int write_svg(const char *path, const char *trace_path, const struct trace *t,
                     const struct tune_layout *lay, const struct tune_replay *r)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "poolalloc-tune: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    const unsigned width = 860, left = 50, plot = 800, panel = 80, top = 40;
    unsigned height = top + (unsigned)lay->count * panel + 20;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
               "font-family=\"sans-serif\" font-size=\"11\">\n", width, height);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    fprintf(f, "<text x=\"%u\" y=\"20\" font-size=\"14\">pool occupancy over %zu trace records: ",
            left, t->event_count);
    for (const char *c = trace_path; *c != '\0'; c++) {
        if (*c == '<')
            fputs("&lt;", f);
        else if (*c == '&')
            fputs("&amp;", f);
        else
            fputc(*c, f);
    }
    fprintf(f, "</text>\n");
    size_t n = r->sample_count;
    for (size_t k = 0; k < lay->count; k++) {
        unsigned y0 = top + (unsigned)k * panel, h = panel - 25;
        double cap = (double)lay->capacity[k];
        fprintf(f, "<text x=\"%u\" y=\"%u\">pool %zu: %llu-byte blocks, capacity %llu, high water %llu, "
                   "failures %llu</text>\n", left, y0 + 10, k, (unsigned long long)lay->block[k],
                (unsigned long long)lay->capacity[k], (unsigned long long)r->pool[k].high_water,
                (unsigned long long)r->pool[k].failures);
        fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"#f4f4f4\" stroke=\"#999\"/>\n",
                left, y0 + 15, plot, h);
        fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%llu</text>\n", left - 4, y0 + 22,
                (unsigned long long)lay->capacity[k]);
        fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">0</text>\n", left - 4, y0 + 15 + h);
        if (n == 0)
            continue;
        fprintf(f, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
        for (size_t i = 0; i < n; i++) {
            double v = (double)r->samples[k * n + i];
            double x = left + (double)plot * (double)i / (double)(n > 1 ? n - 1 : 1);
            double y = y0 + 15 + h - (cap > 0 ? v / cap : 0.0) * h;
            fprintf(f, "%.1f,%.1f ", x, y);
        }
        fprintf(f, "\"/>\n");
    }
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "poolalloc-tune: error writing %s\n", path);
        return 1;
    }
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    const char *path = NULL, *svg = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--svg") == 0 && i + 1 < argc)
            svg = argv[++i];
        else if (strncmp(argv[i], "--svg=", 6) == 0)
            svg = argv[i] + 6;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("report: unknown option %s", argv[i]);
        else if (path == NULL)
            path = argv[i];
        else
            return usage_error("report: more than one trace (%s)", argv[i]);
    }
    if (path == NULL)
        return usage_error("report: no trace file given%s", "");
    struct trace t;
    if (load(path, &t) != 0)
        return 1;
    struct tune_model m;
    struct tune_layout lay;
    struct tune_replay r;
    tune_recorded_layout(&t, &lay);
    if (tune_model_build(&t, t.alignment, UINT64_MAX, &m) != 0) {
        trace_free(&t);
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    if (tune_replay(&t, &lay, (t.flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0, true, svg ? SVG_SAMPLES : 0, &r) != 0) {
        tune_model_free(&m);
        trace_free(&t);
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    print_trace_summary(path, &t, &m);
    print_histogram(&m);
    print_replay(&t, &lay, &r);
    print_leaks(&m, t.pointer_size);
    int rc = svg != NULL ? write_svg(svg, path, &t, &lay, &r) : 0;
    if (svg != NULL && rc == 0)
        printf("\noccupancy chart: %s\n", svg);
    tune_replay_free(&r);
    tune_model_free(&m);
    trace_free(&t);
    return rc;
}

struct gen_args {
    const char *path;
    uint64_t heap, max_pools, alignment;
    long headroom;           /* -1: fill the budget */
    bool have_heap, have_alignment;
    bool no_fallback;        /* --no-fallback: only layouts that serve with fallback off */
};

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
            if (g->path != NULL)
                return usage_error("generate: more than one trace (%s)", a);
            g->path = a;
            continue;
        }
        const char *v = strchr(a, '=');
        if (v != NULL)
            v++;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            return usage_error("generate: %s needs a value", a);
        uint64_t n;
        if (!parse_size(v, &n))
            return usage_error("generate: bad number '%s' (digits, optionally K or M)", v);
        const char *out_of_range = option->set(g, n);
        if (out_of_range != NULL)
            return usage_error(out_of_range, v);
    }
    if (g->path == NULL)
        return usage_error("generate: no trace file given%s", "");
    if (!g->have_heap)
        return usage_error("generate: --heap-size SIZE is required%s", "");
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
static int print_budget_layout(const struct trace *t, const struct gen_args *g, const struct tune_optimum *o,
                               uint64_t minimum, bool fallback)
{
    printf("\nlayout for a budget of %llu bytes:\n", (unsigned long long)g->heap);
    print_layout_table(o);
    printf("  total %llu bytes (minimum %llu): %llu in blocks, %llu in pool records; %llu of the budget unused\n",
           (unsigned long long)o->total_bytes, (unsigned long long)minimum, (unsigned long long)o->block_bytes,
           (unsigned long long)(o->total_bytes - o->block_bytes), (unsigned long long)(g->heap - o->total_bytes));
    struct tune_replay r;
    if (tune_replay(t, &o->layout, fallback, false, 0, &r) != 0) {
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    printf("  replay of the trace on this layout, fallback %s: %llu failures\n", fallback ? "on" : "off",
           (unsigned long long)(r.failures - r.invalid));
    tune_replay_free(&r);
    printf("\nmeson configure -Dpools=");
    print_layout_arg(stdout, &o->layout);
    if (g->alignment != 8)
        printf(" -Dalignment=%llu", (unsigned long long)g->alignment);
    printf(" BUILDDIR\n");
    return 0;
}

/* The fallback-aware search's result beside the exact one; replaces *o
 * by it when it is cheaper and allowed.  True if *o relies on fallback now;
 * *failed when the search failed (reported). */
static bool consider_fallback(const struct trace *t, const struct gen_args *g, const struct tune_model *m,
                              const struct tune_target *target, struct tune_optimum *o, bool *failed)
{
    struct tune_fallback f;
    char err[200];
    int rc = tune_optimise_fallback(t, m, target, &o->layout, &f, err, sizeof err);
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

/* Optimise model m of trace t for the budget and print the result; the
 * exit status. */
static int generate_layout(const struct trace *t, const struct gen_args *g, const struct tune_model *m)
{
    const struct tune_target target = { .pointer_size = t->pointer_size, .alignment = g->alignment,
                                        .pool_state_bytes = t->pool_state_size,
                                        .max_pools = (size_t)g->max_pools, .progress = show_progress };
    struct tune_optimum o;
    char err[200];
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
    bool fallback = consider_fallback(t, g, m, &target, &o, &failed);
    if (failed)
        return 1;
    if (o.total_bytes > g->heap) {
        print_layout_table(&o);
        printf("\nDOES NOT FIT: the trace needs at least %llu bytes (with at most %llu pools); "
               "the budget is %llu bytes\n",
               (unsigned long long)o.total_bytes, (unsigned long long)g->max_pools, (unsigned long long)g->heap);
        return 3;
    }
    uint64_t minimum = o.total_bytes;
    print_headroom(g, tune_headroom(&o, g->heap, g->headroom));
    return print_budget_layout(t, g, &o, minimum, fallback);
}

static int cmd_generate(int argc, char **argv)
{
    struct gen_args g = { 0 };
    if (parse_generate(argc, argv, &g) != 0)
        return 2;
    struct trace t;
    if (load(g.path, &t) != 0)
        return 1;
    if (!g.have_alignment)
        g.alignment = t.alignment;
    if (g.alignment < t.pointer_size) {
        trace_free(&t);
        fprintf(stderr, "poolalloc-tune: --alignment %llu is below the pointer size %u\n",
                (unsigned long long)g.alignment, t.pointer_size);
        return 2;
    }
    struct tune_model m;
    /* No request above the budget less one pool's state can be served. */
    uint64_t limit = g.heap > t.pool_state_size ? g.heap - t.pool_state_size : 0;
    if (tune_model_build(&t, g.alignment, limit, &m) != 0) {
        trace_free(&t);
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    print_trace_summary(g.path, &t, &m);
    print_left_out(&m);
    int rc = generate_layout(&t, &g, &m);
    tune_model_free(&m);
    trace_free(&t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given%s", "");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "generate") == 0)
        return cmd_generate(argc - 2, argv + 2);
    return usage_error("unknown command '%s' (report, generate)", cmd);
}

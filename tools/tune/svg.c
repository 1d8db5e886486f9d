/* SPDX-License-Identifier: MIT */
/*
 * report --svg: each pool's occupancy over the trace as a plain SVG chart
 * (no script or font needed), the recorded layout and optionally a
 * proposed one (--pools) side by side, each replayed on the same trace.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
int chart(const char *svg, const char *path, const struct trace *t, const struct tune_layout *lay,
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

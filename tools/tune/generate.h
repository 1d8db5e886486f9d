/* SPDX-License-Identifier: MIT */
/*
 * generate's parts: its command line (generate_args.c), the search
 * driven region by region (cmd_generate.c) and everything it prints
 * (generate_print.c).
 */
#ifndef POOLALLOC_TUNE_GENERATE_H
#define POOLALLOC_TUNE_GENERATE_H

#include "cli.h"

#define POOLALLOC_TUNE_MAX_TRACES 64
/* generate's words: the traces, a --heap-size NAME=SIZE per region (at
 * most one region per pool) and the other options. */
#define POOLALLOC_TUNE_MAX_ARGS ((int)(POOLALLOC_TUNE_MAX_TRACES + 2 * POOLALLOC_TRACE_MAX_POOLS + 16))

struct gen_args {
    const char **paths;      /* the traces, argv's */
    size_t path_count;
    uint64_t heap, max_pools, alignment;
    long headroom;           /* -1: fill the budget */
    bool have_heap, have_alignment;
    bool no_fallback;        /* --no-fallback: only layouts that serve with fallback off */
    long no_spill_under;     /* --no-spill-under PCT: the layout needing no fallback when it costs at
                              * most PCT % more RAM than the one relying on it; -1: not given */
    long max_instructions;   /* --max-instructions N: the layout's worst malloc and free (cost
                              * model) at most N, or DOES NOT FIT; -1: not given */
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

/* A region's budget when --heap-size gives none: the minimum layout. */
#define NO_BUDGET UINT64_MAX

/* What generate found for one region (or the one trace). */
struct outcome {
    struct tune_layout layout;         /* count 0: the trace allocates nothing there */
    bool fallback;                     /* relies on fallback */
    uint64_t needed;                   /* bytes of its minimum layout */
};

/* ---- The command line (generate_args.c) ------------------------------------------ */

/* Parse generate's arguments into *g (g->paths has room for
 * POOLALLOC_TUNE_MAX_TRACES); 0 or 2 (reported). */
int parse_generate(int argc, char **argv, struct gen_args *g);

/* The traces of one generate must be for one target: 0, or 2 (reported). */
int check_same_target(const struct trace *ts, const struct gen_args *g);

/* Each region's budget (--heap-size SIZE is region 0's, NAME=SIZE region
 * NAME's; NO_BUDGET for a region without one) into budget[]; 0, or 2
 * (reported). */
int region_budgets(const struct gen_args *g, const struct trace *t, uint64_t *budget);

/* Each region's block alignment into align[]: --alignment NAME=A, else
 * the build's; 0, or 2 (reported). */
int region_alignments(const struct gen_args *g, const struct trace *t, uint64_t *align);

/* ---- The output (generate_print.c) ------------------------------------------------ */

/* Per pool: block, peak, capacity, bytes, utilisation. */
void print_layout_table(const struct tune_optimum *o);

/* The requests the model left out, and why. */
void print_left_out(const struct tune_model *m);

/* The exact search's minimum layout and its cost. */
void print_minimum(const struct tune_optimum *o);

/* The fallback search's layout, its cost and its distance to its bound. */
void print_fallback(const struct tune_fallback *f);

/* The headroom rule used (`fitted`: --headroom PCT fitted the budget). */
void print_headroom(const struct gen_args *g, bool fitted);

/* DOES NOT FIT when minimum layout o exceeds g->heap or what a region's
 * pools hold on a target with `ptr`-byte pointers (with the table); true
 * if so. */
bool print_does_not_fit(const struct gen_args *g, const struct tune_optimum *o, unsigned ptr);

/* The budget g->heap held back to `room` bytes (tune_max_pool_bytes). */
void print_budget_held(const struct gen_args *g, uint64_t room, unsigned ptr);

/* DOES NOT FIT: --headroom PCT without a budget beyond what a region holds. */
void print_headroom_too_large(const struct gen_args *g, unsigned ptr);

/* The layout with its headroom, its replay on each trace and the totals;
 * 0, or 1 when out of memory (reported). */
int print_budget_layout(const struct trace *const *ts, const struct gen_args *g, const struct tune_optimum *o,
                        uint64_t minimum, bool fallback);

/* The layout of each region of t (lays[r]) as one meson configure line. */
void print_configure(const struct gen_args *g, const struct trace *t, const struct tune_layout *lays);

/* Which regions rely on fallback (-Dfallback is one option for all). */
void print_fallback_regions(const struct trace *t, const struct outcome *outs);

#endif /* POOLALLOC_TUNE_GENERATE_H */

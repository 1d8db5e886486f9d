/* SPDX-License-Identifier: MIT */
/*
 * generate's command line (generate.h): the options, the budgets and block
 * alignments per region (NAME=VALUE), and the checks that the traces are
 * for one target and every region has a budget.
 */
#include <stdio.h>
#include <string.h>

#include "generate.h"

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

static const char *set_no_spill_under(struct gen_args *g, uint64_t n)
{
    if (n > 100000)
        return "generate: --no-spill-under %s: at most 100000 (percent)";
    g->no_spill_under = (long)n;
    return NULL;
}

static const char *set_max_instructions(struct gen_args *g, uint64_t n)
{
    if (n == 0 || n > 100000)
        return "generate: --max-instructions %s: 1 to 100000";
    g->max_instructions = (long)n;
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
    { "--no-spill-under", set_no_spill_under },
    { "--max-instructions", set_max_instructions },
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
int parse_generate(int argc, char **argv, struct gen_args *g)
{
    g->max_pools = POOLALLOC_TRACE_MAX_POOLS;
    g->headroom = -1;
    g->no_spill_under = -1;
    g->max_instructions = -1;
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
    return 0;
}

/* The traces of one generate must be for one target: 0, or 2 (reported). */
int check_same_target(const struct trace *ts, const struct gen_args *g)
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

/* Each region's budget into budget[] (--heap-size SIZE is region 0's,
 * NAME=SIZE region NAME's; NO_BUDGET for a region without one); 0, or 2
 * (reported). */
int region_budgets(const struct gen_args *g, const struct trace *t, uint64_t *budget)
{
    bool have[POOLALLOC_TRACE_MAX_POOLS] = { g->have_heap };
    for (unsigned r = 0; r < t->region_count; r++)
        budget[r] = NO_BUDGET;
    if (g->have_heap)
        budget[0] = g->heap;
    for (size_t i = 0; i < g->budgets.count; i++) {
        unsigned r;
        if (region_of_value(t, "--heap-size", &g->budgets.v[i], &r) != 0)
            return 2;
        if (have[r])
            return usage_error("generate: two budgets for region %s", t->regions[r].name);
        have[r] = true;
        budget[r] = g->budgets.v[i].value;
    }
    return 0;
}

/* Each region's block alignment into align[]: --alignment NAME=A, else
 * the build's; at least the build's (its blocks must be valid there);
 * 0, or 2 (reported). */
int region_alignments(const struct gen_args *g, const struct trace *t, uint64_t *align)
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


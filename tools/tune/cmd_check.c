/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune check TRACE... [--pools LAYOUT] [--margin PCT%] [--no-spill]
 * [--fallback on|off] [--alignment A]: the guard a firmware project runs in
 * its CI on every test trace.  Each trace is replayed on the layout (the
 * one it recorded unless --pools), region by region, and each pool that
 * fails gets one line with every reason that holds:
 *
 *   FAIL TRACE: pool K (B-byte blocks): high water H + M% margin = N blocks
 *        > capacity C; F requests failed; S requests spilled into larger
 *        pools (--no-spill)
 *   FAIL TRACE: F requests larger or more aligned than any pool
 *
 * ("region NAME " before "pool" for a build with several regions).  A
 * pool's high water is the most blocks it holds at once in the replay,
 * what the firmware's own count (malloc_stats) says on that run; with
 * fallback a full pool's requests spill into larger ones, which
 * --no-spill refuses.  Exit status: 0 every pool holds its high water
 * plus the margin (and nothing spills with --no-spill), 4 some request
 * fails on the layout, 5 no request fails but a margin is short or a
 * request spills (--no-spill); 1 and 2 as for every subcommand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CHECK_MAX_TRACES 64
#define MAX_MARGIN 100000u         /* percent: as generate --headroom */

struct check_args {
    const char *paths[CHECK_MAX_TRACES];
    size_t path_count;
    const char *pools;       /* NULL: the layout each trace recorded */
    uint64_t margin;         /* percent */
    bool no_spill;
    int fallback;            /* -1: as the trace recorded it */
    uint64_t alignment;      /* 0: the trace's */
};

/* What a check found: the worst outcome decides the exit status. */
struct verdict {
    unsigned failing_pools;  /* lines printed */
    bool failures;           /* some request fails: exit 4 */
};

/* "--name" or "--name=value" */
static bool is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || arg[len] == '=');
}

/* --margin PCT or PCT%: a whole percentage, at most MAX_MARGIN; 0, or 2
 * (reported). */
static int parse_margin(const char *v, uint64_t *margin)
{
    const char *p = v;
    *margin = 0;
    for (; p != NULL && *p >= '0' && *p <= '9' && *margin <= MAX_MARGIN; p++)
        *margin = *margin * 10 + (uint64_t)(*p - '0');
    if (p == NULL || p == v || (*p == '%' ? p[1] != '\0' : *p != '\0') || *margin > MAX_MARGIN)
        return usage_error("check: --margin %s: a whole percentage from 0 to %u (20 or 20%%)", v ? v : "",
                           MAX_MARGIN);
    return 0;
}

/* One option of check at argv[*i] (the value may take the next word); 0,
 * or 2 (reported). */
static int parse_check_option(int argc, char **argv, int *i, struct check_args *a)
{
    const char *arg = argv[*i], *v;
    if (strcmp(arg, "--no-spill") == 0) {
        a->no_spill = true;
    } else if (is_option(arg, "--pools")) {
        if ((a->pools = option_value(argc, argv, i)) == NULL)
            return usage_error("%s", "check: --pools needs a layout (BLOCK:CAPACITY,...)");
    } else if (is_option(arg, "--margin")) {
        return parse_margin(option_value(argc, argv, i), &a->margin);
    } else if (is_option(arg, "--fallback")) {
        v = option_value(argc, argv, i);
        if (v == NULL || (strcmp(v, "on") != 0 && strcmp(v, "off") != 0))
            return usage_error("%s", "check: --fallback needs on or off");
        a->fallback = strcmp(v, "on") == 0;
    } else if (is_option(arg, "--alignment")) {
        v = option_value(argc, argv, i);
        if (v == NULL || parse_size(v, &a->alignment) != PARSED || !tune_is_pow2(a->alignment))
            return usage_error("%s", "check: --alignment needs a power of two");
    } else {
        return usage_error("check: unknown option %s", arg);
    }
    return 0;
}

static int parse_check(int argc, char **argv, struct check_args *a)
{
    a->fallback = -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] == '-' && arg[1] != '\0') {
            if (parse_check_option(argc, argv, &i, a) != 0)
                return 2;
        } else if (a->path_count == CHECK_MAX_TRACES) {
            return usage_error("check: more than %d traces", CHECK_MAX_TRACES);
        } else {
            a->paths[a->path_count++] = arg;
        }
    }
    if (a->path_count == 0)
        return usage_error("%s", "check: no trace file given");
    return 0;
}

/* Pool k's line ("where" names the trace and region) when it fails,
 * counted in *v: every reason on the one line. */
static void judge_pool(const struct check_args *a, const char *where, const struct tune_layout *lay, size_t k,
                       const struct tune_pool_result *p, struct verdict *v)
{
    char why[400] = "";
    size_t len = 0;
    /* high water <= the trace's records (TUNE_MAX_TRACE_BYTES), margin <= 10^5: no overflow */
    uint64_t need = p->high_water + (p->high_water * a->margin + 99) / 100;
    if (need > lay->capacity[k])
        len += (size_t)snprintf(why + len, sizeof why - len, "; high water %llu + %llu%% margin = %llu blocks > "
                                "capacity %llu", (unsigned long long)p->high_water, (unsigned long long)a->margin,
                                (unsigned long long)need, (unsigned long long)lay->capacity[k]);
    if (p->failures > 0)
        len += (size_t)snprintf(why + len, sizeof why - len, "; %llu requests failed",
                                (unsigned long long)p->failures);
    if (a->no_spill && p->spilled_out > 0)
        (void)snprintf(why + len, sizeof why - len, "; %llu requests spilled into larger pools (--no-spill)",
                       (unsigned long long)p->spilled_out);
    if (why[0] == '\0')
        return;
    printf("FAIL %spool %zu (%llu-byte blocks): %s\n", where, k, (unsigned long long)lay->block[k], why + 2);
    v->failing_pools++;
    v->failures |= p->failures > 0;
}

/* Trace t (one region's) against lay; the lines, counted in *v.  0, or 1
 * (out of memory, reported). */
static int check_region(const struct check_args *a, const char *where, const struct trace *t,
                        const struct tune_layout *lay, bool fallback, struct verdict *v)
{
    struct tune_replay r;
    if (tune_replay(t, lay, fallback, false, 0, &r) != 0) {
        fprintf(stderr, "poolalloc-tune: out of memory\n");
        return 1;
    }
    for (size_t k = 0; k < lay->count; k++)
        judge_pool(a, where, lay, k, &r.pool[k], v);
    uint64_t no_pool = r.failures_no_pool;       /* invalid requests, which fail on any layout, are not here */
    if (no_pool > 0) {
        size_t len = strlen(where);            /* "TRACE: " or "TRACE: region NAME ": end it with ": " */
        printf("FAIL %.*s%s%llu requests larger or more aligned than any pool\n", (int)(len - 1), where,
               where[len - 2] == ':' ? " " : ": ", (unsigned long long)no_pool);
        v->failing_pools++;
        v->failures = true;
    }
    tune_replay_free(&r);
    return 0;
}

/* The layout of each region of t: --pools (checked with the allocator's
 * rules), or what t recorded.  0, or 2 (reported). */
static int check_layouts(const struct check_args *a, const char *path, const struct trace *t,
                         struct tune_layout *lays)
{
    uint64_t align = a->alignment != 0 ? a->alignment : t->alignment;
    if (check_alignment(align, t->pointer_size) != 0)
        return 2;
    char err[TUNE_REGION_NAMES_LEN + 200];
    if (a->pools != NULL && tune_parse_region_layouts(a->pools, t, align, lays, err, sizeof err) != 0)
        return usage_error("check: %s: --pools %s: %s", path, a->pools, err);
    for (unsigned r = 0; a->pools != NULL && r < t->region_count; r++)
        if (lays[r].count == 0)
            return usage_error("check: %s: --pools %s: no entries for region %s", path, a->pools,
                               t->regions[r].name);
    return 0;
}

/* Every region of trace `path` checked; 0, or 1 or 2 (reported). */
static int check_trace(const struct check_args *a, const char *path, struct verdict *v)
{
    struct trace t;
    if (load(path, &t) != 0)
        return 1;
    struct tune_layout *lays = calloc(t.region_count, sizeof *lays);
    int rc = lays == NULL ? 1 : check_layouts(a, path, &t, lays);
    if (lays == NULL)
        fprintf(stderr, "poolalloc-tune: out of memory\n");
    bool fallback = a->fallback < 0 ? (t.flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0 : a->fallback == 1;
    for (unsigned r = 0; rc == 0 && r < t.region_count; r++) {
        struct trace sub;
        char where[POOLALLOC_TRACE_REGION_NAME_LEN + 4200];
        rc = load_region(&t, r, &sub);
        if (rc != 0)
            break;
        if (a->pools == NULL)
            tune_recorded_layout(&sub, &lays[r]);
        if (a->alignment != 0)
            lays[r].malloc_align = a->alignment;
        (void)snprintf(where, sizeof where, "%s: %s%s%s", path, t.region_count > 1 ? "region " : "",
                       t.region_count > 1 ? t.regions[r].name : "", t.region_count > 1 ? " " : "");
        rc = check_region(a, where, &sub, &lays[r], fallback, v);
        trace_free(&sub);
    }
    free(lays);
    trace_free(&t);
    return rc;
}

int cmd_check(int argc, char **argv)
{
    struct check_args a = { 0 };
    if (parse_check(argc, argv, &a) != 0)
        return 2;
    struct verdict v = { 0 };
    for (size_t i = 0; i < a.path_count; i++) {
        int rc = check_trace(&a, a.paths[i], &v);
        if (rc != 0)
            return rc;
    }
    if (v.failing_pools == 0) {
        printf("OK: %zu trace%s: every pool holds its high water + %llu%%%s\n", a.path_count, a.path_count > 1 ? "s" : "",
               (unsigned long long)a.margin, a.no_spill ? ", nothing spills" : "");
        return 0;
    }
    printf("FAILED: %u line%s above\n", v.failing_pools, v.failing_pools > 1 ? "s" : "");
    return v.failures ? 4 : 5;
}

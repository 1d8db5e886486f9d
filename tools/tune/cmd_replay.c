/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune replay TRACE --pools LAYOUT [--fallback on|off]
 * [--alignment A]: the trace replayed on a layout one gives, per region,
 * with the per-pool table and OK or FAILS (exit status 4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

int cmd_replay(int argc, char **argv)
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

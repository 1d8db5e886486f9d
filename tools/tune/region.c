/* SPDX-License-Identifier: MIT */
/*
 * Regions (-Dregions): a build with several has pools in each, and
 * poolalloc-tune models each region on its own.  The sub-trace of a region
 * is a trace of one region holding that region's pools and the calls that
 * reached them, so the model, the replay and the optimisers, which know one
 * region, run on it unchanged.  Also here: the tagged -Dpools list
 * (src/gen_layout.py's syntax, NAME@BLOCK:CAPACITY) split into one layout
 * per region.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

#define EVERY_REGION UINT32_MAX     /* DROPPED and END: in every sub-trace */

/* The region whose recorded pool addresses hold `p`; 0 when none does (the
 * default region's calls are the usual source of stray pointers). */
static uint32_t region_by_address(const struct trace *t, uint64_t p)
{
    for (unsigned r = 0; r < t->region_count; r++) {
        const struct trace_region *region = &t->regions[r];
        for (unsigned k = region->first_pool; k < region->first_pool + region->pool_count; k++) {
            const struct trace_pool *pool = &t->pools[k];
            if (pool->start != 0 && p >= pool->start && p - pool->start < (uint64_t)pool->block * pool->capacity)
                return r;
        }
    }
    return 0;
}

/* The region pointer `p` was allocated in: the pointers the trace
 * returned first, then the pool addresses. */
static uint32_t owner(const struct trace *t, const struct ptrmap *returned, uint64_t p)
{
    uint32_t r;
    return ptrmap_get(returned, p, &r) ? r : region_by_address(t, p);
}

/* The region event e belongs to, keeping `returned` (each pointer the
 * trace returned -> the region of the call that last returned it) up to
 * date: poolalloc_malloc_in's is the one it asked for, other allocations
 * are malloc's (region 0), free and realloc follow their pointer, and a
 * block realloc moved stays in its region (src/realloc.c).  A freed
 * pointer keeps its entry: a later reference to it (a double free) is to
 * that region's block, and reuse of the address replaces it. */
static uint32_t event_region(const struct trace *t, struct ptrmap *returned, const struct trace_event *e)
{
    if (tune_is_control(e->op))
        return EVERY_REGION;
    uint32_t r = 0;
    if (e->op == POOLALLOC_TRACE_OP_MALLOC_IN && e->region < t->region_count)
        r = e->region;               /* (a region the build has not: failed, EINVAL; kept in region 0) */
    else if (e->op == POOLALLOC_TRACE_OP_FREE || (tune_is_realloc(e->op) && e->old != 0))
        r = owner(t, returned, e->old);
    if (e->result != 0)
        ptrmap_put(returned, e->result, r);
    return r;
}

/* out's header: t's, with only region r's pools. */
static void copy_header(const struct trace *t, unsigned r, struct trace *out)
{
    const struct trace_region *region = &t->regions[r];
    *out = *t;
    out->events = NULL;
    out->event_count = 0;
    out->pool_count = region->pool_count;
    memset(out->pools, 0, sizeof out->pools);
    memcpy(out->pools, &t->pools[region->first_pool], region->pool_count * sizeof out->pools[0]);
    memset(out->regions, 0, sizeof out->regions);
    out->region_count = 1;
    out->regions[0] = *region;
    out->regions[0].first_pool = 0;
}

int tune_trace_region(const struct trace *t, unsigned region, struct trace *out, char *err, size_t len)
{
    memset(out, 0, sizeof *out);
    if (region >= t->region_count) {
        (void)snprintf(err, len, "region %u: the trace has %u", region, t->region_count);
        return -1;
    }
    struct ptrmap returned;      /* at most one new key per event */
    out->events = calloc(t->event_count + 1, sizeof *out->events);
    if (out->events == NULL || ptrmap_init(&returned, t->event_count + 1) != 0) {
        free(out->events);
        out->events = NULL;
        (void)snprintf(err, len, "out of memory");
        return -1;
    }
    struct trace_event *events = out->events;
    copy_header(t, region, out);
    out->events = events;
    for (size_t i = 0; i < t->event_count; i++) {
        uint32_t r = event_region(t, &returned, &t->events[i]);
        if (r != region && r != EVERY_REGION)
            continue;
        struct trace_event *e = &out->events[out->event_count++];
        *e = t->events[i];
        if (e->op == POOLALLOC_TRACE_OP_MALLOC_IN && e->region < t->region_count) {
            e->op = POOLALLOC_TRACE_OP_MALLOC;   /* within its region it is malloc */
            e->region = 0;
        }
    }
    ptrmap_free(&returned);
    return 0;
}

void tune_trace_raise_requests(struct trace *t, uint64_t min)
{
    for (size_t i = 0; i < t->event_count; i++) {
        struct trace_event *e = &t->events[i];
        bool allocates = !tune_is_control(e->op) && e->op != POOLALLOC_TRACE_OP_FREE;
        if (allocates && e->size != 0 && e->size < min)
            e->size = min;
    }
}

/* The region named by `name` (n bytes), or t->region_count. */
static unsigned find_region(const struct trace *t, const char *name, size_t n)
{
    for (unsigned r = 0; r < t->region_count; r++)
        if (strlen(t->regions[r].name) == n && memcmp(t->regions[r].name, name, n) == 0)
            return r;
    return t->region_count;
}

void tune_region_names(const struct trace *t, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned r = 0; r < t->region_count && used < len; r++) {
        int n = snprintf(out + used, len - used, "%s%s", r > 0 ? ", " : "", t->regions[r].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

/* Append entry [s, end) to region r's part of `parts` (each part holds
 * `stride` bytes). */
static void append_entry(char *parts, size_t stride, unsigned r, const char *s, const char *end)
{
    char *part = parts + (size_t)r * stride;
    size_t used = strlen(part);
    if (used > 0)
        part[used++] = ',';
    memcpy(part + used, s, (size_t)(end - s));
    part[used + (size_t)(end - s)] = '\0';
}

/* Split the tagged list into one untagged list per region (each `stride`
 * bytes of parts); 0, or -1 with err for an unknown region. */
static int split_entries(const char *text, const struct trace *t, char *parts, size_t stride, char *err,
                         size_t len)
{
    for (const char *s = text;;) {
        const char *end = strchr(s, ',');
        if (end == NULL)
            end = s + strlen(s);
        const char *at = memchr(s, '@', (size_t)(end - s));
        unsigned r = at == NULL ? 0 : find_region(t, s, (size_t)(at - s));
        if (r == t->region_count) {
            char names[TUNE_REGION_NAMES_LEN];
            tune_region_names(t, names, sizeof names);
            (void)snprintf(err, len, "pools entry '%.*s': unknown region '%.*s'; the trace's regions are %s",
                           (int)(end - s), s, (int)(at - s), s, names);
            return -1;
        }
        append_entry(parts, stride, r, at == NULL ? s : at + 1, end);
        if (*end == '\0')
            return 0;
        s = end + 1;
    }
}

int tune_parse_region_layouts(const char *text, const struct trace *t, uint64_t alignment, struct tune_layout *lays,
                              char *err, size_t len)
{
    size_t stride = strlen(text) + 2;
    char *parts = calloc(t->region_count, stride);
    if (parts == NULL) {
        (void)snprintf(err, len, "out of memory");
        return -1;
    }
    int rc = split_entries(text, t, parts, stride, err, len);
    for (unsigned r = 0; rc == 0 && r < t->region_count; r++) {
        const char *part = parts + (size_t)r * stride;
        memset(&lays[r], 0, sizeof lays[r]);
        lays[r].malloc_align = alignment;
        if (part[0] == '\0' && t->region_count > 1)
            continue;                   /* the caller decides whether it may be empty */
        char why[200];
        rc = tune_parse_layout(part, t->pointer_size, alignment, &lays[r], why, sizeof why);
        if (rc != 0 && t->region_count > 1)
            (void)snprintf(err, len, "region %s: %s", t->regions[r].name, why);
        else if (rc != 0)
            (void)snprintf(err, len, "%s", why);
    }
    free(parts);
    return rc;
}

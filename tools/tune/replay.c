/* SPDX-License-Identifier: MIT */
/*
 * Replay: run a trace's requests through a simulation of poolalloc's rules on
 * a given layout, to report the recorded layout's utilisation and failures,
 * and to check a generated layout.  The rules are src/malloc.c,
 * src/memalign.c and src/realloc.c's: first pool large enough (and, for an
 * alignment above malloc's, naturally aligned enough), the next such pools
 * when it is full and fallback is on; realloc keeps the block while the new
 * size fits it and otherwise moves through malloc; realloc(p, 0) frees.
 * Blocks are identified by the pointers the trace recorded.
 */
#include <stdlib.h>
#include <string.h>

#include "tune.h"

#define NO_POOL UINT32_MAX

struct sim {
    const struct tune_layout *lay;
    bool fallback;
    uint64_t in_use[POOLALLOC_TRACE_MAX_POOLS];
    struct tune_replay *r;
    uint32_t *obj_pool;        /* pool of each object, NO_POOL if the replay failed it */
    uint64_t *obj_ptr;
    size_t obj_count;
    size_t slice;              /* of r->fail_samples, when kept */
};

/* A request that failed with pool k as its first choice (layout->count:
 * none). */
static void failed(struct sim *s, size_t k)
{
    s->r->failures++;
    if (k < s->lay->count)
        s->r->pool[k].failures++;
    if (s->r->fail_samples != NULL)
        s->r->fail_samples[k * s->r->sample_count + s->slice]++;
}

/* The first pool whose block is at least `size` (blocks ascend: a binary
 * search, as the replay of a layout of hundreds of pools is the fallback
 * search's inner loop); lay->count if none. */
static size_t first_large_enough(const struct tune_layout *lay, uint64_t size)
{
    size_t lo = 0, hi = lay->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lay->block[mid] >= size)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Take a block for (size, over-alignment a); the pool, or NO_POOL. */
static uint32_t take(struct sim *s, uint64_t size, uint64_t a)
{
    const struct tune_layout *lay = s->lay;
    size_t first = first_large_enough(lay, size);
    while (first < lay->count && !tune_block_serves(lay->block[first], size, a))
        first++;
    if (first == lay->count) {
        s->r->failures_no_pool++;
        failed(s, lay->count);
        return NO_POOL;
    }
    for (size_t k = first; k < lay->count; k++) {
        if (!tune_block_serves(lay->block[k], size, a))
            continue;
        if (s->in_use[k] < lay->capacity[k]) {
            struct tune_pool_result *p = &s->r->pool[k];
            s->in_use[k]++;
            if (s->in_use[k] > p->high_water)
                p->high_water = s->in_use[k];
            p->served++;
            p->spilled_in += k != first;
            s->r->pool[first].spilled_out += k != first;
            return (uint32_t)k;
        }
        if (!s->fallback)
            break;
    }
    failed(s, first);
    return NO_POOL;
}

static void give(struct sim *s, uint32_t k)
{
    if (k != NO_POOL)
        s->in_use[k]--;
}

/* Pool holding address p according to the trace's pool table; NO_POOL if none. */
static uint32_t recorded_pool(const struct trace *t, uint64_t p)
{
    for (unsigned k = 0; k < t->pool_count; k++) {
        uint64_t start = t->pools[k].start;
        if (p >= start && p - start < (uint64_t)t->pools[k].block * t->pools[k].capacity)
            return k;
    }
    return NO_POOL;
}

static void new_object(struct sim *s, struct ptrmap *map, uint64_t ptr, uint32_t k)
{
    uint32_t id;
    if (ptrmap_get(map, ptr, &id))
        give(s, s->obj_pool[id]);          /* the trace lost a free: drop the old owner */
    s->obj_pool[s->obj_count] = k;
    s->obj_ptr[s->obj_count] = ptr;
    ptrmap_put(map, ptr, (uint32_t)s->obj_count++);
}

static void free_ptr(struct sim *s, struct ptrmap *map, uint64_t ptr)
{
    uint32_t id;
    if (ptr != 0 && ptrmap_get(map, ptr, &id)) {
        give(s, s->obj_pool[id]);
        ptrmap_remove(map, ptr);
    }
}

/* An allocation (or a moving realloc's allocation) the trace answered with
 * `result`. */
static void alloc_event(struct sim *s, struct ptrmap *map, uint64_t result, uint64_t n, uint64_t a)
{
    uint32_t k = take(s, n, a);
    if (result != 0)
        new_object(s, map, result, k);
    else
        give(s, k);                         /* failed in the trace: live for an instant */
}

static void realloc_event(struct sim *s, struct ptrmap *map, const struct trace_event *e, uint64_t n)
{
    uint32_t id;
    if (!ptrmap_get(map, e->old, &id)) {
        alloc_event(s, map, e->result, n, 0);
        return;
    }
    uint32_t k = s->obj_pool[id];
    if (k != NO_POOL && n <= s->lay->block[k]) {
        /* In place. */
        if (e->result != 0 && e->result != e->old) {
            ptrmap_remove(map, e->old);
            new_object(s, map, e->result, k);
        }
        return;
    }
    uint32_t moved = take(s, n, 0);
    if (e->result != 0) {
        give(s, k);
        ptrmap_remove(map, e->old);
        new_object(s, map, e->result, moved);
    } else {
        give(s, moved);
        if (e->op == POOLALLOC_TRACE_OP_REALLOCF)
            free_ptr(s, map, e->old);
    }
}

static void replay_event(struct sim *s, struct ptrmap *map, const struct trace *t, const struct trace_event *e)
{
    uint64_t n = 0, a = 0;
    enum request_kind kind = tune_request(e, s->lay->malloc_align, t->pointer_size, &n, &a);
    if (tune_is_control(e->op))
        return;
    bool is_realloc = tune_is_realloc(e->op);
    if (e->op == POOLALLOC_TRACE_OP_FREE || kind == REQ_NONE) {
        free_ptr(s, map, e->old);
        return;
    }
    if (e->result == 0)
        s->r->trace_failures++;
    if (kind == REQ_INVALID) {
        s->r->invalid++;
        failed(s, s->lay->count);
        if (e->op == POOLALLOC_TRACE_OP_REALLOCF)
            free_ptr(s, map, e->old);
        return;
    }
    if (is_realloc && e->old != 0)
        realloc_event(s, map, e, n);
    else
        alloc_event(s, map, e->result, n, a);
}

void tune_recorded_layout(const struct trace *t, struct tune_layout *lay)
{
    memset(lay, 0, sizeof *lay);
    lay->malloc_align = t->alignment;
    lay->count = t->pool_count;
    for (unsigned k = 0; k < t->pool_count; k++) {
        lay->block[k] = t->pools[k].block;
        lay->capacity[k] = t->pools[k].capacity;
    }
}

int tune_replay(const struct trace *t, const struct tune_layout *layout, bool fallback,
                bool compare_addresses, size_t max_samples, struct tune_replay *r)
{
    memset(r, 0, sizeof *r);
    struct sim s = { .lay = layout, .fallback = fallback, .r = r };
    struct ptrmap map = { 0 };
    size_t n = t->event_count;
    size_t slices = max_samples < n ? max_samples : n;
    s.obj_pool = calloc(n + 1, sizeof *s.obj_pool);
    s.obj_ptr = calloc(n + 1, sizeof *s.obj_ptr);
    if (slices > 0) {
        r->samples = calloc(slices * (layout->count + 1), sizeof *r->samples);
        r->fail_samples = calloc(slices * (layout->count + 1), sizeof *r->fail_samples);
    }
    if (s.obj_pool == NULL || s.obj_ptr == NULL || (slices > 0 && (r->samples == NULL || r->fail_samples == NULL)) ||
        ptrmap_init(&map, n + 1) != 0) {
        free(s.obj_pool);
        free(s.obj_ptr);
        ptrmap_free(&map);
        tune_replay_free(r);
        return -1;
    }
    r->sample_count = slices;
    for (size_t i = 0; i < n; i++) {
        const struct trace_event *e = &t->events[i];
        size_t objs = s.obj_count;
        s.slice = slices > 0 ? (size_t)((uint64_t)i * slices / n) : 0;
        replay_event(&s, &map, t, e);
        if (compare_addresses && s.obj_count > objs) {
            /* The newest object is this event's result. */
            uint32_t k = s.obj_pool[s.obj_count - 1];
            if (k != recorded_pool(t, s.obj_ptr[s.obj_count - 1]))
                r->disagreements++;
        }
        if (slices > 0) {
            size_t slice = s.slice;
            for (size_t k = 0; k < layout->count; k++) {
                uint32_t *cell = &r->samples[k * slices + slice];
                if (s.in_use[k] > *cell)
                    *cell = (uint32_t)s.in_use[k];
            }
        }
    }
    for (size_t k = 0; k < layout->count; k++)
        r->pool[k].in_use_at_end = s.in_use[k];
    free(s.obj_pool);
    free(s.obj_ptr);
    ptrmap_free(&map);
    return 0;
}

void tune_replay_free(struct tune_replay *r)
{
    free(r->samples);
    free(r->fail_samples);
    r->samples = NULL;
    r->fail_samples = NULL;
    r->sample_count = 0;
}

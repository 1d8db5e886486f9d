/* SPDX-License-Identifier: MIT */
/*
 * The request model of a trace: which sizes were asked for, how many blocks
 * of each were live over time, and the demand stream the optimiser works on.
 *
 * Demand is independent of any layout.  An allocation is keyed by the
 * largest size it has been asked to hold since it was allocated (realloc
 * keeps a block while the new size fits it, so in any layout a block lives in
 * the pool of its running maximum size); an over-aligned request (alignment
 * above malloc's) is keyed by its (size, alignment) class.  A request that
 * failed in the trace is counted live only at the instant it was made: what
 * the program would have done with the memory is not in the trace.
 */
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* ---- Pointer map: open addressing, linear probing, backward-shift delete -- */

static size_t slot_of(const struct ptrmap *m, uint64_t key)
{
    return (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 17) & m->mask;
}

int ptrmap_init(struct ptrmap *m, size_t capacity)
{
    size_t n = 16;
    while (n < 2 * capacity + 16)
        n *= 2;
    m->keys = calloc(n, sizeof *m->keys);
    m->vals = calloc(n, sizeof *m->vals);
    m->mask = n - 1;
    if (m->keys == NULL || m->vals == NULL) {
        ptrmap_free(m);
        return -1;
    }
    return 0;
}

bool ptrmap_get(const struct ptrmap *m, uint64_t key, uint32_t *val)
{
    for (size_t i = slot_of(m, key);; i = (i + 1) & m->mask) {
        if (m->keys[i] == 0)
            return false;
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return true;
        }
    }
}

void ptrmap_put(struct ptrmap *m, uint64_t key, uint32_t val)
{
    size_t i = slot_of(m, key);
    while (m->keys[i] != 0 && m->keys[i] != key)
        i = (i + 1) & m->mask;
    m->keys[i] = key;
    m->vals[i] = val;
}

void ptrmap_remove(struct ptrmap *m, uint64_t key)
{
    size_t i = slot_of(m, key);
    while (m->keys[i] != key) {
        if (m->keys[i] == 0)
            return;
        i = (i + 1) & m->mask;
    }
    /* Shift later members of the probe run back over the hole. */
    for (size_t j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
        size_t home = slot_of(m, m->keys[j]);
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
}

void ptrmap_free(struct ptrmap *m)
{
    free(m->keys);
    free(m->vals);
    m->keys = NULL;
    m->vals = NULL;
}

/* ---- Model ----------------------------------------------------------------- */

struct object {
    uint64_t ptr, caller;
    uint32_t size_index;     /* current requested size */
    uint32_t key;            /* demand key */
    bool live;
};

__extension__ typedef unsigned __int128 wide_bytes;

struct builder {
    struct tune_model *m;
    struct object *obj;
    size_t obj_count;
    size_t demand_cap;
    wide_bytes live_bytes;   /* 128 bits: failed requests of up to 2^64 - 1 bytes count as live too */
    uint64_t live_blocks;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

size_t tune_sort_unique(uint64_t *v, size_t n)
{
    if (n > 0)
        qsort(v, n, sizeof *v, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || v[u - 1] != v[i])
            v[u++] = v[i];
    return u;
}

static int cmp_leak(const void *a, const void *b)
{
    const struct tune_leak *x = a, *y = b;
    if (x->caller != y->caller)
        return (x->caller > y->caller) - (x->caller < y->caller);
    return (x->ptr > y->ptr) - (x->ptr < y->ptr);
}

static uint32_t size_index(const struct tune_model *m, uint64_t size)
{
    size_t lo = 0, hi = m->size_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->sizes[mid] < size)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)lo;
}

/* Demand key of a new request of size index si and over-alignment a (0 =
 * none); adds the class if new.  UINT32_MAX if the class table is full
 * (cannot happen: it is sized for one class per event). */
static uint32_t key_of(struct tune_model *m, uint32_t si, uint64_t a)
{
    if (a == 0)
        return si;
    for (size_t c = 0; c < m->class_count; c++)
        if (m->classes[c].size_index == si && m->classes[c].align == a)
            return (uint32_t)(m->size_count + c);
    m->classes[m->class_count].size_index = si;
    m->classes[m->class_count].align = a;
    return (uint32_t)(m->size_count + m->class_count++);
}

static void push_demand(struct builder *b, uint32_t key, int32_t delta)
{
    struct tune_model *m = b->m;
    if (m->demand_count < b->demand_cap) {
        m->demand[m->demand_count].key = key;
        m->demand[m->demand_count].delta = delta;
        m->demand_count++;
    }
}

static void size_live(struct builder *b, uint32_t si, int delta)
{
    struct tune_size_stat *s = &b->m->stats[si];
    uint64_t bytes = b->m->sizes[si];
    if (delta > 0) {
        s->live++;
        if (s->live > s->peak_live)
            s->peak_live = s->live;
        b->live_bytes += bytes;
        b->live_blocks++;
        /* The peak is kept in 64 bits: UINT64_MAX stands for that or more. */
        if (b->live_bytes > b->m->peak_live_bytes)
            b->m->peak_live_bytes = b->live_bytes > UINT64_MAX ? UINT64_MAX : (uint64_t)b->live_bytes;
        if (b->live_blocks > b->m->peak_live_blocks)
            b->m->peak_live_blocks = b->live_blocks;
    } else {
        s->live--;
        b->live_bytes -= bytes;
        b->live_blocks--;
    }
}

/* A new live object at `ptr`; an older object still live there ends first. */
static void start_object(struct builder *b, struct ptrmap *map, uint64_t ptr, uint32_t si,
                         uint32_t key, uint64_t caller)
{
    uint32_t id;
    if (ptrmap_get(map, ptr, &id)) {
        b->m->reused_live++;
        b->obj[id].live = false;
        push_demand(b, b->obj[id].key, -1);
        size_live(b, b->obj[id].size_index, -1);
    }
    struct object *o = &b->obj[b->obj_count];
    o->ptr = ptr;
    o->caller = caller;
    o->size_index = si;
    o->key = key;
    o->live = true;
    ptrmap_put(map, ptr, (uint32_t)b->obj_count++);
    push_demand(b, key, +1);
    size_live(b, si, +1);
}

static void end_object(struct builder *b, struct ptrmap *map, uint32_t id)
{
    struct object *o = &b->obj[id];
    o->live = false;
    ptrmap_remove(map, o->ptr);
    push_demand(b, o->key, -1);
    size_live(b, o->size_index, -1);
}

/* The free half of free/realloc/reallocf on pointer `old`. */
static void free_pointer(struct builder *b, struct ptrmap *map, uint64_t old)
{
    uint32_t id;
    if (old == 0)
        return;
    if (ptrmap_get(map, old, &id))
        end_object(b, map, id);
    else
        b->m->unknown_frees++;
    b->m->frees++;
}

/* A successful realloc by `caller` of object `id` to size index si, now at
 * `result`. */
static void resize_object(struct builder *b, struct ptrmap *map, uint32_t id, uint32_t si, uint64_t result,
                          uint64_t caller)
{
    struct tune_model *m = b->m;
    struct object *o = &b->obj[id];
    o->caller = caller;                   /* leaks name the last (re)allocation */
    size_live(b, o->size_index, -1);
    o->size_index = si;
    size_live(b, si, +1);
    uint32_t key = o->key;
    if (key < m->size_count) {
        if (si > key)
            key = si;                     /* running maximum */
    } else if (si > m->classes[key - m->size_count].size_index) {
        m->aligned_reallocs++;            /* may have moved to a plain pool */
        key = si;
    }
    if (key != o->key) {
        push_demand(b, o->key, -1);
        push_demand(b, key, +1);
        o->key = key;
    }
    if (result != o->ptr) {
        ptrmap_remove(map, o->ptr);
        uint32_t other;
        if (ptrmap_get(map, result, &other)) {
            m->reused_live++;
            end_object(b, map, other);
        }
        o->ptr = result;
        ptrmap_put(map, result, id);
    }
}

/* A request of size index si / over-alignment a that failed in the trace:
 * it holds a block for an instant.  For a realloc of a live object `id`
 * (UINT32_MAX for none) the object moves to its new key and back: within
 * one pool that costs nothing (realloc would stay in place), across pools it
 * is the instant when both blocks are held. */
static void momentary(struct builder *b, uint32_t si, uint64_t a, uint32_t id)
{
    struct tune_model *m = b->m;
    if (id == UINT32_MAX) {
        uint32_t key = key_of(m, si, a);
        push_demand(b, key, +1);
        push_demand(b, key, -1);
        return;
    }
    uint32_t old = b->obj[id].key;
    uint32_t floor = old < m->size_count ? old : m->classes[old - m->size_count].size_index;
    if (si <= floor)
        return;                 /* fits the block it has: realloc stays in place */
    if (old >= m->size_count)
        m->aligned_reallocs++;
    push_demand(b, old, -1);
    push_demand(b, si, +1);
    push_demand(b, si, -1);
    push_demand(b, old, +1);
}

static bool excluded(const struct trace_event *e, uint64_t n, uint64_t limit)
{
    return e->result == 0 && n > limit;
}

/* Pass 1: the sorted distinct requested sizes.  0 or -1 (memory). */
static int collect_sizes(const struct trace *t, uint64_t malloc_align, uint64_t limit, struct tune_model *m)
{
    m->sizes = calloc(t->event_count + 1, sizeof *m->sizes);
    if (m->sizes == NULL)
        return -1;
    for (size_t i = 0; i < t->event_count; i++) {
        uint64_t n, a;
        const struct trace_event *e = &t->events[i];
        if (tune_request(e, malloc_align, t->pointer_size, &n, &a) == REQ_ALLOC && !excluded(e, n, limit))
            m->sizes[m->size_count++] = n;
    }
    m->size_count = tune_sort_unique(m->sizes, m->size_count);
    return 0;
}

/* One event of pass 2. */
static void model_event(struct builder *b, struct ptrmap *map, const struct trace *t,
                        const struct trace_event *e, uint64_t malloc_align, uint64_t limit)
{
    struct tune_model *m = b->m;
    uint64_t n = 0, a = 0;
    enum request_kind kind = tune_request(e, malloc_align, t->pointer_size, &n, &a);
    if ((e->flags & POOLALLOC_TRACE_RECORD_IN_IRQ) != 0)
        m->irq_events++;
    if (tune_is_control(e->op))
        return;
    if (e->op == POOLALLOC_TRACE_OP_FREE) {
        free_pointer(b, map, e->old);
        return;
    }
    bool is_realloc = tune_is_realloc(e->op);
    if (kind == REQ_NONE) {                      /* realloc(p, 0) */
        free_pointer(b, map, e->old);
        return;
    }
    if (kind == REQ_INVALID || excluded(e, n, limit)) {
        if (kind == REQ_INVALID)
            m->invalid_requests++;
        else
            m->excluded_large++;
        if (e->result == 0)
            m->failed_in_trace++;
        if (is_realloc && e->op == POOLALLOC_TRACE_OP_REALLOCF && e->result == 0)
            free_pointer(b, map, e->old);
        return;
    }
    uint32_t si = size_index(m, n);
    m->stats[si].requests++;
    m->allocations++;
    uint32_t id = UINT32_MAX;
    if (is_realloc && e->old != 0 && !ptrmap_get(map, e->old, &id))
        m->unknown_frees++;
    if (e->result == 0) {
        m->failed_in_trace++;
        momentary(b, si, a, id);
        if (e->op == POOLALLOC_TRACE_OP_REALLOCF && id != UINT32_MAX)
            end_object(b, map, id);
        return;
    }
    if (id != UINT32_MAX)
        resize_object(b, map, id, si, e->result, e->caller);
    else
        start_object(b, map, e->result, si, key_of(m, si, a), e->caller);
}

int tune_model_build(const struct trace *t, uint64_t malloc_align, uint64_t size_limit,
                     struct tune_model *m)
{
    memset(m, 0, sizeof *m);
    struct builder b = { .m = m };
    struct ptrmap map = { 0 };
    size_t n = t->event_count;
    if (collect_sizes(t, malloc_align, size_limit, m) != 0)
        goto oom;
    b.demand_cap = 4 * n + 1;   /* at most four changes per event */
    m->stats = calloc(m->size_count + 1, sizeof *m->stats);
    m->classes = calloc(n + 1, sizeof *m->classes);
    m->demand = calloc(b.demand_cap, sizeof *m->demand);
    b.obj = calloc(n + 1, sizeof *b.obj);
    if (m->stats == NULL || m->classes == NULL || m->demand == NULL || b.obj == NULL ||
        ptrmap_init(&map, n + 1) != 0)
        goto oom;
    for (size_t i = 0; i < n; i++)
        model_event(&b, &map, t, &t->events[i], malloc_align, size_limit);
    for (size_t i = 0; i < b.obj_count; i++)
        m->leak_count += b.obj[i].live;
    m->leaks = calloc(m->leak_count + 1, sizeof *m->leaks);
    if (m->leaks == NULL)
        goto oom;
    size_t k = 0;
    for (size_t i = 0; i < b.obj_count; i++) {
        if (b.obj[i].live) {
            m->leaks[k].caller = b.obj[i].caller;
            m->leaks[k].ptr = b.obj[i].ptr;
            m->leaks[k].size = m->sizes[b.obj[i].size_index];
            k++;
        }
    }
    if (k > 0)
        qsort(m->leaks, k, sizeof *m->leaks, cmp_leak);
    free(b.obj);
    ptrmap_free(&map);
    return 0;
oom:
    free(b.obj);
    ptrmap_free(&map);
    tune_model_free(m);
    return -1;
}

void tune_model_free(struct tune_model *m)
{
    free(m->sizes);
    free(m->stats);
    free(m->classes);
    free(m->demand);
    free(m->leaks);
    memset(m, 0, sizeof *m);
}

/* ---- Several traces as one model ------------------------------------------ */

/* Index of `size` in the ascending m->sizes (present). */
static uint32_t merged_key(const struct tune_model *out, const struct tune_model *part, uint32_t key)
{
    if (key < part->size_count)
        return size_index(out, part->sizes[key]);
    const struct tune_class *c = &part->classes[key - part->size_count];
    uint32_t si = size_index(out, part->sizes[c->size_index]);
    for (size_t k = 0; k < out->class_count; k++)
        if (out->classes[k].size_index == si && out->classes[k].align == c->align)
            return (uint32_t)(out->size_count + k);
    return UINT32_MAX;
}

/* out's sizes and classes: the union of the parts'.  0 or -1. */
static int merge_keys(const struct tune_model *parts, size_t count, struct tune_model *out)
{
    size_t sizes = 0, classes = 0;
    for (size_t p = 0; p < count; p++) {
        sizes += parts[p].size_count;
        classes += parts[p].class_count;
    }
    out->sizes = malloc((sizes + 1) * sizeof *out->sizes);
    out->stats = calloc(sizes + 1, sizeof *out->stats);
    out->classes = calloc(classes + 1, sizeof *out->classes);
    if (out->sizes == NULL || out->stats == NULL || out->classes == NULL)
        return -1;
    for (size_t p = 0; p < count; p++)
        for (size_t i = 0; i < parts[p].size_count; i++)
            out->sizes[out->size_count++] = parts[p].sizes[i];
    out->size_count = tune_sort_unique(out->sizes, out->size_count);
    for (size_t p = 0; p < count; p++)
        for (size_t c = 0; c < parts[p].class_count; c++) {
            const struct tune_class *pc = &parts[p].classes[c];
            (void)key_of(out, size_index(out, parts[p].sizes[pc->size_index]), pc->align);
        }
    return 0;
}

int tune_model_merge(const struct tune_model *parts, size_t count, struct tune_model *out)
{
    memset(out, 0, sizeof *out);
    int64_t *live = NULL;
    if (merge_keys(parts, count, out) != 0)
        goto oom;
    size_t keys = out->size_count + out->class_count, cap = 0;
    for (size_t p = 0; p < count; p++)
        cap += parts[p].demand_count + keys;
    out->demand = malloc((cap + 1) * sizeof *out->demand);
    out->leaks = calloc(1, sizeof *out->leaks);
    live = calloc(keys + 1, sizeof *live);
    if (out->demand == NULL || out->leaks == NULL || live == NULL)
        goto oom;
    for (size_t p = 0; p < count; p++) {
        const struct tune_model *part = &parts[p];
        for (size_t i = 0; i < part->size_count; i++) {
            struct tune_size_stat *s = &out->stats[size_index(out, part->sizes[i])];
            s->requests += part->stats[i].requests;
            if (part->stats[i].peak_live > s->peak_live)
                s->peak_live = part->stats[i].peak_live;
        }
        for (size_t i = 0; i < part->demand_count; i++) {
            uint32_t key = merged_key(out, part, part->demand[i].key);
            out->demand[out->demand_count++] = (struct tune_demand){ key, part->demand[i].delta };
            live[key] += part->demand[i].delta;
        }
        /* What is still live at the end of this trace is freed before the
         * next one starts: each trace runs on its own. */
        for (uint32_t key = 0; key < keys; key++) {
            if (live[key] > 0)
                out->demand[out->demand_count++] = (struct tune_demand){ key, (int32_t)-live[key] };
            live[key] = 0;
        }
        if (part->peak_live_bytes > out->peak_live_bytes)
            out->peak_live_bytes = part->peak_live_bytes;
        if (part->peak_live_blocks > out->peak_live_blocks)
            out->peak_live_blocks = part->peak_live_blocks;
        out->allocations += part->allocations;
        out->frees += part->frees;
        out->failed_in_trace += part->failed_in_trace;
        out->invalid_requests += part->invalid_requests;
        out->excluded_large += part->excluded_large;
    }
    free(live);
    return 0;
oom:
    free(live);
    tune_model_free(out);
    return -1;
}

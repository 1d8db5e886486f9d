/* SPDX-License-Identifier: MIT */
/*
 * The replay the fallback search (fallback.c) runs thousands of times, on
 * a trace compiled once.  replay.c's rules, with fallback on: first pool
 * large and aligned enough, then the larger ones; realloc keeps its block
 * while the new size fits, otherwise moves through malloc; a request that
 * failed in the trace holds a block for an instant.
 *
 * Algorithm: compiling resolves every pointer to an object number (a block
 * the trace handed out), with the pointer map replay.c keeps during each
 * replay.  What happens to a pointer does not depend on the layout, with
 * one exception: a reallocf that failed in the trace frees its old block
 * only when the replay could not keep it in place.  So the old object
 * stays numbered, and the step marks it dead when it frees it: every later
 * step on a dead object (NO_POOL) behaves as replay.c's on an unknown
 * pointer.  The requests are numbered too, in a table of the trace's
 * distinct (size, alignment) pairs by size, and each replay starts by
 * finding the first pool of every one (a walk of the table beside the
 * pools).  A replay is then one walk over the steps with a pool number per
 * object.
 */
#include <stdlib.h>
#include <string.h>

#include "tune.h"

#define NO_POOL 0xFFu   /* no block: failed, freed, or never made */
#define NO_OBJECT UINT32_MAX

_Static_assert(POOLALLOC_TRACE_MAX_POOLS <= NO_POOL, "pool numbers (below the maximum) and NO_POOL fit in a byte");

enum compiled_kind {
    STEP_ALLOC,     /* obj = a block for the request */
    STEP_INSTANT,   /* a block for the request, given back at once: failed in the trace */
    STEP_FREE,      /* old's block given back */
    STEP_REALLOC,   /* old resized to the request's size (in place, or moved); obj the result, NO_OBJECT if
                     * it failed */
    STEP_INVALID,   /* a request no layout serves */
};

/* ---- Compiling ------------------------------------------------------------ */

struct compiler {
    struct compiled_trace *c;
    struct ptrmap map;
};

/* What an event asks of the replay: REQ_ALLOC with the size and the
 * alignment (a realloc asks for malloc's), REQ_INVALID, or REQ_NONE for a
 * free, realloc(p, 0) or a control record. */
static enum request_kind event_request(const struct trace *t, const struct trace_event *e, uint64_t align,
                                       uint64_t *n, uint64_t *a)
{
    enum request_kind kind = tune_request(e, align, t->pointer_size, n, a);
    if (tune_is_control(e->op) || e->op == POOLALLOC_TRACE_OP_FREE)
        return REQ_NONE;
    if (tune_is_realloc(e->op))
        *a = 0;
    return kind;
}

static uint32_t request_index(const struct compiled_trace *c, uint64_t size, uint64_t align)
{
    uint32_t lo = 0, hi = c->requests - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->size[mid] < size || (c->size[mid] == size && c->align[mid] < align))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void emit(struct compiler *k, enum compiled_kind kind, uint32_t obj, uint32_t old, uint64_t size,
                 uint64_t align, bool reallocf)
{
    bool asks = kind == STEP_ALLOC || kind == STEP_INSTANT || kind == STEP_REALLOC;
    k->c->step[k->c->count++] =
        (struct compiled_step){ .kind = (uint8_t)kind, .reallocf = reallocf, .obj = obj, .old = old,
                                .request = asks ? request_index(k->c, size, align) : 0 };
}

/* The pointer's object ended (freed), if the map knows it. */
static void end_ptr(struct compiler *k, uint64_t ptr)
{
    uint32_t id;
    if (ptr != 0 && ptrmap_get(&k->map, ptr, &id)) {
        emit(k, STEP_FREE, NO_OBJECT, id, 0, 0, false);
        ptrmap_remove(&k->map, ptr);
    }
}

/* A new object at `ptr`; one the map still had there lost its free in the
 * trace and is dropped after this step, as replay.c's new_object does. */
static uint32_t new_object(struct compiler *k, uint64_t ptr)
{
    uint32_t id = k->c->objects++, old;
    bool lost = ptrmap_get(&k->map, ptr, &old);
    ptrmap_put(&k->map, ptr, id);
    return lost ? old : NO_OBJECT;
}

static void compile_alloc(struct compiler *k, uint64_t result, uint64_t n, uint64_t a)
{
    if (result == 0) {
        emit(k, STEP_INSTANT, NO_OBJECT, NO_OBJECT, n, a, false);
        return;
    }
    uint32_t lost = new_object(k, result);
    emit(k, STEP_ALLOC, k->c->objects - 1, NO_OBJECT, n, a, false);
    if (lost != NO_OBJECT)
        emit(k, STEP_FREE, NO_OBJECT, lost, 0, 0, false);
}

static void compile_event(struct compiler *k, const struct trace *t, const struct trace_event *e, uint64_t align)
{
    uint64_t n = 0, a = 0;
    uint32_t id;
    enum request_kind kind = event_request(t, e, align, &n, &a);
    if (tune_is_control(e->op))
        return;
    if (kind == REQ_NONE) {
        end_ptr(k, e->old);
    } else if (kind == REQ_INVALID) {
        emit(k, STEP_INVALID, NO_OBJECT, NO_OBJECT, 0, 0, false);
        if (e->op == POOLALLOC_TRACE_OP_REALLOCF)
            end_ptr(k, e->old);
    } else if (!tune_is_realloc(e->op) || e->old == 0 || !ptrmap_get(&k->map, e->old, &id)) {
        compile_alloc(k, e->result, n, a);
    } else if (e->result == 0) {
        emit(k, STEP_REALLOC, NO_OBJECT, id, n, 0, e->op == POOLALLOC_TRACE_OP_REALLOCF);
    } else {
        ptrmap_remove(&k->map, e->old);
        uint32_t lost = new_object(k, e->result);
        emit(k, STEP_REALLOC, k->c->objects - 1, id, n, 0, false);
        if (lost != NO_OBJECT)
            emit(k, STEP_FREE, NO_OBJECT, lost, 0, 0, false);
    }
}

struct request {
    uint64_t size, align;
};

static int request_order(const void *pa, const void *pb)
{
    const struct request *a = pa, *b = pb;
    if (a->size != b->size)
        return a->size < b->size ? -1 : 1;
    return a->align < b->align ? -1 : a->align > b->align;
}

/* The request table: the trace's distinct requests, by size.  0, or -1
 * when out of memory. */
static int request_table(struct compiled_trace *c, const struct trace *t, uint64_t align)
{
    struct request *all = malloc((t->event_count + 1) * sizeof *all);
    size_t count = 0, distinct = 0;
    if (all == NULL)
        return -1;
    for (size_t i = 0; i < t->event_count; i++)
        if (event_request(t, &t->events[i], align, &all[count].size, &all[count].align) == REQ_ALLOC)
            count++;
    qsort(all, count, sizeof *all, request_order);
    for (size_t i = 0; i < count; i++)
        if (distinct == 0 || request_order(&all[distinct - 1], &all[i]) != 0)
            all[distinct++] = all[i];
    c->size = malloc((distinct + 1) * sizeof *c->size);
    c->align = malloc((distinct + 1) * sizeof *c->align);
    if (c->size != NULL && c->align != NULL)
        for (size_t i = 0; i < distinct; i++) {
            c->size[i] = all[i].size;
            c->align[i] = all[i].align;
        }
    c->requests = (uint32_t)distinct;
    free(all);
    return c->size == NULL || c->align == NULL ? -1 : 0;
}

int compiled_trace_init(struct compiled_trace *c, const struct trace *t, uint64_t malloc_align)
{
    memset(c, 0, sizeof *c);
    struct compiler k = { .c = c };
    /* At most two steps per record: the request and a lost free. */
    c->step = malloc((2 * t->event_count + 1) * sizeof *c->step);
    int rc = -1;
    if (c->step != NULL && request_table(c, t, malloc_align) == 0 && ptrmap_init(&k.map, t->event_count + 1) == 0) {
        for (size_t i = 0; i < t->event_count; i++)
            compile_event(&k, t, &t->events[i], malloc_align);
        struct compiled_step *fit = realloc(c->step, (c->count + 1) * sizeof *c->step);
        c->step = fit != NULL ? fit : c->step;
        rc = 0;
    }
    ptrmap_free(&k.map);
    if (rc != 0)
        compiled_trace_free(c);
    return rc;
}

void compiled_trace_free(struct compiled_trace *c)
{
    free(c->step);
    free(c->size);
    free(c->align);
    memset(c, 0, sizeof *c);
}

/* ---- Replaying ------------------------------------------------------------ */

struct run {
    const struct compiled_trace *c;
    const struct tune_layout *lay;
    const uint8_t *first;   /* of each request: the first pool that serves it, NO_POOL if none */
    uint64_t in_use[POOLALLOC_TRACE_MAX_POOLS];
    struct compiled_result *r;
};

/* first[i]: the first pool of `lay` large and aligned enough for request
 * i, NO_POOL if none.  The requests ascend by size, as the blocks do. */
static void first_pools(const struct compiled_trace *c, const struct tune_layout *lay, uint8_t *first)
{
    size_t k = 0;
    for (uint32_t i = 0; i < c->requests; i++) {
        while (k < lay->count && lay->block[k] < c->size[i])
            k++;
        size_t f = k;
        while (f < lay->count && !tune_block_serves(lay->block[f], c->size[i], c->align[i]))
            f++;
        first[i] = f < lay->count ? (uint8_t)f : NO_POOL;
    }
}

/* replay.c's take with fallback on: the pool, or NO_POOL. */
static uint8_t take(struct run *s, uint32_t request)
{
    const struct tune_layout *lay = s->lay;
    uint8_t first = s->first[request];
    if (first == NO_POOL) {
        s->r->failures++;
        s->r->failures_no_pool++;
        return NO_POOL;
    }
    uint64_t a = s->c->align[request];
    for (size_t k = first; k < lay->count; k++)
        if (s->in_use[k] < lay->capacity[k] &&
            (a == 0 || tune_block_serves(lay->block[k], s->c->size[request], a))) {
            if (++s->in_use[k] > s->r->high_water[k])
                s->r->high_water[k] = s->in_use[k];
            return (uint8_t)k;
        }
    s->r->failures++;
    s->r->pool_failures[first]++;
    return NO_POOL;
}

static void give(struct run *s, uint8_t k)
{
    if (k != NO_POOL)
        s->in_use[k]--;
}

static void replay_realloc(struct run *s, const struct compiled_step *st, uint8_t *obj_pool)
{
    uint8_t k = obj_pool[st->old];
    if (k != NO_POOL && s->c->size[st->request] <= s->lay->block[k]) {
        if (st->obj != NO_OBJECT) {
            obj_pool[st->obj] = k;
            obj_pool[st->old] = NO_POOL;
        }
        return;
    }
    uint8_t moved = take(s, st->request);
    if (st->obj != NO_OBJECT) {
        give(s, k);
        obj_pool[st->old] = NO_POOL;
        obj_pool[st->obj] = moved;
        return;
    }
    give(s, moved);
    if (st->reallocf) {
        give(s, k);
        obj_pool[st->old] = NO_POOL;
    }
}

void compiled_replay(const struct compiled_trace *c, const struct tune_layout *lay, uint8_t *obj_pool,
                     uint8_t *first, struct compiled_result *r)
{
    struct run s = { .c = c, .lay = lay, .first = first, .r = r };
    r->failures = r->failures_no_pool = r->invalid = 0;
    memset(r->pool_failures, 0, lay->count * sizeof r->pool_failures[0]);
    memset(r->high_water, 0, lay->count * sizeof r->high_water[0]);
    memset(obj_pool, NO_POOL, c->objects);
    first_pools(c, lay, first);
    for (size_t i = 0; i < c->count; i++) {
        const struct compiled_step *st = &c->step[i];
        switch (st->kind) {
        case STEP_ALLOC:
            obj_pool[st->obj] = take(&s, st->request);
            break;
        case STEP_INSTANT:
            give(&s, take(&s, st->request));
            break;
        case STEP_FREE:
            give(&s, obj_pool[st->old]);
            obj_pool[st->old] = NO_POOL;
            break;
        case STEP_REALLOC:
            replay_realloc(&s, st, obj_pool);
            break;
        default: /* STEP_INVALID */
            r->failures++;
            r->invalid++;
            break;
        }
    }
}

/* ---- Checking ------------------------------------------------------------- */

bool compiled_result_matches(const struct compiled_result *fast, const struct tune_replay *slow, size_t pools)
{
    bool same = fast->failures == slow->failures && fast->failures_no_pool == slow->failures_no_pool &&
                fast->invalid == slow->invalid;
    for (size_t k = 0; k < pools; k++)
        same &= fast->pool_failures[k] == slow->pool[k].failures && fast->high_water[k] == slow->pool[k].high_water;
    return same;
}

int compiled_replay_agrees(const struct trace *t, const struct tune_layout *lay)
{
    struct compiled_trace c;
    struct tune_replay slow;
    if (compiled_trace_init(&c, t, lay->malloc_align) != 0)
        return -1;
    uint8_t *obj_pool = malloc(c.objects + 1u), *first = malloc(c.requests + 1u);
    struct compiled_result *fast = malloc(sizeof *fast);
    int rc = -1;
    if (obj_pool != NULL && first != NULL && fast != NULL && tune_replay(t, lay, true, false, 0, &slow) == 0) {
        compiled_replay(&c, lay, obj_pool, first, fast);
        rc = compiled_result_matches(fast, &slow, lay->count);
        tune_replay_free(&slow);
    }
    free(obj_pool);
    free(first);
    free(fast);
    compiled_trace_free(&c);
    return rc;
}

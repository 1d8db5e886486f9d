/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for poolalloc-tune's trace reader and what runs on its
 * output: any input is either rejected with an in-range byte offset or
 * parsed, modelled, replayed on its recorded layout and optimised without a
 * crash, a leak or undefined behaviour; the compiled replay of the fallback
 * search (search_replay.c) agrees with the replay there; the trace merged with itself (two
 * scenarios) must optimise to the same cost as once.  Each region's
 * sub-trace is a well-formed one-region trace (its pools, region 0 only, no
 * poolalloc_malloc_in left but those for a region the trace has not, in
 * region 0's) and the sub-traces together hold each call of
 * the trace once; each is modelled and replayed.  Built by run-fuzz.sh with
 * clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tune.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Region r's sub-trace checked against t (abort on a violation), modelled
 * and replayed; the calls (not control records) it holds. */
static size_t check_region(const struct trace *t, unsigned r)
{
    struct trace sub;
    char err[200];
    if (tune_trace_region(t, r, &sub, err, sizeof err) != 0)
        return 0;                    /* out of memory */
    if (sub.region_count != 1 || sub.pool_count != t->regions[r].pool_count ||
        sub.pools[0].block != t->pools[t->regions[r].first_pool].block)
        abort();
    size_t calls = 0;
    for (size_t i = 0; i < sub.event_count; i++) {
        const struct trace_event *e = &sub.events[i];
        bool no_such_region = e->op == POOLALLOC_TRACE_OP_MALLOC_IN && e->region >= t->region_count;
        if ((e->region != 0 || e->op == POOLALLOC_TRACE_OP_MALLOC_IN) && !(no_such_region && r == 0))
            abort();
        calls += !tune_is_control(sub.events[i].op);
    }
    struct tune_model m;
    if (tune_model_build(&sub, sub.alignment, UINT64_MAX, &m) == 0) {
        struct tune_layout lay;
        struct tune_replay rep;
        tune_recorded_layout(&sub, &lay);
        if (tune_replay(&sub, &lay, true, true, 0, &rep) == 0)
            tune_replay_free(&rep);
        tune_model_free(&m);
    }
    trace_free(&sub);
    return calls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace t;
    struct trace_error err;
    if (trace_parse(data, size, &t, &err) != 0) {
        if (err.offset > size)
            abort();                 /* an error must point into the file (or at its end) */
        return 0;
    }
    struct tune_model m;
    if (tune_model_build(&t, t.alignment, UINT64_MAX, &m) == 0) {
        struct tune_layout lay;
        tune_recorded_layout(&t, &lay);
        struct tune_replay r;
        if (tune_replay(&t, &lay, (t.flags & POOLALLOC_TRACE_HEADER_FALLBACK) != 0, true, 16, &r) == 0)
            tune_replay_free(&r);
        /* The fallback search's compiled replay gives what the replay gives
         * (on layouts whose blocks ascend, as the search's all do). */
        bool ascending = true;
        for (size_t k = 1; k < lay.count; k++)
            ascending &= lay.block[k - 1] < lay.block[k];
        if (ascending && compiled_replay_agrees(&t, &lay) == 0)
            abort();
        struct tune_optimum o;
        char msg[200];
        const struct tune_target target = { .pointer_size = t.pointer_size, .alignment = t.alignment,
                                            .pool_state_bytes = t.pool_state_size, .max_pools = 4 };
        if (m.size_count < 64 && m.class_count <= 2 && tune_optimise(&m, &target, &o, msg, sizeof msg) == 0) {
            /* The trace twice, each on its own: the same layout as once. */
            const struct tune_model twice[2] = { m, m };
            struct tune_model merged;
            struct tune_optimum o2;
            if (tune_model_merge(twice, 2, &merged) == 0) {
                if (tune_optimise(&merged, &target, &o2, msg, sizeof msg) == 0 && o2.total_bytes != o.total_bytes)
                    abort();
                tune_model_free(&merged);
            }
            (void)tune_headroom(&o, o.total_bytes + 1000, -1);
        }
        tune_model_free(&m);
    }
    size_t calls = 0, in_regions = 0;
    for (size_t i = 0; i < t.event_count; i++)
        calls += !tune_is_control(t.events[i].op);
    for (unsigned r = 0; r < t.region_count; r++)
        in_regions += check_region(&t, r);
    if (in_regions != calls)
        abort();                     /* every call in exactly one region */
    trace_free(&t);
    return 0;
}

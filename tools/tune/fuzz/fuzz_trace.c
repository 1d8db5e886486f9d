/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for poolalloc-tune's trace reader and what runs on its
 * output: any input is either rejected with an in-range byte offset or
 * parsed, modelled, replayed on its recorded layout and optimised without a
 * crash, a leak or undefined behaviour; the trace merged with itself (two
 * scenarios) must optimise to the same cost as once.  Built by run-fuzz.sh with
 * clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tune.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    trace_free(&t);
    return 0;
}

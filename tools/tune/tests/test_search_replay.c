/* SPDX-License-Identifier: MIT */
/*
 * The fallback search's compiled replay (search_replay.c) against
 * tune_replay (replay.c) on random traces of every kind of call the replay
 * treats apart (argv[1] traces, fixed seed): malloc, calloc (and its
 * overflow), memalign above and below malloc's alignment and with a bad
 * one, realloc in place, moved, to another pointer, failed, to size 0 and
 * of a pointer never seen, reallocf failed, frees of unknown pointers, and
 * results at a pointer still live (a free the recorder lost).  Pointers
 * come from a few addresses so that all of these happen.  Each trace is
 * replayed on random ascending layouts, tight enough to fail and spill:
 * failures, those with no pool, invalid ones, each pool's failures and
 * high water must agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"
#include "xorshift.h"

#define MAX_EVENTS 64
#define ADDRESSES 12
#define LAYOUTS 8

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rnd(uint64_t n)
{
    return xorshift_below(&rng_state, n);
}

static uint64_t address(void)
{
    return 0x1000u + 16u * rnd(ADDRESSES);
}

static uint64_t result(void)
{
    return rnd(6) == 0 ? 0 : address();
}

static void random_event(struct trace_event *e)
{
    static const uint64_t sizes[] = { 0, 1, 4, 7, 8, 12, 16, 24, 33, 64, 100, 200 };
    memset(e, 0, sizeof *e);
    e->size = sizes[rnd(sizeof sizes / sizeof sizes[0])];
    switch (rnd(9)) {
    case 0: case 1:
        e->op = POOLALLOC_TRACE_OP_MALLOC;
        e->result = result();
        break;
    case 2:
        e->op = POOLALLOC_TRACE_OP_CALLOC;
        e->align = rnd(8) == 0 ? UINT64_C(1) << 33 : 1 + rnd(3);   /* the count; 2^33 overflows */
        e->result = result();
        break;
    case 3:
        e->op = POOLALLOC_TRACE_OP_MEMALIGN;
        e->align = rnd(8) == 0 ? 12 : UINT64_C(1) << rnd(7);       /* 12: not a power of two */
        e->result = result();
        break;
    case 4: case 5:
        e->op = rnd(4) == 0 ? POOLALLOC_TRACE_OP_REALLOCF : POOLALLOC_TRACE_OP_REALLOC;
        e->old = rnd(8) == 0 ? 0 : address();
        e->result = rnd(3) == 0 ? e->old : result();
        break;
    default:
        e->op = POOLALLOC_TRACE_OP_FREE;
        e->old = rnd(10) == 0 ? 0 : address();
        break;
    }
}

static void random_layout(struct tune_layout *lay, uint64_t alignment)
{
    static const uint64_t blocks[] = { 4, 8, 16, 24, 32, 64, 128, 256 };
    memset(lay, 0, sizeof *lay);
    lay->malloc_align = alignment;
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (rnd(2) == 0 && (blocks[i] >= alignment || blocks[i] == 4)) {
            lay->block[lay->count] = blocks[i];
            lay->capacity[lay->count++] = rnd(4);
        }
}

int main(int argc, char **argv)
{
    long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 2000, bad = 0, failing = 0, spilling = 0;
    static struct trace_event ev[MAX_EVENTS];
    for (long run = 0; run < runs; run++) {
        struct trace t;
        memset(&t, 0, sizeof t);
        t.pointer_size = 4;
        t.alignment = rnd(2) ? 8 : 4;
        t.events = ev;
        t.event_count = 1 + (size_t)rnd(MAX_EVENTS);
        for (size_t i = 0; i < t.event_count; i++)
            random_event(&ev[i]);
        for (int l = 0; l < LAYOUTS; l++) {
            struct tune_layout lay;
            struct tune_replay r;
            random_layout(&lay, t.alignment);
            int agrees = compiled_replay_agrees(&t, &lay);
            if (agrees < 0 || tune_replay(&t, &lay, true, false, 0, &r) != 0) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
            failing += r.failures > r.invalid + r.failures_no_pool;
            for (size_t k = 0; k < lay.count; k++)
                spilling += r.pool[k].spilled_in > 0;
            tune_replay_free(&r);
            if (!agrees && bad++ < 5)
                fprintf(stderr, "run %ld, layout %d: the compiled replay disagrees with tune_replay\n", run, l);
        }
    }
    printf("%ld traces x %d layouts (%ld with failures, %ld pools spilled into): %ld disagreements\n", runs,
           LAYOUTS, failing, spilling, bad);
    /* A test that saw no failure or no spill would prove little. */
    return bad == 0 && failing > 0 && spilling > 0 ? 0 : 1;
}

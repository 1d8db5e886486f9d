/* SPDX-License-Identifier: MIT */
/*
 * Preemption tests under QEMU (picolibc, run with -icount shift=10): are
 * malloc, free, realloc and calloc atomic with respect to interrupts?
 *
 * Sweep.  For each operation, SysTick is armed as a one-shot so that it
 * fires a few ticks later each trial; with -icount every instruction takes
 * the same virtual time, and the step (SWEEP_STEP ticks) is shorter than one
 * instruction, so the trials place the interrupt after instruction 1, 2, 3,
 * ... of the call, until it fires only after the call has returned.  The
 * handler runs the ABA pattern on the same pool: pop A, pop B, push A back,
 * keeping B.  A pop that read A's `next` before the interrupt and still
 * succeeds afterwards makes B -- owned by the handler -- the free-list head.
 *
 * Soak.  SOAK_OPS main-loop operations with random sizes while SysTick (low
 * priority) and a board timer (high priority, so it preempts SysTick's
 * handler) fire at pseudo-random intervals and allocate and free too.
 *
 * Proof.  An ownership map (owner of every block) is updated by whoever
 * receives or returns a block: a block handed out while owned, or returned
 * by a non-owner, is an error.  Every owned block carries its owner's
 * pattern, checked before it is returned.  At the end everything is freed
 * and every block of every pool must be allocatable again exactly once.
 *
 * Built twice: against the real library (must pass) and against a variant
 * whose pop reads `next` outside the atomic window (must fail).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "poolalloc.h"
#include "pools.h"
#include "preempt_board.h"

#ifndef SOAK_OPS
#define SOAK_OPS 1000000
#endif
/* Soak interrupt intervals: well above a handler's run time (a few hundred
 * instructions of 16-26 ticks each), so that main keeps making progress. */
#ifndef SOAK_TICKS_MIN
#define SOAK_TICKS_MIN 50000
#endif
#define SOAK_TICKS_SPAN 200000
#define SWEEP_STEP 8          /* SysTick ticks; one instruction is >= 16 ticks at shift=10 */
#define SWEEP_MAX_TRIALS 4000
#define MAX_TRACKED 4096

enum owner { FREE = 0, MAIN = 1, SYSTICK = 2, TIMER = 3 };

#include "ownership.h"

static volatile unsigned pattern_errors;

/* The layout, cached once: bookkeeping must stay cheap next to the
 * allocator calls, or the handlers would take longer than the intervals. */
static size_t pool_count;
static uintptr_t pool_start[256], pool_end[256];
static size_t pool_block[256], first_block_of[256];

static size_t block_number(const void *p)
{
    uintptr_t address = (uintptr_t)p;
    for (size_t k = 0; k < pool_count; k++)
        if (address >= pool_start[k] && address < pool_end[k])
            return first_block_of[k] + (address - pool_start[k]) / pool_block[k];
    return MAX_TRACKED;
}



static unsigned char mark_of(const void *p, enum owner who)
{
    return (unsigned char)(((uintptr_t)p >> 3) * 7u + (unsigned)who * 64u + 1u);
}

static void fill(void *p, size_t size, enum owner who)
{
    memset(p, mark_of(p, who), size);
}

static void verify(const void *p, size_t size, enum owner who)
{
    const unsigned char *bytes = p;
    unsigned char mark = mark_of(p, who);
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != mark) {
            pattern_errors++;
            return;
        }
}

/* ---- What the interrupt handlers do ------------------------------------- */

#define HELD 8
struct handler_state {
    enum owner who;
    void *volatile held[HELD]; /* blocks kept by the handler, freed by main */
    size_t size[HELD];
    volatile unsigned count;
    unsigned runs;
    uint32_t random;
};

static struct handler_state systick_state = { .who = SYSTICK, .random = 12345 };
static struct handler_state timer_state = { .who = TIMER, .random = 67890 };
static volatile size_t aba_size;       /* request size the sweep targets */
static volatile int in_call;           /* main is inside the call under test */
static volatile int fired, fired_in_call;
static volatile uint32_t interrupted_pc;
static volatile int soak_running;

static uint32_t next_random(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* Pop A, pop B, push A back, keep B: the pattern that breaks a pop which
 * read A->next before being interrupted.  Nothing else touches the list in
 * the handler, so A is the head again when the interrupted code resumes;
 * B goes to main (drain_handler) to be freed outside the handler. */
static void aba_pattern(struct handler_state *h, size_t size)
{
    void *a = malloc(size);
    void *b = malloc(size);
    if (a != NULL) {
        claim(a, h->who);
        fill(a, size, h->who);
        verify(a, size, h->who);
        release(a, h->who);
        free(a);
    }
    if (b != NULL) {
        claim(b, h->who);
        fill(b, size, h->who);
        if (h->count < HELD) {
            h->held[h->count] = b;
            h->size[h->count] = size;
            h->count++;
        } else {
            release(b, h->who);
            free(b);
        }
    }
}

/* Main: free what a handler kept (interrupts masked only to take the list). */
static void drain_handler(struct handler_state *h)
{
    void *taken[HELD];
    size_t sizes[HELD];
    uint32_t saved = board_irq_mask();
    unsigned n = h->count;
    for (unsigned i = 0; i < n; i++) {
        taken[i] = h->held[i];
        sizes[i] = h->size[i];
    }
    h->count = 0;
    board_irq_restore(saved);
    for (unsigned i = 0; i < n; i++) {
        verify(taken[i], sizes[i], h->who);
        release(taken[i], h->who);
        free(taken[i]);
    }
}

static void handler_work(struct handler_state *h)
{
    h->runs++;
    uint32_t r = next_random(&h->random);
    size_t size = aba_size != 0 ? aba_size : 1 + r % 64;
    aba_pattern(h, size);
}

void preempt_systick(const uint32_t *frame)
{
    interrupted_pc = frame[6]; /* the stacked return address */
    if (soak_running) {
        board_systick_arm(SOAK_TICKS_MIN + next_random(&systick_state.random) % SOAK_TICKS_SPAN);
    } else {
        board_systick_stop();
        fired = 1;
        fired_in_call = in_call;
    }
    handler_work(&systick_state);
}

void preempt_timer(void)
{
    board_timer_ack(SOAK_TICKS_MIN + next_random(&timer_state.random) % SOAK_TICKS_SPAN);
    handler_work(&timer_state);
}

/* ---- The sweep ------------------------------------------------------------ */

enum op { OP_MALLOC, OP_FREE, OP_REALLOC, OP_CALLOC };
static const char *const op_name[] = { "malloc", "free", "realloc", "calloc" };

/* Run one operation with SysTick armed `delay` ticks ahead.  Returns true
 * while the interrupt still lands inside the call. */
static bool sweep_trial(enum op op, uint32_t delay, size_t size, unsigned *distinct, uint32_t *last_pc)
{
    void *held = NULL;
    if (op == OP_FREE || op == OP_REALLOC) {
        held = malloc(size);
        if (held == NULL)
            return false;
        claim(held, MAIN);
        fill(held, size, MAIN);
        verify(held, size, MAIN);
        release(held, MAIN); /* ownership passes to the call under test */
    }
    fired = 0;
    void *result = NULL;
    in_call = 1;
    board_systick_arm(delay);
    switch (op) {
    case OP_MALLOC:
        result = malloc(size);
        break;
    case OP_FREE:
        free(held);
        break;
    case OP_REALLOC:
        result = realloc(held, size + pool_block[0]);
        break;
    case OP_CALLOC:
        result = calloc(1, size);
        break;
    }
    in_call = 0;
    while (!fired) {
    }
    if (result != NULL) {
        claim(result, MAIN);
        if (op == OP_CALLOC) {
            const unsigned char *bytes = result;
            for (size_t i = 0; i < size; i++)
                if (bytes[i] != 0)
                    pattern_errors++;
        }
        fill(result, size, MAIN);
        verify(result, size, MAIN);
        release(result, MAIN);
        free(result);
    } else if (op == OP_REALLOC && held != NULL) {
        claim(held, MAIN); /* realloc failed: the old block is still ours */
        release(held, MAIN);
        free(held);
    }
    drain_handler(&systick_state);
    /* Nothing runs now (the one-shot has fired): every free list must be
     * sound, or the next trial's handler would follow a user's bytes. */
    struct poolalloc_check_result damage;
    if (!poolalloc_check(&damage)) {
        if (ownership_errors++ == 0)
            printf("first ownership error: after a %s trial, pool %u: %s at %p\n", op_name[op],
                   (unsigned)damage.pool, poolalloc_fault_name(damage.kind), damage.ptr);
    }
    if (fired_in_call && interrupted_pc != *last_pc) {
        ++*distinct;
        *last_pc = interrupted_pc;
    }
    return fired_in_call;
}

static void sweep(enum op op)
{
    size_t size = pool(0).block_size;
    aba_size = size;
    unsigned trials = 0, distinct = 0;
    uint32_t last_pc = 0;
    for (uint32_t delay = 1; trials < SWEEP_MAX_TRIALS; delay += SWEEP_STEP) {
        trials++;
        bool inside = sweep_trial(op, delay, size, &distinct, &last_pc);
        if (ownership_errors != 0) /* the heap is broken: stop before it crashes */
            break;
        if (!inside && delay > 64 * SWEEP_STEP)
            break;
    }
    aba_size = 0;
    CHECK(trials < SWEEP_MAX_TRIALS);
    CHECK(distinct >= 10);
    printf("sweep %-8s %4u trials, interrupted at %u distinct instructions; %u ownership and %u pattern errors so far\n",
           op_name[op], trials, distinct, ownership_errors, pattern_errors);
}

/* ---- The soak ------------------------------------------------------------- */

static void soak(void)
{
    enum { MAIN_HELD = 16 };
    void *held[MAIN_HELD] = { 0 };
    size_t held_size[MAIN_HELD] = { 0 };
    uint32_t random = 424242;
    unsigned long failures = 0;

    soak_running = 1;
    board_systick_arm(SOAK_TICKS_MIN);
    board_timer_start(2 * SOAK_TICKS_MIN);
    for (long op = 0; op < SOAK_OPS; op++) {
        drain_handler(&systick_state);
        drain_handler(&timer_state);
        uint32_t r = next_random(&random);
        unsigned slot = r % MAIN_HELD;
        size_t size = 1 + (r >> 8) % 64;
        if (held[slot] != NULL) {
            verify(held[slot], held_size[slot], MAIN);
            release(held[slot], MAIN);
            if ((r >> 20) % 4 == 0) {
                void *moved = realloc(held[slot], size);
                if (moved == NULL) {
                    claim(held[slot], MAIN);
                    failures++;
                    continue;
                }
                claim(moved, MAIN);
                held[slot] = moved;
                held_size[slot] = size;
                fill(moved, size, MAIN);
            } else {
                free(held[slot]);
                held[slot] = NULL;
            }
        } else {
            void *p = (r >> 20) % 4 == 0 ? calloc(1, size) : malloc(size);
            if (p == NULL) {
                failures++;
                continue;
            }
            claim(p, MAIN);
            held[slot] = p;
            held_size[slot] = size;
            fill(p, size, MAIN);
        }
    }
    soak_running = 0;
    board_timer_stop();
    board_systick_stop();
    for (unsigned i = 0; i < MAIN_HELD; i++)
        if (held[i] != NULL) {
            verify(held[i], held_size[i], MAIN);
            release(held[i], MAIN);
            free(held[i]);
        }
    printf("soak: %ld operations, %lu failed for lack of memory, %u systick and %u timer interrupts\n",
           (long)SOAK_OPS, failures, systick_state.runs, timer_state.runs);
    CHECK(systick_state.runs > SOAK_OPS / 1000 && timer_state.runs > SOAK_OPS / 1000);
}

int main(void)
{
    size_t blocks = 0;
    pool_count = malloc_pool_count();
    for (size_t k = 0; k < pool_count && k < 256; k++) {
        struct poolalloc_pool_info info = pool(k);
        pool_start[k] = (uintptr_t)info.start;
        pool_end[k] = (uintptr_t)info.end;
        pool_block[k] = info.block_size;
        first_block_of[k] = blocks;
        blocks += info.capacity;
    }
    if (!CHECK(blocks <= MAX_TRACKED && malloc_pool_count() >= 2))
        return check_finish("preempt");

    /* Put blocks on pool 0's free list so that the sweep exercises pops. */
    void *warm[8];
    for (unsigned i = 0; i < 8; i++)
        warm[i] = malloc(pool(0).block_size);
    for (unsigned i = 0; i < 8; i++)
        free(warm[i]);

    board_init();
    /* After an ownership error the heap is broken: no further sweep (it
     * would crash before the summary). */
    for (unsigned op = OP_MALLOC; op <= OP_CALLOC && ownership_errors == 0; op++)
        sweep((enum op)op);
    if (!CHECK(ownership_errors == 0)) {
        printf("preempt: %u ownership errors in the sweep; no soak on a broken heap\n", ownership_errors);
        return check_finish("preempt");
    }
    soak();
    drain_handler(&systick_state);
    drain_handler(&timer_state);

    CHECK(ownership_errors == 0);
    CHECK(pattern_errors == 0);
    CHECK(total_in_use() == 0);
    size_t again = 0;
    for (size_t k = malloc_pool_count(); k-- > 0;) {
        void *p;
        while ((p = malloc(pool(k).block_size)) != NULL) {
            claim(p, MAIN);
            again++;
        }
    }
    CHECK(again == blocks);
    CHECK(ownership_errors == 0);
    printf("preempt: %u ownership errors (%u reported by the allocator), %u pattern errors, %u of %u blocks "
           "allocatable at the end\n",
           ownership_errors, allocator_faults, pattern_errors, (unsigned)again, (unsigned)blocks);
    return check_finish("preempt");
}

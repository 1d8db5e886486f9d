/* SPDX-License-Identifier: MIT */
/*
 * Trace recorder under interrupts, at every instruction (-Dtrace=true; run
 * under QEMU with -icount shift=10 by test/test_trace_irq.py --sweep, which
 * reads the trace).
 *
 * Sweep.  As in test/preempt.c: SysTick is armed as a one-shot that fires
 * SWEEP_STEP ticks later on each trial, less than one instruction, so the
 * interrupt lands after instruction 1, 2, 3, ... of main's recording call
 * (malloc: the allocation, then the recorder), until it lands after the
 * call.  Each trial starts from a drained ring; main first records
 * `pending` events of its own, so that its call meets the ring in three
 * states:
 *   record  empty ring; the handler records 2 events (malloc, free);
 *   drain   main's event is the one that makes the ring half full, so its
 *           call drains the ring, interrupted at every instruction of the
 *           drain; the handler records 2 events;
 *   full    the handler records 66 events, which overflow the ring by
 *           exactly one whether main reserved its slot before the interrupt
 *           or after: one event is dropped, and counted in a DROPPED record.
 * Main's requests are MAIN_SIZE bytes and the handler's IRQ_SIZE, so that
 * the checker can tell a torn record (one writer's fields in another's).
 *
 * The program prints how many events main and the handler raised; the
 * checker proves the accounting exactly: records from thread mode + records
 * with IN_IRQ + events counted by DROPPED records = END's sequence number =
 * the events raised, every number once, in order.
 *
 * Built twice: against the library (must pass) and against a recorder whose
 * sequence reservation is not atomic (test/broken/trace_unlocked.c: must
 * fail the accounting).  Board support: test/preempt_board.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "poolalloc.h"
#include "preempt_board.h"

#define RING_RECORDS 128 /* src/trace.c's POOLALLOC_TRACE_RECORDS, as this build uses it */
#define MAIN_SIZE 40
#define IRQ_SIZE 12
#define SWEEP_STEP 12    /* SysTick ticks; one instruction is >= 16 ticks at shift=10 */
#define MAX_TRIALS 8000
#define FLOOD_PAIRS 32   /* full: free, 32 x (malloc, free), malloc = 66 events */

enum scenario { RECORD, DRAIN, FULL };
static const char *const scenario_name[] = { "record", "drain", "full" };
/* Events main records before its call: the ring then holds this many. */
static const unsigned pending_of[] = { 0, RING_RECORDS / 2 - 1, RING_RECORDS - 2 * FLOOD_PAIRS - 2 };

static volatile int flood, in_call, fired, fired_in_call;
static volatile uint32_t interrupted_pc;
static void *irq_kept;
static volatile uint32_t handler_events, handler_failures;
static uint32_t main_events, main_failures;

void preempt_systick(const uint32_t *frame)
{
    interrupted_pc = frame[6]; /* the stacked return address */
    board_systick_stop();
    fired = 1;
    fired_in_call = in_call;
    uint32_t pairs = flood ? FLOOD_PAIRS : 1;
    if (flood) {
        free(irq_kept);
        handler_events++;
    }
    for (uint32_t i = 0; i < pairs; i++) {
        void *p = malloc(IRQ_SIZE);
        handler_failures += p == NULL;
        free(p);
        handler_events += 2;
    }
    if (flood) {
        irq_kept = malloc(IRQ_SIZE);
        handler_failures += irq_kept == NULL;
        handler_events++;
    }
}

void preempt_timer(void)
{
}

/* Main raises one event: malloc(MAIN_SIZE), or free. */
static void *main_malloc(void)
{
    void *p = malloc(MAIN_SIZE);
    main_failures += p == NULL;
    main_events++;
    return p;
}

static void main_free(void *p)
{
    free(p);
    main_events++;
}

/* One trial: the ring drained, `pending` events of main's, then main's
 * malloc with SysTick `delay` ticks ahead.  True while the interrupt still
 * lands inside the call. */
static bool trial(enum scenario s, uint32_t delay)
{
    poolalloc_trace_flush();
    unsigned pending = pending_of[s];
    for (unsigned i = 0; i + 1 < pending; i += 2)
        main_free(main_malloc());
    void *odd = pending % 2 != 0 ? main_malloc() : NULL;
    flood = s == FULL;
    fired = 0;
    in_call = 1;
    board_systick_arm(delay);
    void *p = main_malloc();
    in_call = 0;
    while (!fired) {
    }
    main_free(p);
    if (odd != NULL)
        main_free(odd);
    return fired_in_call;
}

static void sweep(enum scenario s)
{
    unsigned trials = 0, distinct = 0;
    uint32_t last_pc = 0;
    bool inside = true;
    for (uint32_t delay = 1; inside && trials < MAX_TRIALS; delay += SWEEP_STEP) {
        trials++;
        inside = trial(s, delay);
        if (inside && interrupted_pc != last_pc) {
            distinct++;
            last_pc = interrupted_pc;
        }
    }
    printf("trace_sweep: %-6s %4u trials, interrupted at %u distinct instructions\n", scenario_name[s], trials,
           distinct);
    main_failures += trials >= MAX_TRIALS || distinct < 20;
}

int main(void)
{
    board_init();
    sweep(RECORD);
    sweep(DRAIN);
    sweep(FULL);
    main_free(irq_kept);
    printf("trace_sweep: sizes main %d handler %d\n", MAIN_SIZE, IRQ_SIZE);
    printf("trace_sweep: %u events raised by main, %u by the handler; %u main and %u handler failures\n",
           (unsigned)main_events, (unsigned)handler_events, (unsigned)main_failures, (unsigned)handler_failures);
    return main_failures == 0 && handler_failures == 0 ? 0 : 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * Trace recorder under interrupts (-Dtrace=true; test/test_trace_irq.py
 * reads the trace).  SysTick fires every millisecond of QEMU time while
 * thread mode allocates and frees in a loop; the handler allocates a
 * message, frees the previous one and, every other tick, frees a block the
 * thread handed over.  The trace must hold the handler's events with the
 * IN_IRQ flag, in an order the allocator could have executed (every free
 * matches a live allocation), with no gap in the sequence numbers.
 * Board support: test/preempt_board.c (vector table, SysTick).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "poolalloc.h"
#include "preempt_board.h"

#define TICKS 40u
#define SLOTS 16u

static volatile uint32_t ticks;
static void *irq_message;
static void *volatile handover; /* thread -> handler */
static volatile uint32_t irq_failures;

void preempt_systick(const uint32_t *frame)
{
    (void)frame;
    void *message = malloc(36);
    if (message == NULL)
        irq_failures++;
    free(irq_message);
    irq_message = message;
    if (ticks % 2 == 1) {
        free(handover);
        handover = NULL;
    }
    ticks++;
}

void preempt_timer(void)
{
}

int main(void)
{
    void *slot[SLOTS] = { 0 };
    uint32_t failures = 0;
    uint32_t ops = 0;
    board_init();
    board_systick_arm(25000); /* 1 ms at mps2's 25 MHz */
    for (uint32_t i = 0; ticks < TICKS && i < 2000000u; i++) {
        uint32_t k = (i * 7u) % SLOTS;
        if (slot[k] != NULL) {
            free(slot[k]);
            slot[k] = NULL;
        } else {
            slot[k] = (i % 3u == 0) ? calloc(2, 4 + k) : malloc(4 + 8 * k);
            failures += slot[k] == NULL;
        }
        if (i % 64u == 0 && handover == NULL) {
            void *p = malloc(20);
            uint32_t primask = board_irq_mask();
            if (handover == NULL) {
                handover = p;
                p = NULL;
            }
            board_irq_restore(primask);
            free(p);
        }
        ops++;
    }
    board_systick_stop();
    free(irq_message);
    free(handover);
    for (uint32_t k = 0; k < SLOTS; k++)
        free(slot[k]);
    printf("trace_irq: %u ticks, %u thread operations, %u thread failures, %u handler failures\n",
           (unsigned)ticks, (unsigned)ops, (unsigned)failures, (unsigned)irq_failures);
    return ticks >= TICKS && failures == 0 && irq_failures == 0 ? 0 : 1;
}

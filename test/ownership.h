/* SPDX-License-Identifier: MIT */
/*
 * The ownership map of the preemption tests (test/preempt.c,
 * test/preempt_sweep.c): the owner of every block, updated by whoever
 * receives or returns one.  A block handed out while owned, or returned by
 * another than its owner, is an ownership error; the first is said at
 * once (a library that hands a block out twice usually crashes soon after,
 * on the user's bytes taken for a link).  Bookkeeping is masked so that the
 * map itself stays consistent; the allocator calls never are.
 *
 * A misuse the allocator detects itself (a block freed twice in a row:
 * what a broken pop leads to) is counted with the ownership errors, and in
 * allocator_faults: this header defines the program's poolalloc_fault(),
 * so the call is refused and the test goes on.  A test that frees a block
 * twice on purpose sets expected_double_frees first: that many
 * POOLALLOC_FAULT_DOUBLE_FREE reports are then counted as expected (in
 * main or in a handler), not as errors.
 *
 * The includer defines MAX_TRACKED, `enum owner` with FREE = 0, and
 * block_number(p): the block's index in the map, MAX_TRACKED if p is no
 * block of the pools under test.
 */
#ifndef TEST_OWNERSHIP_H
#define TEST_OWNERSHIP_H

#include <stdint.h>
#include <stdio.h>

#include "poolalloc.h"
#include "preempt_board.h"

static volatile uint8_t owner_of[MAX_TRACKED];
static volatile unsigned ownership_errors, allocator_faults;
static volatile unsigned expected_double_frees, double_frees_in_main, double_frees_in_handler;

static size_t block_number(const void *p);

static void claim(void *p, enum owner who)
{
    uint32_t saved = board_irq_mask();
    size_t n = block_number(p);
    if (n >= MAX_TRACKED || owner_of[n] != FREE) {
        if (ownership_errors++ == 0)
            printf("first ownership error: block %p handed to %d while owned by %d\n", p, (int)who,
                   n < MAX_TRACKED ? (int)owner_of[n] : -1);
    } else
        owner_of[n] = (uint8_t)who;
    board_irq_restore(saved);
}

static void release(void *p, enum owner who)
{
    uint32_t saved = board_irq_mask();
    size_t n = block_number(p);
    if (n >= MAX_TRACKED || owner_of[n] != who) {
        if (ownership_errors++ == 0)
            printf("first ownership error: block %p returned by %d, not its owner\n", p, (int)who);
    } else
        owner_of[n] = FREE;
    board_irq_restore(saved);
}

void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)ptr;
    (void)caller;
    uint32_t saved = board_irq_mask();
    if (kind == POOLALLOC_FAULT_DOUBLE_FREE && expected_double_frees > 0) {
        expected_double_frees--;
        if (board_in_handler())
            double_frees_in_handler++;
        else
            double_frees_in_main++;
    } else {
        allocator_faults++;
        ownership_errors++;
    }
    board_irq_restore(saved);
}

#endif /* TEST_OWNERSHIP_H */

/* SPDX-License-Identifier: MIT */
/*
 * Stack-safe placement under a vendor-style linker script
 * (test/vendor_stm32.ld, driven by test/test_vendor_script.py).
 *
 * Algorithm: take every block of every pool (largest pools first, so that
 * fallback never takes a block from a pool that is not yet full), fill each
 * with a byte of its own (after checking the placement: blocks on the stack
 * would wreck this program before it could say so), then use the stack the way the firmware would:
 * recurse through most of the _Min_Stack_Size reservation below _estack,
 * every frame filled.  Then check that
 *   - every pool lies inside the heap region end.._estack - _Min_Stack_Size,
 *     so that no block is in the stack reservation;
 *   - every block still holds its byte (nothing the stack wrote landed in a
 *     block, no two blocks overlap).
 * Prints "stack-safe: OK ..." and exits 0, or names the first violation and
 * exits 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc.h"

extern char end[], _estack[], _Min_Stack_Size[];

#define MAX_BLOCKS 1024
#define STACK_USE 1536 /* bytes of the 2 KiB reservation the recursion uses */
#define FRAME_BYTES 64

static unsigned char *blocks[MAX_BLOCKS];
static size_t sizes[MAX_BLOCKS];
static size_t block_count;
static int failures;

static unsigned char fill_of(size_t i)
{
    return (unsigned char)(i * 7u + 1u);
}

/* Uses FRAME_BYTES of stack per level, filled, down to `levels` deep. */
static unsigned recurse(unsigned levels)
{
    volatile unsigned char frame[FRAME_BYTES];
    for (size_t i = 0; i < sizeof frame; i++)
        frame[i] = 0xA5;
    unsigned below = levels > 1 ? recurse(levels - 1) : 0;
    return below + frame[levels % FRAME_BYTES];
}

/* The firmware runs on the vendor's stack (the vector table's initial stack
 * pointer is _estack): check that, then use most of the reservation. */
static void use_vendor_stack(void)
{
    char here;
    uintptr_t sp = (uintptr_t)&here;
    if (sp > (uintptr_t)_estack || sp < (uintptr_t)_estack - (uintptr_t)_Min_Stack_Size / 2) {
        printf("stack-safe: the stack pointer %p is not near the top of the vendor's stack %p\n", (void *)sp,
               (void *)_estack);
        failures++;
        return;
    }
    (void)recurse(STACK_USE / (FRAME_BYTES + 16));
}

static void take_every_block(void)
{
    for (size_t k = poolalloc_pool_count(); k-- > 0;) {
        struct poolalloc_pool_info info;
        (void)poolalloc_pool_info(k, &info);
        unsigned char *p;
        while (block_count < MAX_BLOCKS && (p = malloc(info.block_size)) != NULL) {
            blocks[block_count] = p;
            sizes[block_count] = info.block_size;
            memset(p, fill_of(block_count), info.block_size);
            block_count++;
        }
    }
}

static void check_pools_below_stack(void)
{
    uintptr_t limit = (uintptr_t)_estack - (uintptr_t)_Min_Stack_Size;
    for (size_t k = 0; k < poolalloc_pool_count(); k++) {
        struct poolalloc_pool_info info;
        (void)poolalloc_pool_info(k, &info);
        if ((uintptr_t)info.start < (uintptr_t)end || (uintptr_t)info.end > limit) {
            printf("stack-safe: pool %u (%p..%p) is outside the heap region %p..%p: it overlaps the "
                   "stack reservation\n",
                   (unsigned)k, info.start, info.end, (void *)end, (void *)limit);
            failures++;
        }
    }
}

static void check_blocks_intact(void)
{
    for (size_t i = 0; i < block_count; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (blocks[i][j] != fill_of(i)) {
                printf("stack-safe: block %p (%u bytes) was overwritten at +%u: 0x%02x, expected 0x%02x\n",
                       (void *)blocks[i], (unsigned)sizes[i], (unsigned)j, blocks[i][j], fill_of(i));
                failures++;
                break;
            }
}

int main(void)
{
    printf("stack-safe: heap region %p..%p, stack %p..%p\n", (void *)end,
           (void *)(_estack - (uintptr_t)_Min_Stack_Size), (void *)(_estack - (uintptr_t)_Min_Stack_Size),
           (void *)_estack);
    check_pools_below_stack();
    if (failures != 0)
        return 1; /* filling the blocks would overwrite this very stack */
    take_every_block();
    use_vendor_stack();
    check_blocks_intact();
    size_t taken = block_count;
    for (size_t i = 0; i < block_count; i++)
        free(blocks[i]);
    if (failures == 0)
        printf("stack-safe: OK, %u blocks taken and intact after %u bytes of stack use\n", (unsigned)taken,
               (unsigned)STACK_USE);
    return failures == 0 ? 0 : 1;
}

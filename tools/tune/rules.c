/* SPDX-License-Identifier: MIT */
/*
 * The allocator's rules, as poolalloc-tune models them, in one place for the
 * reader, the model, the replay and the optimiser: which blocks a layout may
 * have (doc/design.md "Layout rules"; src/gen_layout.py enforces them at
 * configure time), which block can serve a request, and what each traced
 * call asks of the allocator (src/malloc.c, src/memalign.c, src/realloc.c).
 */
#include "tune.h"

bool tune_is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

uint64_t tune_natural_align(uint64_t block)
{
    return block & (~block + 1);
}

bool tune_valid_block(uint64_t block, uint64_t pointer_size, uint64_t alignment)
{
    if (block < pointer_size)
        return false;
    return block >= alignment ? block % alignment == 0 : tune_is_pow2(block);
}

uint64_t tune_round_valid(uint64_t x, uint64_t g, uint64_t ptr, uint64_t align)
{
    if (g > 1)
        return x == 0 ? g : (x + g - 1) / g * g;
    if (align == 0)
        align = 1;
    if (x < ptr)
        x = ptr;
    if (x >= align)
        return (x + align - 1) / align * align;
    uint64_t b = ptr;
    while (b < x)
        b *= 2;
    return b;
}

bool tune_block_serves(uint64_t block, uint64_t size, uint64_t align)
{
    return block >= size && (align == 0 || tune_natural_align(block) >= align);
}

bool tune_is_realloc(unsigned op)
{
    return op == POOLALLOC_TRACE_OP_REALLOC || op == POOLALLOC_TRACE_OP_REALLOCF ||
           op == POOLALLOC_TRACE_OP_REALLOCARRAY;
}

bool tune_is_control(unsigned op)
{
    return op >= POOLALLOC_TRACE_FIRST_CONTROL_OP;
}

enum request_kind tune_request(const struct trace_event *e, uint64_t malloc_align, unsigned ptr,
                               uint64_t *size, uint64_t *align)
{
    uint64_t n = e->size, a = 0;
    uint64_t max = ptr >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * ptr)) - 1;
    switch (e->op) {
    case POOLALLOC_TRACE_OP_MALLOC: case POOLALLOC_TRACE_OP_CALLOC:
        break;
    case POOLALLOC_TRACE_OP_REALLOC: case POOLALLOC_TRACE_OP_REALLOCF: case POOLALLOC_TRACE_OP_REALLOCARRAY:
        if (e->old != 0 && n == 0)
            return REQ_NONE;           /* realloc(p, 0) frees p */
        break;
    case POOLALLOC_TRACE_OP_MEMALIGN: case POOLALLOC_TRACE_OP_ALIGNED_ALLOC:
        if (!tune_is_pow2(e->align))
            return REQ_INVALID;
        a = e->align;
        break;
    case POOLALLOC_TRACE_OP_POSIX_MEMALIGN:
        if (!tune_is_pow2(e->align) || e->align % ptr != 0)
            return REQ_INVALID;
        a = e->align;
        break;
    case POOLALLOC_TRACE_OP_VALLOC: case POOLALLOC_TRACE_OP_PVALLOC:
        a = e->align;
        if (!tune_is_pow2(a))
            return REQ_INVALID;
        if (e->op == POOLALLOC_TRACE_OP_PVALLOC) {
            if (n > max - (a - 1))
                return REQ_INVALID;
            n = (n + a - 1) & ~(a - 1);
        }
        break;
    default:
        return REQ_NONE;
    }
    /* The all-ones size is the recorder's mark of an overflowing count * size. */
    if (n == max)
        return REQ_INVALID;
    /* Up to malloc's alignment the allocator serves max(size, alignment)
     * bytes from the plain pools (src/memalign.c): a block that large is
     * aligned enough. */
    if (a != 0 && a <= malloc_align && n < a)
        n = a;
    *size = n;
    *align = a > malloc_align ? a : 0;
    return REQ_ALLOC;
}

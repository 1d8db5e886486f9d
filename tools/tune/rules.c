/* SPDX-License-Identifier: MIT */
/*
 * The allocator's rules, as poolalloc-tune models them, in one place for the
 * reader, the model, the replay and the optimiser: which blocks a layout may
 * have (doc/design.md "Layout rules"; src/gen_layout.py enforces them at
 * configure time), which block can serve a request, and what each traced
 * call asks of the allocator (src/malloc.c, src/memalign.c, src/realloc.c).
 */
#include <stdio.h>
#include <string.h>

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
    case POOLALLOC_TRACE_OP_MALLOC_IN:
        /* Rules apply to a trace of one region (region.c's sub-traces, which
         * turn each poolalloc_malloc_in into malloc): one left asked for a
         * region the build has not, and failed (EINVAL). */
        if (e->region != 0)
            return REQ_INVALID;
        break;
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

uint64_t tune_max_alignment(unsigned pointer_size)
{
    /* A block is at least the alignment and no object exceeds PTRDIFF_MAX:
     * 2^(bits - 2) is the largest (src/gen_layout.py). */
    return (uint64_t)1 << (8u * pointer_size - 2u);
}

/* One "BLOCK:CAPACITY" entry of [s, end) into *block, *cap; false if malformed. */
static bool parse_entry(const char *s, const char *end, uint64_t *block, uint64_t *cap)
{
    uint64_t v[2] = { 0, 0 };
    size_t part = 0, digits = 0;
    for (; s < end; s++) {
        if (*s == ':' && part == 0 && digits > 0) {
            part = 1;
            digits = 0;
        } else if (*s >= '0' && *s <= '9' && digits < 12) {
            v[part] = v[part] * 10 + (uint64_t)(*s - '0');
            digits++;
        } else {
            return false;
        }
    }
    *block = v[0];
    *cap = v[1];
    return part == 1 && digits > 0;
}

/* Why block `b` is not valid for (ptr, align), as gen_layout.py says it. */
static void invalid_block(char *err, size_t len, uint64_t b, unsigned ptr, uint64_t align)
{
    if (b < ptr)
        (void)snprintf(err, len, "block %llu is smaller than a pointer (%u bytes)", (unsigned long long)b, ptr);
    else if (b >= align)
        (void)snprintf(err, len, "block %llu is not a multiple of the alignment %llu", (unsigned long long)b,
                       (unsigned long long)align);
    else
        (void)snprintf(err, len, "block %llu is below the alignment %llu and not a power of two",
                       (unsigned long long)b, (unsigned long long)align);
}

uint64_t tune_max_pool_bytes(unsigned pointer_size)
{
    /* The pools' offsets in a region are 32-bit in the C code (its
     * divide-free block tests), on a 64-bit host too. */
    unsigned bits = 8u * pointer_size < 32u ? 8u * pointer_size : 32u;
    return (UINT64_C(1) << bits) - 1u;
}

/* A layout's blocks must fit what tune_max_pool_bytes allows (as
 * src/gen_layout.py checks): 0, or -1 with err. */
static int check_total(const struct tune_layout *lay, unsigned ptr, char *err, size_t len)
{
    uint64_t total = 0, room = tune_max_pool_bytes(ptr);
    for (size_t k = 0; k < lay->count; k++) {
        /* block < 2^40 and capacity < 10^12 (parse_entry): no overflow
         * before the comparison stops the sum. */
        if (lay->capacity[k] > room / lay->block[k] || total + lay->block[k] * lay->capacity[k] > room) {
            (void)snprintf(err, len, "the pools need more than %llu bytes, what a %u-bit address space holds",
                           (unsigned long long)room, 8u * ptr < 32u ? 8u * ptr : 32u);
            return -1;
        }
        total += lay->block[k] * lay->capacity[k];
    }
    return 0;
}

int tune_parse_layout(const char *text, unsigned ptr, uint64_t align, struct tune_layout *lay, char *err,
                      size_t len)
{
    memset(lay, 0, sizeof *lay);
    lay->malloc_align = align;
    uint64_t max_object = ((uint64_t)1 << (8u * ptr - 1u)) - 1u;
    for (const char *s = text; *s != '\0';) {
        const char *end = strchr(s, ',');
        if (end == NULL)
            end = s + strlen(s);
        uint64_t b, c;
        if (!parse_entry(s, end, &b, &c)) {
            (void)snprintf(err, len, "pools entry '%.*s' is not BLOCK:CAPACITY with decimal numbers", (int)(end - s), s);
            return -1;
        }
        if (lay->count == POOLALLOC_TRACE_MAX_POOLS) {
            (void)snprintf(err, len, "more than %u pools", POOLALLOC_TRACE_MAX_POOLS);
            return -1;
        }
        if (c == 0 || b > max_object || !tune_valid_block(b, ptr, align)) {
            if (c == 0)
                (void)snprintf(err, len, "capacity 0; a pool needs at least one block");
            else if (b > max_object)
                (void)snprintf(err, len, "block %llu is larger than any object can be", (unsigned long long)b);
            else
                invalid_block(err, len, b, ptr, align);
            return -1;
        }
        size_t k = lay->count++;
        for (; k > 0 && lay->block[k - 1] > b; k--) {
            lay->block[k] = lay->block[k - 1];
            lay->capacity[k] = lay->capacity[k - 1];
        }
        if (k > 0 && lay->block[k - 1] == b) {
            (void)snprintf(err, len, "block %llu appears twice", (unsigned long long)b);
            return -1;
        }
        lay->block[k] = b;
        lay->capacity[k] = c;
        s = *end == ',' ? end + 1 : end;
    }
    if (lay->count == 0) {
        (void)snprintf(err, len, "no pools: give BLOCK:CAPACITY entries, e.g. 16:32,64:8");
        return -1;
    }
    return check_total(lay, ptr, err, len);
}

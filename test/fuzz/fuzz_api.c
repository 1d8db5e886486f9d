/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the whole poolalloc API against a reference model.
 *
 * Built by test/fuzz/run-fuzz.sh with clang, -fsanitize=fuzzer,address,
 * undefined, on a host build with checks=full (sync=c11, the default
 * layout, fallback on, alignment 8, stats on).  Each input is a program:
 * one opcode byte and a few argument bytes per step.  The model keeps a
 * shadow table of live blocks (pointer, requested size, content seed), the
 * freed pointers not yet handed out again, and per pool the blocks in use,
 * the high-water mark and the counters.  From them it predicts every result
 * exactly: success or failure, which pool serves the request, errno, every
 * statistic, and the fault each invalid operation must raise (misaligned
 * pointer, never-allocated block, double free, foreign pointer, a write to
 * a freed block found by poolalloc_check()).  poolalloc_check() runs after
 * every step.  The fault and OOM hooks record instead of aborting; anything
 * unexpected aborts, which libFuzzer reports with the input.
 *
 * Complexity per step: O(slots + pools), plus O(block) for contents.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc.h"

#define SLOTS 64
#define FREED 64
#define MAX_POOLS 64
#define MALLOC_ALIGN 8u /* the alignment option of the fuzz build */

#define EXPECT(cond)                                                                                            \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            fprintf(stderr, "fuzz_api: %s:%d: expected %s\n", __FILE__, __LINE__, #cond);                   \
            abort();                                                                                            \
        }                                                                                                       \
    } while (0)

struct slot {
    unsigned char *ptr; /* NULL: empty */
    size_t size;        /* bytes whose content the model knows */
    unsigned char seed;
};

static struct slot slots[SLOTS];
static void *freed[FREED];
static size_t freed_count;

static size_t pool_count;
static struct poolalloc_pool_info info[MAX_POOLS];
static size_t in_use[MAX_POOLS], high_water[MAX_POOLS], allocations[MAX_POOLS], failures[MAX_POOLS];
static size_t oom_count, peak_bytes;

/* Hooks: record. */
static unsigned faults, expected_faults, ooms, expected_ooms;
static enum poolalloc_fault_kind fault_kind;
static void *fault_ptr;

void poolalloc_fault(enum poolalloc_fault_kind kind, void *ptr, void *caller)
{
    (void)caller;
    faults++;
    fault_kind = kind;
    fault_ptr = ptr;
}

void poolalloc_oom(size_t size, void *caller)
{
    (void)size;
    (void)caller;
    ooms++;
}

/* ---- input decoding ---- */
static const uint8_t *in;
static size_t left;

static unsigned byte(void)
{
    if (left == 0)
        return 0;
    left--;
    return *in++;
}

static size_t size_arg(void)
{
    unsigned a = byte(), b = byte();
    size_t largest = info[pool_count - 1].block_size;
    if (a == 255)
        return b == 255 ? SIZE_MAX : largest + b; /* too large */
    return ((size_t)a << 8 | b) % (largest + 2);
}

/* ---- the model ---- */
static size_t pool_of(const void *p)
{
    for (size_t k = 0; k < pool_count; k++)
        if ((const char *)p >= (char *)info[k].start && (const char *)p < (char *)info[k].end)
            return k;
    return pool_count;
}

static size_t bytes_in_use(void)
{
    size_t bytes = 0;
    for (size_t k = 0; k < pool_count; k++)
        bytes += in_use[k] * info[k].block_size;
    return bytes;
}

static size_t first_pool(size_t size)
{
    size_t k = 0;
    while (k < pool_count && info[k].block_size < size)
        k++;
    return k;
}

/* The pool that serves a request (pool_count when it fails); *charged
 * receives the pool a failure is counted against (pool_count: none). */
static size_t predict(size_t size, size_t align, size_t *charged)
{
    if (align <= MALLOC_ALIGN && size < align)
        size = align;
    *charged = pool_count;
    for (size_t k = first_pool(size); k < pool_count; k++) {
        if (align > MALLOC_ALIGN && info[k].alignment < align)
            continue;
        if (*charged == pool_count)
            *charged = k;
        if (in_use[k] < info[k].capacity)
            return k;
    }
    return pool_count;
}

static void forget_freed(const void *p)
{
    for (size_t i = 0; i < freed_count; i++)
        if (freed[i] == p) {
            freed[i] = freed[--freed_count];
            return;
        }
}

static void remember_freed(void *p)
{
    if (freed_count < FREED)
        freed[freed_count++] = p;
}

static void fill(struct slot *s)
{
    for (size_t i = 0; i < s->size; i++)
        s->ptr[i] = (unsigned char)(s->seed + i * 13u);
}

static void verify(const struct slot *s, size_t n)
{
    for (size_t i = 0; i < n && i < s->size; i++)
        EXPECT(s->ptr[i] == (unsigned char)(s->seed + i * 13u));
}

/* A request returned `p`; check it against the prediction and record it. */
static void took(void *p, size_t size, size_t align, size_t predicted, size_t charged, struct slot *into)
{
    if (predicted == pool_count) {
        EXPECT(p == NULL);
        expected_ooms++;
        oom_count++;
        if (charged < pool_count)
            failures[charged]++;
        return;
    }
    EXPECT(p != NULL);
    EXPECT(pool_of(p) == predicted);
    size_t k = predicted;
    EXPECT((size_t)((char *)p - (char *)info[k].start) % info[k].block_size == 0);
    EXPECT(align == 0 || (uintptr_t)p % align == 0);
    for (size_t i = 0; i < SLOTS; i++)
        EXPECT(slots[i].ptr != p);
    forget_freed(p);
    in_use[k]++;
    allocations[k]++;
    if (in_use[k] > high_water[k])
        high_water[k] = in_use[k];
    if (bytes_in_use() > peak_bytes)
        peak_bytes = bytes_in_use();
    into->ptr = p;
    into->size = size < info[k].block_size ? size : info[k].block_size;
    into->seed = (unsigned char)byte();
    fill(into);
}

static void released(struct slot *s)
{
    size_t k = pool_of(s->ptr);
    in_use[k]--;
    remember_freed(s->ptr);
    s->ptr = NULL;
}

static void compare_stats(void)
{
    struct poolalloc_stats totals;
    struct poolalloc_pool_stats pools[MAX_POOLS];
    EXPECT(poolalloc_stats(&totals, pools, MAX_POOLS));
    EXPECT(totals.pool_count == pool_count);
    EXPECT(totals.bytes_in_use == bytes_in_use());
    EXPECT(totals.peak_bytes == peak_bytes);
    EXPECT(totals.oom_count == oom_count);
    for (size_t k = 0; k < pool_count; k++) {
        EXPECT(pools[k].in_use == in_use[k]);
        EXPECT(pools[k].high_water == high_water[k]);
        EXPECT(pools[k].allocations == allocations[k]);
        EXPECT(pools[k].failures == failures[k]);
    }
    struct mallinfo mi = poolalloc_mallinfo();
    EXPECT((size_t)mi.uordblks == bytes_in_use());
}

/* ---- operations ---- */
static struct slot *any_slot(void)
{
    return &slots[byte() % SLOTS];
}

static struct slot *empty_slot(void)
{
    struct slot *s = any_slot();
    if (s->ptr != NULL) {
        verify(s, s->size);
        poolalloc_free(s->ptr);
        released(s);
    }
    return s;
}

static size_t alignment_arg(void)
{
    return (size_t)1 << (byte() % 13);
}

static void op_malloc(void)
{
    struct slot *s = empty_slot();
    size_t size = size_arg(), charged;
    size_t k = predict(size == 0 ? 1 : size, 0, &charged);
    errno = 0;
    void *p = poolalloc_malloc(size);
    EXPECT(p != NULL || errno == ENOMEM);
    took(p, size, MALLOC_ALIGN < size ? MALLOC_ALIGN : 0, k, size > info[pool_count - 1].block_size ? pool_count : charged, s);
}

static void op_calloc(void)
{
    struct slot *s = empty_slot();
    size_t count = byte() % 8, size = size_arg() / 4;
    if (byte() == 255)
        count = SIZE_MAX / 2 + 1;
    size_t bytes, k, charged = pool_count;
    bool overflow = __builtin_mul_overflow(count, size, &bytes);
    k = overflow || bytes > info[pool_count - 1].block_size ? pool_count : predict(bytes == 0 ? 1 : bytes, 0, &charged);
    unsigned char *p = poolalloc_calloc(count, size);
    if (p != NULL)
        for (size_t i = 0; i < bytes; i++)
            EXPECT(p[i] == 0);
    took(p, overflow ? 0 : bytes, 0, k, charged, s);
}

static void op_realloc(void)
{
    struct slot *s = any_slot();
    size_t size = size_arg();
    if (s->ptr == NULL) {
        size_t charged, k = size > info[pool_count - 1].block_size ? pool_count : predict(size == 0 ? 1 : size, 0, &charged);
        if (k == pool_count && size <= info[pool_count - 1].block_size)
            (void)predict(size == 0 ? 1 : size, 0, &charged);
        else if (k == pool_count)
            charged = pool_count;
        took(poolalloc_realloc(NULL, size), size, 0, k, charged, s);
        return;
    }
    verify(s, s->size);
    size_t old = pool_of(s->ptr);
    if (size == 0) {
        EXPECT(poolalloc_realloc(s->ptr, 0) == NULL);
        released(s);
        return;
    }
    if (size <= info[old].block_size) {
        EXPECT(poolalloc_realloc(s->ptr, size) == s->ptr);
        if (size < s->size)
            s->size = size;
        return;
    }
    size_t charged = pool_count, k = size > info[pool_count - 1].block_size ? pool_count : predict(size, 0, &charged);
    errno = 0;
    unsigned char *p = poolalloc_realloc(s->ptr, size);
    if (k == pool_count) {
        EXPECT(p == NULL && errno == ENOMEM);
        expected_ooms++;
        oom_count++;
        if (charged < pool_count)
            failures[charged]++;
        verify(s, s->size);
        return;
    }
    EXPECT(p != NULL && pool_of(p) == k);
    struct slot moved = *s;
    moved.ptr = p;
    verify(&moved, s->size); /* the old contents came along */
    /* The new block is taken before the old one is given back: both count
     * towards the peak. */
    forget_freed(p);
    in_use[k]++;
    allocations[k]++;
    if (in_use[k] > high_water[k])
        high_water[k] = in_use[k];
    if (bytes_in_use() > peak_bytes)
        peak_bytes = bytes_in_use();
    in_use[old]--;
    remember_freed(s->ptr);
    s->ptr = p;
    s->size = size;
    fill(s);
}

static void op_free(void)
{
    struct slot *s = any_slot();
    if (s->ptr == NULL) {
        poolalloc_free(NULL);
        return;
    }
    verify(s, s->size);
    poolalloc_free(s->ptr);
    released(s);
}

static void op_memalign(unsigned variant)
{
    struct slot *s = empty_slot();
    size_t align = alignment_arg(), size = size_arg(), charged = pool_count, k = pool_count;
    bool einval = variant == 2 && align % sizeof(void *) != 0;
    if (!einval && size <= info[pool_count - 1].block_size)
        k = predict(size, align, &charged);
    void *p = NULL;
    errno = 0;
    if (variant == 0) {
        p = poolalloc_memalign(align, size);
    } else if (variant == 1) {
        p = poolalloc_aligned_alloc(align, size);
    } else {
        int rc = poolalloc_posix_memalign(&p, align, size);
        EXPECT(rc == (einval ? EINVAL : k == pool_count ? ENOMEM : 0));
        if (rc != 0)
            p = NULL;
    }
    if (einval)
        return;
    took(p, size, align, k, charged, s);
}

static void op_usable_size(void)
{
    struct slot *s = any_slot();
    if (s->ptr != NULL)
        EXPECT(poolalloc_usable_size(s->ptr) == info[pool_of(s->ptr)].block_size);
    else
        EXPECT(poolalloc_usable_size(NULL) == 0);
}

static void expect_fault(enum poolalloc_fault_kind kind, const void *ptr)
{
    expected_faults++;
    EXPECT(faults == expected_faults && fault_kind == kind && fault_ptr == ptr);
}

static void op_bad_pointer(void)
{
    struct slot *s = any_slot();
    unsigned variant = byte() % 4;
    if (variant == 0 && s->ptr != NULL) { /* inside a block */
        size_t block = info[pool_of(s->ptr)].block_size;
        unsigned char *bad = s->ptr + 1 + byte() % (block - 1);
        poolalloc_free(bad);
        expect_fault(POOLALLOC_FAULT_MISALIGNED_POINTER, bad);
        EXPECT(poolalloc_realloc(bad, 1) == NULL);
        expect_fault(POOLALLOC_FAULT_MISALIGNED_POINTER, bad);
    } else if (variant == 1) { /* a block never handed out */
        size_t k = byte() % pool_count;
        if (high_water[k] < info[k].capacity) {
            char *bad = (char *)info[k].start + (high_water[k] + byte() % (info[k].capacity - high_water[k])) * info[k].block_size;
            poolalloc_free(bad);
            expect_fault(POOLALLOC_FAULT_UNALLOCATED_POINTER, bad);
            EXPECT(poolalloc_usable_size(bad) == 0);
            expect_fault(POOLALLOC_FAULT_UNALLOCATED_POINTER, bad);
        }
    } else if (variant == 2 && freed_count > 0) { /* double free */
        void *bad = freed[byte() % freed_count];
        poolalloc_free(bad);
        expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, bad);
        EXPECT(poolalloc_realloc(bad, 1) == NULL);
        expect_fault(POOLALLOC_FAULT_DOUBLE_FREE, bad);
    } else if (variant == 3) {
        static char outside[8];
        poolalloc_free(outside + byte() % 8);
        expected_faults++;
        EXPECT(faults == expected_faults && fault_kind == POOLALLOC_FAULT_FOREIGN_POINTER);
    }
}

/* A write to a freed block: poolalloc_check() names it; undo it. */
static void op_use_after_free(void)
{
    if (freed_count == 0)
        return;
    unsigned char *p = freed[byte() % freed_count];
    size_t at = byte() % info[pool_of(p)].block_size;
    unsigned char saved = p[at];
    p[at] = (unsigned char)~saved;
    struct poolalloc_check_result r;
    EXPECT(!poolalloc_check(&r));
    EXPECT(r.kind == POOLALLOC_FAULT_USE_AFTER_FREE && r.ptr == p && r.pool == pool_of(p));
    p[at] = saved;
}

static void op_reset(void)
{
    poolalloc_stats_reset();
    for (size_t k = 0; k < pool_count; k++)
        allocations[k] = failures[k] = 0;
    oom_count = 0;
    peak_bytes = bytes_in_use();
}

static void start(void)
{
    if (pool_count == 0) {
        pool_count = poolalloc_pool_count();
        EXPECT(pool_count <= MAX_POOLS);
        for (size_t k = 0; k < pool_count; k++) {
            EXPECT(poolalloc_pool_info(k, &info[k]));
            high_water[k] = info[k].high_water;
        }
    }
    freed_count = 0;
    faults = expected_faults = ooms = expected_ooms = 0;
    op_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data;
    left = size;
    start();
    while (left > 0) {
        switch (byte() % 16) {
        case 0: case 1: op_malloc(); break;
        case 2: op_calloc(); break;
        case 3: case 4: op_realloc(); break;
        case 5: case 6: op_free(); break;
        case 7: op_memalign(0); break;
        case 8: op_memalign(1); break;
        case 9: op_memalign(2); break;
        case 10: op_usable_size(); break;
        case 11: compare_stats(); break;
        case 12: op_bad_pointer(); break;
        case 13: op_use_after_free(); break;
        case 14: op_reset(); break;
        default: poolalloc_malloc_trim(0); break;
        }
        EXPECT(faults == expected_faults);
        EXPECT(ooms == expected_ooms);
        struct poolalloc_check_result r;
        if (!poolalloc_check(&r)) {
            fprintf(stderr, "fuzz_api: poolalloc_check: %s in pool %zu at %p\n", poolalloc_fault_name(r.kind), r.pool, r.ptr);
            abort();
        }
    }
    compare_stats();
    for (size_t i = 0; i < SLOTS; i++)
        if (slots[i].ptr != NULL) {
            verify(&slots[i], slots[i].size);
            poolalloc_free(slots[i].ptr);
            released(&slots[i]);
        }
    EXPECT(poolalloc_check(NULL));
    for (size_t k = 0; k < pool_count; k++)
        EXPECT(in_use[k] == 0);
    return 0;
}

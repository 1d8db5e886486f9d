/* SPDX-License-Identifier: MIT */
/*
 * Benchmark harness: main(), the allocator-call wrappers, the trace markers,
 * and for C-library allocators a bounded sbrk over a static arena.
 *
 * Same source for every allocator; BENCH_POOLALLOC (1 or 0) selects how the
 * heap use is reported, BENCH_NEWLIB whether the C library's sbrk hook is
 * _sbrk (newlib) or sbrk (picolibc); BENCH_REGIONS (1 or 0) whether it
 * wraps poolalloc_malloc_in too (the multi-region images).  Built with -fno-builtin so that GCC
 * keeps every malloc/free call as written.
 *
 * Output (one line on stdout after the workload, parsed by bench/itrace.py):
 *   bench: errors=E calls=C heap_peak=P heap_reserved=R
 * heap_peak: poolalloc: sum over pools of high-water blocks x block size;
 *            C library: the highest sbrk break, i.e. the heap the allocator
 *            needed to run this workload without a failure.
 * heap_reserved: poolalloc: the layout's bytes; C library: the sbrk budget.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/text_append.h"
#include "bench.h"

#if BENCH_POOLALLOC
#include "poolalloc.h"
#endif

#define NOIPA __attribute__((noinline, noipa))

static unsigned errors;
static unsigned calls;

/* Markers: empty, never inlined or merged; the trace sees their entry. */
NOIPA void bench_mark_null(void)
{
    __asm__ volatile("");
}

NOIPA void bench_mark_in_place(void)
{
    __asm__ volatile("");
}

/*
 * A call of known length, so that itrace.py can check that the trace shows
 * every executed instruction: bl + movs + 5 x (subs, bne) + bx = 13.
 * Encoded by hand, valid on every Thumb core and in either asm syntax.
 */
__attribute__((naked, noinline)) void bench_calibrate(void)
{
    __asm__ volatile(".inst.n 0x2005\n" /* movs r0, #5 */
                     ".inst.n 0x3801\n" /* 1: subs r0, #1 */
                     ".inst.n 0xd1fd\n" /* bne 1b */
                     ".inst.n 0x4770\n" /* bx lr */);
}

/* The wrappers.  The asm after each call keeps it from becoming a tail call
 * (the return must come back here for the trace to see it). */
NOIPA void *bench_malloc(size_t size)
{
    void *ptr = malloc(size);
    __asm__ volatile("" ::: "memory");
    calls++;
    if (ptr == NULL)
        bench_mark_null();
    return ptr;
}

NOIPA void *bench_calloc(size_t count, size_t size)
{
    void *ptr = calloc(count, size);
    __asm__ volatile("" ::: "memory");
    calls++;
    if (ptr == NULL)
        bench_mark_null();
    return ptr;
}

#if BENCH_REGIONS
/* poolalloc_malloc_in, in the multi-region images (wl_regions.c). */
NOIPA void *bench_malloc_in(unsigned region, size_t size)
{
    void *ptr = poolalloc_malloc_in(region, size);
    __asm__ volatile("" ::: "memory");
    calls++;
    if (ptr == NULL)
        bench_mark_null();
    return ptr;
}
#endif

NOIPA void *bench_realloc(void *ptr, size_t size)
{
    void *moved = realloc(ptr, size);
    __asm__ volatile("" ::: "memory");
    calls++;
    if (moved == NULL)
        bench_mark_null();
    else if (moved == ptr)
        bench_mark_in_place();
    return moved;
}

NOIPA void bench_free(void *ptr)
{
    free(ptr);
    __asm__ volatile("" ::: "memory");
    calls++;
}

uint32_t bench_rand(uint32_t n)
{
    static uint32_t state = 20240601u;
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % n;
}

void bench_error(void)
{
    errors++;
}

void bench_tag(void *ptr, size_t size, uint8_t tag)
{
    if (size == 0)
        return;
    uint8_t *bytes = ptr;
    bytes[size - 1] = (uint8_t)(tag ^ 0xffu);
    bytes[0] = tag;
}

void bench_check(const void *ptr, size_t size, uint8_t tag)
{
    if (size == 0)
        return;
    const uint8_t *bytes = ptr;
    const uint8_t last = (uint8_t)(tag ^ 0xffu);
    if (bytes[0] != tag || (size > 1 && bytes[size - 1] != last))
        bench_error();
}

void bench_slots(void **block, uint16_t *size_of, unsigned slots, unsigned steps,
                 void *(*fill)(unsigned slot, size_t *size))
{
    for (unsigned step = 0; step < steps; step++) {
        unsigned slot = bench_rand(slots);
        if (block[slot] == NULL) {
            size_t size;
            block[slot] = fill(slot, &size);
            if (block[slot] == NULL) {
                bench_error();
                continue;
            }
            size_of[slot] = (uint16_t)size;
            bench_tag(block[slot], size, (uint8_t)slot);
        } else {
            bench_check(block[slot], size_of[slot], (uint8_t)slot);
            bench_free(block[slot]);
            block[slot] = NULL;
        }
    }
    for (unsigned slot = 0; slot < slots; slot++) {
        if (block[slot] != NULL) {
            bench_check(block[slot], size_of[slot], (uint8_t)slot);
            bench_free(block[slot]);
        }
    }
}

#if !BENCH_POOLALLOC
/* The C library's allocator grows its heap through this sbrk: a static arena
 * limited to the workload's budget, with its high-water mark recorded. */
#define BENCH_ARENA_BYTES (64u * 1024u)
static char arena[BENCH_ARENA_BYTES] __attribute__((aligned(8)));
static size_t arena_used;
static size_t arena_peak;

#if BENCH_NEWLIB
void *_sbrk(ptrdiff_t increment);
void *_sbrk(ptrdiff_t increment)
#else
void *sbrk(ptrdiff_t increment)
#endif
{
    size_t budget = bench_libc_heap_budget < BENCH_ARENA_BYTES ? bench_libc_heap_budget : BENCH_ARENA_BYTES;
    if ((increment > 0 && (size_t)increment > budget - arena_used) ||
        (increment < 0 && (size_t)-increment > arena_used)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = arena + arena_used;
    arena_used += (size_t)increment;
    if (arena_used > arena_peak)
        arena_peak = arena_used;
    return old;
}
#endif

static char *append_field(char *out, const char *name, size_t value)
{
    return append_decimal(append_text(out, name), value);
}

int main(void)
{
    bench_calibrate();
    workload();

    size_t peak = 0;
    size_t reserved = 0;
#if BENCH_POOLALLOC
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++) {
        peak += info.high_water * info.block_size;
        reserved += info.capacity * info.block_size;
    }
#else
    peak = arena_peak;
    reserved = bench_libc_heap_budget;
    if (bench_libc_heap_budget > BENCH_ARENA_BYTES)
        bench_error();
#endif
    char line[128];
    char *end = append_field(line, "bench: errors=", errors);
    end = append_field(end, " calls=", calls);
    end = append_field(end, " heap_peak=", peak);
    end = append_field(end, " heap_reserved=", reserved);
    *end++ = '\n';
#ifdef __PICOLIBC__
    /* picolibc's semihosting write() has no console descriptors; its
     * tinystdio stdout allocates nothing. */
    *end = '\0';
    if (fputs(line, stdout) < 0)
        return 2;
#else
    /* write(2), not stdio: newlib's stdout buffer would come from the heap. */
    if (write(1, line, (size_t)(end - line)) < 0)
        return 2;
#endif
    return errors != 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Interface between the benchmark workloads and the harness (harness.c).
 *
 * Every workload (wl_*.c) is one firmware image built from the same source
 * for every allocator.  It calls the allocator only through the bench_*
 * wrappers below, so that bench/itrace.py can find each call in a QEMU
 * single-step trace: a call starts at the `bl` inside a wrapper that enters
 * malloc/free/calloc/realloc (or poolalloc_malloc_in) and ends when control comes back to the
 * instruction after it.  The wrappers also mark a NULL result and an
 * in-place realloc by calling empty marker functions, which show up in the
 * trace, so the trace alone classifies every call.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

void *bench_malloc(size_t size);
void *bench_calloc(size_t count, size_t size);
void *bench_realloc(void *ptr, size_t size);
void bench_free(void *ptr);
/* poolalloc_malloc_in(region, size); only in images built with
 * -DBENCH_REGIONS=1 (wl_regions.c). */
void *bench_malloc_in(unsigned region, size_t size);

/* Deterministic pseudo-random numbers (a fixed-seed LCG): 0 <= result < n. */
uint32_t bench_rand(uint32_t n);

/* Tag a block (first and last byte) and check the tag later: catches an
 * allocator handing out overlapping or clobbered blocks. */
void bench_tag(void *ptr, size_t size, uint8_t tag);
void bench_check(const void *ptr, size_t size, uint8_t tag);

/* Something went wrong (an unexpected NULL, a clobbered tag): the image
 * exits non-zero and the harness prints the count. */
void bench_error(void);

/* The steady-state loop of wl_steady.c and wl_regions.c over `slots`
 * slots (block[], size_of[]): `steps` times pick a slot at random; an
 * empty one gets fill(slot, &size), a block of `size` bytes that is
 * tagged (NULL is an error), a full one is checked and freed; at the end
 * every slot still full is checked and freed. */
void bench_slots(void **block, uint16_t *size_of, unsigned slots, unsigned steps,
                 void *(*fill)(unsigned slot, size_t *size));

/* Defined by each workload. */
void workload(void);
/* Bytes of heap the C library's allocator may take through sbrk in this
 * workload (poolalloc builds ignore it: their heap is the pool layout). */
extern const size_t bench_libc_heap_budget;

#endif

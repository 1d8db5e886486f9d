/* SPDX-License-Identifier: MIT */
/*
 * Code-size probe: a program that uses malloc and free only.  Linked with a
 * map file; bench/run.py sums the input sections that come from the
 * allocator (libpoolalloc.a, or the C library's malloc/free/sbrk/lock
 * objects) and compares the image with flash_none.c.
 */
#include <stdint.h>
#include <stdlib.h>

volatile uintptr_t bench_sink;

int main(void)
{
    void *ptr = malloc((size_t)bench_sink + 16u);
    bench_sink = (uintptr_t)ptr;
    free(ptr);
    return 0;
}

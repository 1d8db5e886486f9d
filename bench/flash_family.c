/* SPDX-License-Identifier: MIT */
/*
 * Code-size probe: a program that uses the malloc family as far as all three
 * C libraries provide it: malloc, free, calloc, realloc, reallocarray,
 * memalign, malloc_usable_size, mallinfo.  (newlib 3.3 has no
 * posix_memalign, and newlib-nano's aligned_alloc calls it, so neither is
 * here.)  See flash_mf.c.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>

volatile uintptr_t bench_sink;

int main(void)
{
    size_t n = (size_t)bench_sink + 16u;
    void *a = malloc(n);
    void *b = calloc(2, n);
    void *grown = realloc(a, 2 * n);
    if (grown != NULL)
        a = grown;
    grown = reallocarray(b, 3, n);
    if (grown != NULL)
        b = grown;
    void *c = memalign(16, n);
    bench_sink = malloc_usable_size(a);
    struct mallinfo info = mallinfo();
    bench_sink += (uintptr_t)info.uordblks;
    free(a);
    free(b);
    free(c);
    return 0;
}

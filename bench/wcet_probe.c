/* SPDX-License-Identifier: MIT */
/*
 * The image bench/wcet.py bounds for `meson compile wcet` and the installed
 * poolalloc-wcet.json: a program that calls every entry point of the
 * library as the build configured it, so that every one is linked (with the
 * C library's memcpy and memset it uses).  Never run.
 */
#include <stdint.h>

#include "poolalloc.h"

volatile uintptr_t wcet_sink;

int main(void)
{
    size_t n = (size_t)wcet_sink;
    void *a = poolalloc_malloc(n);
    void *b = poolalloc_calloc(n, n);
    a = poolalloc_realloc(a, n);
    a = poolalloc_reallocf(a, n);
    b = poolalloc_reallocarray(b, n, n);
    void *c = poolalloc_memalign(n, n);
    void *d = poolalloc_aligned_alloc(n, n);
    void *e = NULL;
    wcet_sink = (uintptr_t)poolalloc_posix_memalign(&e, n, n);
    void *f = poolalloc_valloc(n);
    void *g = poolalloc_pvalloc(n);
    void *h = poolalloc_malloc_in((unsigned)n, n);
    wcet_sink += poolalloc_usable_size(a);
    void *blocks[] = {a, b, c, d, e, f, g, h};
    for (unsigned k = 0; k < sizeof blocks / sizeof blocks[0]; k++)
        poolalloc_free(blocks[k]);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Code-size baseline: the same program shape as flash_mf.c and
 * flash_family.c without any allocation.  bench/run.py subtracts this image's
 * size from theirs to get the bytes an allocator adds to a firmware image.
 */
#include <stdint.h>

volatile uintptr_t bench_sink;

int main(void)
{
    bench_sink = 1;
    return 0;
}

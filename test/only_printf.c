/* SPDX-License-Identifier: MIT */
/* Link test: a program that only prints.  newlib's stdio allocates its
 * buffer through _malloc_r, which must be poolalloc's (check_symbols.py
 * proves it from the ELF); the run proves it too: after printf, newlib's
 * buffer is a live poolalloc block, while picolibc's stdio allocates
 * nothing. */
#include <stdio.h>

#include "poolalloc.h"

static size_t blocks_in_use(void)
{
    size_t total = 0;
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        total += info.in_use;
    return total;
}

int main(void)
{
    size_t before = blocks_in_use();
    printf("only printf: %d\n", 42);
    fflush(stdout);
    size_t after = blocks_in_use();
    int expect_growth = TEST_LIBC_NEWLIB;
    if ((after > before) != expect_growth) {
        printf("FAIL: %u poolalloc blocks in use before printf, %u after (expected %s)\n",
               (unsigned)before, (unsigned)after, expect_growth ? "newlib's stdio buffer to come from poolalloc" : "no allocation");
        return 1;
    }
    printf("stdio allocations from poolalloc: %u\n", (unsigned)(after - before));
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The firmware of every consumer project in test/consumers/ (Meson
 * subproject, Make + pkg-config, CMake, no build system): what a new user's
 * first program does.  It allocates through malloc, calloc, realloc and
 * strdup, prints the pool table through poolalloc's API, frees everything
 * and checks that every block came back; it prints "consumer ok" and exits 0
 * only then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc.h"

static unsigned blocks_in_use(void)
{
    unsigned total = 0;
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        total += (unsigned)info.in_use;
    return total;
}

static void print_pools(void)
{
    printf("  pool   block  capacity  in use\n");
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        printf("  %4u  %6u  %8u  %6u\n", (unsigned)k, (unsigned)info.block_size,
               (unsigned)info.capacity, (unsigned)info.in_use);
}

int main(void)
{
    printf("consumer of poolalloc %s: %u pools\n", POOLALLOC_VERSION_STRING,
           (unsigned)poolalloc_pool_count());
    unsigned before = blocks_in_use(); /* what the C library holds already */
    char *name = strdup("sensor-7");
    int *samples = calloc(16, sizeof *samples);
    char *log = malloc(20);
    char *grown = log != NULL ? realloc(log, 100) : NULL;
    if (grown != NULL) /* realloc moved it: the old block is already freed */
        log = grown;   /* cppcheck-suppress memleak */
    int ok = name != NULL && samples != NULL && grown != NULL;
    if (ok) {
        print_pools();
        ok = blocks_in_use() == before + 3;
    }
    free(name);
    free(samples);
    free(log);
    if (!ok || blocks_in_use() != before) {
        printf("FAIL: an allocation failed, or blocks in use %u (before: %u, expected 3 more while held)\n",
               blocks_in_use(), before);
        return 1;
    }
    printf("consumer ok\n");
    return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * newlib-nano's printf("%f") on poolalloc: the memory stdio and dtoa take
 * from the heap, and that the layout serves it.  Prints a double small and
 * large (dtoa's big-integer arithmetic grows with the exponent), then the
 * pool table: blocks in use (what stdio and dtoa keep: they cache, never
 * free) and high-water per pool.  Exits non-zero when a printed value is
 * wrong.  doc/integration.md's sizing notes quote its numbers.
 */
#include <stdio.h>
#include <string.h>

#include "poolalloc.h"

static void print_pools(const char *when)
{
    unsigned bytes = 0;
    struct poolalloc_pool_info info;
    printf("pools %s:\n  block  capacity  in use  high-water\n", when);
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++) {
        printf("  %5u  %8u  %6u  %10u\n", (unsigned)info.block_size, (unsigned)info.capacity,
               (unsigned)info.in_use, (unsigned)info.high_water);
        bytes += (unsigned)(info.in_use * info.block_size);
    }
    printf("  %u bytes of blocks in use\n", bytes);
}

int main(void)
{
    char text[400];
    int bad = 0;
    printf("printf_float: %d\n", 1);
    print_pools("after the first printf");
    snprintf(text, sizeof text, "%f", 3.25);
    bad |= strcmp(text, "3.250000") != 0;
    printf("%s\n", text);
    snprintf(text, sizeof text, "%f", 1e300);
    bad |= strcmp(text, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000") != 0;
    printf("%.20s... (%u characters)\n", text, (unsigned)strlen(text));
    print_pools("after printf(\"%f\")");
    if (bad)
        printf("FAIL: a value printed wrong\n");
    return bad;
}

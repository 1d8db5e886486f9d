/* SPDX-License-Identifier: MIT */
/*
 * The version macros of the installed poolalloc.h (poolalloc_version.h,
 * configured from meson.build's project version) equal that version: the
 * build passes it as EXPECT_VERSION ("MAJOR.MINOR.PATCH").  Algorithm: print
 * the macros the way meson writes the version and compare the strings.
 */
#include <stdio.h>
#include <string.h>

#include "poolalloc.h"

int main(void)
{
    char parts[64];
    snprintf(parts, sizeof parts, "%d.%d.%d", POOLALLOC_VERSION_MAJOR, POOLALLOC_VERSION_MINOR,
             POOLALLOC_VERSION_PATCH);
    int bad = 0;
    if (strcmp(parts, EXPECT_VERSION) != 0) {
        printf("FAIL: POOLALLOC_VERSION_MAJOR.MINOR.PATCH = %s, meson.build says %s\n", parts, EXPECT_VERSION);
        bad = 1;
    }
    if (strcmp(POOLALLOC_VERSION_STRING, EXPECT_VERSION) != 0) {
        printf("FAIL: POOLALLOC_VERSION_STRING = %s, meson.build says %s\n", POOLALLOC_VERSION_STRING,
               EXPECT_VERSION);
        bad = 1;
    }
    if (!bad)
        printf("poolalloc version %s\n", POOLALLOC_VERSION_STRING);
    return bad;
}

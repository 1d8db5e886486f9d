/* SPDX-License-Identifier: MIT */
/*
 * Print "poolalloc-test: bad pointer 0x..." on standard output, for
 * test/expect_fault.py.  newlib's stdio is not used: newlib-nano's allocates
 * a 324-byte block at its first use, and with a layout that has no such
 * block it writes through a null pointer (into the vector table on the
 * mps2 board), which would make the fault under test unreadable; write(2)
 * needs no buffer.  picolibc's stdio allocates nothing (and its semihosting
 * write(2) has no standard output), so it prints there.
 */
#ifndef TEST_SAY_POINTER_H
#define TEST_SAY_POINTER_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

static inline void say_bad_pointer(const void *ptr)
{
    static const char prefix[] = "poolalloc-test: bad pointer 0x";
    char line[sizeof prefix + 2 * sizeof(uintptr_t) + 1]; /* with the newline, or the NUL */
    char *end = line;
    for (const char *c = prefix; *c != '\0'; c++)
        *end++ = *c;
    uintptr_t value = (uintptr_t)ptr;
    for (int shift = (int)(8 * sizeof value) - 4; shift >= 0; shift -= 4)
        *end++ = "0123456789abcdef"[(value >> shift) & 0xfu];
    *end++ = '\n';
#ifdef __PICOLIBC__
    *end = '\0';
    fputs(line, stdout);
#else
    (void)!write(1, line, (size_t)(end - line));
#endif
}

#endif

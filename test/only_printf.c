/* SPDX-License-Identifier: MIT */
/* Link test: a program that only prints.  newlib's stdio allocates its
 * buffer through _malloc_r, which must be poolalloc's: check_symbols.py
 * proves that from the ELF (whether a run allocates at all depends on the
 * C library and the layout: newlib-nano without a 428-byte block, or full
 * newlib, prints unbuffered).  The run checks that printf works and says
 * so: it returns the number of characters written. */
#include <stdio.h>

int main(void)
{
    int written = printf("only printf: %d\n", 42);
    return written != 16;
}

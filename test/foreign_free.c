/* SPDX-License-Identifier: MIT */
/* Misuse with the default fault action: freeing a pointer that no pool owns
 * must stop the program, reporting the kind and the pointer (checked by
 * expect_fault.py). */
#include "poolalloc.h"
#include "say_pointer.h"

static char not_heap[8];

int main(void)
{
    say_bad_pointer((void *)(not_heap + 4));
    poolalloc_free(not_heap + 4);
    return 0; /* not reached */
}

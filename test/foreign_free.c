/* Misuse with the default fault action: freeing a pointer that no pool owns
 * must stop the program, reporting the kind and the pointer (checked by
 * expect_fault.py). */
#include <stdio.h>

#include "poolalloc.h"

static char not_heap[8];

int main(void)
{
    printf("poolalloc-test: bad pointer %p\n", (void *)(not_heap + 4));
    fflush(stdout);
    poolalloc_free(not_heap + 4);
    return 0; /* not reached */
}

/* Misuse with the default fault hook: freeing a pointer that no pool owns
 * must print one clear line and abort (checked by expect_abort.py). */
#include "poolalloc.h"

static char not_heap[8];

int main(void)
{
    poolalloc_free(not_heap + 4);
    return 0; /* not reached */
}

/* Misuse with the default fault hook under checks=fast/full: freeing a
 * pointer into the middle of a block (TEST_DOUBLE_FREE=0) or freeing a block
 * twice (1, checks=full) must print one line naming the kind, the pointer
 * and its pool, and abort (checked by expect_abort.py). */
#include "poolalloc.h"

int main(void)
{
    char *p = poolalloc_malloc(1);
#if TEST_DOUBLE_FREE
    poolalloc_free(p);
    poolalloc_free(p);
#else
    poolalloc_free(p + 1);
#endif
    return 0; /* not reached */
}

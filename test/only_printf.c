/* Link test: a program that only prints.  newlib's stdio allocates its
 * buffer through _malloc_r, which must be poolalloc's (check_symbols.py). */
#include <stdio.h>

int main(void)
{
    printf("only printf: %d\n", 42);
    return 0;
}

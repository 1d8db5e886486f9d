/* SPDX-License-Identifier: MIT */
/* Link test: a program whose only allocator reference is libc's strdup must
 * still get poolalloc's malloc (check_symbols.py inspects the ELF). */
#include <string.h>

int main(void)
{
    char *s = strdup("pool");
    return s == NULL || strcmp(s, "pool") != 0;
}

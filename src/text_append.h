/* SPDX-License-Identifier: MIT */
/*
 * Building a line of text without printf: each function writes at `out`
 * and returns the new end (no terminator).  printf would allocate on some
 * libcs -- from inside the allocator's fault report, or in a benchmark
 * that counts allocations -- so src/fault.c and bench/harness.c use these.
 */
#ifndef POOL_TEXT_APPEND_H
#define POOL_TEXT_APPEND_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Append `text`. */
static inline char *append_text(char *out, const char *text)
{
    size_t len = strlen(text);
    (void)memcpy(out, text, len);
    return &out[len];
}

/* Append the decimal digits of `value`. */
static inline char *append_decimal(char *out, size_t value)
{
    char digits[3u * sizeof value];
    size_t n = 0;
    size_t rest = value;
    do {
        digits[n] = (char)('0' + (rest % 10u));
        n++;
        rest /= 10u;
    } while (rest != 0u);
    for (size_t i = 0; i < n; i++) {
        out[i] = digits[n - 1u - i];
    }
    return &out[n];
}

/* Append 0x and the hex digits of `value`, all of them. */
static inline char *append_hex(char *out, uintptr_t value)
{
    static const char hex[] = "0123456789abcdef";
    char *digit = append_text(out, "0x");
    const size_t count = 2u * sizeof value;
    for (size_t i = 0; i < count; i++) {
        digit[i] = hex[(value >> (4u * (count - 1u - i))) & 0xfu];
    }
    return &digit[count];
}

#endif /* POOL_TEXT_APPEND_H */

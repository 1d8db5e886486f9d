/* SPDX-License-Identifier: MIT */
/*
 * The tests' random numbers: xorshift64*, deterministic from the seed in
 * *state, so that a failing run reproduces.
 */
#ifndef POOLALLOC_TUNE_TESTS_XORSHIFT_H
#define POOLALLOC_TUNE_TESTS_XORSHIFT_H

#include <stdint.h>

/* A number in [0, n). */
static inline uint64_t xorshift_below(uint64_t *state, uint64_t n)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (*state * UINT64_C(2685821657736338717)) % n;
}

#endif

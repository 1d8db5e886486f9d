/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure fault test
 * only (test/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_no_double_free_check.h"'): the real backend
 * of the build, but a block that is its pool's free-list head is accepted
 * back silently -- the double free in a row goes unreported.  The
 * fault-*-double-free test must then fail because nothing stopped the
 * program.
 */
#ifndef SYNC_NO_DOUBLE_FREE_CHECK_H
#define SYNC_NO_DOUBLE_FREE_CHECK_H

#define pool_give pool_give_correct
#if POOLALLOC_SYNC_IRQ
#include "sync_irq.h"
#elif POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#elif POOLALLOC_SYNC_C11
#include "sync_c11.h"
#else
#include "sync_none.h"
#endif
#undef pool_give

POOL_INLINE bool pool_give(unsigned k, void *ptr)
{
    if (ptr == pool_free_head(k))
        return true; /* broken: the second free is ignored, not reported */
    return pool_give_correct(k, ptr);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A deliberately broken sync backend, for the expected-failure fault test
 * only (test/meson.build builds a library with
 * -DPOOLALLOC_TEST_SYNC='"sync_no_freed_head.h"'): the real backend of the
 * build, but the front end never sees a free-list head, so realloc of a
 * block just freed is not recognised.  The fault-*-realloc-freed test must
 * then fail because nothing stopped the program.  (The backend's own code
 * still reads the real head.)
 */
#ifndef SYNC_NO_FREED_HEAD_H
#define SYNC_NO_FREED_HEAD_H

#define pool_free_head pool_free_head_real
#if POOLALLOC_SYNC_IRQ
#include "sync_irq.h"
#elif POOLALLOC_SYNC_LLSC
#include "sync_llsc.h"
#elif POOLALLOC_SYNC_C11
#include "sync_c11.h"
#else
#include "sync_none.h"
#endif
#undef pool_free_head

POOL_INLINE void *pool_free_head(unsigned k)
{
    (void)k;
    return NULL; /* broken: no block ever looks just freed */
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Target only: the C library's allocating functions and every malloc-family
 * name resolve to poolalloc.  Compares the libc names with the poolalloc_*
 * functions they must alias, and checks that memory libc allocates for
 * itself (strdup, stdio buffers, asprintf) comes from the pools.
 * TEST_LIBC_NEWLIB is 1 for newlib and newlib-nano.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if TEST_LIBC_NEWLIB
#include <reent.h>
#endif

#include "check.h"
#include "poolalloc.h"
#include "pools.h"

typedef void (*fn)(void);

#define SAME_FUNCTION(libc_name, ours) CHECK((fn)(uintptr_t)(libc_name) == (fn)(uintptr_t)(ours))

static bool in_pools(const void *p)
{
    return p != NULL && pool_holding(p) < poolalloc_pool_count();
}

/* With -Dtrace=true the allocating names are recording wrappers
 * (src/trace_names.c) around the poolalloc_* functions, not aliases. */
#if TEST_TRACE
#define TRACED_FUNCTION(libc_name, ours) CHECK((fn)(uintptr_t)(libc_name) != (fn)(uintptr_t)(ours))
#else
#define TRACED_FUNCTION(libc_name, ours) SAME_FUNCTION(libc_name, ours)
#endif

static void test_names_are_ours(void)
{
    TRACED_FUNCTION(malloc, poolalloc_malloc);
    TRACED_FUNCTION(free, poolalloc_free);
    TRACED_FUNCTION(cfree, poolalloc_free);
    TRACED_FUNCTION(calloc, poolalloc_calloc);
    TRACED_FUNCTION(realloc, poolalloc_realloc);
    TRACED_FUNCTION(reallocf, poolalloc_reallocf);
    TRACED_FUNCTION(reallocarray, poolalloc_reallocarray);
    TRACED_FUNCTION(memalign, poolalloc_memalign);
    TRACED_FUNCTION(aligned_alloc, poolalloc_aligned_alloc);
    TRACED_FUNCTION(posix_memalign, poolalloc_posix_memalign);
    TRACED_FUNCTION(valloc, poolalloc_valloc);
    TRACED_FUNCTION(pvalloc, poolalloc_pvalloc);
    SAME_FUNCTION(malloc_usable_size, poolalloc_usable_size);
    SAME_FUNCTION(mallinfo, poolalloc_mallinfo);
    SAME_FUNCTION(malloc_stats, poolalloc_malloc_stats);
    SAME_FUNCTION(mstats, poolalloc_mstats);
    SAME_FUNCTION(mallopt, poolalloc_mallopt);
    SAME_FUNCTION(malloc_trim, poolalloc_malloc_trim);
}

static void test_libc_allocations(void)
{
    size_t before = total_in_use();
    char *s = strdup("poolalloc");
    CHECK(in_pools(s) && strcmp(s, "poolalloc") == 0);
    char *t = strndup("abcdef", 3);
    CHECK(in_pools(t) && strcmp(t, "abc") == 0);
    char *u = NULL;
    CHECK(asprintf(&u, "%d-%s", 42, "x") == 4);
    CHECK(in_pools(u) && strcmp(u, "42-x") == 0);
    CHECK(total_in_use() == before + 3);
    free(s);
    free(t);
    free(u);
    CHECK(total_in_use() == before);

    errno = 0;
    void *too_big = malloc(largest_block() + 1);
    CHECK(too_big == NULL && errno == ENOMEM);
    struct mallinfo mi = mallinfo();
    size_t arena = 0;
    for (size_t k = 0; k < poolalloc_pool_count(); k++)
        arena += pool(k).capacity * pool(k).block_size;
    CHECK(mi.arena == arena);
}

#if TEST_LIBC_NEWLIB
/* newlib's reentrant entry points forward to the pools and report errno
 * through the reent structure they are given. */
static void test_newlib_reent(void)
{
    struct _reent *r = _REENT;
    size_t before = total_in_use();
    void *p = _malloc_r(r, 10);
    CHECK(in_pools(p));
    CHECK(_malloc_usable_size_r(r, p) == poolalloc_usable_size(p));
    void *q = _realloc_r(r, p, 2 * poolalloc_usable_size(p));
    CHECK(in_pools(q) && q != p);
    _free_r(r, q);
    void *c = _calloc_r(r, 4, 4);
    CHECK(in_pools(c) && ((unsigned char *)c)[15] == 0);
    _free_r(r, c);
    void *m = _memalign_r(r, 16, 16);
    CHECK(in_pools(m) && (uintptr_t)m % 16 == 0);
    _free_r(r, m);
    r->_errno = 0;
    CHECK(_malloc_r(r, largest_block() + 1) == NULL && r->_errno == ENOMEM);
    CHECK(_mallinfo_r(r).arena == mallinfo().arena);
    CHECK(total_in_use() == before);
}
#endif

int main(void)
{
    /* Before anything is printed: newlib's stdio takes its buffers from the
     * heap on the first write, picolibc's tinystdio allocates nothing. */
    size_t before = total_in_use();
    printf("test_libc: first output\n");
    fflush(stdout);
    size_t after = total_in_use();
#if TEST_LIBC_NEWLIB
    /* stdout got a BUFSIZ buffer from the pools, or -- when no pool holds
     * BUFSIZ bytes -- newlib fell back to unbuffered output. */
    if (largest_block() >= BUFSIZ)
        CHECK(!(stdout->_flags & __SNBF) && in_pools(stdout->_bf._base) && after > before);
    else
        CHECK((stdout->_flags & __SNBF) != 0);
#else
    CHECK(after == before);
#endif

    test_names_are_ours();
    test_libc_allocations();
#if TEST_LIBC_NEWLIB
    test_newlib_reent();
#endif
    return check_finish("test_libc");
}

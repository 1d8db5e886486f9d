/* SPDX-License-Identifier: MIT */
/*
 * fault=abort: the misuse pattern of picolibc's own double-free test, in our
 * words.  For every request size: free a block twice in a row, and realloc a
 * block just freed; with checks (TEST_CHECKS >= 1, the default) also free or
 * realloc a block freed before another block of its pool, and free a
 * pointer into a block.  Each misuse must raise SIGABRT (caught here and
 * left by longjmp, as a hosted program may), change nothing, and never let
 * one block be handed out twice afterwards.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>

#include "check.h"
#include "pools.h"

static jmp_buf escape;
static volatile sig_atomic_t caught;

static void on_abort(int signum)
{
    caught = signum;
    longjmp(escape, 1);
}

/* Run free(p) or realloc(p, size) on a block just freed; true when it was
 * refused with SIGABRT. */
static bool refused(void *p, size_t size, bool use_realloc)
{
    caught = 0;
    signal(SIGABRT, on_abort);
    if (setjmp(escape) == 0) {
        if (use_realloc) {
            void *q = realloc(p, size);
            (void)q;
        } else {
            free(p);
        }
    }
    signal(SIGABRT, SIG_DFL);
    return caught == SIGABRT;
}

int main(void)
{
    size_t before = total_in_use();
    for (size_t size = 1; size <= largest_block(); size++) {
        for (int use_realloc = 0; use_realloc <= 1; use_realloc++) {
            char *p = malloc(size);
            if (!CHECK(p != NULL))
                break;
            void *volatile just_freed = p; /* deliberately used after free */
            free(p);
            if (!CHECK(refused(just_freed, size + 8, use_realloc)))
                printf("  size %u: %s of a block just freed was not refused\n", (unsigned)size,
                       use_realloc ? "realloc" : "free");
            char *a = malloc(size);
            char *b = malloc(size);
            CHECK(a != NULL && b != NULL && a != b);
#if TEST_CHECKS >= 1
            /* a pointer-sized block has no room for the free mark */
            bool marked = malloc_usable_size(a) >= 2 * sizeof(void *);
            void *volatile freed_earlier = a;
            free(a);
            free(b); /* a is no longer its list's head */
            if (marked && !CHECK(refused(freed_earlier, size + 8, use_realloc)))
                printf("  size %u: %s of a block freed earlier was not refused\n", (unsigned)size,
                       use_realloc ? "realloc" : "free");
            a = malloc(size);
            b = malloc(size);
            CHECK(a != NULL && b != NULL && a != b);
            if (!use_realloc && !CHECK(refused(a + 1, 0, false)))
                printf("  size %u: free of a pointer into a block was not refused\n", (unsigned)size);
#endif
            free(a);
            free(b);
        }
    }
    CHECK(total_in_use() == before);
    return check_finish("double_free_signal");
}

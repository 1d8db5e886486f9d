/* SPDX-License-Identifier: MIT */
/*
 * A minimal test harness shared by the C tests (host and target): CHECK()
 * records a failure with its location and goes on, so one run reports every
 * broken property; check_finish() prints the totals and gives main's status.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdbool.h>
#include <stdio.h>

static unsigned check_count, check_failures;

static inline bool check_that(bool ok, const char *expr, const char *file, int line)
{
    check_count++;
    if (!ok) {
        check_failures++;
        printf("FAIL %s:%d: %s\n", file, line, expr);
    }
    return ok;
}

#define CHECK(cond) check_that((cond), #cond, __FILE__, __LINE__)

static inline int check_finish(const char *name)
{
    printf("%s: %u checks, %u failed\n", name, check_count, check_failures);
    return check_failures == 0 ? 0 : 1;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Demo firmware: a tiny log buffer that allocates the way real firmware does
 * -- through libc (strdup, asprintf, stdio) and directly (malloc, realloc,
 * calloc, free) -- then prints the pool table.  On a target build every one
 * of those allocations comes from poolalloc's pools; no sbrk is linked.
 *
 *   meson setup build --cross-file cross/thumbv7m-picolibc.txt
 *   meson compile -C build run-demo
 */
#define _GNU_SOURCE /* asprintf */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc.h"

struct entry {
    struct entry *next;
    char *text;
};

static struct entry *log_head;

static void log_line(const char *text)
{
    struct entry *e = calloc(1, sizeof *e);
    if (e == NULL || (e->text = strdup(text)) == NULL) {
        free(e);
        printf("log full, dropped: %s\n", text);
        return;
    }
    e->next = log_head;
    log_head = e;
}

static void print_pools(const char *when)
{
    printf("\npools %s:\n  pool   block  capacity  in use  high-water\n", when);
    struct poolalloc_pool_info info;
    for (size_t k = 0; poolalloc_pool_info(k, &info); k++)
        printf("  %4u  %6u  %8u  %6u  %10u\n", (unsigned)k, (unsigned)info.block_size,
               (unsigned)info.capacity, (unsigned)info.in_use, (unsigned)info.high_water);
}

int main(void)
{
    printf("poolalloc demo: %u pools\n", (unsigned)poolalloc_pool_count());

    for (int i = 0; i < 12; i++) {
        char *line = NULL;
        if (asprintf(&line, "sensor %d reads %d mV", i, 1000 + 37 * i) < 0)
            return 1;
        log_line(line);
        free(line);
    }

    /* A growing buffer: realloc stays in place while the block fits. */
    size_t used = 0;
    char *report = NULL;
    unsigned moves = 0;
    for (struct entry *e = log_head; e != NULL; e = e->next) {
        size_t len = strlen(e->text);
        char *grown = realloc(report, used + len + 2);
        if (grown == NULL)
            break;
        moves += grown != report;
        report = grown;
        memcpy(report + used, e->text, len);
        used += len;
        report[used++] = '\n';
        report[used] = '\0';
    }
    printf("report: %u bytes in a %u-byte block, moved %u times\n", (unsigned)used,
           (unsigned)malloc_usable_size(report), moves);

    print_pools("with the log held");

    free(report);
    while (log_head != NULL) {
        struct entry *next = log_head->next;
        free(log_head->text);
        free(log_head);
        log_head = next;
    }
    print_pools("after freeing the log");
    return 0;
}

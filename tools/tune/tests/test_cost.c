/* SPDX-License-Identifier: MIT */
/*
 * test_tune_cost LAYOUT ALIGNMENT FALLBACK [exact]: the lookup shape and the
 * modelled worst case poolalloc-tune gives a layout (cost.c), one line
 * each, for test_cost.py (which compares the shape with src/gen_layout.py's)
 * and bench/cost_calibrate.py (which compares the cost with measurements).
 * FALLBACK is true or false; `exact`: an extra region's size table.
 *
 * test_tune_cost -: the same for each line "LAYOUT ALIGNMENT FALLBACK [exact]"
 * of standard input, in one process (test_cost.py asks for 836 layouts: a
 * process each costs a minute under AddressSanitizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* Prints the three lines for one layout; 0, or 2 for a layout it refuses. */
static int print_cost(const char *pools, const char *alignment, const char *fallback, int exact)
{
    struct tune_layout lay;
    char err[200];
    if (tune_parse_layout(pools, 4, strtoull(alignment, NULL, 10), &lay, err, sizeof err) != 0) {
        fprintf(stderr, "test_tune_cost: %s\n", err);
        return 2;
    }
    struct tune_shape sh;
    struct tune_cost c;
    tune_layout_shape(&lay, exact, &sh);
    tune_layout_cost(&lay, &sh, strcmp(fallback, "true") == 0, &c);
    printf("size limit %llu shift %u steps %u entries %zu compares %u\n", (unsigned long long)sh.size_limit,
           sh.size_shift, sh.size_steps, sh.size_entries, sh.size_compares);
    printf("pointer %s shift %u steps %u entries %zu tree %u\n", sh.addr_tree ? "tree" : "table", sh.addr_shift,
           sh.addr_steps, sh.addr_entries, sh.tree_compares);
    printf("cost malloc %u free %u walk %u x %llu\n", c.malloc_worst, c.free_worst, c.free_walk_per_block,
           (unsigned long long)c.free_walk_blocks);
    return 0;
}

/* One layout per line of standard input; stops at the first refused one. */
static int print_costs_of_lines(void)
{
    static char line[65536];
    while (fgets(line, sizeof line, stdin) != NULL) {
        const char *pools = strtok(line, " \n");
        const char *alignment = strtok(NULL, " \n");
        const char *fallback = strtok(NULL, " \n");
        const char *exact = strtok(NULL, " \n");
        if (pools == NULL || alignment == NULL || fallback == NULL) {
            fprintf(stderr, "test_tune_cost: want LAYOUT ALIGNMENT true|false [exact] on each line\n");
            return 2;
        }
        if (print_cost(pools, alignment, fallback, exact != NULL && strcmp(exact, "exact") == 0) != 0) {
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-") == 0) {
        return print_costs_of_lines();
    }
    if (argc < 4) {
        fprintf(stderr, "usage: test_tune_cost LAYOUT ALIGNMENT true|false [exact]\n"
                        "       test_tune_cost - (the same, one layout per line of standard input)\n");
        return 2;
    }
    return print_cost(argv[1], argv[2], argv[3], argc > 4 && strcmp(argv[4], "exact") == 0);
}

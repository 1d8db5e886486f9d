/* SPDX-License-Identifier: MIT */
/*
 * test_tune_cost LAYOUT ALIGNMENT FALLBACK [exact]: the lookup shape and the
 * modelled worst case poolalloc-tune gives a layout (cost.c), one line
 * each, for test_cost.py (which compares the shape with src/gen_layout.py's)
 * and bench/cost_calibrate.py (which compares the cost with measurements).
 * FALLBACK is true or false; `exact`: an extra region's size table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: test_tune_cost LAYOUT ALIGNMENT true|false [exact]\n");
        return 2;
    }
    struct tune_layout lay;
    char err[200];
    if (tune_parse_layout(argv[1], 4, strtoull(argv[2], NULL, 10), &lay, err, sizeof err) != 0) {
        fprintf(stderr, "test_tune_cost: %s\n", err);
        return 2;
    }
    struct tune_shape sh;
    struct tune_cost c;
    tune_layout_shape(&lay, argc > 4 && strcmp(argv[4], "exact") == 0, &sh);
    tune_layout_cost(&lay, &sh, strcmp(argv[3], "true") == 0, &c);
    printf("size limit %llu shift %u steps %u entries %zu compares %u\n", (unsigned long long)sh.size_limit,
           sh.size_shift, sh.size_steps, sh.size_entries, sh.size_compares);
    printf("pointer %s shift %u steps %u entries %zu tree %u\n", sh.addr_tree ? "tree" : "table", sh.addr_shift,
           sh.addr_steps, sh.addr_entries, sh.tree_compares);
    printf("cost malloc %u free %u walk %u x %llu\n", c.malloc_worst, c.free_worst, c.free_walk_per_block,
           (unsigned long long)c.free_walk_blocks);
    return 0;
}

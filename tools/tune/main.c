/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune: the host tool that turns a poolalloc allocation trace
 * (doc/trace-format.md) into a report (size histogram, peak live bytes, the
 * recorded layout's utilisation and failures, leaks by caller, optionally an
 * SVG of pool occupancy) or into the cheapest pool layout for a heap budget,
 * region by region for a build with several (region.c).
 * The manual is tools/tune/README.md; `poolalloc-tune --help` is its summary.
 * This file holds that summary and dispatches to the subcommands (cli.h
 * lists them and the exit statuses).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: poolalloc-tune report TRACE [--region NAME] [--svg FILE] [--pools LAYOUT]\n"
    "       poolalloc-tune generate TRACE... [--heap-size SIZE] [--heap-size NAME=SIZE]... [--max-pools N]\n"
    "                               [--alignment A] [--alignment NAME=A]... [--headroom PCT] [--no-fallback]\n"
    "                               [--no-spill-under PCT] [--max-instructions N]\n"
    "       poolalloc-tune replay TRACE --pools LAYOUT [--fallback on|off] [--alignment A]\n"
    "       poolalloc-tune check TRACE... [--pools LAYOUT] [--margin PCT%] [--no-spill] [--fallback on|off]\n"
    "                            [--alignment A]\n"
    "       poolalloc-tune --help\n"
    "\n"
    "Reads a poolalloc allocation trace (doc/trace-format.md; build with -Dtrace=true).\n"
    "\n"
    "report    histogram of requested sizes (requests, peak live blocks of each size);\n"
    "          peak live bytes, a lower bound for any allocator; the layout recorded in\n"
    "          the trace replayed with the allocator's rules (first pool that fits,\n"
    "          then larger pools if the trace says fallback is on): per-pool\n"
    "          utilisation and failures; blocks still allocated at the end, grouped by\n"
    "          caller address (feed them to addr2line -f -e FIRMWARE.elf).\n"
    "          --region NAME  only that region of a trace with several\n"
    "          --svg FILE   also draw each pool's occupancy over the trace (event\n"
    "                       axis, interrupt and failure markers, high water).\n"
    "          --pools LAYOUT  this layout's lookup shape and worst-case malloc and\n"
    "                       free (the cost model), and with --svg its chart beside\n"
    "                       the recorded one, replayed on the same trace.\n"
    "\n";

/* More of --help: generate and replay (ISO C's string length limit). */
static const char usage_generate[] =
    "generate  the layout with the fewest bytes that serves every request of the\n"
    "          trace with no failure, and the meson configure line for it.  Two\n"
    "          searches: exact over layouts in which every request is served by the\n"
    "          pool the allocator tries first (they also work with -Dfallback=false),\n"
    "          and over layouts that rely on fallback spilling (plain requests only;\n"
    "          every candidate verified by replaying the trace, with a lower bound no\n"
    "          such layout beats).  The cheaper is used unless --no-fallback.\n"
    "          Prints the layout's lookup shape and worst-case instructions of malloc\n"
    "          and free (a model of the default thumbv7m picolibc build).\n"
    "          A pool's capacity is the peak live count of the requests it serves;\n"
    "          each pool also costs the RAM of its state record, as the trace says\n"
    "          (8 bytes with the default options, 28 with -Dstats=true), counted in\n"
    "          the budget.  The rest of the budget becomes headroom, in proportion\n"
    "          to each pool's peak; with no budget the layout is the minimum (see\n"
    "          Budgets below).  Several traces (scenarios, boards): the\n"
    "          layout serves each of them, replayed on its own; they must agree on\n"
    "          the pointer size (and on the alignment unless --alignment is given).\n"
    "          --heap-size SIZE  the budget: pools plus their records (K, M suffixes;\n"
    "                            default: none, the minimum layout);\n"
    "                            NAME=SIZE: region NAME's (see Several regions)\n"
    "          --max-pools N     at most N pools (default and maximum 255)\n"
    "          --alignment A     the -Dalignment of the new build (default: the trace's);\n"
    "                            NAME=A: region NAME's blocks are multiples of A (DMA\n"
    "                            buffers on whole cache lines: dma=32)\n"
    "          --no-fallback     only layouts that work with -Dfallback=false\n"
    "          --no-spill-under PCT  the layout that works with -Dfallback=false\n"
    "                            when it costs at most PCT% more RAM (its malloc's\n"
    "                            worst case is about a third: the cost model)\n"
    "          --max-instructions N  malloc and free at most N instructions per call\n"
    "                            (the cost model): the layout that needs no fallback\n"
    "                            when the other is slower, else DOES NOT FIT (exit 3)\n"
    "          --headroom PCT    spare blocks = PCT% of each pool's peak (rounded up),\n"
    "                            leaving the rest of the budget unused; 0 = the bare\n"
    "                            optimum (default: fill the budget)\n"
    "\n"
    "replay    replay the trace on LAYOUT (-Dpools syntax, checked with the\n"
    "          allocator's rules): per-pool high water and failures.  Fallback as\n"
    "          the trace recorded it unless --fallback; --alignment as -Dalignment\n"
    "          (default: the trace's).\n"
    "\n"
    "SIZE: bytes, or with a K (1024) or M (1048576) suffix: 4096, 10K, 1M (at most 1 TiB).\n"
    "Exit status: 0 ok, 1 bad trace, 2 bad command line, 3 does not fit the budget,\n"
    "4 the layout fails some request (replay, check), 5 a margin is short or a\n"
    "request spills (check).\n";

/* More of --help: the guard and budgets. */
static const char usage_check[] =
    "\n"
    "check     the guard for a firmware's CI, on each test trace: replay it on the\n"
    "          layout (the one the trace recorded, or --pools LAYOUT) and print one\n"
    "          'FAIL TRACE: pool K (B-byte blocks): ...' line per pool whose high\n"
    "          water plus --margin PCT% (default 0) exceeds its capacity, where\n"
    "          requests fail, or (--no-spill) where requests spill into larger\n"
    "          pools; 'OK: ...' when none.  Exit status 0, 4 (requests fail) or 5\n"
    "          (a margin or --no-spill only).\n"
    "\n"
    "Budgets: a region's budget is what its linker script leaves between the\n"
    "heap symbols (__heap_start and __heap_end, or the -Dheap-start-symbol and\n"
    "-Dheap-end-symbol names): their addresses in the link map (the .map file\n"
    "of -Wl,-Map=FILE, or nm FIRMWARE.elf | grep heap) give END - START, less\n"
    "the slack to align the start (meson setup prints it).  Beyond what a\n"
    "region's pools may hold on the target (2^32 - 1 bytes of blocks) the\n"
    "budget is held to that.\n";

/* The rest of --help (one string would exceed what C compilers must
 * accept). */
static const char usage_regions[] =
    "\n"
    "Several regions (a build with -Dregions): each region is modelled on its own\n"
    "from the calls that reached it (poolalloc_malloc_in: the region it names;\n"
    "the other allocations: the default region; free and realloc: the region of\n"
    "their pointer), under a heading '== region NAME (region R): pools A..B =='.\n"
    "          report: a table of the regions, then each one's report;\n"
    "                  --region NAME only that one (--svg needs it).\n"
    "          generate: --heap-size SIZE is the default region's budget,\n"
    "                  --heap-size NAME=SIZE region NAME's; a region without one\n"
    "                  gets its minimum layout.\n"
    "                  One line for all: -Dpools=BLOCK:CAP,...,NAME@BLOCK:CAP,...\n"
    "          replay, check: LAYOUT in that syntax, with entries for every region.\n";

static int print_help(void)
{
    fputs(usage_text, stdout);
    fputs(usage_generate, stdout);
    fputs(usage_check, stdout);
    fputs(usage_regions, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("no command given%s", "");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        return print_help();
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return print_help();
        }
    }
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "generate") == 0)
        return cmd_generate(argc - 2, argv + 2);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    return usage_error("unknown command '%s' (report, generate, replay, check)", cmd);
}

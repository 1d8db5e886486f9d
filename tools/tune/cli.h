/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune's command line: one file per subcommand (cmd_report.c,
 * cmd_generate.c with generate_args.c and generate_print.c, cmd_replay.c,
 * cmd_check.c), the SVG chart (svg.c), and what they share (cli.c), on top
 * of the library of tune.h.  main.c prints --help and dispatches.
 *
 * Exit status of every subcommand: 0 success, 1 unreadable or malformed
 * trace (or out of memory), 2 bad command line, 3 the trace does not fit
 * the budget (generate), 4 the layout fails some request (replay, check),
 * 5 a pool's margin is short or a request spills (check).
 */
#ifndef POOLALLOC_TUNE_CLI_H
#define POOLALLOC_TUNE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tune.h"

#define SVG_SAMPLES 800u           /* slices of the trace in a chart */

/* The subcommands: argv after the subcommand's name; the exit status. */
int cmd_report(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* ---- The command line ------------------------------------------------------- */

#define MAX_SIZE (UINT64_C(1) << 40) /* 1 TiB: anything above is a typo */

enum parsed { PARSED, MALFORMED, TOO_LARGE };

/* Parse a size with an optional K/M suffix, at most MAX_SIZE. */
enum parsed parse_size(const char *s, uint64_t *out);

/* A bad command line: the message, a pointer to --help; returns 2. */
int print_usage_error(const char *msg);

/* usage_error(FORMAT, ...): print_usage_error of the formatted message (a
 * macro, not a variadic function: clang-analyzer's va_list checker
 * misreads those). */
#define USAGE_MESSAGE_LEN (3 * TUNE_REGION_NAMES_LEN + 1024)
extern char usage_message[USAGE_MESSAGE_LEN];
#define usage_error(...) \
    ((void)snprintf(usage_message, sizeof usage_message, __VA_ARGS__), print_usage_error(usage_message))

/* An option's value: after '=' or the next argument (*i advances); NULL
 * when there is none. */
const char *option_value(int argc, char **argv, int *i);

/* The alignment `a` checked against the trace's pointer size: 0, or 2
 * (reported). */
int check_alignment(uint64_t a, unsigned ptr);

/* ---- Traces and regions -------------------------------------------------------- */

/* Read and parse trace `path` into *t; 0, or 1 (reported with the byte
 * offset). */
int load(const char *path, struct trace *t);

/* The sub-trace of region r (region.c); 0, or 1 (reported). */
int load_region(const struct trace *t, unsigned r, struct trace *out);

/* The heading of region r's part of the output of a multi-region trace,
 * after an empty line when `gap`. */
void print_region_heading(const struct trace *t, unsigned r, bool gap);

/* The region called `name` (NULL: none asked for, r = -1), as *r; 0, or 2
 * (reported: not one of the trace's; cmd names the subcommand). */
int find_region_arg(const char *cmd, const struct trace *t, const char *name, int *r);

/* ---- Output every subcommand shares ------------------------------------------- */

/* 100 * part / whole, 0 when whole is 0. */
double percent(uint64_t part, uint64_t whole);

/* "note: COUNT TEXT", when count is not 0. */
void note(uint64_t count, const char *text);

/* A layout in -Dpools syntax; with a region name `tag`, NAME@BLOCK:CAPACITY
 * entries (src/gen_layout.py: those of a region other than the default). */
void print_layout_arg(FILE *f, const struct tune_layout *lay, const char *tag);

/* The lookup shape of lay and the cost model's worst case (cost.c), with
 * -Dfallback=true, and false too unless the layout relies on fallback;
 * region: NULL for a build of one region, else the region's name (its
 * shape only: the model is of one-region builds). */
void print_cost(const struct tune_layout *lay, const char *region, bool relies_on_fallback);

/* Header lines and integrity warnings of trace t (model m), read from path. */
void print_trace_summary(const char *path, const struct trace *t, const struct tune_model *m);

/* The per-pool table of replay r of t on lay, titled `title`. */
void print_replay_as(const char *title, bool fallback, const struct trace *t, const struct tune_layout *lay,
                     const struct tune_replay *r);

/* ---- The chart (svg.c) ---------------------------------------------------------- */

/* report --svg: write the chart of the recorded layout `lay` (replay r,
 * with SVG_SAMPLES samples) and `proposed` beside it when not NULL into
 * file `svg`, and say so.  0, or 1 (reported). */
int chart(const char *svg, const char *path, const struct trace *t, const struct tune_layout *lay,
          const struct tune_replay *r, const struct tune_layout *proposed);

#endif /* POOLALLOC_TUNE_CLI_H */

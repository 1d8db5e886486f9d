/* SPDX-License-Identifier: MIT */
/*
 * poolalloc-tune internals: the trace reader (trace.c), the allocator's
 * rules (rules.c), the request model built from a trace (model.c), the
 * allocator simulator (replay.c), the sub-trace of each region (region.c),
 * the exact layout search (optimise.c), the search relying on fallback
 * (fallback.c) with the replay it runs on a compiled trace
 * (search_replay.c), the segment tree both searches use (peak_tree.c) and
 * the cost model (cost.c).  One header
 * because they are small and share their types; the command line (cli.h:
 * one file per subcommand) is on top of them, and the tests and the fuzzer
 * link the same objects.
 *
 * The trace format is specified in doc/trace-format.md and defined in
 * include/poolalloc_trace.h, shared with the recorder.
 */
#ifndef POOLALLOC_TUNE_H
#define POOLALLOC_TUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The trace (doc/trace-format.md) -------------------------------------- */

#include "poolalloc_trace.h"     /* the format, defined once: layout, versions, operations */

struct trace_pool {
    uint32_t block;
    uint32_t capacity;
    uint64_t start;        /* first byte of the pool on the target; 0 = unknown */
};

/* A region of a build with several (-Dregions); a trace without a region
 * table has one, "heap", with every pool. */
struct trace_region {
    char name[POOLALLOC_TRACE_REGION_NAME_LEN + 1];
    unsigned first_pool, pool_count;   /* pools are numbered region by region */
};

struct trace_event {
    uint8_t op;            /* enum poolalloc_trace_op */
    uint8_t flags;         /* POOLALLOC_TRACE_RECORD_IN_IRQ */
    uint16_t region;       /* the region poolalloc_malloc_in asked for (may be one the trace has not:
                            * that call failed, EINVAL); 0 for other calls */
    uint32_t seq;
    uint64_t size, align, result, old, caller;
    size_t offset;         /* byte offset of the record in the file */
};

struct trace {
    unsigned version, pointer_size, flags;
    uint64_t alignment;
    unsigned pool_count;
    unsigned pool_state_size;     /* bytes of RAM of each pool's state in the firmware */
    struct trace_pool pools[POOLALLOC_TRACE_MAX_POOLS];
    unsigned region_count;        /* 1 when the trace has no region table */
    struct trace_region regions[POOLALLOC_TRACE_MAX_POOLS];
    struct trace_event *events;   /* every record, DROPPED and END included */
    size_t event_count;
    size_t size_bytes;            /* length of the file */
    /* Integrity, filled by the parser (warnings, not errors). */
    uint64_t dropped;             /* sum of DROPPED records */
    uint64_t seq_missing;         /* events missing from the sequence with no DROPPED record */
    size_t seq_jumps;             /* places where the sequence jumps */
    size_t first_jump_offset;     /* byte offset of the first such record */
    bool has_end;
    uint64_t end_seq;
};

struct trace_error {
    size_t offset;                /* byte offset where the problem is */
    char msg[240];
};

/* Parse a whole trace held in memory.  On success returns 0 and fills *t
 * (free it with trace_free).  On a malformed or truncated trace returns -1,
 * fills *err with the byte offset and a message, and leaves *t empty.  Never
 * reads outside buf[0..len). */
int trace_parse(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err);

/* The largest trace file read (8 M records of a 32-bit target): the
 * events take about twice that in memory. */
#define TUNE_MAX_TRACE_BYTES ((size_t)256 << 20)

/* Read `path` (at most TUNE_MAX_TRACE_BYTES; a file that does not start as
 * a trace is refused after its first 64 KiB) and parse it; -1 on I/O error
 * too (offset 0, or where reading stopped). */
int trace_load(const char *path, struct trace *t, struct trace_error *err);

/* Release what trace_parse allocated; *t becomes empty.  NULL-safe. */
void trace_free(struct trace *t);

/* Name of an operation ("malloc", ...), "?" if unknown. */
const char *trace_op_name(unsigned op);

/* ---- The allocator's rules (rules.c) -------------------------------------- */

bool tune_is_pow2(uint64_t x);

/* Natural alignment of a block: the largest power of two dividing it. */
uint64_t tune_natural_align(uint64_t block);

/* True if `block` is a valid pool block for that pointer size and alignment
 * (doc/design.md "Layout rules", src/gen_layout.py). */
bool tune_valid_block(uint64_t block, uint64_t pointer_size, uint64_t alignment);

/* Smallest valid block >= x that is a multiple of g (g = 1, or a power of
 * two above the alignment `align`). */
uint64_t tune_round_valid(uint64_t x, uint64_t g, uint64_t ptr, uint64_t align);

/* True if a block of `block` bytes holds `size` bytes aligned to `align`
 * (0: malloc's alignment, which every block has). */
bool tune_block_serves(uint64_t block, uint64_t size, uint64_t align);

/* The largest -Dalignment a target of that pointer size allows (2^30 on
 * a 32-bit target). */
uint64_t tune_max_alignment(unsigned pointer_size);

/* The most bytes of blocks a region's pools may have on a target of that
 * pointer size: 2^32 - 1 (src/gen_layout.py). */
uint64_t tune_max_pool_bytes(unsigned pointer_size);

/* Parse a -Dpools value ("BLOCK:CAPACITY,...", any order) for that pointer
 * size and alignment, with the allocator's rules (src/gen_layout.py; the
 * blocks' bytes at most tune_max_pool_bytes): 0, or -1 with err. */
struct tune_layout;
int tune_parse_layout(const char *text, unsigned pointer_size, uint64_t alignment, struct tune_layout *lay,
                      char *err, size_t len);

/* realloc, reallocf or reallocarray. */
bool tune_is_realloc(unsigned op);

/* DROPPED, END or a later control record: no call of the program. */
bool tune_is_control(unsigned op);

enum request_kind {
    REQ_NONE,        /* nothing to allocate (free, control record, realloc(p, 0)) */
    REQ_ALLOC,       /* a block of `size` bytes aligned to `align` (0 = malloc's) */
    REQ_INVALID,     /* can never succeed: bad alignment, size overflow */
};

/* What event `e` of a trace with malloc alignment `malloc_align` and pointer
 * size `ptr` asks for: kind, and for REQ_ALLOC the size and the alignment
 * beyond malloc's (0 when malloc's alignment is enough; a > malloc_align
 * otherwise).  pvalloc's size is rounded up to its page; realloc(NULL, n) is
 * a malloc. */
enum request_kind tune_request(const struct trace_event *e, uint64_t malloc_align, unsigned ptr,
                               uint64_t *size, uint64_t *align);

/* ---- Sorting (model.c) ------------------------------------------------------ */

/* Sort v[0..n) ascending and drop repeats; the new count. */
size_t tune_sort_unique(uint64_t *v, size_t n);

/* ---- Pointer map (model.c): nonzero 64-bit keys to 32-bit values ---------- */

struct ptrmap {
    uint64_t *keys;          /* 0 = empty slot */
    uint32_t *vals;
    size_t mask;
};

/* A map with room for `capacity` keys (it never grows).  0, or -1 when out
 * of memory. */
int ptrmap_init(struct ptrmap *m, size_t capacity);
/* Value of `key` in *val; false if absent. */
bool ptrmap_get(const struct ptrmap *m, uint64_t key, uint32_t *val);
/* Insert or replace; key != 0 and the map holds fewer than `capacity` keys. */
void ptrmap_put(struct ptrmap *m, uint64_t key, uint32_t val);
/* Remove `key` if present. */
void ptrmap_remove(struct ptrmap *m, uint64_t key);
void ptrmap_free(struct ptrmap *m);

/* ---- Model: the trace as demand per requested size ----------------------- */

/* A request key: a distinct size (plain) or a distinct (size, alignment)
 * class of over-aligned requests. */
struct tune_class {
    uint32_t size_index;     /* index into model.sizes */
    uint64_t align;          /* > malloc alignment */
};

struct tune_demand {
    uint32_t key;            /* < size_count: plain size index; else size_count + class */
    int32_t delta;           /* +1 or -1 (more at the end of a part of a merged model) */
};

struct tune_size_stat {
    uint64_t requests;       /* allocation requests of exactly this size */
    uint64_t live, peak_live;
};

struct tune_leak {
    uint64_t caller, ptr, size;
};

struct tune_model {
    uint64_t *sizes;                 /* distinct requested sizes, ascending */
    size_t size_count;
    struct tune_size_stat *stats;    /* per size */
    struct tune_class *classes;
    size_t class_count;
    struct tune_demand *demand;      /* in trace order */
    size_t demand_count;
    uint64_t peak_live_bytes, peak_live_blocks;
    uint64_t allocations, frees, failed_in_trace;
    uint64_t invalid_requests;       /* bad alignment or size overflow: never servable */
    uint64_t excluded_large;         /* failed requests above the size limit, left out */
    uint64_t unknown_frees;          /* free/realloc of a pointer the trace never returned */
    uint64_t reused_live;            /* a result that was still live (ordering or lost free) */
    uint64_t aligned_reallocs;       /* moving realloc of an over-aligned block (approximated) */
    uint64_t irq_events;
    struct tune_leak *leaks;         /* still allocated at the end, by caller then pointer */
    size_t leak_count;
};

/* Build the model of trace `t` for a firmware whose malloc alignment is
 * `malloc_align` (requests aligned beyond it are over-aligned classes).
 * Failed requests larger than `size_limit`
 * are left out (counted in excluded_large); pass UINT64_MAX to keep all.
 * 0 on success, -1 when out of memory.  Free with tune_model_free. */
int tune_model_build(const struct trace *t, uint64_t malloc_align, uint64_t size_limit,
                     struct tune_model *m);
void tune_model_free(struct tune_model *m);

/* One model for several traces that each run on their own (each trace's
 * blocks still live at its end are freed before the next starts): a pool's
 * peak in it is the largest of its peaks in the parts.  Counters are
 * summed, peaks are the largest, leaks are left out.  0, or -1 when out of
 * memory. */
int tune_model_merge(const struct tune_model *parts, size_t count, struct tune_model *out);

/* ---- Replay: the allocator's semantics on a layout ----------------------- */

struct tune_layout {
    uint64_t malloc_align;                /* the alignment option */
    size_t count;
    uint64_t block[POOLALLOC_TRACE_MAX_POOLS];      /* ascending */
    uint64_t capacity[POOLALLOC_TRACE_MAX_POOLS];
};

struct tune_pool_result {
    uint64_t high_water;       /* most blocks in use at once */
    uint64_t served;           /* allocations this pool served */
    uint64_t spilled_in;       /* of those, requests whose first choice was a smaller pool */
    uint64_t spilled_out;      /* requests whose first choice was this pool, served by a larger one */
    uint64_t failures;         /* requests whose first choice was this pool and that failed */
    uint64_t in_use_at_end;
};

struct tune_replay {
    struct tune_pool_result pool[POOLALLOC_TRACE_MAX_POOLS];
    uint64_t failures;             /* requests the layout could not serve */
    uint64_t failures_no_pool;     /* of those, with no pool large / aligned enough */
    uint64_t invalid;              /* of those, invalid requests (bad alignment, overflow) */
    uint64_t trace_failures;       /* requests that failed in the trace */
    uint64_t disagreements;        /* successful results outside the pool the replay chose
                                    * (only when the trace has pool addresses) */
    /* Occupancy over time, when requested: samples[k * sample_count + i] is
     * the most blocks of pool k in use during the i-th slice of the trace. */
    uint32_t *samples;
    size_t sample_count;
    /* Failures over time, with the samples: fail_samples[k * sample_count + i]
     * counts the requests that failed during slice i with pool k as their
     * first choice; row layout->count those with no pool large or aligned
     * enough, or invalid. */
    uint32_t *fail_samples;
};

/* The layout the trace's header records. */
void tune_recorded_layout(const struct trace *t, struct tune_layout *lay);

/* Replay trace `t` against `layout` with the allocator's rules (first pool
 * large and aligned enough, in place realloc when the block still fits,
 * spill into larger pools when `fallback`).  `compare_addresses` counts
 * disagreements with the recorded results using the trace's pool addresses.
 * With max_samples > 0, fills r->samples (at most max_samples per pool).
 * 0 on success, -1 when out of memory.  Free with tune_replay_free. */
int tune_replay(const struct trace *t, const struct tune_layout *layout, bool fallback,
                bool compare_addresses, size_t max_samples, struct tune_replay *r);
void tune_replay_free(struct tune_replay *r);

/* ---- Compiled replay (search_replay.c): the fallback search's inner loop --- */

/* A trace compiled once for the thousands of replays the fallback search
 * makes: the pointers resolved to object numbers and each request decoded,
 * so that a replay is a walk over steps and a byte per object.  With
 * fallback on, it gives the failures and high waters tune_replay gives. */
struct compiled_step {
    uint8_t kind;          /* enum compiled_kind (search_replay.c) */
    bool reallocf;         /* a failed move frees the old block */
    uint16_t unused;
    uint32_t request;      /* index in the request table: (size, alignment) */
    uint32_t obj, old;     /* the object made, and the one a realloc or free ends */
};

struct compiled_trace {
    struct compiled_step *step;
    size_t count;
    uint32_t objects;
    /* The distinct requests, by size: size[i], and align[i] (0 = malloc's). */
    uint64_t *size, *align;
    uint32_t requests;
};

struct compiled_result {
    uint64_t failures, failures_no_pool, invalid;
    uint64_t pool_failures[POOLALLOC_TRACE_MAX_POOLS];
    uint64_t high_water[POOLALLOC_TRACE_MAX_POOLS];
};

/* 0, or -1 when out of memory.  Free with compiled_trace_free. */
int compiled_trace_init(struct compiled_trace *c, const struct trace *t, uint64_t malloc_align);
void compiled_trace_free(struct compiled_trace *c);
/* Replay with fallback on, on a layout whose blocks ascend (as every
 * layout of the search does).  `obj_pool` is scratch of c->objects bytes,
 * `first` of c->requests entries.
 * Constant memory; O(steps x pools) at worst, O(steps) when the pools
 * that requests try first have room. */
void compiled_replay(const struct compiled_trace *c, const struct tune_layout *lay, uint8_t *obj_pool,
                     uint8_t *first, struct compiled_result *r);
/* For the tests: whether the two replays of a layout of `pools` pools
 * agree (failures, with no pool, invalid; each pool's failures and high
 * water); and 1 if t compiled and replayed on `lay` gives what tune_replay
 * gives with fallback on, 0 if not, -1 when out of memory. */
bool compiled_result_matches(const struct compiled_result *fast, const struct tune_replay *slow, size_t pools);
int compiled_replay_agrees(const struct trace *t, const struct tune_layout *lay);

/* ---- Cost (cost.c): the lookup shape and worst-case instructions -------- */

/* The lookups src/gen_layout.py generates for a layout (its _size_lookup
 * and _address_lookup, ported; configure prints the same). */
struct tune_shape {
    size_t count;                /* pools */
    /* size -> pool: sizes up to size_limit by a size_entries-entry table at
     * granule 2^size_shift with size_steps correction compares; larger
     * sizes one compare per block above the limit (size_compares, the
     * last doubling as the too-large test).  count 1: one compare. */
    uint64_t size_limit;
    unsigned size_shift, size_steps, size_compares;
    size_t size_entries;
    /* pointer -> pool: an addr_entries-entry table at granule 2^addr_shift
     * and addr_steps compares, or (addr_tree) a compare tree of
     * tree_compares compares, addr_steps pool starts sharing a granule. */
    bool addr_tree;
    unsigned addr_shift, addr_steps, tree_compares;
    size_t addr_entries;
};

/* The shape of lay's lookups; exact_size_table: an extra region's (no
 * correction step allowed). */
void tune_layout_shape(const struct tune_layout *lay, bool exact_size_table, struct tune_shape *sh);

/* The model's worst-case instructions per call, the call included, of the
 * default thumbv7m picolibc build (GCC -Os, sync=llsc, checks=fast, no
 * stats) with -Dfallback as given.  free_walk: what checks=fast's
 * confirming walk adds to free per block of the largest pool, when the
 * freed block's second word equals the free mark (a misuse, or user data
 * that matches it by chance). */
struct tune_cost {
    unsigned malloc_worst, free_worst, free_walk_per_block;
    uint64_t free_walk_blocks;   /* the largest capacity */
};
void tune_layout_cost(const struct tune_layout *lay, const struct tune_shape *sh, bool fallback, struct tune_cost *c);

/* ---- Peak tree (peak_tree.c): range add, each leaf's historic maximum ---- */

struct peak_tree {
    size_t leaves;
    struct peak_node {
        int64_t add;     /* pending add of the node's subtree */
        int64_t high;    /* highest prefix sum of the pending adds (>= 0) */
    } *node;             /* side by side: one cache line per node visited */
};

/* A tree of `leaves` counts, all 0.  0, or -1 when out of memory. */
int peak_tree_init(struct peak_tree *t, size_t leaves);
/* Every count and every maximum back to 0. */
void peak_tree_clear(struct peak_tree *t);
void peak_tree_free(struct peak_tree *t);
/* Add `delta` to leaves [from, to). */
void peak_tree_add(struct peak_tree *t, size_t from, size_t to, int64_t delta);
/* Run a walk over leaves [from, to): each rises by `high` (>= 0, the walk's
 * highest point) and ends `delta` above where it started. */
void peak_tree_walk(struct peak_tree *t, size_t from, size_t to, int64_t delta, int64_t high);
/* out[0..leaves): each leaf's historic maximum. */
void peak_tree_collect(struct peak_tree *t, uint64_t *out);

/* PEAK_LANES peak trees walked together (optimise.c: that many rows of
 * pools at once, one pass over the demand instead of one per row): lane r
 * of leaf k counts on its own; a walk goes to lanes [0, lanes) only.
 * Counts fit 32 bits (a trace has fewer records). */
#define PEAK_LANES 16u

struct peak_lanes {
    size_t leaves;
    struct peak_lane_node {
        int32_t add[PEAK_LANES];
        int32_t high[PEAK_LANES];
    } *node;
};

/* Room for up to `leaves` leaves; 0, or -1 when out of memory. */
int peak_lanes_init(struct peak_lanes *t, size_t leaves);
void peak_lanes_free(struct peak_lanes *t);
/* Every count and maximum back to 0, with `leaves` leaves (at most init's). */
void peak_lanes_clear(struct peak_lanes *t, size_t leaves);
/* The walk (delta, high) over leaves [from, leaves) of lanes [0, lanes). */
void peak_lanes_walk_suffix(struct peak_lanes *t, size_t from, int32_t delta, int32_t high, unsigned lanes);
/* out[r * stride + k]: lane r's historic maximum at leaf k. */
void peak_lanes_collect(struct peak_lanes *t, uint64_t *out, size_t stride);

/* ---- Regions (region.c) ---------------------------------------------------- */

/* The sub-trace of region `region` of t: a trace of one region (named as
 * in t) with that region's pools and the events that reached them, so the
 * model, replay and optimisers run on it as on any trace.  Attribution:
 * poolalloc_malloc_in -> the region it asked for (failed or not), turned
 * into malloc (within its region it is one); every other allocation ->
 * region 0; free and realloc of p -> the region p was allocated in (a
 * moving realloc's result stays there), or for a pointer the trace never
 * returned the region whose recorded pool addresses hold it, else region 0;
 * DROPPED and END -> every region.  Integrity counters are t's.  The
 * sub-trace of region 0 of a one-region trace is the trace.  0, or -1 with
 * err (out of memory, no such region); free with trace_free. */
int tune_trace_region(const struct trace *t, unsigned region, struct trace *out, char *err, size_t len);

/* t as a region whose blocks are all multiples of `min` (a power of two)
 * sees it: each allocation request below `min` bytes asks for `min`
 * (0 stays 0), which changes nothing on such blocks and lets the
 * optimiser, run with alignment `min`, propose only such blocks
 * (generate --alignment NAME=A: DMA buffers on whole cache lines). */
void tune_trace_raise_requests(struct trace *t, uint64_t min);

/* "heap, dma, ...": the names of t's regions, for messages, in a buffer
 * of TUNE_REGION_NAMES_LEN bytes (no name is cut short). */
#define TUNE_REGION_NAMES_LEN (POOLALLOC_TRACE_MAX_POOLS * (POOLALLOC_TRACE_REGION_NAME_LEN + 2) + 1)
void tune_region_names(const struct trace *t, char *out, size_t len);

/* Parse a -Dpools list for t's regions (src/gen_layout.py's syntax:
 * BLOCK:CAPACITY entries of the default region, NAME@BLOCK:CAPACITY of
 * region NAME) into lays[0..t->region_count), each checked by
 * tune_parse_layout.  A region of a multi-region trace with no entries gets
 * an empty layout (count 0); the caller says whether that is allowed.
 * 0, or -1 with err (an unknown region, named with the trace's; a bad
 * entry, with its region's name when there are several). */
int tune_parse_region_layouts(const char *text, const struct trace *t, uint64_t alignment, struct tune_layout *lays,
                              char *err, size_t len);

/* ---- Optimiser ------------------------------------------------------------ */

#define TUNE_MAX_CLASSES 8u            /* distinct over-aligned requests handled */

/* The firmware a layout is generated for. */
struct tune_target {
    unsigned pointer_size;
    uint64_t alignment;                /* its -Dalignment */
    uint64_t pool_state_bytes;         /* RAM of each pool's state record (the trace's pool_state_size) */
    size_t max_pools;                  /* at most this many pools; 0 = POOLALLOC_TRACE_MAX_POOLS */
    /* Called now and then by long searches (may be NULL): `done` of `total`
     * steps. */
    void (*progress)(size_t done, size_t total);
};

struct tune_optimum {
    struct tune_layout layout;         /* capacities = peak demand */
    uint64_t peak[POOLALLOC_TRACE_MAX_POOLS];    /* peak live blocks of each pool */
    uint64_t pool_state_bytes;         /* the target's, per pool */
    uint64_t block_bytes;              /* sum of block * capacity */
    uint64_t total_bytes;              /* block_bytes + pool_state_bytes per pool */
};

/* The cheapest layout (block bytes + target->pool_state_bytes per pool) with
 * at most target->max_pools pools in which every request of model `m` is
 * served by the pool the allocator tries first, with capacity = that pool's
 * peak demand.  Returns 0, or -1 with a message in err (too many
 * over-aligned classes, out of memory).  An empty model gives an empty
 * layout. */
int tune_optimise(const struct tune_model *m, const struct tune_target *target, struct tune_optimum *out,
                  char *err, size_t err_len);

/* sum(block * capacity) + pool_state_bytes per pool: a layout's RAM. */
uint64_t tune_layout_bytes(const struct tune_layout *lay, uint64_t pool_state_bytes);

/* o's block_bytes and total_bytes from its layout and pool_state_bytes. */
void tune_count_bytes(struct tune_optimum *o);

/* Spread `budget - o->total_bytes` over the pools of `o`: with headroom_pct
 * < 0, fill the budget (one block at a time to the pool with the least
 * spare capacity relative to its peak); otherwise give each pool
 * ceil(peak * pct / 100) spare blocks, or fill the budget if that does not
 * fit.  Updates o's capacities and totals; returns true if the requested
 * headroom fitted (always true when filling). */
bool tune_headroom(struct tune_optimum *o, uint64_t budget, long headroom_pct);

/* The fallback-aware search (fallback.c): a layout that may rely on
 * spilling into larger pools, verified by replaying each of the traces
 * (m is their model, tune_model_merge's for several), and the
 * lower bound no layout with fallback goes below. */
struct tune_fallback {
    struct tune_optimum optimum;       /* verified: the replay of the trace fails nothing */
    uint64_t lower_bound;              /* bytes, records included */
    unsigned repairs;                  /* replay-and-grow rounds after the bound's layout */
};

/* For `target`, with at most target->max_pools pools.  `seed` (may be
 * NULL): a layout that serves the trace, e.g. tune_optimise's; the result
 * is never dearer than it.  0 on success; 1 when the model has over-aligned
 * requests (err says so: tune_optimise serves them); -1 with err on
 * failure. */
int tune_optimise_fallback(const struct trace *const *traces, size_t trace_count, const struct tune_model *m,
                           const struct tune_target *target,
                           const struct tune_layout *seed, struct tune_fallback *out, char *err, size_t err_len);

#endif /* POOLALLOC_TUNE_H */

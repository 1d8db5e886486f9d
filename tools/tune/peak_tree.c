/* SPDX-License-Identifier: MIT */
/*
 * The peak tree: a segment tree over n leaves, each a running count, with
 * range add and each leaf's historic maximum (the most it has held since
 * the tree was cleared).  Both optimisers use it to get the peaks of many
 * pool candidates in one sweep of the demand: fallback.c for the requests
 * above each candidate, optimise.c for every pool that starts at a given
 * size.
 *
 * Algorithm: lazy propagation with two tags per node, `add` (the sum of the
 * adds pending for the subtree) and `high` (the highest prefix sum of those
 * adds, >= 0).  Composing a parent's pending (add, high) onto a child keeps
 * the child's highest point: high = max(high, add_child + high_parent).
 * Leaves start at 0, so a leaf's historic maximum is its `high` once every
 * tag above it is pushed down.  O(log n) per add, O(n) to collect.
 */
#include <stdlib.h>
#include <string.h>

#include "tune.h"

int peak_tree_init(struct peak_tree *t, size_t leaves)
{
    t->leaves = leaves;
    t->node = calloc(4 * leaves + 4, sizeof *t->node);
    return t->node == NULL ? -1 : 0;
}

void peak_tree_clear(struct peak_tree *t)
{
    memset(t->node, 0, (4 * t->leaves + 4) * sizeof *t->node);
}

void peak_tree_free(struct peak_tree *t)
{
    free(t->node);
    t->node = NULL;
}

static void tag(struct peak_tree *t, size_t node, int64_t add, int64_t high)
{
    struct peak_node *n = &t->node[node];
    if (n->add + high > n->high)
        n->high = n->add + high;
    n->add += add;
}

static void push(struct peak_tree *t, size_t node)
{
    struct peak_node *n = &t->node[node];
    if (n->add == 0 && n->high == 0)
        return;
    tag(t, 2 * node, n->add, n->high);
    tag(t, 2 * node + 1, n->add, n->high);
    n->add = 0;
    n->high = 0;
}

/* Run the walk (delta, high) over leaves [from, to) of the subtree `node`
 * covering [lo, hi). */
static void walk_range(struct peak_tree *t, size_t node, size_t lo, size_t hi, size_t from, size_t to,
                       int64_t delta, int64_t high)
{
    if (to <= lo || hi <= from)
        return;
    if (from <= lo && hi <= to) {
        tag(t, node, delta, high);
        return;
    }
    push(t, node);
    size_t mid = lo + (hi - lo) / 2;
    walk_range(t, 2 * node, lo, mid, from, to, delta, high);
    walk_range(t, 2 * node + 1, mid, hi, from, to, delta, high);
}

/* The walk over the suffix [from, leaves) or the prefix [0, to): one path
 * from the root, tagging the children wholly inside on the way down (the
 * optimisers' walks are all of these shapes; half the nodes of
 * walk_range and no recursion). */
static void walk_suffix(struct peak_tree *t, size_t from, int64_t delta, int64_t high)
{
    size_t node = 1, lo = 0, hi = t->leaves;
    while (from > lo) {                  /* lo < from < hi: split this node */
        push(t, node);
        size_t mid = lo + (hi - lo) / 2;
        if (from < mid) {
            tag(t, 2 * node + 1, delta, high);
            node = 2 * node;
            hi = mid;
        } else {
            node = 2 * node + 1;
            lo = mid;
        }
    }
    tag(t, node, delta, high);
}

static void walk_prefix(struct peak_tree *t, size_t to, int64_t delta, int64_t high)
{
    size_t node = 1, lo = 0, hi = t->leaves;
    while (to < hi) {                    /* lo < to < hi: split this node */
        push(t, node);
        size_t mid = lo + (hi - lo) / 2;
        if (to > mid) {
            tag(t, 2 * node, delta, high);
            node = 2 * node + 1;
            lo = mid;
        } else {
            node = 2 * node;
            hi = mid;
        }
    }
    tag(t, node, delta, high);
}

void peak_tree_walk(struct peak_tree *t, size_t from, size_t to, int64_t delta, int64_t high)
{
    if (from >= to || t->leaves == 0)
        return;
    if (to >= t->leaves && from > 0)
        walk_suffix(t, from, delta, high);
    else if (from == 0)
        walk_prefix(t, to < t->leaves ? to : t->leaves, delta, high);
    else
        walk_range(t, 1, 0, t->leaves, from, to, delta, high);
}

void peak_tree_add(struct peak_tree *t, size_t from, size_t to, int64_t delta)
{
    peak_tree_walk(t, from, to, delta, delta > 0 ? delta : 0);
}

static void collect(struct peak_tree *t, size_t node, size_t lo, size_t hi, uint64_t *out)
{
    if (hi - lo == 1) {
        out[lo] = (uint64_t)t->node[node].high;
        return;
    }
    push(t, node);
    size_t mid = lo + (hi - lo) / 2;
    collect(t, 2 * node, lo, mid, out);
    collect(t, 2 * node + 1, mid, hi, out);
}

void peak_tree_collect(struct peak_tree *t, uint64_t *out)
{
    if (t->leaves > 0)
        collect(t, 1, 0, t->leaves, out);
}

/* ---- Lanes: PEAK_LANES trees in one, for as many rows of optimise.c ------- */

int peak_lanes_init(struct peak_lanes *t, size_t leaves)
{
    t->leaves = leaves;
    t->node = calloc(4 * leaves + 4, sizeof *t->node);
    return t->node == NULL ? -1 : 0;
}

void peak_lanes_free(struct peak_lanes *t)
{
    free(t->node);
    t->node = NULL;
}

void peak_lanes_clear(struct peak_lanes *t, size_t leaves)
{
    t->leaves = leaves;
    memset(t->node, 0, (4 * leaves + 4) * sizeof *t->node);
}

/* tag() on lanes [0, lanes) of a node; the others get the walk (0, 0),
 * which changes nothing (high >= add always holds), so the loop has no
 * branch and the compiler runs the lanes side by side. */
static void tag_lanes(struct peak_lane_node *n, int32_t add, int32_t high, unsigned lanes)
{
    for (unsigned r = 0; r < PEAK_LANES; r++) {
        int32_t on = r < lanes, a = add * on, h = high * on;
        int32_t top = n->add[r] + h;
        n->high[r] = top > n->high[r] ? top : n->high[r];
        n->add[r] += a;
    }
}

static void push_lanes(struct peak_lanes *t, size_t node)
{
    struct peak_lane_node *n = &t->node[node], *c = &t->node[2 * node];
    for (unsigned side = 0; side < 2; side++, c++)
        for (unsigned r = 0; r < PEAK_LANES; r++) {
            int32_t top = c->add[r] + n->high[r];
            c->high[r] = top > c->high[r] ? top : c->high[r];
            c->add[r] += n->add[r];
        }
    memset(n, 0, sizeof *n);
}

void peak_lanes_walk_suffix(struct peak_lanes *t, size_t from, int32_t delta, int32_t high, unsigned lanes)
{
    size_t node = 1, lo = 0, hi = t->leaves;
    if (from >= hi)
        return;
    while (from > lo) {                  /* lo < from < hi: split this node */
        push_lanes(t, node);
        size_t mid = lo + (hi - lo) / 2;
        if (from < mid) {
            tag_lanes(&t->node[2 * node + 1], delta, high, lanes);
            node = 2 * node;
            hi = mid;
        } else {
            node = 2 * node + 1;
            lo = mid;
        }
    }
    tag_lanes(&t->node[node], delta, high, lanes);
}

static void collect_lanes(struct peak_lanes *t, size_t node, size_t lo, size_t hi, uint64_t *out, size_t stride)
{
    if (hi - lo == 1) {
        for (unsigned r = 0; r < PEAK_LANES; r++)
            out[r * stride + lo] = (uint64_t)t->node[node].high[r];
        return;
    }
    push_lanes(t, node);
    size_t mid = lo + (hi - lo) / 2;
    collect_lanes(t, 2 * node, lo, mid, out, stride);
    collect_lanes(t, 2 * node + 1, mid, hi, out, stride);
}

void peak_lanes_collect(struct peak_lanes *t, uint64_t *out, size_t stride)
{
    if (t->leaves > 0)
        collect_lanes(t, 1, 0, t->leaves, out, stride);
}

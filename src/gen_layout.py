#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Validate a poolalloc pool layout and generate the code that encodes it.

Run by meson.build at configure time: first with --emit check (prints the
layout, or an error that names the bad entry and what would be valid, exit
1), then once for all four generated files (--emit all --outdir DIR: the
source on stdout, for meson's configure_file to capture, and the other files
of EMITTED written into DIR; the product and every variant of the library),
or once per file (--emit header|source|ldscript|public, on stdout).
--emit largest-block prints the default region's largest block (the tests
ask for it rather than parse the pools themselves).

Layout rules (doc/design.md, "Layout rules"):
  * each entry is BLOCK:CAPACITY, decimal, both > 0, blocks distinct;
  * a block is at least one pointer (the free list lives in free blocks);
  * with alignment A: a block >= A is a multiple of A, a block < A is a power
    of two, so every block is aligned to gcd(A, block) -- enough for any
    object that fits it.

Placement: pools are numbered by block size (the size lookup relies on it)
but placed in memory by natural alignment (the largest power of two dividing
the block), the most aligned pool at the bottom of the region, starting at
the heap start rounded up to that alignment.  Every pool's byte size is a
multiple of the alignment of all pools above it, so the pools sit back to
back with no padding and each pool starts naturally aligned: a pool of
64-byte blocks serves memalign(64).  Anchoring at the heap start leaves the
unused part of the region at its top, between the pools and the stack that
usually sits above the heap: a stack that overruns its reservation first
runs into that gap, not into live blocks.  The price is the padding below
the first pool (at most its alignment minus one byte, as the heap start
follows .bss); the layout summary states the bound.  The pointer -> pool
table is unchanged by the direction: its granule is the largest power of two
dividing every pool boundary and the total, the same set of distances seen
from either end.
"""

import argparse
import bisect
import os
import re
import sys
import zlib

MAX_LOOKUP_ENTRIES = 256   # bytes of flash we accept for the size table
MAX_ADDRESS_STEPS = 2      # beyond, a compare tree over the pool starts is shorter
MAX_POOLS = 255            # pool indices are uint8_t in the size table

ENTRY_RE = re.compile(r'^([0-9]+):([0-9]+)$')
MAX_DIGITS = 20            # more cannot be a size on any target; int() of
                           # thousands of digits is slow and Python refuses it
# What ld accepts unquoted as a symbol in an expression (no '-': in
# `__heap_end - 16` it would join the name).
SYMBOL_RE = re.compile(r'^[A-Za-z_.$][A-Za-z0-9_.$]*$')


class LayoutError(Exception):
    pass


def is_pow2(x):
    return x > 0 and (x & (x - 1)) == 0


def natural_alignment(block):
    return block & -block


def nearest_valid_blocks(block, alignment, ptr_size, max_block):
    """The valid block sizes just below and above an invalid one, computed
    (not searched: with a 1 GiB alignment a search takes minutes).  Valid:
    at least a pointer; a multiple of the alignment, or below it a power of
    two."""
    multiple = (block - 1) // alignment * alignment
    if multiple >= alignment:
        below = multiple
    else:
        below = 1 << ((min(block, alignment) - 1).bit_length() - 1) if block > 1 else 0
    if block < alignment:
        above = max(ptr_size, 1 << block.bit_length())
    else:
        above = (block // alignment + 1) * alignment
    return [b for b in (below, above) if ptr_size <= b <= max_block]


def shown(entry):
    """An entry as a message quotes it: a runaway one is cut short."""
    return entry if len(entry) <= 40 else entry[:24] + '...(%d characters)' % len(entry)


# Names that match SYMBOL_RE but are no symbol in a linker-script
# expression: '.', the location counter (pools placed from it land on top of
# whatever section the script is in, e.g. .text), SIZEOF_HEADERS (a number),
# and the keywords GNU ld 2.40 parses as syntax in `ALIGN(NAME, 8)` (each
# tried: "syntax error"; MEMORY's own words l, len, o, org are symbols there).
LD_NOT_SYMBOLS = frozenset(""". SIZEOF_HEADERS ABSOLUTE ADDR ALIGN ALIGNOF ALIGN_WITH_INPUT ASSERT AT BLOCK
    CONSTANT COPY DATA_SEGMENT_ALIGN DATA_SEGMENT_END DATA_SEGMENT_RELRO_END DEFINED DSECT HIDDEN INCLUDE
    INFO LENGTH LOADADDR LOG2CEIL MAX MIN NEXT NOCROSSREFS NOCROSSREFS_TO NOLOAD ONLY_IF_RO ONLY_IF_RW
    ORIGIN OVERLAY PROVIDE PROVIDE_HIDDEN SEGMENT_START SIZEOF SPECIAL SUBALIGN""".split())


def check_symbol(option, name):
    """A heap or stack symbol option must be one linker symbol name: raises
    LayoutError naming the option otherwise ('.' and ld's keywords included)."""
    if not SYMBOL_RE.fullmatch(name):
        raise LayoutError("%s '%s' is not a linker symbol name: letters, digits, '_', '.' and '$', "
                          "not starting with a digit (e.g. __heap_end); map another symbol or an "
                          "expression to it with -Wl,--defsym" % (option, name.replace('\n', ' ')))
    if name in LD_NOT_SYMBOLS:
        raise LayoutError("%s '%s' is not a linker symbol name but %s of the linker script language: "
                          "name the symbol that bounds the region (e.g. __heap_end), or map one to it with "
                          "-Wl,--defsym" % (option, name, 'the location counter' if name == '.' else 'a keyword'))


# What --emit writes, and the file each goes to.
EMITTED = {'source': 'pool_layout.c', 'header': 'pool_layout.h', 'public': 'poolalloc_regions.h',
           'ldscript': 'poolalloc.ld'}
DEFAULT_REGION = 'heap'      # the region malloc serves, on the heap symbols; a trace names it so
                             # (POOLALLOC_TRACE_DEFAULT_REGION, include/poolalloc_trace.h)
REGION_NAME_RE = re.compile(r'^[a-z][a-z0-9_]*$')
REGION_NAME_MAX = 30         # a trace records it in 30 bytes (src/trace.c asserts the match)
TAGGED_RE = re.compile(r'^([^@]*)@(.*)$')


def parse_regions(entries, heap_start, heap_end):
    """The regions: the default one on the heap symbols, then each
    NAME:START_SYMBOL:END_SYMBOL entry.  Returns [(name, start, end)]."""
    regions = [(DEFAULT_REGION, heap_start, heap_end)]
    for e in [e.strip() for e in entries if e.strip() != '']:
        parts = e.split(':')
        if len(parts) != 3:
            raise LayoutError("regions entry '%s' is not NAME:START_SYMBOL:END_SYMBOL "
                              "(e.g. dma:__dma_start:__dma_end)" % shown(e))
        name, start, end = parts
        if not REGION_NAME_RE.fullmatch(name):
            raise LayoutError("regions entry '%s': region name '%s' is not lower-case letters, digits "
                              "and '_' starting with a letter (it names POOLALLOC_REGION_%s)"
                              % (shown(e), shown(name), shown(name).upper()))
        if name == 'count':
            raise LayoutError("regions entry '%s': region name 'count' is reserved (POOLALLOC_REGION_COUNT "
                              "is the number of regions)" % shown(e))
        if len(name) > REGION_NAME_MAX:
            raise LayoutError("regions entry '%s': region name '%s' is longer than %d characters"
                              % (shown(e), shown(name), REGION_NAME_MAX))
        if name in [r[0] for r in regions]:
            raise LayoutError("regions entry '%s': region '%s' is named twice (the default region, on "
                              "the heap symbols, is '%s')" % (shown(e), name, DEFAULT_REGION))
        check_symbol("regions entry '%s': start symbol" % shown(e), start)
        check_symbol("regions entry '%s': end symbol" % shown(e), end)
        regions.append((name, start, end))
    return regions


def split_pools(entries, region_names):
    """Pool entries by region: NAME@BLOCK:CAPACITY goes to region NAME, an
    untagged entry to the default region.  Every region needs a pool."""
    by_region = {name: [] for name in region_names}
    for e in [e.strip() for e in entries if e.strip() != '']:
        m = TAGGED_RE.match(e)
        name, entry = (m.group(1), m.group(2)) if m else (DEFAULT_REGION, e)
        if name not in by_region:
            raise LayoutError("pools entry '%s': unknown region '%s'; the regions are %s (-Dregions)"
                              % (shown(e), shown(name), ', '.join(region_names)))
        by_region[name].append(entry)
    for name in region_names[1:]:
        if not by_region[name]:
            raise LayoutError("region '%s' has no pools: add %s@BLOCK:CAPACITY entries to -Dpools "
                              "or drop the region" % (name, name))
    return by_region


def parse_pools(entries, alignment, ptr_size, addr_bits=32):
    """Parse and validate the entries; return [(block, capacity)] sorted by block.

    Raises LayoutError with a message that names the entry and the fix."""
    if not is_pow2(alignment) or alignment < ptr_size:
        raise LayoutError('alignment %d: must be a power of two and at least the pointer size '
                          '(%d); AAPCS max_align_t is 8' % (alignment, ptr_size))
    # A block is a C object of at least `alignment` bytes, and no object may
    # exceed PTRDIFF_MAX (2^(bits-1) - 1): the largest power of two that
    # fits is 2^(bits-2), 1 GiB on a 32-bit target.
    max_object = 2 ** (addr_bits - 1) - 1
    if alignment > (max_object + 1) // 2:
        raise LayoutError('alignment %d is more than a %d-bit target allows: a block is at least the '
                          'alignment and no object can exceed PTRDIFF_MAX (%d bytes), so the largest '
                          'alignment is %d; AAPCS max_align_t is 8'
                          % (alignment, addr_bits, max_object, (max_object + 1) // 2))
    entries = [e.strip() for e in entries]
    entries = [e for e in entries if e != '']
    if not entries:
        raise LayoutError("pools is empty: give at least one BLOCK:CAPACITY entry, "
                          "e.g. -Dpools=16:32,64:8")
    if len(entries) > MAX_POOLS:
        raise LayoutError('pools has %d entries; at most %d pools are supported' % (len(entries), MAX_POOLS))
    seen = {}
    pools = []
    for e in entries:
        m = ENTRY_RE.match(e)
        if not m:
            raise LayoutError("pools entry '%s' is not BLOCK:CAPACITY with decimal numbers "
                              "(e.g. 32:16 = sixteen 32-byte blocks)" % shown(e))
        if max(len(m.group(1)), len(m.group(2))) > MAX_DIGITS:
            raise LayoutError("pools entry '%s': a number of %d digits; a block or capacity must fit "
                              "the %d-bit address space" % (shown(e), max(len(m.group(1)), len(m.group(2))),
                                                           min(addr_bits, 32)))
        block, cap = int(m.group(1)), int(m.group(2))
        if block > max_object:
            raise LayoutError("pools entry '%s': block %d is larger than any object can be on a %d-bit "
                              "target (PTRDIFF_MAX, %d bytes)" % (e, block, addr_bits, max_object))
        if block == 0:
            raise LayoutError("pools entry '%s': block size 0; the smallest valid block is %d "
                              "(one pointer)" % (e, ptr_size))
        if cap == 0:
            raise LayoutError("pools entry '%s': capacity 0; a pool needs at least one block "
                              "(drop the entry instead)" % e)
        if block < ptr_size:
            raise LayoutError("pools entry '%s': block %d is smaller than a pointer; the smallest "
                              "valid block is %d" % (e, block, ptr_size))
        if block in seen:
            raise LayoutError("pools entry '%s' repeats block size %d of entry '%s'; merge them "
                              "into %d:%d" % (e, block, seen[block], block, cap + int(seen[block].split(':')[1])))
        if block >= alignment and block % alignment != 0:
            lower = max(ptr_size, natural_alignment(block))
            raise LayoutError("pools entry '%s': block %d is not a multiple of the alignment %d; "
                              "nearest valid blocks: %s%s"
                              % (e, block, alignment, ' or '.join(map(str, nearest_valid_blocks(block, alignment, ptr_size, max_object))),
                                 ' (or lower -Dalignment to %d)' % lower if lower < alignment else ''))
        if block < alignment and not is_pow2(block):
            raise LayoutError("pools entry '%s': block %d is below the alignment %d and not a power "
                              "of two, so its blocks would be misaligned; nearest valid blocks: %s"
                              % (e, block, alignment, ' or '.join(map(str, nearest_valid_blocks(block, alignment, ptr_size, max_object)))))
        seen[block] = e
        pools.append((block, cap))
    pools.sort()
    total = sum(b * c for b, c in pools)
    # Offsets into the region are 32-bit in the C code (the divide-free
    # block tests), so a host build is held to 4 GiB too.
    bits = min(addr_bits, 32)
    if total >= 2 ** bits:
        raise LayoutError('pools need %d bytes, more than a %d-bit address space' % (total, bits))
    return pools


class Layout:
    """Everything the generated files say, computed once."""

    def __init__(self, pools, alignment, exact_size_table=False):
        self.exact_size_table = exact_size_table   # no correction step (extra regions)
        self.pools = pools                     # [(block, capacity)] by block size
        self.alignment = alignment
        self.count = len(pools)
        self.max_block = pools[-1][0]
        self.pool_align = [natural_alignment(b) for b, _ in pools]
        self.base_align = max([alignment] + self.pool_align)
        # Physical order, bottom to top: decreasing natural alignment, so the
        # pools sit back to back with no padding and each starts naturally
        # aligned.  Within one alignment the order is free: the pointer ->
        # pool lookup picks the one that needs the fewest compares and the
        # smallest table (_address_lookup).
        self.addr_steps, self.addr_shift, self.addr_table, order = self._address_lookup()
        self.offset = self._offsets(order)
        self.total = sum(b * c for b, c in pools)
        for k in order:
            # The base is aligned to base_align; the distance up to each pool
            # start is a multiple of that pool's alignment.
            assert self.offset[k] % self.pool_align[k] == 0
        self.physical = order
        # The pool just below each pool in memory (itself for the bottom one):
        # the pointer lookup steps down to it.
        self.below = [0] * self.count
        for lower, upper in zip(order, order[1:]):
            self.below[upper] = lower
        self.below[order[0]] = order[0]
        self.field_bits = 16 if max([self.total] + [max(b, c) for b, c in pools]) <= 0xffff else 32
        self.size_limit, self.shift, self.steps, self.lookup = self._size_lookup()

    def _lookup_for_shift(self, limit, s):
        """The size table for sizes 0..limit at granule 2^s, indexed by
        ceil(size / 2^s) = (size + 2^s - 1) >> s (entry 0 holds size 0: pool
        0), and its worst number of correction steps.  O(table entries *
        log pools): the worst size of a bucket is its last one, so no size is
        enumerated (blocks can be huge)."""
        blocks = [b for b, _ in self.pools]
        entries = ((limit + (1 << s) - 1) >> s) + 1
        table = [0] + [bisect.bisect_left(blocks, ((i - 1) << s) + 1) for i in range(1, entries)]
        steps = 0
        for i, k in enumerate(table):
            last = min(i << s, limit)
            steps = max(steps, bisect.bisect_left(blocks, last) - k)
        return table, steps

    def _size_lookup(self):
        """Size -> pool.  The table spans the sizes up to one block, the
        `limit` (by default the second-largest); each larger block takes one
        compare (the last pool's compare doubles as the too-large test), so a
        very large last block costs nothing.  Every block up to the limit is a
        multiple of its natural alignment, so at the granule of the smallest
        such alignment the table is exact (no correction step).  When that
        table would exceed MAX_LOOKUP_ENTRIES, the granule doubles until it
        fits, and each doubling may add a correction step (a compare with the
        block size) -- or a lower limit leaves more blocks to compares.  The
        fewest compares on the worst path win, then the smallest table.
        Returns (limit, shift, steps, table); limit 0: no table."""
        if self.count == 1:
            return 0, 0, 0, []
        best = None
        for j in range(self.count - 2, -1, -1):
            limit = self.pools[j][0]
            above = self.count - 2 - j  # compares for the blocks above the limit, but the last
            exact = min(self.pool_align[:j + 1]).bit_length() - 1
            for s in range(exact, limit.bit_length() + 1):
                if ((limit + (1 << s) - 1) >> s) + 1 > MAX_LOOKUP_ENTRIES:
                    continue
                table, steps = self._lookup_for_shift(limit, s)
                if steps > 0 and self.exact_size_table:
                    continue
                key = (max(steps, above), steps + above, len(table))
                if best is None or key < best[0]:
                    best = (key, (limit, s, steps, table))
                if steps == 0:
                    break
            if best is not None and best[0][0] == 0:
                break
        if best is None:  # exact_size_table and no exact table fits: compares only
            return 0, 0, 0, []
        return best[1]

    def _offsets(self, order):
        """Offset of each pool (by index) when placed back to back in `order`."""
        offset, off = [0] * self.count, 0
        for k in order:
            offset[k] = off
            off += self.pools[k][0] * self.pools[k][1]
        return offset

    def _orders(self):
        """Candidate physical orders: decreasing natural alignment (no
        padding, every pool naturally aligned), and within one alignment
        by block, by size in bytes either way, and the small pools spread
        between the large ones -- a pool smaller than a granule puts two
        boundaries in one granule unless a large one follows it."""
        classes = {}
        for k in range(self.count):
            classes.setdefault(self.pool_align[k], []).append(k)
        nbytes = [b * c for b, c in self.pools]

        def spread(ks):
            ks = sorted(ks, key=lambda k: nbytes[k])
            small, large = ks[:len(ks) // 2], ks[len(ks) // 2:][::-1]
            out = []
            for i in range(max(len(small), len(large))):
                out += large[i:i + 1] + small[i:i + 1]
            return out
        keys = [lambda ks: sorted(ks), lambda ks: sorted(ks, key=lambda k: nbytes[k]),
                lambda ks: sorted(ks, key=lambda k: -nbytes[k]), spread,
                lambda ks: spread(ks)[::-1]]
        orders = []
        for key in keys:
            order = [k for a in sorted(classes, reverse=True) for k in key(classes[a])]
            if order not in orders:
                orders.append(order)
        return orders

    def _address_lookup(self):
        """Pointer -> pool, for free: a byte table indexed by offset >> a
        names the pool that holds the last byte of each 2^a granule; when
        pool starts lie inside a granule, a compare with the named pool's
        start steps down to the pool below it, once per start inside (the
        `steps`: 0 when every start is a multiple of the granule).  Tried for
        every candidate order and granule with at most MAX_LOOKUP_ENTRIES
        entries; the fewest steps win (speed first: free does one), then
        the smallest table.  Returns
        (steps, shift, table, order); a single pool needs no table."""
        orders = self._orders()
        if self.count == 1:
            return 0, 0, None, orders[0]
        total = sum(b * c for b, c in self.pools)
        best = None
        for order in orders:
            offset = self._offsets(order)
            starts = sorted(offset)
            for a in range(max(0, (total - 1).bit_length() - MAX_LOOKUP_ENTRIES.bit_length() + 1),
                           total.bit_length() + 1):
                entries = (total + (1 << a) - 1) >> a
                if entries > MAX_LOOKUP_ENTRIES:
                    continue
                inside = {}
                for s in starts:
                    if s & ((1 << a) - 1):
                        inside[s >> a] = inside.get(s >> a, 0) + 1
                steps = max(inside.values(), default=0)
                key = (steps, entries)
                if best is None or key < best[0]:
                    table, k = [], 0
                    by_start = sorted(range(self.count), key=lambda j: offset[j])
                    for g in range(entries):
                        last = min(((g + 1) << a) - 1, total - 1)
                        while k + 1 < self.count and offset[by_start[k + 1]] <= last:
                            k += 1
                        table.append(by_start[k])
                    best = (key, (steps, a, table, order))
        steps, a, table, order = best[1]
        if steps > MAX_ADDRESS_STEPS:   # a compare tree is shorter
            return steps, 0, None, order
        return best[1]
    def size_lookup_summary(self):
        if self.count == 1:
            return 'size lookup: one pool, one compare'
        above = sum(1 for b, _ in self.pools if b > self.size_limit)
        return ('size lookup: sizes up to %d by a %d-entry table (granule %d), %d correction step(s); '
                'larger sizes: %d compare(s)'
                % (self.size_limit, len(self.lookup), 1 << self.shift, self.steps, above))

    def address_lookup_summary(self):
        if self.count == 1:
            return 'pointer lookup: one pool, one compare'
        if self.addr_table is None:
            return ('pointer lookup: compare tree, at most %d compares (%d pools smaller than a granule '
                    'of a %d-entry table share one; each would cost a compare)'
                    % ((self.count - 1).bit_length(), self.addr_steps, MAX_LOOKUP_ENTRIES))
        why = ''
        if self.addr_steps > 1:
            why = (' (a pool smaller than the granule shares it with %d other pool starts; a larger '
                   'table would exceed %d entries)' % (self.addr_steps - 1, MAX_LOOKUP_ENTRIES))
        return ('pointer lookup: %d-entry table (granule %d bytes), %d compare(s)%s'
                % (len(self.addr_table), 1 << self.addr_shift, self.addr_steps, why))

    def summary(self, region=None, first=0):
        where = 'the heap start' if region is None else "region %s's start" % region
        lines = ['poolalloc layout%s: %d pools, %d bytes, from %s rounded up to %d '
                 '(at most %d bytes of padding below the pools)'
                 % ('' if region is None else ' of region ' + region, self.count, self.total, where,
                    self.base_align, self.base_align - 1)]
        lines.append('  %-4s %8s %9s %10s %9s %8s' % ('pool', 'block', 'capacity', 'bytes', 'offset', 'aligned'))
        for k, (b, c) in enumerate(self.pools):
            lines.append('  %-4d %8d %9d %10d %9d %8d' % (first + k, b, c, b * c, self.offset[k], self.pool_align[k]))
        lines.append('  malloc alignment %d; %s' % (self.alignment, self.size_lookup_summary()))
        lines.append('  %s' % self.address_lookup_summary())
        return '\n'.join(lines)


GENERATED = '/* Generated by src/gen_layout.py from -Dpools=%s: do not edit. */\n'


def block_test(block):
    """(inverse, limit, shift) of the divide-free block-boundary test: with
    block = 2^shift * q, q odd, an offset n < 2^32 is a multiple of block iff
    rotr32(n * inverse, shift) <= limit, and that value is then n / block."""
    shift = (block & -block).bit_length() - 1
    odd = block >> shift
    inverse = pow(odd, -1, 1 << 32)
    return inverse, (2 ** 32 - 1) // block, shift


def table_lines(values):
    return ['    ' + ', '.join('%d' % v for v in values[i:i + 16]) + ',' for i in range(0, len(values), 16)]


class Region:
    """One region: its name, bounding symbols, layout, and the global index
    of its first pool (pools are numbered region by region, by block size
    within a region, so a region's pools are one index range)."""

    def __init__(self, name, start, end, lay, first):
        self.name, self.start, self.end, self.lay, self.first = name, start, end, lay, first
        self.stop = first + lay.count                  # one past its last pool
        # Suffixes of the region's generated names (region 0: none).  Two
        # underscores: no suffix is a word of another generated name, which
        # one underscore would allow (region 'align': POOL_BASE_ALIGN).
        self.macro = '' if first == 0 else '__' + name.upper()
        self.func = '' if first == 0 else '__' + name


def emit_offset_lookup(r):
    """pool_index_of_offset<func>(off): region offset -> global pool index."""
    lay, out = r.lay, []
    out.append('/* Pool that holds region offset `off` (POOL_COUNT when outside the pools):')
    out.append(' * %s. */' % lay.address_lookup_summary())
    if lay.addr_table is not None:
        out.append("#define POOL_ADDRESS_STEPS%s %du" % (r.macro, lay.addr_steps))
        out.append('#define POOL_ADDRESS_SHIFT%s %du' % (r.macro, lay.addr_shift))
        out.append('#define POOL_ADDRESS_ENTRIES%s %du' % (r.macro, len(lay.addr_table)))
        out.append('extern const uint8_t pool_address_lookup%s[POOL_ADDRESS_ENTRIES%s];' % (r.func, r.macro))
    out.append('POOL_INLINE unsigned pool_index_of_offset%s(size_t off)\n{' % r.func)
    out.append('    if (off >= POOL_REGION_BYTES%s)\n        return POOL_COUNT;' % r.macro)
    if lay.count == 1:
        out.append('    return %du;' % r.first)
    elif lay.addr_table is None:
        def tree(lo, hi, indent):
            pad = '    ' * indent
            if hi - lo == 1:
                return ['%sreturn %du;' % (pad, r.first + lay.physical[lo])]
            mid = (lo + hi) // 2
            bound = lay.offset[lay.physical[mid]]
            return (['%sif (off < %du) {' % (pad, bound)] + tree(lo, mid, indent + 1) +
                    ['%s} else {' % pad] + tree(mid, hi, indent + 1) + ['%s}' % pad])
        out.extend(tree(0, lay.count, 1))
    else:
        out.append('    const uint8_t *entry = &pool_address_lookup%s[off >> POOL_ADDRESS_SHIFT%s];' % (r.func, r.macro))
        out.append('    unsigned k = *entry;')
        out.append('    POOL_ASSUME(k < POOL_COUNT);')
        for _ in range(lay.addr_steps):
            out.append('    if (off < pool_geometry.offset[k])')
            out.append('        k = pool_geometry.below[k]; /* a pool start inside the granule */')
        if lay.addr_steps:
            out.append('    POOL_ASSUME(k < POOL_COUNT);')
        out.append('    return k;')
    out.append('}\n')
    return out


def emit_large_size_lookup(r, name):
    """One compare per block above the size table's limit."""
    out = ['POOL_INLINE unsigned %s(size_t size)\n{' % name]
    for k, (b, _) in enumerate(r.lay.pools):
        if b > r.lay.size_limit:
            out.append('    if (size <= %du)\n        return %du;' % (b, r.first + k))
    return out


def emit_extra_region(r):
    """An extra region's constants, base, and its two lookups; its size
    table is exact (Layout(exact_size_table=True)), so the size lookup needs
    no block sizes and lives here, complete."""
    lay, m, f = r.lay, r.macro, r.func
    out = ['/* ---- Region %s (%s..%s): pools %d..%d ---- */'
           % (r.name, r.start, r.end, r.first, r.stop - 1)]
    out.append('#define POOL_REGION_BYTES%s %du' % (m, lay.total))
    out.append('#define POOL_BASE_ALIGN%s %du' % (m, lay.base_align))
    out.append('#if POOLALLOC_HOST_REGION')
    out.append('extern char poolalloc_host_region%s[];' % f)
    out.append('#define POOL_BASE%s (poolalloc_host_region%s)' % (m, f))
    out.append('#else')
    out.append('extern char __poolalloc_base%s[];' % f)
    out.append('#define POOL_BASE%s (__poolalloc_base%s)' % (m, f))
    out.append('#endif')
    out.append('/* %s */' % lay.size_lookup_summary())
    if lay.lookup:
        out.append('extern const uint8_t pool_size_lookup%s[%d];' % (f, len(lay.lookup)))
    out.extend(emit_large_size_lookup(r, 'pool_for_size%s' % f)[:1])
    if lay.lookup:
        out.append('    if (size <= %du)\n        return pool_size_lookup%s[(size + %du) >> %du];'
                   % (lay.size_limit, f, (1 << lay.shift) - 1, lay.shift))
    out.extend(emit_large_size_lookup(r, '')[1:])
    out.append('    return POOL_COUNT;\n}\n')
    out.extend(emit_offset_lookup(r))
    return out


def emit_region_dispatch(regions):
    """Multi-region only: region of a pool, base of a pool, end of a region,
    size -> pool in an extra region, address -> pool over all regions: a
    compare (or switch case) per region, each O(1)."""
    extra = regions[1:]
    out = ['/* ---- Across regions: one compare or case per region ---- */']
    out.append('POOL_INLINE unsigned pool_region_of(unsigned k)\n{')
    for r in regions[:-1]:
        out.append('    if (k < %du)\n        return %du;' % (r.stop, regions.index(r)))
    out.append('    return %du;\n}\n' % (len(regions) - 1))
    out.append('POOL_INLINE char *pool_base_of(unsigned k)\n{')
    for r in regions[:-1]:
        out.append('    if (k < %du)\n        return POOL_BASE%s;' % (r.stop, r.macro))
    out.append('    return POOL_BASE%s;\n}\n' % regions[-1].macro)
    out.append('/* One past the last pool of region `region` (0: no such region). */')
    out.append('POOL_INLINE unsigned pool_region_end(unsigned region)\n{\n    switch (region) {')
    for i, r in enumerate(regions):
        out.append('    case %du:\n        return %du;' % (i, r.stop))
    out.append('    default:\n        return 0u;\n    }\n}\n')
    out.append('/* Size -> pool in region `region` >= 1 (POOL_COUNT: too large, or no such')
    out.append(' * region); region 0 is pool_for_size() (src/pool.h). */')
    out.append('POOL_INLINE unsigned pool_for_size_in_extra(unsigned region, size_t size)\n{\n    switch (region) {')
    for i, r in enumerate(extra, 1):
        out.append('    case %du:\n        return pool_for_size%s(size);' % (i, r.func))
    out.append('    default:\n        return POOL_COUNT;\n    }\n}\n')
    out.append('/* Pool of address `a` in any region (POOL_COUNT: outside every pool). */')
    out.append('POOL_INLINE unsigned pool_index_of_address(uintptr_t a)\n{')
    for r in regions:
        out.append('    if (a - (uintptr_t)POOL_BASE%s < POOL_REGION_BYTES%s)' % (r.macro, r.macro))
        out.append('        return pool_index_of_offset%s(a - (uintptr_t)POOL_BASE%s);' % (r.func, r.macro))
    out.append('    return POOL_COUNT;\n}\n')
    return out


def emit_header(regions, pools_arg):
    lay = regions[0].lay
    all_pools = [p for r in regions for p in r.lay.pools]
    out = [GENERATED % pools_arg]
    out.append('#ifndef POOL_LAYOUT_H\n#define POOL_LAYOUT_H\n')
    out.append('#include <stddef.h>\n#include <stdint.h>\n')
    out.append('#ifndef POOL_INLINE\n#define POOL_INLINE static inline\n#endif')
    out.append('#ifndef POOL_ASSUME\n#define POOL_ASSUME(fact) ((void)0)\n#endif\n')
    out.append('#define POOL_COUNT %du' % len(all_pools))
    if len(regions) > 1:
        out.append('/* Regions (-Dregions); region 0, whose names have no suffix, serves malloc. */')
    out.append('#define POOL_REGION_COUNT %du' % len(regions))
    out.append('#define POOL_REGION_NAMES { %s }' % ', '.join('"%s"' % r.name for r in regions))
    out.append('#define POOL_DEFAULT_END %du' % regions[0].stop)
    out.append('#define POOL_MAX_BLOCK %du' % lay.max_block)
    out.append('#define POOL_MIN_BLOCK %du' % min(b for r in regions for b, _ in r.lay.pools))
    out.append('#define POOL_MAX_CAPACITY %du' % max(c for r in regions for _, c in r.lay.pools))
    text = ','.join('%d:%d' % p for r in regions for p in r.lay.pools)
    out.append('/* checks=fast: the second word of a free block (src/pool_checks.h); from the')
    out.append(' * layout, so that it differs from build to build, and odd: never a pointer. */')
    out.append('#define POOL_FREE_MARK ((uintptr_t)0x%08xu)' % ((zlib.crc32(text.encode()) ^ 0xa5f00f5a) | 1))
    out.append('#define POOL_REGION_BYTES %du' % lay.total)
    out.append('#define POOL_BASE_ALIGN %du' % lay.base_align)
    out.append('#define POOL_MALLOC_ALIGN %du' % lay.alignment)
    out.append('/* Block sizes, capacities and pool offsets fit this many bits. */')
    out.append('#define POOL_FIELD_BITS %du' % max(r.lay.field_bits for r in regions))
    out.append('/* %s */' % lay.size_lookup_summary())
    out.append('#define POOL_SIZE_TABLE_LIMIT %du' % lay.size_limit)
    out.append('#define POOL_LOOKUP_SHIFT %du' % lay.shift)
    out.append('#define POOL_LOOKUP_STEPS %du' % lay.steps)
    out.append('#define POOL_LOOKUP_ENTRIES %du' % len(lay.lookup))
    out.append('#define POOL_HOST_REGION_BYTES %du\n' % lay.total)
    out.append('/* Block size of each pool, smallest first; usable as a constant. */')
    out.append('#define POOL_BLOCK_SIZES { %s }\n' % ', '.join('%du' % b for b, _ in all_pools))
    out.append('#include "pool_geometry.h"\n')
    out.append('/* Pool of a size above POOL_SIZE_TABLE_LIMIT; POOL_COUNT when larger than')
    out.append(' * every block. */')
    out.extend(emit_large_size_lookup(regions[0], 'pool_for_large_size'))
    out.append('    return POOL_COUNT;\n}\n')
    out.extend(emit_offset_lookup(regions[0]))
    if len(regions) > 1:
        for r in regions[1:]:
            out.extend(emit_extra_region(r))
        out.extend(emit_region_dispatch(regions))
    out.append('#endif')
    return '\n'.join(out) + '\n'


def emit_public_header(regions, pools_arg):
    """poolalloc_regions.h, installed: the region numbers for
    poolalloc_malloc_in()."""
    out = [GENERATED % pools_arg]
    out.append('#ifndef POOLALLOC_REGIONS_H\n#define POOLALLOC_REGIONS_H\n')
    out.append('/* The heap regions of this build (-Dregions): poolalloc_malloc_in(region, size).')
    out.append(' * Region 0, on the heap symbols, is the one malloc serves. */')
    out.append('#define POOLALLOC_REGION_COUNT %du' % len(regions))
    for i, r in enumerate(regions):
        out.append('#define POOLALLOC_REGION_%s %du /* %s..%s */' % (r.name.upper(), i, r.start, r.end))
    out.append('\n#endif')
    return '\n'.join(out) + '\n'


def emit_source(regions, pools_arg, marker=None):
    lay = regions[0].lay
    all_pools = [p for r in regions for p in r.lay.pools]
    out = [GENERATED % pools_arg]
    out.append('#include "poolalloc_private.h"\n')
    out.append('#if POOLALLOC_HOST_REGION')
    out.append('/* Host builds have no linker script: the region is an array aligned like')
    out.append(' * the heap start the linker script rounds up. */')
    out.append('char poolalloc_host_region[POOL_HOST_REGION_BYTES] __attribute__((aligned(POOL_BASE_ALIGN)));')
    for r in regions[1:]:
        out.append('char poolalloc_host_region%s[POOL_REGION_BYTES%s] __attribute__((aligned(POOL_BASE_ALIGN%s)));'
                   % (r.func, r.macro, r.macro))
    out.append('#endif\n')
    if lay.lookup:
        out.append('/* Pool of the sizes 0..POOL_SIZE_TABLE_LIMIT, indexed by')
        out.append(' * (size + (1 << POOL_LOOKUP_SHIFT) - 1) >> POOL_LOOKUP_SHIFT. */')
        out.append('const uint8_t pool_size_lookup[POOL_LOOKUP_ENTRIES] = {')
        out.extend(table_lines(lay.lookup))
        out.append('};\n')
    if lay.addr_table is not None:
        out.append('/* Pool of each POOL_ADDRESS_SHIFT granule of the region, bottom up. */')
        out.append('const uint8_t pool_address_lookup[POOL_ADDRESS_ENTRIES] = {')
        out.extend(table_lines(lay.addr_table))
        out.append('};\n')
    for r in regions[1:]:
        out.append('/* Region %s: its size and address tables (global pool indices). */' % r.name)
        if r.lay.lookup:
            out.append('const uint8_t pool_size_lookup%s[%d] = {' % (r.func, len(r.lay.lookup)))
            out.extend(table_lines([r.first + k for k in r.lay.lookup]))
            out.append('};')
        if r.lay.addr_table is not None:
            out.append('const uint8_t pool_address_lookup%s[POOL_ADDRESS_ENTRIES%s] = {' % (r.func, r.macro))
            out.extend(table_lines([r.first + k for k in r.lay.addr_table]))
            out.append('};')
        out.append('')
    out.append('const struct pool_geometry pool_geometry = {')
    out.append('    .block = { %s },' % ', '.join('%du' % b for b, _ in all_pools))
    out.append('    .capacity = { %s },' % ', '.join('%du' % c for _, c in all_pools))
    out.append('    .offset = { %s },' % ', '.join('%du' % o for r in regions for o in r.lay.offset))
    out.append('    .below = { %s },' % ', '.join('%du' % (r.first + b) for r in regions for b in r.lay.below))
    out.append('};\n')
    out.append('/* Zero-cost start-up: all zero (.bss), no free list is threaded; a pool')
    out.append(' * hands out its never-used blocks in order (pool_state.used). */')
    out.append('struct pool_heap pool_heap;\n')
    out.append('#if POOLALLOC_STATS')
    out.append('struct pool_totals pool_totals;')
    out.append('#endif\n')
    out.append('#if POOLALLOC_CHECKS >= POOL_CHECKS_FAST')
    out.append('/* Block-boundary tests: block = 2^shift * q (q odd), inverse = q^-1 mod 2^32,')
    out.append(' * limit = (2^32 - 1) / block (see pool_block_index()). */')
    out.append('const struct pool_block_test pool_block_test[POOL_COUNT] = {')
    for b, _ in all_pools:
        inverse, limit, shift = block_test(b)
        out.append('    { .inverse = 0x%08xu, .limit = %du, .shift = %du }, /* %d */' % (inverse, limit, shift, b))
    out.append('};')
    out.append('#endif\n')
    out.append('#if POOLALLOC_CHECKS >= POOL_CHECKS_FULL')
    out.append('/* One bit per block, set while the block is allocated. */')
    for k, (b, c) in enumerate(all_pools):
        out.append('static pool_bits_t pool_live_bits_%d[%d];' % (k, (c + 31) // 32))
    out.append('pool_bits_t *const pool_live_bits[POOL_COUNT] = {')
    out.append('    ' + ', '.join('pool_live_bits_%d' % k for k in range(len(all_pools))) + ',')
    out.append('};')
    out.append('#endif\n')
    if marker:
        out.append('/* What this library was built for; poolalloc.ld refuses to link without it.')
        out.append(' * An absolute symbol: no flash, no RAM. */')
        out.append('__asm__(".globl %s\\n\\t.set %s, 1");\n' % (marker, marker))
    out.append('#if POOLALLOC_SYNC_C11')
    out.append('/* Free-list links of the host backend, kept apart from the blocks. */')
    for k, (b, c) in enumerate(all_pools):
        out.append('static _Atomic uint32_t pool_next_index_%d[%d];' % (k, c))
    out.append('_Atomic uint32_t *const pool_next_index[POOL_COUNT] = {')
    out.append('    ' + ', '.join('pool_next_index_%d' % k for k in range(len(all_pools))) + ',')
    out.append('};')
    out.append('#endif')
    return '\n'.join(out) + '\n'


def build_marker(regions, libc, cpu):
    """The absolute symbol a target library defines to say what it was
    built for: C library, CPU and layout (a checksum of the pools and the
    alignment, which the linker script's placement depends on).  None for a
    host build."""
    if libc in (None, 'host'):
        return None
    lay = regions[0].lay
    text = '%s/%d' % (','.join('%d:%d' % p for p in lay.pools), lay.alignment)
    for r in regions[1:]:
        text += ';%s:%s:%s@%s' % (r.name, r.start, r.end, ','.join('%d:%d' % p for p in r.lay.pools))
    layout = zlib.crc32(text.encode())
    return 'poolalloc_built_for_%s_%s_%08x' % (re.sub('[^A-Za-z0-9]', '_', libc), re.sub('[^A-Za-z0-9]', '_', cpu), layout)


# The C library the firmware links, as ld sees it (DEFINED sees the archive
# members the link pulled in): every newlib link pulls _impure_ptr (through
# __errno, which the library references), picolibc has none; newlib-nano's
# printf core _printf_i is pulled through the fprintf of malloc_stats (in
# the whole archive) and full newlib has no such symbol.  The newlib-flavour
# test only speaks when the firmware links a newlib at all, so that a newlib
# library in a picolibc link gets one message, not a second, wrong one.  A
# picolibc library in a newlib link stops earlier, on ld's own "errno: TLS
# reference ... mismatches non-TLS definition", before any ASSERT is evaluated.
LIBC_CHECKS = {
    'picolibc': [('!DEFINED(_impure_ptr)', 'newlib (it defines _impure_ptr)')],
    'newlib': [('DEFINED(_impure_ptr)', 'a C library that is not newlib (no _impure_ptr: picolibc?)'),
               ('!DEFINED(_impure_ptr) || !DEFINED(_printf_i)', 'newlib-nano (--specs=nano.specs)')],
    'newlib-nano': [('DEFINED(_impure_ptr)', 'a C library that is not newlib (no _impure_ptr: picolibc?)'),
                    ('!DEFINED(_impure_ptr) || DEFINED(_printf_i)', 'full newlib (no --specs=nano.specs)')],
}


# A symbol the link does not define stops ld at its first use with
# "poolalloc.ld:N: undefined symbol `X' referenced in expression".  An
# ASSERT(DEFINED(X), ...) of our own cannot replace that message: DEFINED is
# false for a symbol a linker script assigns further down the command line
# (a -T board script after poolalloc.ld, as in the newlib builds), so it
# would fail good links.  The script instead says, in a comment above each
# use, what the error means (doc/integration.md, "Link errors").
def symbol_note(option):
    """The comment above a symbol's first use: the words ld's own error
    cannot carry."""
    return ('/* ld: "undefined symbol ... referenced in expression" on the next line: your linker script '
            'defines no such symbol: define it, choose another with %s, or map one to it before '
            'poolalloc.ld (-Wl,--defsym=NAME=VALUE; doc/integration.md, "Link errors") */' % option)


def emit_extra_region_ldscript(r):
    """Place an extra region's pools and fail the link, naming the region,
    when they do not fit it."""
    a, n, f = r.lay.base_align, r.name, r.func
    return [symbol_note('the -Dregions entry %s:%s:%s' % (n, r.start, r.end)),
            '__poolalloc_base%s = ALIGN(%s, %d);' % (f, r.start, a),
            '__poolalloc_end%s = __poolalloc_base%s + %d;' % (f, f, r.lay.total),
            'ASSERT(%s <= %s, "poolalloc: region %s: %s is above %s: the region is empty or reversed")'
            % (r.start, r.end, n, r.start, r.end),
            'ASSERT(__poolalloc_base%s >= %s && __poolalloc_end%s <= %s, "poolalloc: region %s: its pools '
            'need %d bytes from %s rounded up to %d (up to %d bytes more) but %s..%s is smaller: enlarge '
            'the region or shrink its -Dpools entries (%s@...)")'
            % (f, r.start, f, r.end, n, r.lay.total, r.start, a, a - 1, r.start, r.end, n)]


def emit_disjoint_ldscript(regions):
    """Every address belongs to one region's pools at most (free finds the
    region by address)."""
    out = []
    ends = [('__poolalloc_base%s' % r.func, '__poolalloc_end%s' % r.func, r.name) for r in regions]
    for i, (b1, e1, n1) in enumerate(ends):
        for b2, e2, n2 in ends[i + 1:]:
            out.append('ASSERT(%s <= %s || %s <= %s, "poolalloc: the pools of regions %s and %s overlap: '
                       'give the regions disjoint address ranges")' % (e1, b2, e2, b1, n1, n2))
    return out


def emit_ldscript(regions, pools_arg, libc=None, cpu=None, stack_limit=None):
    lay, start_sym, end_sym = regions[0].lay, regions[0].start, regions[0].end
    a = lay.base_align
    out = ['/* poolalloc implicit linker script, generated from -Dpools=%s.' % pools_arg,
           ' * Name it on the link line (pkg-config and the Meson dependency do): it places',
           ' * the pools from %s rounded up to %d, fails the link when they do not fit' % (start_sym, a),
           ' * below %s, and when the library or the C library is not the one it was' % end_sym,
           ' * generated for. */',
           symbol_note('-Dheap-start-symbol (vendor scripts: -Wl,--defsym=%s=end)' % start_sym),
           '__poolalloc_base = ALIGN(%s, %d);' % (start_sym, a),
           '__poolalloc_end = __poolalloc_base + %d;' % lay.total,
           symbol_note('-Dheap-end-symbol (vendor scripts: -Wl,--defsym=%s=_estack-_Min_Stack_Size)' % end_sym),
           'ASSERT(%s <= %s, "poolalloc: %s is above %s: the heap region is empty or reversed")'
           % (start_sym, end_sym, start_sym, end_sym),
           'ASSERT(__poolalloc_base >= %s && __poolalloc_end <= %s, "poolalloc: the pools need %d bytes '
           'from %s rounded up to %d (up to %d bytes more) but the region %s..%s is smaller; ld cannot '
           'print the region size (nm shows both symbols): enlarge the region or shrink -Dpools")'
           % (start_sym, end_sym, lay.total, start_sym, a, a - 1, start_sym, end_sym)]
    if stack_limit:
        out.append(symbol_note('-Dstack-limit-symbol'))
        out.append('ASSERT(__poolalloc_end <= %s, "poolalloc: the pools end above %s, the lowest address '
                   'the stack may reach (-Dstack-limit-symbol): end the heap region there '
                   '(-Wl,--defsym=%s=%s before poolalloc.ld), enlarge RAM or shrink -Dpools")'
                   % (stack_limit, stack_limit, end_sym, stack_limit))
    for r in regions[1:]:
        out.extend(emit_extra_region_ldscript(r))
    out.extend(emit_disjoint_ldscript(regions))
    marker = build_marker(regions, libc, cpu)
    if marker:
        what = '%s, %s, -Dpools=%s -Dalignment=%d' % (libc, cpu, pools_arg, lay.alignment)
        out.append('ASSERT(DEFINED(%s), "poolalloc: this poolalloc.ld was generated for a libpoolalloc.a '
                   'built for %s, and the library linked is another build: use the poolalloc.ld '
                   'installed with it")' % (marker, what))
        for test, other in LIBC_CHECKS.get(libc, []):
            out.append('ASSERT(%s, "poolalloc: this libpoolalloc.a was built for %s (%s) but the firmware '
                       'links %s: build poolalloc with the cross file of your firmware (the same C '
                       'library and -mcpu)")' % (test, libc, cpu, other))
    return '\n'.join(out) + '\n'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--alignment', type=int, default=8)
    ap.add_argument('--pointer-size', type=int, default=4)
    ap.add_argument('--heap-start', default='__heap_start')
    ap.add_argument('--heap-end', default='__heap_end')
    ap.add_argument('--stack-limit', default='', help='symbol the pools must end below (empty: none)')
    ap.add_argument('--libc', default='host', help='picolibc, newlib, newlib-nano or host')
    ap.add_argument('--cpu', default='host', help='the target CPU, for the build marker')
    ap.add_argument('--regions', default='', help='extra regions: NAME:START_SYMBOL:END_SYMBOL,...')
    ap.add_argument('--emit', choices=['check', 'all', 'largest-block'] + list(EMITTED), default='check',
                    help='largest-block: the largest block of the default region, a number')
    ap.add_argument('--outdir', help='with --emit all: the directory the files go to')
    ap.add_argument('pools', nargs='*', help='[REGION@]BLOCK:CAPACITY entries')
    args = ap.parse_args(argv)
    # Meson hands an array option over as separate arguments; accept a single
    # comma-separated string too, for use by hand.
    entries = [p for arg in args.pools for p in arg.split(',')] if args.pools else []
    try:
        check_symbol('heap-start-symbol', args.heap_start)
        check_symbol('heap-end-symbol', args.heap_end)
        if args.stack_limit:
            check_symbol('stack-limit-symbol', args.stack_limit)
        regions = parse_regions(args.regions.split(','), args.heap_start, args.heap_end)
        by_region = split_pools(entries, [r[0] for r in regions])
        parsed = []
        for name, _, _ in regions:
            try:
                parsed.append(parse_pools(by_region[name], args.alignment, args.pointer_size,
                                          8 * args.pointer_size))
            except LayoutError as e:
                raise LayoutError(str(e) if len(regions) == 1 else 'region %s: %s' % (name, e))
        if sum(len(p) for p in parsed) > MAX_POOLS:
            raise LayoutError('the regions have %d pools; at most %d pools are supported'
                              % (sum(len(p) for p in parsed), MAX_POOLS))
    except LayoutError as e:
        print('poolalloc: ' + str(e), file=sys.stderr)
        return 1
    layout = []
    for (name, start, end), pools in zip(regions, parsed):
        # Extra regions get an exact size table: their lookup is generated whole.
        lay = Layout(pools, args.alignment, exact_size_table=bool(layout))
        layout.append(Region(name, start, end, lay, layout[-1].stop if layout else 0))
    pools_arg = ','.join(('' if r.first == 0 else r.name + '@') + '%d:%d' % p for r in layout for p in r.lay.pools)
    if args.emit == 'largest-block':
        print(max(b for b, _ in layout[0].lay.pools))
        return 0
    if args.emit == 'check':
        if len(layout) == 1:
            print(layout[0].lay.summary())
        else:
            print('\n'.join(r.lay.summary(r.name, r.first) for r in layout))
        return 0
    texts = {
        'header': lambda: emit_header(layout, pools_arg),
        'public': lambda: emit_public_header(layout, pools_arg),
        'source': lambda: emit_source(layout, pools_arg, build_marker(layout, args.libc, args.cpu)),
        'ldscript': lambda: emit_ldscript(layout, pools_arg, args.libc, args.cpu, args.stack_limit),
    }
    if args.emit != 'all':
        sys.stdout.write(texts[args.emit]())
        return 0
    if not args.outdir:
        print('poolalloc: --emit all needs --outdir DIR', file=sys.stderr)
        return 2
    for emit, name in EMITTED.items():
        if emit != 'source':
            with open(os.path.join(args.outdir, name), 'w') as f:
                f.write(texts[emit]())
    sys.stdout.write(texts['source']())
    return 0


if __name__ == '__main__':
    sys.exit(main())

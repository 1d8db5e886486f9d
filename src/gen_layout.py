#!/usr/bin/env python3
"""Validate a poolalloc pool layout and generate the code that encodes it.

Run by meson.build at configure time: first with --check (prints the layout,
or an error that names the bad entry and what would be valid, exit 1), then
once per generated file (--emit header|source|ldscript, output on stdout).

Layout rules (DESIGN.md section 3):
  * each entry is BLOCK:CAPACITY, decimal, both > 0, blocks distinct;
  * a block is at least one pointer (the free list lives in free blocks);
  * with alignment A: a block >= A is a multiple of A, a block < A is a power
    of two, so every block is aligned to gcd(A, block) -- enough for any
    object that fits it.

Placement: pools are numbered by block size (the size lookup relies on it)
but placed in memory by natural alignment (the largest power of two dividing
the block), the most aligned pool at the top of the region, ending at
__heap_end rounded down to that alignment.  Every pool's byte size is a
multiple of the alignment of all pools below it, so the pools sit back to back
with no padding and each pool starts naturally aligned: a pool of 64-byte
blocks serves memalign(64).  Anchoring at the top rather than at __heap_start
matters because the heap end is usually a round address (end of RAM minus the
stack) while the heap start follows .bss: the alignment padding is then
usually zero.
"""

import argparse
import bisect
import re
import sys

MAX_LOOKUP_ENTRIES = 256   # bytes of flash we accept for the size table
MAX_POOLS = 255            # pool indices are uint8_t in the size table

ENTRY_RE = re.compile(r'^([0-9]+):([0-9]+)$')


class LayoutError(Exception):
    pass


def is_pow2(x):
    return x > 0 and (x & (x - 1)) == 0


def natural_alignment(block):
    return block & -block


def nearest_valid_blocks(block, alignment, ptr_size):
    """The valid block sizes just below and above an invalid one."""
    def valid(b):
        if b < ptr_size:
            return False
        return b % alignment == 0 if b >= alignment else is_pow2(b)
    below = next((b for b in range(block - 1, 0, -1) if valid(b)), None)
    above = next(b for b in range(block + 1, block + 2 * alignment + ptr_size + 1) if valid(b))
    return [b for b in (below, above) if b is not None]


def parse_pools(entries, alignment, ptr_size, addr_bits=32):
    """Parse and validate the entries; return [(block, capacity)] sorted by block.

    Raises LayoutError with a message that names the entry and the fix."""
    if not is_pow2(alignment) or alignment < ptr_size:
        raise LayoutError('alignment %d: must be a power of two and at least the pointer size '
                          '(%d); AAPCS max_align_t is 8' % (alignment, ptr_size))
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
                              "(e.g. 32:16 = sixteen 32-byte blocks)" % e)
        block, cap = int(m.group(1)), int(m.group(2))
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
                              % (e, block, alignment, ' or '.join(map(str, nearest_valid_blocks(block, alignment, ptr_size))),
                                 ' (or lower -Dalignment to %d)' % lower if lower < alignment else ''))
        if block < alignment and not is_pow2(block):
            raise LayoutError("pools entry '%s': block %d is below the alignment %d and not a power "
                              "of two, so its blocks would be misaligned; nearest valid blocks: %s"
                              % (e, block, alignment, ' or '.join(map(str, nearest_valid_blocks(block, alignment, ptr_size)))))
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

    def __init__(self, pools, alignment):
        self.pools = pools                     # [(block, capacity)] by block size
        self.alignment = alignment
        self.count = len(pools)
        self.max_block = pools[-1][0]
        self.pool_align = [natural_alignment(b) for b, _ in pools]
        self.base_align = max([alignment] + self.pool_align)
        # Physical order, bottom to top: increasing natural alignment.
        order = sorted(range(self.count), key=lambda k: (self.pool_align[k], pools[k][0]))
        self.offset = [0] * self.count
        off = 0
        for k in order:
            self.offset[k] = off
            off += pools[k][0] * pools[k][1]
        self.total = off
        for k in order:
            # The top is aligned to base_align; the distance down to each pool
            # start is a multiple of that pool's alignment.
            assert (self.total - self.offset[k]) % self.pool_align[k] == 0
        self.physical = order
        self.shift, self.steps, self.lookup = self._size_lookup()

    def pool_for_size_slow(self, n):
        return next(k for k, (b, _) in enumerate(self.pools) if b >= n)

    def _lookup_for_shift(self, s):
        """The table for granule 2^s and its worst number of correction
        steps.  O(table entries * log pools): the worst size of a bucket is
        its last one, so no size is enumerated (blocks can be huge)."""
        blocks = [b for b, _ in self.pools]
        table = [bisect.bisect_left(blocks, i << s) for i in range((self.max_block >> s) + 1)]
        steps = 0
        for i, k in enumerate(table):
            last = min(((i + 1) << s) - 1, self.max_block)
            steps = max(steps, bisect.bisect_left(blocks, last) - k)
        return table, steps

    def _size_lookup(self):
        """Pick the table granule 2^s: the smallest table that needs at most one
        correction step; if every such table is too large, the fewest steps.
        Tables over MAX_LOOKUP_ENTRIES are never built."""
        fits = []
        for s in range(self.max_block.bit_length() + 1):
            if (self.max_block >> s) + 1 > MAX_LOOKUP_ENTRIES:
                continue
            table, steps = self._lookup_for_shift(s)
            fits.append((max(steps, 1), len(table), s, steps, table))
        _, _, s, steps, table = min(fits)
        return s, steps, table

    def summary(self):
        lines = ['poolalloc layout: %d pools, %d bytes, ending at the heap end rounded down to %d'
                 % (self.count, self.total, self.base_align)]
        lines.append('  %-4s %8s %9s %10s %9s %8s' % ('pool', 'block', 'capacity', 'bytes', 'offset', 'aligned'))
        for k, (b, c) in enumerate(self.pools):
            lines.append('  %-4d %8d %9d %10d %9d %8d' % (k, b, c, b * c, self.offset[k], self.pool_align[k]))
        lines.append('  malloc alignment %d; size lookup: %d entries, %d correction step(s)'
                     % (self.alignment, len(self.lookup), self.steps))
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


def emit_header(lay, pools_arg):
    out = [GENERATED % pools_arg]
    out.append('#ifndef POOL_LAYOUT_H\n#define POOL_LAYOUT_H\n')
    out.append('#include <stddef.h>\n#include <stdint.h>\n')
    out.append('#ifndef POOL_INLINE\n#define POOL_INLINE static inline\n#endif\n')
    out.append('#define POOL_COUNT %du' % lay.count)
    out.append('#define POOL_MAX_BLOCK %du' % lay.max_block)
    out.append('#define POOL_REGION_BYTES %du' % lay.total)
    out.append('#define POOL_BASE_ALIGN %du' % lay.base_align)
    out.append('#define POOL_MALLOC_ALIGN %du' % lay.alignment)
    out.append('#define POOL_LOOKUP_SHIFT %du' % lay.shift)
    out.append('#define POOL_LOOKUP_STEPS %du' % lay.steps)
    out.append('#define POOL_LOOKUP_ENTRIES %du' % len(lay.lookup))
    padded = -(-lay.total // lay.base_align) * lay.base_align
    out.append('#define POOL_HOST_REGION_BYTES %du' % padded)
    out.append('#define POOL_HOST_REGION_PAD %du\n' % (padded - lay.total))
    out.append('/* Block size of each pool, smallest first; usable as a constant. */')
    out.append('#define POOL_BLOCK_SIZES { %s }\n' % ', '.join('%du' % b for b, _ in lay.pools))
    # Compare tree: region offset -> pool index, POOL_COUNT when outside.
    out.append('/* Pool that holds region offset `off` (POOL_COUNT when outside the pools).')
    out.append(' * A balanced compare tree over the pool boundaries: at most %d compares. */'
               % (1 + (lay.count - 1).bit_length()))
    out.append('POOL_INLINE unsigned pool_index_of_offset(size_t off)\n{')
    out.append('    if (off >= POOL_REGION_BYTES)\n        return POOL_COUNT;')

    def tree(lo, hi, indent):
        pad = '    ' * indent
        if hi - lo == 1:
            return ['%sreturn %du;' % (pad, lay.physical[lo])]
        mid = (lo + hi) // 2
        bound = lay.offset[lay.physical[mid]]
        return (['%sif (off < %du) {' % (pad, bound)] + tree(lo, mid, indent + 1) +
                ['%s} else {' % pad] + tree(mid, hi, indent + 1) + ['%s}' % pad])
    out.extend(tree(0, lay.count, 1))
    out.append('}\n')
    out.append('#endif')
    return '\n'.join(out) + '\n'


def emit_source(lay, pools_arg):
    out = [GENERATED % pools_arg]
    out.append('#include "poolalloc_private.h"\n')
    out.append('#if POOLALLOC_HOST_REGION')
    out.append('/* Host builds have no linker script: the region is an array whose end is')
    out.append(' * aligned like the heap end the linker script rounds down to. */')
    out.append('char poolalloc_host_region[POOL_HOST_REGION_BYTES] __attribute__((aligned(POOL_BASE_ALIGN)));')
    out.append('#endif\n')
    out.append('const uint8_t pool_size_lookup[POOL_LOOKUP_ENTRIES] = {')
    for i in range(0, len(lay.lookup), 16):
        out.append('    ' + ', '.join('%d' % v for v in lay.lookup[i:i + 16]) + ',')
    out.append('};\n')
    out.append('const struct pool_geometry pool_geometry[POOL_COUNT] = {')
    for k, (b, c) in enumerate(lay.pools):
        out.append('    { .start = POOL_BASE + %d, .end = POOL_BASE + %d, .block = %du, .align = %du },'
                   % (lay.offset[k], lay.offset[k] + b * c, b, lay.pool_align[k]))
    out.append('};\n')
    out.append('/* Zero-cost start-up: no free list is threaded, each edge starts at its pool. */')
    out.append('struct pool_state pool_state[POOL_COUNT] = {')
    for k in range(lay.count):
        out.append('    { .edge = POOL_BASE + %d },' % lay.offset[k])
    out.append('};\n')
    out.append('#if POOLALLOC_STATS')
    out.append('struct pool_totals pool_totals;')
    out.append('#endif\n')
    out.append('#if POOLALLOC_CHECKS >= 1')
    out.append('/* Block-boundary tests: block = 2^shift * q (q odd), inverse = q^-1 mod 2^32,')
    out.append(' * limit = (2^32 - 1) / block (see pool_block_index()). */')
    out.append('const struct pool_block_test pool_block_test[POOL_COUNT] = {')
    for b, _ in lay.pools:
        inverse, limit, shift = block_test(b)
        out.append('    { .inverse = 0x%08xu, .limit = %du, .shift = %du }, /* %d */' % (inverse, limit, shift, b))
    out.append('};')
    out.append('#endif\n')
    out.append('#if POOLALLOC_CHECKS >= 2')
    out.append('/* One bit per block, set while the block is allocated. */')
    for k, (b, c) in enumerate(lay.pools):
        out.append('static pool_bits_t pool_live_bits_%d[%d];' % (k, (c + 31) // 32))
    out.append('pool_bits_t *const pool_live_bits[POOL_COUNT] = {')
    out.append('    ' + ', '.join('pool_live_bits_%d' % k for k in range(lay.count)) + ',')
    out.append('};')
    out.append('#endif\n')
    out.append('#if POOLALLOC_SYNC_C11')
    out.append('/* Free-list links of the host backend, kept apart from the blocks. */')
    for k, (b, c) in enumerate(lay.pools):
        out.append('static _Atomic uint32_t pool_next_index_%d[%d];' % (k, c))
    out.append('_Atomic uint32_t *const pool_next_index[POOL_COUNT] = {')
    out.append('    ' + ', '.join('pool_next_index_%d' % k for k in range(lay.count)) + ',')
    out.append('};')
    out.append('#endif')
    return '\n'.join(out) + '\n'


def emit_ldscript(lay, pools_arg, start_sym, end_sym):
    return ('/* poolalloc implicit linker script, generated from -Dpools=%s.\n'
            ' * Name it on the link line (pkg-config and the Meson dependency do): it places\n'
            ' * the pools below %s rounded down to %d and fails the link when they do\n'
            ' * not fit above %s. */\n'
            '__poolalloc_end = %s & ~%d;\n'
            '__poolalloc_base = __poolalloc_end - %d;\n'
            'ASSERT(%s <= %s, "poolalloc: %s is above %s: the heap region is empty or reversed")\n'
            'ASSERT(__poolalloc_end >= %s && __poolalloc_end - %s >= %d, "poolalloc: the pools need %d bytes (ending at %s '
            'rounded down to %d) but the region %s..%s is smaller; ld cannot print the region size '
            '(nm shows both symbols): enlarge the region or shrink -Dpools")\n'
            % (pools_arg, end_sym, lay.base_align, start_sym,
               end_sym, lay.base_align - 1, lay.total,
               start_sym, end_sym, start_sym, end_sym,
               start_sym, start_sym, lay.total, lay.total, end_sym, lay.base_align, start_sym, end_sym))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--alignment', type=int, default=8)
    ap.add_argument('--pointer-size', type=int, default=4)
    ap.add_argument('--heap-start', default='__heap_start')
    ap.add_argument('--heap-end', default='__heap_end')
    ap.add_argument('--emit', choices=['check', 'header', 'source', 'ldscript'], default='check')
    ap.add_argument('pools', nargs='*', help='BLOCK:CAPACITY entries')
    args = ap.parse_args(argv)
    # Meson hands an array option over as separate arguments; accept a single
    # comma-separated string too, for use by hand.
    entries = [p for arg in args.pools for p in arg.split(',')] if args.pools else []
    try:
        pools = parse_pools(entries, args.alignment, args.pointer_size, 8 * args.pointer_size)
    except LayoutError as e:
        print('poolalloc: ' + str(e), file=sys.stderr)
        return 1
    lay = Layout(pools, args.alignment)
    pools_arg = ','.join('%d:%d' % p for p in pools)
    if args.emit == 'check':
        print(lay.summary())
    elif args.emit == 'header':
        sys.stdout.write(emit_header(lay, pools_arg))
    elif args.emit == 'source':
        sys.stdout.write(emit_source(lay, pools_arg))
    else:
        sys.stdout.write(emit_ldscript(lay, pools_arg, args.heap_start, args.heap_end))
    return 0


if __name__ == '__main__':
    sys.exit(main())

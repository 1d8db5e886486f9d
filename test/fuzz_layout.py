#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fuzz the configure-time layout parser, src/gen_layout.py.

Random -Dpools strings (valid entries, near misses, garbage, huge numbers,
repeats, odd separators) with random alignments and pointer sizes, from a
fixed seed and a bounded number of iterations.  For each, gen_layout's
main() runs in-process with --emit check, header and source.  It must
either
  * exit 1 with one 'poolalloc: ' line on stderr, for a layout that an
    independent re-statement of the rules (valid_layout() below) rejects, or
  * exit 0 for a layout those rules accept, with generated code that is
    right by independent checks: pool count, blocks and total; pools inside
    the region, disjoint, each of block * capacity bytes, starting naturally
    aligned above an aligned base; the size table and its correction steps
    serve every size from the first pool that fits (at most one compare
    beyond the table load when the second-largest block is <= 2 KiB); the address table names the right pool for every granule; the divide-free
    block-boundary constants agree with % on sampled offsets;
and never raise (a traceback fails the test at once) nor take more than
MAX_SECONDS for one run (a 1 GiB alignment once made a rejection take
188 s; runaway numbers of thousands of digits are in the mix).

Usage: fuzz_layout.py --gen-layout src/gen_layout.py [--iterations N] [--seed S]
"""
import argparse
import contextlib
import importlib.util
import io
import random
import re
import sys
import time
import traceback

MAX_SECONDS = 2.0


def load(path):
    spec = importlib.util.spec_from_file_location('gen_layout_under_test', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_pow2(x):
    return x > 0 and x & (x - 1) == 0


def valid_layout(entries, alignment, ptr):
    """The rules of doc/design.md ("Layout rules"), stated again: [(block, capacity)] or None."""
    if not is_pow2(alignment) or alignment < ptr:
        return None
    max_object = 2 ** (8 * ptr - 1) - 1   # PTRDIFF_MAX: no block, nor alignment, beyond it
    if alignment > (max_object + 1) // 2:
        return None
    items = [e.strip() for e in entries if e.strip() != '']
    if not items or len(items) > 255:
        return None
    pools = {}
    for e in items:
        parts = e.split(':')
        if len(parts) != 2 or not all(p and all(c in '0123456789' for c in p) for p in parts):
            return None
        if max(len(p) for p in parts) > 20:
            return None
        block, cap = int(parts[0]), int(parts[1])
        if block < ptr or cap == 0 or block in pools or block > max_object:
            return None
        if block >= alignment and block % alignment:
            return None
        if block < alignment and not is_pow2(block):
            return None
        pools[block] = cap
    layout = sorted(pools.items())
    if sum(b * c for b, c in layout) >= 2 ** min(32, 8 * ptr):  # offsets are 32-bit in C
        return None
    return layout


def random_entry(rng):
    kind = rng.random()
    if kind < 0.55:
        block = rng.choice([4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]) * rng.choice([1, 1, 1, 3, 5])
        return '%d:%d' % (block, rng.randint(1, 40))
    if kind < 0.7:
        return '%d:%d' % (rng.randint(0, 130), rng.randint(0, 3))
    if kind < 0.8:
        return rng.choice(['%d:%d' % (rng.choice([2 ** 30, 2 ** 31, 2 ** 40, 10 ** 9, 2 ** 64 + 8]), rng.randint(1, 3)),
                           '9' * rng.choice([21, 5000]) + ':1', '8:' + '7' * 5000, '0' * 30 + '16:1'])
    if kind < 0.9:
        return rng.choice(['', ' ', '8', ':8', '8:', '8:8:8', '0x10:2', '-8:2', '8:-1', '+8:1', ' 16 : 2 ',
                           '١٦:2', '8;2', '16:2 ', 'abc', '8 :2', '00016:0002'])
    return ''.join(rng.choice('0123456789:, x-') for _ in range(rng.randint(0, 10)))


def shorten(entry):
    return entry if len(entry) <= 40 else entry[:20] + '...(%d characters)' % len(entry)


def run(gen, argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = gen.main(argv)
    return rc, out.getvalue(), err.getvalue()


def check_generated(gen, layout, alignment, ptr, header, source, rng):
    """Independent checks of an accepted layout; returns a list of problems."""
    problems = []
    define = dict(re.findall(r'#define (POOL_\w+) (\d+)u', header))
    blocks = [b for b, _ in layout]
    total = sum(b * c for b, c in layout)
    if int(define['POOL_COUNT']) != len(layout) or int(define['POOL_MAX_BLOCK']) != blocks[-1]:
        problems.append('count or max block')
    if int(define['POOL_REGION_BYTES']) != total:
        problems.append('region bytes %s != %d' % (define['POOL_REGION_BYTES'], total))
    listed = [int(x) for x in re.search(r'#define POOL_BLOCK_SIZES \{ (.*) \}', header).group(1).replace('u', '').split(', ')]
    if listed != blocks:
        problems.append('block list')
    field = dict((m.group(1), [int(x) for x in re.findall(r'\d+', m.group(2))])
                 for m in re.finditer(r'\.(block|capacity|offset) = \{([^}]*)\}', source))
    geometry = list(zip(field.get('offset', []), field.get('block', []), field.get('capacity', [])))
    if len(geometry) != len(layout):
        return problems + ['geometry rows']
    spans = []
    for (start, block, capacity), (b, c) in zip(geometry, layout):
        end = start + block * capacity
        if block != b or capacity != c or not (0 <= start < end <= total):
            problems.append('pool %d:%d placed at %d..%d' % (b, c, start, end))
        if start % (b & -b):
            problems.append('pool %d not naturally aligned' % b)
        spans.append((start, end))
    if sorted(spans)[0][0] != 0 or any(a[1] != b[0] for a, b in zip(sorted(spans), sorted(spans)[1:])):
        problems.append('pools overlap or leave gaps')
    base_align = int(define['POOL_BASE_ALIGN'])
    if any(base_align % (b & -b) for b in blocks) or base_align % alignment:
        problems.append('base alignment')
    # Size -> pool as src/pool.h computes it: sizes 0..limit by the table
    # (index ceil(size / 2^shift), then `steps` corrections), larger sizes:
    # the first larger block.
    limit, shift, steps = (int(define[n]) for n in ('POOL_SIZE_TABLE_LIMIT', 'POOL_LOOKUP_SHIFT', 'POOL_LOOKUP_STEPS'))
    tables = dict(re.findall(r'(\w+)\[POOL_\w+_ENTRIES\] = \{([^}]*)\}', source))
    table = [int(x) for x in re.findall(r'\d+', tables.get('pool_size_lookup', ''))]
    if len(table) != int(define['POOL_LOOKUP_ENTRIES']) or len(table) > 256:
        problems.append('lookup size')
    above = sum(1 for b in blocks if b > limit) - 1
    if len(blocks) > 1 and blocks[-2] <= 2048 and max(steps, above) > 1:
        problems.append('%d correction steps and %d compares above the table, second-largest block %d'
                        % (steps, above, blocks[-2]))
    sizes = range(blocks[-1] + 1) if blocks[-1] <= 20000 else \
        sorted({rng.randint(0, blocks[-1]) for _ in range(2000)} | {b + d for b in blocks for d in (-1, 0, 1)
                                                                     if 0 <= b + d <= blocks[-1]})
    for n in sizes:
        if n <= limit and table:
            k = table[(n + (1 << shift) - 1) >> shift]
            for _ in range(steps):
                k += n > blocks[k]
        else:
            k = next(i for i, b in enumerate(blocks) if b > limit and b >= n)
        first = next(i for i, b in enumerate(blocks) if b >= n)
        if k != first:
            problems.append('size %d -> pool %d, first that fits is %d' % (n, k, first))
            break
    # Pointer -> pool as the generated lookup computes it: the address
    # table names the pool at a granule's last byte, then `steps` times a
    # compare with that pool's start steps down to the pool below; every
    # pool boundary and offsets drawn at random must land in their pool.
    if 'pool_address_lookup' in tables:
        shift, steps = int(define['POOL_ADDRESS_SHIFT']), int(define['POOL_ADDRESS_STEPS'])
        addr = [int(x) for x in re.findall(r'\d+', tables['pool_address_lookup'])]
        below = [int(x) for x in re.findall(r'\d+', re.search(r'\.below = \{([^}]*)\}', source).group(1))]
        if len(addr) != (total + (1 << shift) - 1) >> shift or len(addr) > 256 or steps > 2:
            problems.append('address table of %d entries, %d steps' % (len(addr), steps))
        offs = {s + d for s, e in spans for d in (0, 1, -1) if 0 <= s + d < total} | {total - 1}
        offs |= {rng.randrange(total) for _ in range(200)}
        for off in sorted(offs):
            k = addr[off >> shift]
            for _ in range(steps):
                if off < geometry[k][0]:
                    k = below[k]
            if not (k < len(spans) and spans[k][0] <= off < spans[k][1]):
                problems.append('offset %d -> pool %d' % (off, k))
                break
    tests = re.findall(r'\.inverse = 0x([0-9a-f]+)u, \.limit = (\d+)u, \.shift = (\d+)u', source)
    if len(tests) != len(layout):
        problems.append('block tests')
    for (inverse, limit, sh), b in zip(tests, blocks):
        inverse, limit, sh = int(inverse, 16), int(limit), int(sh)
        for n in [0, b, b - 1, b + 1, 2 * b, 2 ** 32 - 1] + [rng.randint(0, min(2 ** 32 - 1, 64 * b)) for _ in range(20)]:
            if n >= 2 ** 32 or n < 0:
                continue
            product = n * inverse & 0xffffffff
            rotated = (product >> sh | product << (32 - sh)) & 0xffffffff if sh else product
            if (rotated <= limit) != (n % b == 0) or (rotated <= limit and rotated != n // b):
                problems.append('block test of %d wrong at offset %d' % (b, n))
                break
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--gen-layout', required=True)
    ap.add_argument('--iterations', type=int, default=4000)
    ap.add_argument('--seed', type=int, default=20240605)
    args = ap.parse_args(argv)
    gen = load(args.gen_layout)
    rng = random.Random(args.seed)
    accepted = rejected = 0
    failures = []
    for i in range(args.iterations):
        entries = [random_entry(rng) for _ in range(rng.choice([0, 1, 2, 3, 5, 9, 20]))]
        if rng.random() < 0.3:
            entries = [','.join(entries)]  # one comma-separated argument, as by hand
        alignment = rng.choice([8, 8, 8, 4, 16, 1, 2, 3, 32, 64, 12, 0, 2 ** 30, 2 ** 31, 2 ** 32])
        ptr = rng.choice([4, 4, 8])
        base = ['--alignment', str(alignment), '--pointer-size', str(ptr), '--emit']
        split = [p for e in entries for p in e.split(',')]
        expected = valid_layout(split, alignment, ptr)
        try:
            started = time.monotonic()
            rc, out, err = run(gen, base + ['check', '--'] + entries)
            took = time.monotonic() - started
            if took > MAX_SECONDS:
                failures.append('took %.1f s (bound %.0f s): %r alignment %d ptr %d'
                                % (took, MAX_SECONDS, [shorten(e) for e in entries], alignment, ptr))
            if expected is None:
                if rc != 1 or not err.startswith('poolalloc: ') or err.count('\n') != 1:
                    failures.append('accepted or badly rejected: %r alignment %d ptr %d: rc %r %r'
                                    % ([shorten(e) for e in entries], alignment, ptr, rc, err))
                rejected += 1
                continue
            if rc != 0:
                failures.append('rejected a valid layout %r alignment %d ptr %d: %s' % (entries, alignment, ptr, err))
                continue
            _, header, _ = run(gen, base + ['header', '--'] + entries)
            _, source, _ = run(gen, base + ['source', '--'] + entries)
            for problem in check_generated(gen, expected, alignment, ptr, header, source, rng):
                failures.append('%r alignment %d: %s' % (entries, alignment, problem))
            accepted += 1
        except BaseException:  # a traceback (or SystemExit) is a failure by itself
            failures.append('crashed on %r alignment %d ptr %d:\n%s' % ([shorten(e) for e in entries], alignment, ptr, traceback.format_exc()))
        if len(failures) >= 10:
            break
    for f in failures:
        print('FAIL ' + f)
    print('fuzz_layout: %d layouts accepted and verified, %d rejected with a message, %d failures (seed %d)'
          % (accepted, rejected, len(failures), args.seed))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

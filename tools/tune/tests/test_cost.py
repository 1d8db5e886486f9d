#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""poolalloc-tune's lookup shape (tools/tune/cost.c) against src/gen_layout.py's.

    test_cost.py TEST_TUNE_COST GEN_LAYOUT_PY

For the 16 layouts the cost model was measured on (bench/cost_calibrate.py,
the issue's 9 x 48 and JSON fallback layouts among them) and 400 random
ones (1 to 60 pools, blocks up to 64 KiB, alignments 8 and 16, capacities
up to 300), the tuner's shape of the size lookup (table limit, granule,
correction steps, entries, compares above the limit) and of the pointer
lookup (table or compare tree, granule, compares, entries) must be the
generator's, for the default region and for an extra region's exact size
table.  Teeth: the same comparison against a generator with one rule
changed (two compares allowed in the size table's place: MAX_ADDRESS_STEPS
1) must find a difference.  The model's figures for the two named layouts
are checked against the measured ones (doc/performance.md).
"""
import importlib.util
import random
import subprocess
import sys

TOOL, GEN = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location('gen_layout', GEN)
gen_layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_layout)

NAMED = [
    '8:48,16:48,24:48,32:48,48:48,64:48,128:48,256:48,512:48',
    '4:17,8:64,16:125,24:83,32:32,40:245,56:7,80:2,2712:2,3288:1,4576:1',
    '8:32,16:32,24:32,32:32,48:16,64:16,128:8,256:8,1024:4',
    '4:12,8:36,16:102,24:18,32:9,64:1,128:1,256:1,512:1',
    '64:32', '16:16,128:4', '8:1,16:1,24:1,32:1,40:1,48:1,56:1,64:1,4096:16', '8:64,16:2,32:2,64:2,4096:8',
    '8:16,16:2,32:2,4096:64', '8:32,16:16,32:8,512:2,1024:2,2048:1,4096:1',
    '8:16,16:16,24:16,32:16,40:16,48:16,56:16,64:16,72:16,4000:1,8000:1,12000:1',
    ','.join('%d:4' % (8 * i) for i in range(1, 41)),
    ','.join('%d:1' % (8 * i) for i in range(1, 18)) + ',8192:16', ','.join('%d:2' % (8 * i) for i in range(1, 101)),
    '16:20,32:10,96:6,200:4,1504:2', '8:4,16:4,4096:2,8192:2,12288:1,16384:1,20480:1',
]
failures = []


def random_layout(rng, alignment):
    blocks = set()
    for _ in range(rng.randint(1, 60)):
        if rng.random() < 0.3:
            b = 1 << rng.randint(2, 4)
            if b >= alignment and b % alignment:
                continue
        else:
            b = alignment * rng.randint(1, rng.choice([8, 64, 8192 // alignment]))
        if b >= 4 and (b >= alignment or b & (b - 1) == 0):
            blocks.add(b)
    caps = lambda: rng.choice([1, 2, 3, rng.randint(1, 40), rng.randint(1, 300)])
    return ','.join('%d:%d' % (b, caps()) for b in sorted(blocks))


def generator_shape(pools, alignment, exact, max_steps=None):
    old = gen_layout.MAX_ADDRESS_STEPS
    if max_steps is not None:
        gen_layout.MAX_ADDRESS_STEPS = max_steps
    try:
        lay = gen_layout.Layout(gen_layout.parse_pools(pools.split(','), alignment, 4), alignment,
                                exact_size_table=exact)
    finally:
        gen_layout.MAX_ADDRESS_STEPS = old
    compares = sum(1 for b, _ in lay.pools if b > lay.size_limit) if lay.count > 1 else 0
    size = 'size limit %d shift %d steps %d entries %d compares %d' % (
        lay.size_limit, lay.shift, lay.steps, len(lay.lookup), compares)
    if lay.count == 1:
        return size + '\npointer table shift 0 steps 0 entries 0 tree 0'
    tree = lay.addr_table is None
    return size + '\npointer %s shift %d steps %d entries %d tree %d' % (
        'tree' if tree else 'table', lay.addr_shift, lay.addr_steps, 0 if tree else len(lay.addr_table),
        (lay.count - 1).bit_length())


def tuner_all(queries):
    """test_tune_cost's three lines for each (pools, alignment, fallback, exact), in one process."""
    text = ''.join('%s %d %s%s\n' % (p, a, f, ' exact' if e else '') for p, a, f, e in queries)
    out = subprocess.run([TOOL, '-'], input=text, capture_output=True, text=True, check=True).stdout.splitlines()
    return {q: out[3 * i:3 * i + 3] for i, q in enumerate(queries)}


rng = random.Random(19)
layouts = [(p, 8) for p in NAMED] + [(random_layout(rng, a), a) for a in (8, 16) for _ in range(200)]
COSTS = [(NAMED[0], 'true', 139, 63), (NAMED[1], 'true', 146, 67),
         (NAMED[0], 'false', 39, 53), (NAMED[1], 'false', 48, 57)]
answers = tuner_all([(p, a, 'true', e) for p, a in layouts for e in (False, True)]
                    + [(p, 8, f, False) for p, f, _, _ in COSTS])
checked = differ_when_broken = 0
for pools, alignment in layouts:
    for exact in (False, True):
        want = generator_shape(pools, alignment, exact)
        got = '\n'.join(answers[(pools, alignment, 'true', exact)][:2])
        checked += 1
        if want != got:
            failures.append('%s (alignment %d%s):\n  gen_layout.py: %s\n  tuner:         %s'
                            % (pools, alignment, ', exact' if exact else '', want.replace('\n', '; '),
                               got.replace('\n', '; ')))
        if not exact and generator_shape(pools, alignment, exact, max_steps=1) != got:
            differ_when_broken += 1
if differ_when_broken == 0:
    failures.append('teeth: a generator allowing one address compare (not two) gave the same shapes on every layout')


def cost(pools, fallback):
    line = answers[(pools, 8, fallback, False)][2].split()
    return int(line[2]), int(line[4])


# Measured (bench/cost_calibrate.py, doc/performance.md): the longest malloc
# and free of the drain workload; the model may be above, by at most 4, never below.
for pools, fallback, malloc, free in COSTS:
    m, f = cost(pools, fallback)
    if not (malloc <= m <= malloc + 4 and free <= f <= free + 4):
        failures.append('cost of %s, fallback %s: model malloc %d free %d, measured %d and %d'
                        % (pools, fallback, m, f, malloc, free))

for f in failures:
    print('FAIL: ' + f)
print('%d layouts, %d shapes compared (%d with the broken generator differing), %d failures'
      % (len(layouts), checked, differ_when_broken, len(failures)))
sys.exit(1 if failures else 0)

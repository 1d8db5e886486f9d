#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Measure what a layout's lookup shape costs, for poolalloc-tune's cost model.

    bench/cost_calibrate.py BUILD [--layout NAME=POOLS]... [--fallback true|false]... [--tune-cost PROGRAM]

BUILD is a configured cross build directory (the model is for
cross/thumbv7m-picolibc.txt with the default options).  For each layout and
fallback setting the script reconfigures BUILD (`meson configure
-Dpools=... -Dfallback=...`), builds the exhaust workload and the wcet
probe, and prints one line: the shape src/gen_layout.py chose, the longest
malloc, failing malloc and free the exhaust workload measured under QEMU
(bench/itrace.py: it drains every pool, spills, fails after every pool and
frees every block), and the static bounds of bench/wcet.py.  With
--tune-cost (the test program tools/tune/tests/test_tune_cost of a build)
it also prints the model's figures and the largest difference.  The
layouts default to the sixteen doc/performance.md quotes ("The tuner's
cost model"); the drain workload needs one of its fill sizes to reach each
pool (it fails, not the model, when a pool is never filled).  BUILD is left configured with the last layout.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, 'src'))
import gen_layout  # noqa: E402

LAYOUTS = [
    ('default', '8:32,16:32,24:32,32:32,48:16,64:16,128:8,256:8,1024:4'),
    ('wide-9x48', '8:48,16:48,24:48,32:48,48:48,64:48,128:48,256:48,512:48'),
    ('json-fallback', '4:17,8:64,16:125,24:83,32:32,40:245,56:7,80:2,2712:2,3288:1,4576:1'),
    ('json-tuned', '4:12,8:36,16:102,24:18,32:9,64:1,128:1,256:1,512:1'),
    ('one-pool', '64:32'),
    ('two-pools', '16:16,128:4'),
    ('tree-4', '8:1,16:1,24:1,32:1,40:1,48:1,56:1,64:1,4096:16'),
    ('tree-3', '8:64,16:2,32:2,64:2,4096:8'),
    ('addr-2', '8:16,16:2,32:2,4096:64'),
    ('size-step', '8:32,16:16,32:8,512:2,1024:2,2048:1,4096:1'),
    ('size-2cmp', '8:16,16:16,24:16,32:16,40:16,48:16,56:16,64:16,72:16,4000:1,8000:1,12000:1'),
    ('pools-40', ','.join('%d:4' % (8 * i) for i in range(1, 41))),
    # Held out at first, to see how the model extrapolates (doc/performance.md).
    ('v-tree5', ','.join('%d:1' % (8 * i) for i in range(1, 18)) + ',8192:16'),
    ('v-pools100', ','.join('%d:2' % (8 * i) for i in range(1, 101))),
    ('v-user', '16:20,32:10,96:6,200:4,1504:2'),
    ('v-steps2', '8:4,16:4,4096:2,8192:2,12288:1,16384:1,20480:1'),
]


def shape(pools):
    lay = gen_layout.Layout(gen_layout.parse_pools(pools.split(','), 8, 4), 8)
    above = sum(1 for b, _ in lay.pools if b > lay.size_limit) if lay.count > 1 else 0
    if lay.count == 1:
        addr = 'one'
    elif lay.addr_table is None:
        addr = 'tree%d' % (lay.count - 1).bit_length()
    else:
        addr = 'table+%d' % lay.addr_steps
    return 'size %d-step+%dcmp, ptr %s, %d pools' % (lay.steps, above, addr, lay.count)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def measure(build, pools, fallback):
    run(['meson', 'configure', build, '-Dpools=' + pools, '-Dfallback=' + fallback])
    run(['ninja', '-C', build, 'bench/bench_drain_poolalloc', 'bench/wcet_probe'])
    drain = os.path.join(build, 'bench', 'bench_drain_poolalloc')
    p = subprocess.run([sys.executable, os.path.join(HERE, 'itrace.py'), '--qemu-run',
                        os.path.join(ROOT, 'cross', 'qemu-run.py'), drain], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit('cost_calibrate: %s: the drain workload failed:\n%s%s' % (pools, p.stdout, p.stderr))
    out = p.stdout
    got = {}
    for cat in ('malloc', 'malloc-fail', 'free'):
        m = re.search(r'^\s+%s\s+n=\d+.* max (\d+)' % re.escape(cat), out, re.M)
        got[cat] = int(m.group(1)) if m else None
    jpath = os.path.join(build, 'cost-wcet.json')
    run([sys.executable, os.path.join(HERE, 'wcet.py'), '--layout', os.path.join(build, 'pool_layout.h'),
         '--config', os.path.join(build, 'poolalloc_config.h'), '--json', jpath,
         os.path.join(build, 'bench', 'wcet_probe')])
    with open(jpath) as f:
        static = {e['entry']: e['instructions'] for e in json.load(f)['entries']}
    got['static-malloc'], got['static-free'] = static['malloc'], static['free']
    return got


def model(tune_cost, pools, fallback):
    out = run([tune_cost, pools, '8', fallback])
    m = re.search(r'malloc (\d+) .*free (\d+)', out)
    return int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('build')
    ap.add_argument('--layout', action='append', default=[], metavar='NAME=POOLS')
    ap.add_argument('--fallback', action='append', default=[], choices=['true', 'false'])
    ap.add_argument('--tune-cost', metavar='PROGRAM')
    a = ap.parse_args()
    layouts = [tuple(spec.split('=', 1)) for spec in a.layout] or LAYOUTS
    worst = {'malloc': 0, 'free': 0}
    for fallback in a.fallback or ['true', 'false']:
        for name, pools in layouts:
            got = measure(a.build, pools, fallback)
            # A successful malloc and a failing one are one entry point: its worst is the larger.
            malloc = max(v for v in (got['malloc'], got['malloc-fail']) if v is not None)
            line = ('%-14s fallback=%-5s %-40s malloc %4s fail %4s free %4s | static malloc %4d free %4d'
                    % (name, fallback, shape(pools), got['malloc'], got['malloc-fail'], got['free'],
                       got['static-malloc'], got['static-free']))
            if a.tune_cost:
                mm, mf = model(a.tune_cost, pools, fallback)
                line += ' | model malloc %4d (%+d) free %4d (%+d)' % (mm, mm - malloc, mf, mf - got['free'])
                worst['malloc'] = max(worst['malloc'], abs(mm - malloc))
                worst['free'] = max(worst['free'], abs(mf - got['free']))
            print(line, flush=True)
    if a.tune_cost:
        print('model against measurement: malloc within %d, free within %d instructions'
              % (worst['malloc'], worst['free']))
    return 0


if __name__ == '__main__':
    sys.exit(main())

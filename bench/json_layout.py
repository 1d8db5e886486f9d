#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The tuned layout of the json workload, found the way a user finds one.

    bench/json_layout.py --qemu-run cross/qemu-run.py --tune POOLALLOC-TUNE [--check bench/tuned/meson.build]
                         [--max-gap PCT] ELF

ELF is bench_json_poolalloc from a -Dtrace=true build.  It runs under QEMU
in a scratch directory (the recorder writes poolalloc.trace there), then
`poolalloc-tune generate TRACE --heap-size 64K --headroom 0` gives the
smallest layout that serves the trace; the layout is printed.  With --check,
the layout must equal `bench_json_pools` in bench/tuned/meson.build (the layout
the `tuned` benchmark flavour and its bound test use): a workload or tuner
change that moves it fails here, naming the new layout.  With --max-gap,
the layout generate prints with fallback (--headroom 0) must also be
within PCT percent of its printed lower bound
(tools/tune/tests/gap_report.py).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'tools' / 'tune' / 'tests'))
import gap_report  # noqa: E402

HEAP_SIZE = '64K'


def tuned_layout(elf, qemu_run, tune, max_gap):
    """Record the workload and generate; returns (pools, alignment or None);
    with max_gap, prints the fallback search's gap and returns None if it
    is above."""
    with tempfile.TemporaryDirectory(prefix='json-layout-') as tmp:
        run = subprocess.run([sys.executable, os.path.abspath(qemu_run), os.path.abspath(elf)], cwd=tmp,
                             capture_output=True, text=True, timeout=300)
        if run.returncode != 0:
            raise RuntimeError('%s exited with %d:\n%s' % (elf, run.returncode, run.stdout + run.stderr))
        gen = subprocess.run([tune, 'generate', os.path.join(tmp, 'poolalloc.trace'), '--heap-size', HEAP_SIZE, '--no-fallback',
                              '--headroom', '0'], capture_output=True, text=True)
        if max_gap is not None and gap_report.report(tune, [os.path.join(tmp, 'poolalloc.trace')],
                                                     ['--heap-size', HEAP_SIZE], max_gap) != 0:
            return None
    m = re.search(r'^meson configure (?:-Dalignment=(\d+) )?-Dpools=(\S+) BUILDDIR$', gen.stdout, re.M)
    if gen.returncode != 0 or not m:
        raise RuntimeError('poolalloc-tune generate failed (%d):\n%s' % (gen.returncode, gen.stdout + gen.stderr))
    return m.group(2), m.group(1)


def recorded_constant(meson_build):
    with open(meson_build) as f:
        m = re.search(r"^\s*bench_json_pools = '([^']*)'", f.read(), re.M)
    return m.group(1) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--qemu-run', required=True)
    ap.add_argument('--tune', required=True)
    ap.add_argument('--check', metavar='MESON_BUILD')
    ap.add_argument('--max-gap', metavar='PCT', type=float)
    ap.add_argument('elf')
    a = ap.parse_args()
    try:
        found = tuned_layout(a.elf, a.qemu_run, a.tune, a.max_gap)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print('json_layout: error: %s' % e)
        return 1
    if found is None:
        print('json_layout: no layout relying on fallback within %g%% of its bound (the table above)' % a.max_gap)
        return 1
    pools, alignment = found
    print('json workload, tuned layout (--heap-size %s --headroom 0): -Dpools=%s%s'
          % (HEAP_SIZE, pools, ' -Dalignment=%s' % alignment if alignment else ''))
    if a.check:
        recorded = recorded_constant(a.check)
        if alignment or recorded != pools:
            print('json_layout: %s says bench_json_pools = %r; the tuner now generates %r: update it'
                  % (a.check, recorded, pools))
            return 1
        print('json_layout: bench_json_pools in %s is up to date' % a.check)
    return 0


if __name__ == '__main__':
    sys.exit(main())

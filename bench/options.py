#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What each option costs: instructions per malloc and free, and flash.

    bench/options.py [--cross cross/thumbv7m-picolibc.txt] [--build-root DIR] [--jobs N]

For the default options and then for each opt-in option alone, configures a
build with the given cross file (reused when present), builds the bench
workload images and the malloc+free code-size probe of the `poolalloc`
flavour, runs the workloads sized to that layout under single-step QEMU (bench/itrace.py) and
prints one Markdown table: median / worst instructions of malloc and free
over all workloads, the allocator's own flash and RAM in the malloc+free
probe (from its link map), and the difference to the default build.  The
options table of doc/performance.md ("What each option costs") quotes it.  Python 3 standard library only.
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import itrace  # noqa: E402
import run  # noqa: E402

# The workloads sized to the default layout: the json workload overflows
# its 16-byte pool there and relies on fallback, so fallback=false fails it.
WORKLOADS = [w for w in run.WORKLOADS if w != 'json']

CONFIGS = [
    ('default', []),
    ('checks=none', ['-Dchecks=none']),
    ('checks=full', ['-Dchecks=full']),
    ('stats=true', ['-Dstats=true']),
    ('fault=abort', ['-Dfault=abort']),
    ('fault=message', ['-Dfault=message']),
    ('sync=irq', ['-Dsync=irq']),
    ('sync=none', ['-Dsync=none']),
    ('fallback=false', ['-Dfallback=false']),
]


def build(cross, root, name, args):
    path = os.path.join(root, name.replace('=', '-').replace(', ', '-').replace(' ', '-'))
    if not os.path.exists(os.path.join(path, 'build.ninja')):
        run.log('setup %s' % path)
        subprocess.run(['meson', 'setup', path, '--cross-file', os.path.join(ROOT, cross)] + args,
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    targets = ['bench/bench_%s_poolalloc' % w for w in WORKLOADS]
    targets += ['bench/flash_none_poolalloc', 'bench/flash_mf_poolalloc']
    subprocess.run(['meson', 'compile', '-C', path] + targets, check=True, stdout=subprocess.DEVNULL)
    return path


def measure(path, traces):
    """The option's row: the workloads' calls (traced already) and its flash
    and RAM in the malloc+free probe."""
    calls = []
    for w in WORKLOADS:
        calls += traces[w]['calls']
    stats = itrace.by_category(calls)
    elf = os.path.join(path, 'bench', 'flash_mf_poolalloc')
    sections, _ = run.allocator_sections(elf + '.map', 'poolalloc')
    return {'malloc': stats['malloc'], 'free': stats['free'],
            'flash': sections['code'] + sections['data'], 'ram': sections['data'] + sections['bss']}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cross', default='cross/thumbv7m-picolibc.txt')
    ap.add_argument('--build-root', default=os.path.join(ROOT, 'build-options'))
    ap.add_argument('--nm', default='arm-none-eabi-nm')
    ap.add_argument('--readelf', default='arm-none-eabi-readelf')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    paths = [build(a.cross, a.build_root, name, args) for name, args in CONFIGS]
    # Every (build, workload) image under single-step QEMU, one per core.
    with concurrent.futures.ProcessPoolExecutor(max_workers=a.jobs) as pool:
        jobs = {(path, w): pool.submit(itrace.run_traced, os.path.join(path, 'bench', 'bench_%s_poolalloc' % w),
                                       a.nm, None)
                for path in paths for w in WORKLOADS}
        traces = {key: job.result() for key, job in jobs.items()}
    rows = [(name, measure(path, {w: traces[(path, w)] for w in WORKLOADS}))
            for (name, _), path in zip(CONFIGS, paths)]
    base = rows[0][1]
    print('Option costs, %s (instructions per call including the call, all bench/ workloads; '
          'flash and RAM of the allocator in a malloc+free program, 9-pool default layout)\n'
          % os.path.splitext(os.path.basename(a.cross))[0])
    print('| build | malloc median / worst | free median / worst | flash | RAM | vs default: malloc, free, flash |')
    print('|---|---:|---:|---:|---:|---|')
    for name, r in rows:
        delta = '' if r is base else '%+d, %+d, %+d B' % (
            r['malloc']['median'] - base['malloc']['median'], r['free']['median'] - base['free']['median'],
            r['flash'] - base['flash'])
        print('| %s | %d / %d | %d / %d | %d B | %d B | %s |'
              % (name, r['malloc']['median'], r['malloc']['max'], r['free']['median'], r['free']['max'],
                 r['flash'], r['ram'], delta))
    return 0


if __name__ == '__main__':
    sys.exit(main())

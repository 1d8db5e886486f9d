#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End to end with two regions: record the DMA-region example's trace under
QEMU, check what the trace says of the regions, let poolalloc-tune propose
a layout per region, rebuild with it and run again.

In a temporary directory:
  1. meson setup with cross/thumbv7m-picolibc.txt, -Dtrace=true and the
     layout LAYOUT (heap pools plus dma@ pools on mps2-an385's PSRAM bank,
     cross/mps2-an385-banks.ld); install; link examples/dma_region.c against
     the installed library as doc/integration.md does;
  2. run it under cross/qemu-run.py: it must pass, and leave poolalloc.trace;
  3. the trace's bytes (read with tools/tune/trace_format.py): a region
     table heap (3 pools), dma (2 pools); each poolalloc_malloc_in record
     asks for region 1 and returns a block of a dma pool; each malloc
     record has region 0 and a heap block; every block is freed;
  4. poolalloc-tune report: one part per region, each with its own calls;
  5. poolalloc-tune generate with a budget per region: one -Dpools line
     with dma@ entries; reconfigure with it, relink, run again: the example
     passes, and the replay of its new trace fails nothing in either region.
Usage: test_trace_regions.py --tune POOLALLOC_TUNE [--source-root DIR]
       [--meson PROG] [--keep DIR]
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

from trace_run import Failed, add_common_arguments, record_trace, run

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'tools', 'tune'))
import trace_format as fmt  # noqa: E402

REGIONS = 'dma:__psram_start:__psram_end'
LAYOUT = '8:32,32:32,128:8,dma@32:8,dma@512:4'
EXPECT_REGIONS = ['heap', 'dma']
RX_BUFFERS, RX_BYTES = 4, 512        # examples/dma_region.c
BUDGETS = ['--heap-size', '1K', '--heap-size', 'dma=4K']


def build(args, tmp, pools):
    """Configure (or reconfigure) and install the library with `pools`, link
    the example against the installed copy; the ELF's path."""
    b, prefix = os.path.join(tmp, 'build'), os.path.join(tmp, 'install')
    if not os.path.isdir(b):
        run([args.meson, 'setup', b, args.source_root, '--cross-file',
             os.path.join(args.source_root, 'cross', 'thumbv7m-picolibc.txt'), '--prefix', prefix,
             '--libdir=lib', '-Dtests=false', '-Dtrace=true', '-Dregions=' + REGIONS, '-Dpools=' + pools])
    else:
        run([args.meson, 'configure', b, '-Dpools=' + pools])
    run([args.meson, 'install', '-C', b])
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, 'lib', 'pkgconfig'))
    flags = run(['pkg-config', '--static', '--cflags', '--libs', 'poolalloc'], env=env).stdout.split()
    elf = os.path.join(tmp, 'dma_region.elf')
    run(['arm-none-eabi-gcc', '-mcpu=cortex-m3', '-mthumb', '--specs=picolibc.specs', '--oslib=semihost',
         '--crt0=semihost', '-Wl,--defsym=__flash=0', '-Wl,--defsym=__flash_size=0x400000',
         '-Wl,--defsym=__ram=0x20000000', '-Wl,--defsym=__ram_size=0x400000',
         os.path.join(args.source_root, 'examples', 'dma_region.c'),
         os.path.join(args.source_root, 'cross', 'mps2-an385-banks.ld'), '-o', elf] + flags)
    return elf


def record(args, elf, rundir):
    """Run the example with cwd = rundir; its output, the trace's path and bytes."""
    out, trace = record_trace(args.source_root, elf, rundir)
    if 'every buffer in dma' not in out:
        raise Failed('the example failed; its output:\n%s' % out)
    with open(trace, 'rb') as f:
        return out, trace, f.read()


def region_of(address, pools, regions):
    """The region whose pools hold `address`, or None."""
    k = 0
    for name, count in regions:
        for p in pools[k:k + count]:
            if p['start'] <= address < p['start'] + p['block'] * p['capacity']:
                return name
        k += count
    return None


def region_table_of(layout):
    """[(name, pool count)] of a -Dpools value: untagged entries are heap's."""
    entries = layout.split(',')
    return [(name, sum(1 for e in entries if (e.split('@')[0] if '@' in e else 'heap') == name))
            for name in EXPECT_REGIONS]


def check_bytes(data, layout):
    """Step 3: the region table is the layout's, and the trace says which
    call asked which region, and where each block came from."""
    head, pools, regions, records = fmt.read(data)
    if head['version'] != fmt.VERSION:
        raise Failed('trace version %d, expected %d' % (head['version'], fmt.VERSION))
    if regions != region_table_of(layout):
        raise Failed('region table %s, expected %s' % (regions, region_table_of(layout)))
    live, counts = {}, {}
    for r in records:
        op = fmt.OP_NAMES.get(r['op'], '?')
        counts[op] = counts.get(op, 0) + 1
        if op == 'poolalloc_malloc_in':
            if r['region'] != 1 or r['size'] != RX_BYTES or region_of(r['result'], pools, regions) != 'dma':
                raise Failed('poolalloc_malloc_in record %s: expected region 1, %d bytes, a dma block'
                             % (r, RX_BYTES))
            live[r['result']] = 'dma'
        elif r['region'] != 0:
            raise Failed('%s record with region %d' % (op, r['region']))
        elif op in ('malloc', 'calloc') and r['result']:
            if region_of(r['result'], pools, regions) != 'heap':
                raise Failed('%s returned 0x%x, not a heap block' % (op, r['result']))
            live[r['result']] = 'heap'
        elif op == 'free' and r['old']:
            if live.pop(r['old'], None) is None:
                raise Failed('free of 0x%x, which no recorded call returned' % r['old'])
    if counts.get('poolalloc_malloc_in') != RX_BUFFERS or live:
        raise Failed('%s poolalloc_malloc_in records (expected %d); still live: %s'
                     % (counts.get('poolalloc_malloc_in'), RX_BUFFERS, live))
    return counts


def check_report(report):
    """Step 4: one part per region, each with its own requests."""
    parts = re.split(r'^== region (\w+) \(region (\d+)\): pools (\d+)\.\.(\d+) ==$', report, flags=re.M)
    heads = [(parts[i], int(parts[i + 1])) for i in range(1, len(parts), 5)]
    if heads != [(name, r) for r, name in enumerate(EXPECT_REGIONS)]:
        raise Failed('report parts %s, expected one per region of %s:\n%s' % (heads, EXPECT_REGIONS, report))
    dma = parts[10]
    if not re.search(r'^\s+%d\s+%d\s' % (RX_BYTES, RX_BUFFERS), dma, re.M) or \
            re.search(r'^\s+%d\s' % RX_BYTES, parts[5], re.M):
        raise Failed('the %d-byte DMA buffers are not in the dma part of the report alone:\n%s'
                     % (RX_BYTES, report))


def check_generate(gen):
    """Step 5: one -Dpools line; the 512-byte buffers in dma pools only."""
    m = re.search(r'^meson configure -Dpools=(\S+) BUILDDIR$', gen, re.M)
    if not m:
        raise Failed('no configure line in the generate output:\n%s' % gen)
    pools = m.group(1)
    dma = [e.split('@')[1] for e in pools.split(',') if e.startswith('dma@')]
    heap = [e for e in pools.split(',') if '@' not in e]
    if not heap or not any(int(b.split(':')[0]) >= RX_BYTES and int(b.split(':')[1]) >= RX_BUFFERS for b in dma) \
            or any(int(e.split(':')[0]) >= RX_BYTES for e in heap):
        raise Failed('layout %s: expected the %d DMA buffers in dma pools and no %d-byte heap pool:\n%s'
                     % (pools, RX_BUFFERS, RX_BYTES, gen))
    print(gen)
    return pools


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tune', required=True, help='the poolalloc-tune executable')
    add_common_arguments(ap)
    args = ap.parse_args()
    start = time.time()
    tmp = args.keep or tempfile.mkdtemp(prefix='poolalloc-trace-regions-')
    step = 'build with ' + LAYOUT
    try:
        elf = build(args, tmp, LAYOUT)
        step = 'record the first trace'
        out, trace, data = record(args, elf, os.path.join(tmp, 'run1'))
        step = 'the trace bytes'
        counts = check_bytes(data, LAYOUT)
        print('trace: %s' % ', '.join('%d %s' % (n, op) for op, n in sorted(counts.items())))
        step = 'report'
        report = run([args.tune, 'report', trace]).stdout
        check_report(report)
        step = 'generate'
        gen = run([args.tune, 'generate', trace] + BUDGETS).stdout
        pools = check_generate(gen)
        step = 'rebuild and run with ' + pools
        elf = build(args, tmp, pools)
        out, trace, data = record(args, elf, os.path.join(tmp, 'run2'))
        check_bytes(data, pools)
        step = 'replay the second trace on ' + pools
        replay = run([args.tune, 'replay', trace, '--pools', pools]).stdout
        if len(re.findall(r'^== region ', replay, re.M)) != len(EXPECT_REGIONS):
            raise Failed('replay does not show each region:\n%s' % replay)
        print(replay)
    except Failed as e:
        print('FAILED at step "%s": %s' % (step, e))
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print('trace regions: OK, %.1f s' % (time.time() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End to end: record a trace of the demo under QEMU, generate a layout from
it, rebuild with that layout and run the demo again without a failure.

In a temporary directory:
  1. meson setup with cross/thumbv7m-picolibc.txt -Dtrace=true
     -Dstats=true; build the demo (examples/demo.c) and poolalloc-tune;
  2. run the demo under cross/qemu-run.py with the temporary directory as
     working directory: the recorder leaves poolalloc.trace there;
  3. `poolalloc-tune report` must read it (exit 0, END present, no frees of
     unknown pointers) and show the demo's request sizes;
  4. `poolalloc-tune generate TRACE --heap-size 4K`: take the printed
     -Dpools=..., check its total is within the budget and that each pool
     is charged the 28 bytes its state takes with statistics (the trace's
     header says so);
  5. meson configure -Dpools=..., rebuild the demo, run it again: it must
     finish, log every line, and its own trace must show zero failures, on
     the generated layout.
Usage: test_trace_e2e.py [--source-root DIR] [--meson PROG] [--keep DIR]
(a failure prints the step and the output that failed).
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import time

from trace_run import Failed, add_common_arguments, record_trace, run

HEAP = 4096
HEAP_ARG = '4K'
# Requests the demo makes for sure: calloc(1, sizeof(struct entry)) = 8 and
# strdup of "sensor N reads NNNN mV" = 23 bytes.
DEMO_SIZES = (8, 23)
# RAM of one pool's state with -Dstats=true on Cortex-M: list head and
# high-water count, and five counters (src/pool_list.h, src/pool_stats.h).
POOL_STATE_SIZE = 28


def record(args, build, rundir):
    """Run the demo with cwd = rundir; return (demo output, report output)."""
    out, trace = record_trace(args.source_root, os.path.join(build, 'examples', 'demo'), rundir)
    report = run([tune(build), 'report', trace]).stdout
    if 'no END record' in report or 'never returned' in report:
        raise Failed('report of %s has integrity notes:\n%s' % (trace, report))
    return out, report


def tune(build):
    return os.path.join(build, 'tools', 'tune', 'poolalloc-tune')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_common_arguments(ap)
    args = ap.parse_args()
    start = time.time()
    tmp = args.keep or tempfile.mkdtemp(prefix='poolalloc-trace-e2e-')
    build = os.path.join(tmp, 'build')
    try:
        shutil.rmtree(build, ignore_errors=True)
        step = 'configure'
        run([args.meson, 'setup', build, args.source_root,
             '--cross-file', os.path.join(args.source_root, 'cross', 'thumbv7m-picolibc.txt'),
             '-Dtrace=true', '-Dstats=true'])
        step = 'build'
        run([args.meson, 'compile', '-C', build, 'demo', 'poolalloc-tune'])

        step = 'record the first trace'
        out, report = record(args, build, os.path.join(tmp, 'run1'))
        print(out)
        print(report)
        step = 'report'
        for size in DEMO_SIZES:
            if not re.search(r'^\s+%d\s+\d+\s+\d+' % size, report, re.M):
                raise Failed('report does not list request size %d:\n%s' % (size, report))
        if 'in interrupt handlers' not in report:
            raise Failed('unexpected report:\n%s' % report)

        step = 'generate'
        trace = os.path.join(tmp, 'run1', 'poolalloc.trace')
        gen = run([tune(build), 'generate', trace, '--heap-size', HEAP_ARG]).stdout
        print(gen)
        m = re.search(r'^meson configure (-Dpools=\S+)', gen, re.M)
        total = re.search(r'^\s+total (\d+) bytes', gen, re.M)
        if not m or not total:
            raise Failed('no layout in the generate output:\n%s' % gen)
        if int(total.group(1)) > HEAP:
            raise Failed('generated layout takes %s bytes, budget %d' % (total.group(1), HEAP))
        if not re.search(r'^  \d+ pools, \d+ bytes of blocks \+ \d+ x %d bytes of pool records' % POOL_STATE_SIZE,
                         gen, re.M):
            raise Failed('generate does not charge %d bytes per pool:\n%s' % (POOL_STATE_SIZE, gen))
        if 'fallback off: 0 failures' not in gen:
            raise Failed('generate predicts failures:\n%s' % gen)
        pools = m.group(1)

        step = 'reconfigure and rebuild with ' + pools
        run([args.meson, 'configure', build, pools])
        run([args.meson, 'compile', '-C', build, 'demo'])
        step = 'run with the generated layout'
        out2, report2 = record(args, build, os.path.join(tmp, 'run2'))
        print(report2)
        layout = pools.split('=', 1)[1]
        if 'recorded layout: ' + layout not in report2:
            raise Failed('the second trace was not recorded on %s:\n%s' % (layout, report2))
        if 'log full' in out2 or not re.search(r'^requests: \d+ allocations \(0 failed in the trace', report2, re.M):
            raise Failed('allocation failures with the generated layout:\n%s\n%s' % (out2, report2))
        if not re.search(r'failures: 0 in the replay', report2):
            raise Failed('the replay of the second trace fails:\n%s' % report2)
    except Failed as e:
        print('FAILED at step "%s": %s' % (step, e))
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print('trace e2e: OK, layout %s within %d bytes, %.1f s' % (pools, HEAP, time.time() - start))
    return 0


if __name__ == '__main__':
    sys.exit(main())

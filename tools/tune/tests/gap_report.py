#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The fallback search's distance to its lower bound, trace by trace (not a
test: the numbers tools/tune/README.md quotes).

  gap_report.py POOLALLOC-TUNE TRACE... [-- GENERATE-OPTIONS...]

For each trace (each region of a multi-region one), `generate TRACE
--headroom 0` and prints: the exact (no-fallback) minimum, the fallback
search's layout, its printed lower bound, the gap (layout / bound - 1) and
the user CPU time of the whole generate.
"""
import re
import resource
import subprocess
import sys


def measure(tool, path, options):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    p = subprocess.run([tool, 'generate', path, '--headroom', '0', *options], capture_output=True, text=True)
    seconds = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    rows = []
    regions = re.split(r'^== region (\w+) .*==$', p.stdout, flags=re.M)
    parts = [('', regions[0])] if len(regions) == 1 else list(zip(regions[1::2], regions[2::2]))
    for name, text in parts:
        exact = re.search(r'^minimum layout \(every request.*\n  \d+ pools, .* = (\d+) bytes', text, re.M)
        fallback = re.search(r'relying on fallback .*\n  \d+ pools, .* = (\d+) bytes\n'
                             r'  no layout with fallback needs less than (\d+) bytes', text)
        rows.append((name, exact and int(exact.group(1)), fallback and int(fallback.group(1)),
                     fallback and int(fallback.group(2))))
    return p.returncode, rows, seconds


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    tool, rest = argv[1], argv[2:]
    traces, options = (rest[:rest.index('--')], rest[rest.index('--') + 1:]) if '--' in rest else (rest, [])
    print('%-40s %10s %10s %10s %7s %7s' % ('trace', 'exact', 'fallback', 'bound', 'gap', 'time'))
    for path in traces:
        rc, rows, seconds = measure(tool, path, options)
        for name, exact, fallback, bound in rows:
            label = path + (' ' + name if name else '')
            if rc != 0 or bound is None:
                print('%-40s %10s %10s %10s %7s %6.2fs' % (label[-40:], exact, '-', '-', '-', seconds))
                continue
            best = min(exact, fallback)
            print('%-40s %10d %10d %10d %6.2f%% %6.2fs' % (label[-40:], exact, fallback, bound,
                                                           100.0 * (best - bound) / bound, seconds))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The fallback search's distance to its lower bound, trace by trace (the
numbers tools/tune/README.md quotes; test_gap.py and bench/json_layout.py
hold traces to --max-gap with it).

  gap_report.py POOLALLOC-TUNE [--max-gap PCT] TRACE... [-- GENERATE-OPTIONS...]

For each trace (each region of a multi-region one), `generate TRACE
--headroom 0` and prints: the exact (no-fallback) minimum, the fallback
search's layout, its printed lower bound, the gap (the cheaper of the two
layouts / bound - 1) and the user CPU time of the whole generate.  With
--max-gap, exits 1 when a gap is above PCT percent or a trace has no
fallback layout.
"""
import re
import resource
import subprocess
import sys


def measure(tool, path, options):
    """(exit status, [(region or '', exact, fallback, bound)], CPU seconds)."""
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


def gap_percent(exact, fallback, bound):
    """How far the layout generate uses is above the bound, in percent."""
    return 100.0 * (min(exact, fallback) - bound) / bound


def report(tool, traces, options, max_gap=None):
    """Prints the table; the number of rows above max_gap (or with no
    fallback layout when max_gap is given)."""
    print('%-40s %10s %10s %10s %7s %7s' % ('trace', 'exact', 'fallback', 'bound', 'gap', 'time'))
    bad = 0
    for path in traces:
        rc, rows, seconds = measure(tool, str(path), options)
        for name, exact, fallback, bound in rows:
            label = str(path) + (' ' + name if name else '')
            if rc != 0 or bound is None:
                print('%-40s %10s %10s %10s %7s %6.2fs' % (label[-40:], exact, '-', '-', '-', seconds))
                bad += max_gap is not None
                continue
            gap = gap_percent(exact, fallback, bound)
            over = max_gap is not None and gap > max_gap
            bad += over
            print('%-40s %10d %10d %10d %6.2f%% %6.2fs%s' % (label[-40:], exact, fallback, bound, gap, seconds,
                                                             '  ABOVE %g%%' % max_gap if over else ''))
    return bad


def main(argv):
    args = argv[1:]
    max_gap = None
    if len(args) >= 2 and args[1] == '--max-gap':
        max_gap = float(args[2])
        del args[1:3]
    if len(args) < 2:
        sys.stderr.write(__doc__)
        return 2
    tool, rest = args[0], args[1:]
    traces, options = (rest[:rest.index('--')], rest[rest.index('--') + 1:]) if '--' in rest else (rest, [])
    return 1 if report(tool, traces, options, max_gap) else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

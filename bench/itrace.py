#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Count the instructions of every allocator call in a benchmark image.

Runs a bench ELF (bench/harness.c + a workload) under QEMU with one
instruction per translation block and exec logging (-singlestep -d
exec,nochain): the log then has one "Trace" line per executed instruction,
with its PC.  A call starts at the `bl` in one of the harness wrappers
(bench_malloc, bench_calloc, bench_realloc, bench_free) whose next
instruction is the entry of malloc, calloc, realloc or free (addresses from
nm), and ends when control comes back to the instruction after that `bl`;
its count includes the `bl` and the callee's return, and everything the
callee calls (realloc -> malloc + memcpy, calloc -> memset, sbrk, locks).
The empty marker functions bench_mark_null and bench_mark_in_place,
called by the wrappers after the call, classify it as failed or in place.
An image with several regions (bench/wl_regions.c) also has the wrapper
bench_malloc_in, whose calls of poolalloc_malloc_in are counted the same
way (categories malloc-in, malloc-in-fail).

Self-checks, so that a broken trace cannot pass for a fast allocator:
bench_calibrate (a call of exactly 13 instructions) must measure 13, the
number of calls found must equal the count the image prints, the image must
exit 0 (no workload error), and every call must return.

As a test (meson test bench-bounds):
    itrace.py --nm NM --qemu-run qemu-run.py --bound malloc=40 --bound free=32 ELF...
fails when any call of a bounded category exceeds its bound in any ELF, or
(--median-bound) when the median call of the ELFs together exceeds one;
--expect-violation inverts that verdict only (the slowed build must exceed).
With --wcet-dir (the directory of a build's generated pool_layout.h and
poolalloc_config.h; --wcet-dir-for ELF_NAME=DIR for an image of another
layout) every ELF is also analysed statically (bench/wcet.py) and every
call must stay within the static bound of its entry point, whatever
--expect-violation says; --wcet-tight ENTRY=RATIO fails when the static
bound of ENTRY exceeds RATIO times its longest call measured over all the
ELFs (the bound is tight on the workloads built to hit its longest path).
Categories: malloc, malloc-fail, calloc, calloc-fail, realloc-in-place,
realloc-move (includes realloc(NULL, n)), realloc-fail, free, malloc-in,
malloc-in-fail.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wcet  # noqa: E402

CALIBRATION = 13
ENTRIES = ('malloc', 'calloc', 'realloc', 'free')
WRAPPERS = ('bench_malloc', 'bench_calloc', 'bench_realloc', 'bench_free')
CATEGORIES = ('malloc', 'malloc-fail', 'calloc', 'calloc-fail', 'realloc-in-place',
              'realloc-move', 'realloc-fail', 'free', 'malloc-in', 'malloc-in-fail')
# Counted when the image has both: poolalloc_malloc_in called from its wrapper.
REGION_ENTRY, REGION_WRAPPER = 'poolalloc_malloc_in', 'bench_malloc_in'


class TraceError(Exception):
    pass


def symbols(nm, elf):
    """name -> (address, size) of the defined symbols (Thumb bit cleared)."""
    out = subprocess.run([nm, '-S', '--defined-only', elf], capture_output=True, text=True,
                         check=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            table[parts[3]] = (int(parts[0], 16) & ~1, int(parts[1], 16))
        elif len(parts) == 3:
            table.setdefault(parts[2], (int(parts[0], 16) & ~1, 0))
    return table


def run_traced(elf, nm='arm-none-eabi-nm', qemu_run=None, timeout=300, keep_pcs_of=None):
    """Run `elf` traced; return a dict: calls [(category, count)], report
    fields, and (when keep_pcs_of names a category) the PCs of the longest
    call of that category."""
    syms = symbols(nm, elf)
    missing = [s for s in ENTRIES + WRAPPERS + ('bench_calibrate', 'bench_mark_null',
                                                'bench_mark_in_place') if s not in syms]
    if missing:
        raise TraceError('%s: symbols not found: %s' % (elf, ' '.join(missing)))
    entry = {syms[name][0]: name for name in ENTRIES}
    wrapper_ranges = [(syms[w][0], syms[w][0] + syms[w][1]) for w in WRAPPERS]
    if REGION_ENTRY in syms and REGION_WRAPPER in syms:
        entry[syms[REGION_ENTRY][0]] = 'malloc-in'
        wrapper_ranges.append((syms[REGION_WRAPPER][0], syms[REGION_WRAPPER][0] + syms[REGION_WRAPPER][1]))
    calibrate = syms['bench_calibrate'][0]
    mark_null = syms['bench_mark_null'][0]
    mark_in_place = syms['bench_mark_in_place'][0]
    qemu_run = qemu_run or os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'cross',
                                        'qemu-run.py')

    with tempfile.TemporaryDirectory(prefix='itrace-') as tmp:
        log = os.path.join(tmp, 'trace.log')
        cmd = [sys.executable, qemu_run, '--timeout', str(timeout), '--qemu-arg=-singlestep',
               '--qemu-arg=-d', '--qemu-arg=exec,nochain', '--qemu-arg=-D', '--qemu-arg=' + log, elf]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(r'bench: errors=(\d+) calls=(\d+) heap_peak=(\d+) heap_reserved=(\d+)',
                      proc.stdout)
        if proc.returncode != 0 or not m:
            raise TraceError('%s: exit status %d, output:\n%s%s' % (elf, proc.returncode, proc.stdout,
                                                                    proc.stderr))
        report = dict(zip(('errors', 'calls', 'heap_peak', 'heap_reserved'),
                          (int(x) for x in m.groups())))

        calls = []          # [op, count, null, in_place]
        calibrations = []
        lines = 0
        op = None           # the call in progress
        start = ret_a = ret_b = 0
        prev = -1
        pcs = [] if keep_pcs_of else None
        worst_pcs, worst = [], -1
        with open(log, 'r', errors='replace') as f:
            for line in f:
                if not line.startswith('Trace'):
                    continue
                # "Trace 0: 0x7f.. [cs_base/pc/flags/cflags] symbol"; the
                # field widths differ between QEMU versions
                b = line.index('[')
                pc = int(line[line.index('/', b) + 1:line.index('/', line.index('/', b) + 1)], 16)
                lines += 1
                if op is not None:
                    if pc == ret_a or pc == ret_b:
                        count = lines - start
                        if op == 'calibrate':
                            calibrations.append(count)
                        else:
                            calls.append([op, count, False, False])
                        if pcs is not None:
                            if op != 'calibrate':
                                calls[-1].append(pcs)
                            pcs = []
                        op = None
                    elif pcs is not None:
                        pcs.append(pc)
                elif pc in entry and any(lo <= prev < hi for lo, hi in wrapper_ranges):
                    op, start, ret_a, ret_b = entry[pc], lines - 1, prev + 2, prev + 4
                    if pcs is not None:
                        pcs = [prev, pc]
                elif pc == calibrate:
                    op, start, ret_a, ret_b = 'calibrate', lines - 1, prev + 2, prev + 4
                    if pcs is not None:
                        pcs = [prev, pc]
                elif pc == mark_null and calls:
                    calls[-1][2] = True
                elif pc == mark_in_place and calls:
                    calls[-1][3] = True
                prev = pc
    if op is not None:
        raise TraceError('%s: a %s call never returned' % (elf, op))
    if calibrations != [CALIBRATION]:
        raise TraceError('%s: calibration call measured %s instructions, expected [%d]: the trace '
                         'does not show one line per instruction' % (elf, calibrations, CALIBRATION))
    if len(calls) != report['calls']:
        raise TraceError('%s: found %d calls in the trace, the image made %d'
                         % (elf, len(calls), report['calls']))
    result = []
    for c in calls:
        name, count, null, in_place = c[:4]
        if name == 'free':
            cat = 'free'
        elif name == 'realloc':
            cat = 'realloc-fail' if null else 'realloc-in-place' if in_place else 'realloc-move'
        else:
            cat = name + ('-fail' if null else '')
        result.append((cat, count))
        if keep_pcs_of == cat and count > worst:
            worst, worst_pcs = count, c[4]
    return {'calls': result, 'report': report, 'instructions': lines, 'worst_pcs': worst_pcs}


def summarize(counts):
    """min, median (lower), p99 (nearest rank), max of a list of counts."""
    s = sorted(counts)
    p99 = s[max(0, -(-99 * len(s) // 100) - 1)]
    return {'n': len(s), 'min': s[0], 'median': statistics.median_low(s), 'p99': p99, 'max': s[-1]}


def by_category(calls):
    cats = {}
    for cat, count in calls:
        cats.setdefault(cat, []).append(count)
    return {cat: summarize(v) for cat, v in cats.items()}


def describe_pcs(pcs, syms):
    """Group a call's PCs by function: [(function, instructions)] in order."""
    # aliases share an address: prefer poolalloc_* and the libc names
    def rank(name):
        return (not name.startswith('poolalloc_'), name not in ENTRIES, name)
    ranges = sorted((a, a + s, n) for n, (a, s) in sorted(syms.items(), key=lambda kv: rank(kv[0]))
                    if s > 0)
    out = []
    for pc in pcs:
        name = '?'
        for lo, hi, n in ranges:
            if lo <= pc < hi:
                name = n
                break
        if out and out[-1][0] == name:
            out[-1][1] += 1
        else:
            out.append([name, 1])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nm', default='arm-none-eabi-nm')
    ap.add_argument('--qemu-run', help='cross/qemu-run.py (default: next to this script)')
    ap.add_argument('--bound', action='append', default=[], metavar='CATEGORY=N',
                    help='fail when a call of CATEGORY takes more than N instructions')
    ap.add_argument('--median-bound', action='append', default=[], metavar='CATEGORY=N',
                    help='fail when the median call of CATEGORY in an ELF takes more than N instructions')
    ap.add_argument('--require', action='append', default=[], metavar='CATEGORY',
                    help='fail unless some ELF makes a call of CATEGORY')
    ap.add_argument('--expect-violation', action='store_true',
                    help='invert the bound verdict: pass only when some bound is exceeded')
    ap.add_argument('--dump-worst', metavar='CATEGORY',
                    help='print where the instructions of the longest CATEGORY call go')
    ap.add_argument('--wcet-dir', metavar='DIR',
                    help='check every call against the static bound (bench/wcet.py) of the build in DIR')
    ap.add_argument('--wcet-dir-for', action='append', default=[], metavar='ELF_NAME=DIR',
                    help='the static bound of this ELF comes from the build in DIR')
    ap.add_argument('--wcet-cpu', default='cortex-m3')
    ap.add_argument('--wcet-config', metavar='HEADER',
                    help='poolalloc_config.h for a --wcet-dir-for directory that has none')
    ap.add_argument('--wcet-tight', action='append', default=[], metavar='ENTRY=RATIO',
                    help='fail when the static bound of ENTRY is more than RATIO x its longest measured call')
    ap.add_argument('--wcet-broken-ignore-loops', action='store_true',
                    help='DELIBERATELY WRONG static bound that counts every loop once (the check\'s teeth)')
    ap.add_argument('elf', nargs='+')
    a = ap.parse_args()
    wcet_dirs = dict(spec.partition('=')[::2] for spec in a.wcet_dir_for)
    static_violations = []
    measured_worst = {}   # entry -> (longest call, its static bound)
    def parse_bounds(specs, option):
        parsed = {}
        for b in specs:
            cat, _, n = b.partition('=')
            if cat not in CATEGORIES or not n.isdigit():
                sys.exit('itrace: bad %s %r (categories: %s)' % (option, b, ' '.join(CATEGORIES)))
            parsed[cat] = int(n)
        return parsed
    bounds = parse_bounds(a.bound, '--bound')
    median_bounds = parse_bounds(a.median_bound, '--median-bound')

    seen = set()
    violations = []
    all_calls = []
    try:
        for elf in a.elf:
            r = run_traced(elf, a.nm, a.qemu_run, keep_pcs_of=a.dump_worst)
            stats = by_category(r['calls'])
            all_calls += r['calls']
            print('%s: %d instructions traced, %d calls, heap peak %d of %d bytes'
                  % (os.path.basename(elf), r['instructions'], len(r['calls']),
                     r['report']['heap_peak'], r['report']['heap_reserved']))
            for cat in CATEGORIES:
                if cat not in stats:
                    continue
                seen.add(cat)
                s = stats[cat]
                limit = bounds.get(cat)
                verdict = '' if limit is None else ('  bound %d: %s' % (
                    limit, 'ok' if s['max'] <= limit else 'EXCEEDED'))

                print('  %-17s n=%-5d min %-5d median %-5d p99 %-5d max %-5d%s'
                      % (cat, s['n'], s['min'], s['median'], s['p99'], s['max'], verdict))
                if limit is not None and s['max'] > limit:
                    violations.append('%s: %s took %d instructions (bound %d)'
                                      % (os.path.basename(elf), cat, s['max'], limit))
            wdir = wcet_dirs.get(os.path.basename(elf), a.wcet_dir)
            if wdir:
                config = os.path.join(wdir, 'poolalloc_config.h')
                if not os.path.exists(config) and a.wcet_config:
                    config = a.wcet_config
                static = wcet.analyse(elf, wcet.Layout(os.path.join(wdir, 'pool_layout.h')),
                                      wcet.read_config(config), a.wcet_cpu,
                                      ('arm-none-eabi-objdump', a.nm, 'arm-none-eabi-addr2line'),
                                      ignore_loops=a.wcet_broken_ignore_loops)
                bound_of = {}   # the largest over the regions (malloc-in)
                for e in static['entries']:
                    for cat in e['categories']:
                        if e['instructions'] > bound_of.get(cat, ('', 0))[1]:
                            bound_of[cat] = (e['entry'], e['instructions'])
                for cat in CATEGORIES:
                    if cat not in stats:
                        continue
                    if cat not in bound_of:
                        static_violations.append('%s: %s has no static bound' % (os.path.basename(elf), cat))
                        continue
                    entry, bound = bound_of[cat]
                    worst = stats[cat]['max']
                    print('  %-17s static bound %-5d (%s)%s' % (cat, bound, entry,
                                                             '' if worst <= bound else '  EXCEEDED'))
                    if worst > bound:
                        static_violations.append('%s: %s took %d instructions, more than the static bound %d'
                                                 % (os.path.basename(elf), cat, worst, bound))
                    old = measured_worst.get(entry, (0, 0))
                    measured_worst[entry] = (max(old[0], worst), max(old[1], bound))
            if a.dump_worst and r['worst_pcs']:
                print('  longest %s call, by function:' % a.dump_worst)
                for name, n in describe_pcs(r['worst_pcs'], symbols(a.nm, elf)):
                    print('    %-28s %d' % (name, n))
                print('  PCs: ' + ' '.join('%x' % pc for pc in r['worst_pcs']))
    except (TraceError, wcet.WcetError, subprocess.CalledProcessError) as e:
        print('itrace: error: %s' % e, file=sys.stderr)
        return 2
    # Median bounds hold for the calls of all the ELFs together (the workloads
    # are one mix: the exhaustion workload alone is all never-used blocks).
    combined = by_category(all_calls)
    for cat, limit in median_bounds.items():
        if cat in combined:
            m = combined[cat]['median']
            print('all ELFs: %-17s n=%-5d median %-5d median bound %d: %s'
                  % (cat, combined[cat]['n'], m, limit, 'ok' if m <= limit else 'EXCEEDED'))
            if m > limit:
                violations.append('the median %s took %d instructions (bound %d)' % (cat, m, limit))
    unseen = [c for c in list(bounds) + list(median_bounds) + a.require if c not in seen]
    if unseen:
        print('itrace: error: no call of %s was traced: the bounds test nothing'
              % ', '.join(sorted(set(unseen))), file=sys.stderr)
        return 2
    for spec in a.wcet_tight:
        entry, _, ratio = spec.partition('=')
        if entry not in measured_worst:
            print('itrace: error: --wcet-tight %s: no call of %s was measured' % (spec, entry), file=sys.stderr)
            return 2
        worst, bound = measured_worst[entry]
        print('static bound of %s %d, longest call measured %d: bound/measured %.2f (at most %s)'
              % (entry, bound, worst, bound / worst, ratio))
        if bound > float(ratio) * worst:
            static_violations.append('the static bound of %s (%d) is more than %s x its longest measured call (%d)'
                                     % (entry, bound, ratio, worst))
    for v in static_violations:
        print('itrace: wcet: ' + v)
    if static_violations:
        return 1
    if a.wcet_dir:
        print('itrace: every call within the static bound of its entry point (bench/wcet.py)')
    for v in violations:
        print('itrace: ' + v)
    if a.expect_violation:
        if violations:
            print('itrace: bounds exceeded, as expected for this build')
            return 0
        print('itrace: error: expected this build to exceed a bound, but every call is within bounds')
        return 1
    if violations:
        return 1
    if bounds:
        print('itrace: every call within its bound (%s)' % ', '.join('%s<=%d' % kv for kv in bounds.items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())

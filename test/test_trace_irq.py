#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run test/trace_irq.c (-Dtrace=true) under QEMU and check its trace.

A small reader of doc/trace-format.md, independent of poolalloc-tune (the
layout and the operation codes come from include/poolalloc_trace.h, through
tools/tune/trace_format.py), checks: the header is the current version with
this build's pointer size, record size and per-pool state size (--stats:
the build has -Dstats=true); the
sequence numbers have no gap that a DROPPED record does not account for; the
trace ends with END, whose seq is the number of events; events raised in the
SysTick handler are there with the IN_IRQ flag (and none from thread mode
has it: the handler's callers are distinct); the replay balances -- every
free and realloc names a live block, no allocation returns a live block, and
nothing is live at the end.  Then `poolalloc-tune report` must read it.

With --sweep, the program is test/trace_sweep.c (run with -icount through
--qemu-arg), which overflows the ring on purpose: instead of the replay,
the accounting is checked exactly -- records from thread mode + records
with IN_IRQ + events counted by DROPPED records = END's seq = the events the
program says it raised, with at least one DROPPED record -- and no torn
record: every allocation from thread mode asks the program's main size,
every one with IN_IRQ the handler's; poolalloc-tune must count the same
drops and no other gap.  Each failure of the accounting is reported as
"FAIL: accounting: ..." (what test/meson.build's trace-sweep-unlocked-fails
looks for).
Usage: test_trace_irq.py [--stats] [--sweep] [--qemu-arg ARG]... QEMU_RUN TUNE ELF
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools' / 'tune'))
import trace_format as fmt  # noqa: E402

W = 4                       # Cortex-M
IN_IRQ = fmt.RECORD_IN_IRQ
# RAM of one pool's state on Cortex-M: free-list head and high-water count,
# plus five counters with -Dstats=true (src/pool_list.h, src/pool_stats.h).
POOL_STATE_SIZE = {False: 2 * W, True: 7 * W}


def parse(data, stats):
    head = fmt.unpack('HEADER', data, 0, W)
    if head['magic'] != fmt.MAGIC:
        raise ValueError('bad magic')
    want = dict(version=fmt.VERSION, pointer_size=W, record_size=fmt.size('RECORD', W),
                pool_state_size=POOL_STATE_SIZE[stats])
    for field, value in want.items():
        if head[field] != value:
            raise ValueError('header: %s is %d, expected %d' % (field, head[field], value))
    records = fmt.read(data)[3]
    for r in records:
        if r['op'] not in fmt.OP_NAMES or r['region'] or r['flags'] & ~IN_IRQ:
            raise ValueError('bad record at byte %d' % r['offset'])
        r['op'] = fmt.OP_NAMES[r['op']]
    return records


def check(records, sweep=None):
    """sweep: None, or the program's numbers (sizes, events raised)."""
    errors = []
    thread_records = 0
    end_seq = None
    expect = 0
    live = {}
    irq = 0
    irq_callers, thread_callers = set(), set()
    dropped = 0
    for i, r in enumerate(records):
        if r['seq'] != expect:
            errors.append('byte %d: seq %d, expected %d' % (r['offset'], r['seq'], expect))
        if r['op'] == 'DROPPED':
            dropped += r['size']
            expect = r['seq'] + r['size']
            continue
        if r['op'] == 'END':
            end_seq = r['seq']
            if i != len(records) - 1:
                errors.append('records after END')
            break
        expect = r['seq'] + 1
        if r['flags'] & IN_IRQ:
            irq += 1
            irq_callers.add(r['caller'])
        else:
            thread_records += 1
            thread_callers.add(r['caller'])
        op, old, res = r['op'], r['old'], r['result']
        if sweep is not None:
            want = sweep['handler size'] if r['flags'] & IN_IRQ else sweep['main size']
            if op != 'free' and r['size'] != want:
                errors.append('byte %d: torn record: %s of %d bytes%s, expected %d' % (
                    r['offset'], op, r['size'], ' in the handler' if r['flags'] & IN_IRQ else '', want))
            continue
        if op in ('free', 'realloc', 'reallocf', 'reallocarray') and old:
            if old not in live:
                errors.append('byte %d: %s of 0x%x, which is not live' % (r['offset'], op, old))
            moved = res != 0 and res != old
            freed = moved or (op != 'reallocarray' and r['size'] == 0) or (op == 'reallocf' and res == 0)
            if op == 'free' or freed:
                live.pop(old, None)
        if op != 'free' and res and res != old:
            if res in live:
                errors.append('byte %d: %s returned 0x%x, which is live' % (r['offset'], op, res))
            live[res] = r
    else:
        errors.append('no END record')
    if sweep is not None:
        raised = sweep['main events'] + sweep['handler events']
        total = thread_records + irq + dropped
        if end_seq is not None and total != end_seq:
            errors.append('accounting: %d thread records + %d handler records + %d dropped = %d, but END says %d'
                          % (thread_records, irq, dropped, total, end_seq))
        if total != raised:
            errors.append('accounting: %d thread records + %d handler records + %d dropped = %d, but the program '
                          'raised %d events (%d in main, %d in the handler)'
                          % (thread_records, irq, dropped, total, raised, sweep['main events'],
                             sweep['handler events']))
        if dropped == 0:
            errors.append('no DROPPED record: the ring-full case did not happen')
        live = {}
    elif dropped:
        errors.append('%d events dropped (the thread drains at half full: none expected)' % dropped)
    if irq == 0:
        errors.append('no event with IN_IRQ')
    if irq_callers & thread_callers:
        errors.append('callers seen both in and out of the handler: %s' % sorted(irq_callers & thread_callers))
    if live:
        errors.append('%d blocks live at the end: %s' % (len(live), sorted(hex(p) for p in live)[:8]))
    return errors, irq, len(records), dropped


def sweep_numbers(output):
    sizes = re.search(r'trace_sweep: sizes main (\d+) handler (\d+)', output)
    events = re.search(r'trace_sweep: (\d+) events raised by main, (\d+) by the handler', output)
    if not sizes or not events:
        return None
    return {'main size': int(sizes.group(1)), 'handler size': int(sizes.group(2)),
            'main events': int(events.group(1)), 'handler events': int(events.group(2))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--stats', action='store_true', help='the build has -Dstats=true')
    ap.add_argument('--sweep', action='store_true', help='test/trace_sweep.c: check the accounting')
    ap.add_argument('--qemu-arg', action='append', default=[])
    ap.add_argument('qemu_run')
    ap.add_argument('tune')
    ap.add_argument('elf')
    a = ap.parse_args()
    errors = []
    with tempfile.TemporaryDirectory(prefix='poolalloc-trace-irq-') as tmp:
        p = subprocess.run([sys.executable, a.qemu_run, '--timeout', '240']
                           + ['--qemu-arg=' + q for q in a.qemu_arg] + [os.path.abspath(a.elf)],
                           cwd=tmp, capture_output=True, text=True)
        print(p.stdout + p.stderr)
        sweep = sweep_numbers(p.stdout) if a.sweep else None
        if a.sweep and sweep is None:
            errors.append('the program did not print its event counts')
        elif p.returncode != 0:
            # The trace is still checked: what went wrong in the recorder is the point.
            errors.append('%s exited with %d' % (os.path.basename(a.elf), p.returncode))
        trace = os.path.join(tmp, 'poolalloc.trace')
        data = open(trace, 'rb').read() if os.path.exists(trace) else b''
        irq = n = dropped = 0
        if not errors or sweep is not None:
            try:
                found, irq, n, dropped = check(parse(data, a.stats), sweep if a.sweep else None)
                errors += found
            except ValueError as e:
                errors.append('malformed trace: %s' % e)
        rep = subprocess.run([a.tune, 'report', trace], capture_output=True, text=True)
        print('\n'.join(rep.stdout.splitlines()[:6]))
        bad = ['no END', 'missing from the sequence'] + ([] if a.sweep else ['never returned'])
        if rep.returncode != 0 or any(b in rep.stdout for b in bad):
            errors.append('poolalloc-tune report: exit %d\n%s%s' % (rep.returncode, rep.stdout, rep.stderr))
        m = re.search(r'dropped (\d+) events', rep.stdout)
        if a.sweep and (int(m.group(1)) if m else 0) != dropped:
            errors.append('accounting: poolalloc-tune counts %s dropped events, the DROPPED records %d'
                          % (m.group(1) if m else 'no', dropped))
    errors.sort(key=lambda e: not e.startswith('accounting'))  # the verdict first, then the details
    for e in errors[:40]:
        print('FAIL: ' + e)
    if len(errors) > 40:
        print('FAIL: ... and %d more' % (len(errors) - 40))
    print('%s: %d records, %d raised in the handler, %d dropped, %d problem(s)'
          % (os.path.basename(a.elf), n, irq, dropped, len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())

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
Usage: test_trace_irq.py [--stats] QEMU_RUN TUNE ELF
"""
import os
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
    header_size, record_size = head['header_size'], head['record_size']
    if (len(data) - header_size) % record_size:
        raise ValueError('partial record at the end')
    records = []
    for off in range(header_size, len(data), record_size):
        r = fmt.unpack('RECORD', data, off, W)
        if r['op'] not in fmt.OP_NAMES or r['reserved'] or r['flags'] & ~IN_IRQ:
            raise ValueError('bad record at byte %d' % off)
        r['op'] = fmt.OP_NAMES[r['op']]
        r['offset'] = off
        records.append(r)
    return records


def check(records):
    errors = []
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
            if i != len(records) - 1:
                errors.append('records after END')
            break
        expect = r['seq'] + 1
        if r['flags'] & IN_IRQ:
            irq += 1
            irq_callers.add(r['caller'])
        else:
            thread_callers.add(r['caller'])
        op, old, res = r['op'], r['old'], r['result']
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
    if dropped:
        errors.append('%d events dropped (the thread drains at half full: none expected)' % dropped)
    if irq == 0:
        errors.append('no event with IN_IRQ')
    if irq_callers & thread_callers:
        errors.append('callers seen both in and out of the handler: %s' % sorted(irq_callers & thread_callers))
    if live:
        errors.append('%d blocks live at the end: %s' % (len(live), sorted(hex(p) for p in live)[:8]))
    return errors, irq, len(records)


def main(argv):
    stats = '--stats' in argv
    argv = [a for a in argv if a != '--stats']
    if len(argv) != 4:
        sys.exit(__doc__)
    qemu_run, tune, elf = argv[1:]
    with tempfile.TemporaryDirectory(prefix='poolalloc-trace-irq-') as tmp:
        p = subprocess.run([sys.executable, qemu_run, '--timeout', '120', os.path.abspath(elf)], cwd=tmp,
                           capture_output=True, text=True)
        print(p.stdout + p.stderr)
        if p.returncode != 0:
            print('FAIL: trace_irq exited with %d' % p.returncode)
            return 1
        trace = os.path.join(tmp, 'poolalloc.trace')
        data = open(trace, 'rb').read()
        try:
            errors, irq, n = parse_and_check(data, stats)
        except ValueError as e:
            errors, irq, n = ['malformed trace: %s' % e], 0, 0
        rep = subprocess.run([tune, 'report', trace], capture_output=True, text=True)
        print('\n'.join(rep.stdout.splitlines()[:4]))
        if rep.returncode != 0 or 'never returned' in rep.stdout or 'no END' in rep.stdout:
            errors.append('poolalloc-tune report: exit %d\n%s%s' % (rep.returncode, rep.stdout, rep.stderr))
    for e in errors:
        print('FAIL: ' + e)
    print('trace_irq: %d records, %d raised in the handler, %d problem(s)' % (n, irq, len(errors)))
    return 1 if errors else 0


def parse_and_check(data, stats):
    return check(parse(data, stats))


if __name__ == '__main__':
    sys.exit(main(sys.argv))

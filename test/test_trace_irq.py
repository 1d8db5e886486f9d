#!/usr/bin/env python3
"""Run test/trace_irq.c (-Dtrace=true) under QEMU and check its trace.

A small reader of doc/trace-format.md, independent of poolalloc-tune, checks:
the header is version 1 with this build's pointer size and record size; the
sequence numbers have no gap that a DROPPED record does not account for; the
trace ends with END, whose seq is the number of events; events raised in the
SysTick handler are there with the IN_IRQ flag (and none from thread mode
has it: the handler's callers are distinct); the replay balances -- every
free and realloc names a live block, no allocation returns a live block, and
nothing is live at the end.  Then `poolalloc-tune report` must read it.
Usage: test_trace_irq.py QEMU_RUN TUNE ELF
"""
import os
import struct
import subprocess
import sys
import tempfile

OPS = {1: 'malloc', 2: 'free', 3: 'calloc', 4: 'realloc', 5: 'reallocf', 6: 'reallocarray',
       7: 'memalign', 8: 'aligned_alloc', 9: 'posix_memalign', 10: 'valloc', 11: 'pvalloc',
       0x80: 'DROPPED', 0x81: 'END'}
IN_IRQ = 1


def parse(data):
    if data[:8] != b'PATRACE\0':
        raise ValueError('bad magic')
    version, header_size, w, _flags, _pools, _align, record_size, _res = struct.unpack_from('<HHBBHIHH', data, 8)
    if version != 1 or w != 4 or record_size != 8 + 5 * w:
        raise ValueError('header: version %d, W %d, record %d' % (version, w, record_size))
    if (len(data) - header_size) % record_size:
        raise ValueError('partial record at the end')
    records = []
    for off in range(header_size, len(data), record_size):
        op, flags, res, seq, size, align, result, old, caller = struct.unpack_from('<BBHI5I', data, off)
        if op not in OPS or res or flags & ~IN_IRQ:
            raise ValueError('bad record at byte %d' % off)
        records.append(dict(op=OPS[op], flags=flags, seq=seq, size=size, align=align, result=result,
                            old=old, caller=caller, offset=off))
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
            errors, irq, n = parse_and_check(data)
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


def parse_and_check(data):
    return check(parse(data))


if __name__ == '__main__':
    sys.exit(main(sys.argv))

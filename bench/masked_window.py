#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Longest run of instructions with interrupts masked, from the disassembly.

    bench/masked_window.py [--bound N] ELF [FUNCTION...]   (default: every function)

For every `cpsid i` in the named functions (by default every function of
the ELF that has one), follows every path (taken and
not-taken branches) to the `msr PRIMASK` that restores the mask and prints
the longest, counting `cpsid` and `msr` themselves.  A path that leaves the
function, calls out or loops while masked is reported as an error (exit 1):
the irq backend promises neither.  Static: it needs no QEMU run.  Uses
arm-none-eabi-objdump (--objdump).
"""
import argparse
import re
import subprocess
import sys

LINE = re.compile(r'^\s*([0-9a-f]+):\s+(?:[0-9a-f]{4}\s?){1,2}\s+(\S+)\s*(.*)$')
BRANCH = re.compile(r'^(b|beq|bne|bcs|bcc|bhs|blo|bmi|bpl|bvs|bvc|bhi|bls|bge|blt|bgt|ble|cbz|cbnz)(\.n|\.w)?$')


def functions(objdump, elf, names):
    out = subprocess.run([objdump, '-d', elf], capture_output=True, text=True, check=True).stdout
    found, current = {}, None
    for line in out.splitlines():
        head = re.match(r'^([0-9a-f]+) <(\S+)>:$', line)
        if head:
            current = head.group(2) if names is None or head.group(2) in names else None
            if current:
                found[current] = []
            continue
        m = LINE.match(line)
        if current is not None and m:
            found[current].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return found


def ends_section(op, args, lock):
    if lock:
        return op in ('bl', 'b', 'b.w') and '<poolalloc_unlock>' in args  # a call, or a tail call
    return op == 'msr' and 'PRIMASK' in args.upper()


def starts_section(op, args, lock):
    if lock:
        return op == 'bl' and '<poolalloc_lock>' in args
    return op == 'cpsid'


def longest(code, start, lock=False):
    """Longest masked path from index `start` (a cpsid, or the call of
    poolalloc_lock) to the msr PRIMASK (the call of poolalloc_unlock)."""
    index = {addr: i for i, (addr, _, _) in enumerate(code)}
    best = 0

    def walk(i, length, seen):
        nonlocal best
        while i < len(code):
            addr, op, args = code[i]
            length += 1
            if ends_section(op, args, lock) and i != start:
                best = max(best, length)
                return
            if addr in seen:
                raise ValueError('a loop at %#x with interrupts masked' % addr)
            seen = seen | {addr}
            if (op in ('bl', 'blx', 'bx') or op.startswith('pop')) and i != start:
                raise ValueError('%s at %#x with interrupts masked' % (op, addr))
            if BRANCH.match(op):
                target = int(re.search(r'([0-9a-f]+) <', args).group(1), 16)
                if target not in index:
                    raise ValueError('a branch out of the function at %#x, masked' % addr)
                walk(index[target], length, seen)
                if op.startswith('b') and BRANCH.match(op).group(1) == 'b':
                    return
            i += 1
        raise ValueError('the function ends with interrupts masked')
    walk(start, 0, frozenset())
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--objdump', default='arm-none-eabi-objdump')
    ap.add_argument('--bound', type=int, help='fail when a window is longer')
    ap.add_argument('--lock', action='store_true',
                    help='sync=lock: the sections between the calls of poolalloc_lock and poolalloc_unlock')
    ap.add_argument('--expect-masked-call', action='store_true',
                    help='invert: pass only when some path calls, returns or loops with interrupts masked '
                         '(the deliberately slowed build, whose helpers are not inlined)')
    ap.add_argument('--except', dest='excluded', action='append', default=[], metavar='FUNCTION',
                    help='leave out a function (a rare path whose section is bounded otherwise)')
    ap.add_argument('elf')
    ap.add_argument('function', nargs='*')
    a = ap.parse_args()
    worst, errors = 0, 0
    for name, code in sorted(functions(a.objdump, a.elf, set(a.function) or None).items()):
        if name in a.excluded:
            print('%-8s left out (--except)' % name)
            continue
        windows = []
        for i, (_, op, args) in enumerate(code):
            if starts_section(op, args, a.lock):
                try:
                    windows.append(longest(code, i, a.lock))
                except ValueError as e:
                    print('%s: %s' % (name, e))
                    errors += 1
        if windows:
            print('%-8s %d masked section(s), longest %d instructions' % (name, len(windows), max(windows)))
            worst = max(worst, max(windows))
    print('longest masked run: %d instructions' % worst)
    if a.expect_masked_call:
        print('masked_window: %s' % ('found, as expected for this build' if errors else
                                     'error: expected a call, return or loop with interrupts masked'))
        return 0 if errors else 1
    if a.bound is not None and worst > a.bound:
        print('masked_window: longer than the bound %d' % a.bound)
        return 1
    if worst == 0:
        print('masked_window: error: no masked section found: the bound tests nothing')
        return 1
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())

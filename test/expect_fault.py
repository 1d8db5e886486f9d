#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a program whose misuse of the heap must stop it through the default
fault action, and check that it stopped for the right reason.

The program prints "poolalloc-test: bad pointer 0x..." before the bad call.
  --action trap     target: a HardFault report ("ARM fault: hardfault", as
                    picolibc's crt0 and the newlib test board print it) with
                    R0 = the fault kind and R1 = that pointer; host: SIGILL
  --action abort    exit by abort() (status 134 under QEMU, SIGABRT on the
                    host), and no fault message
  --action message  abort(), and the output holds --message
With --expect-failure REASON the verdict is inverted, for a deliberately
broken library: pass only when the checks above fail and one of the
problems found contains REASON.
Usage: expect_fault.py --action A --kind N [--message TEXT] [--expect-failure REASON] [--host] COMMAND...
"""
import argparse
import re
import signal
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--action', choices=['trap', 'abort', 'message'], required=True)
    ap.add_argument('--kind', type=int, required=True)
    ap.add_argument('--message', default='')
    ap.add_argument('--expect-failure', metavar='REASON')
    ap.add_argument('--host', action='store_true', help='a host build (a trap is SIGILL), not under QEMU')
    ap.add_argument('command', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    run = subprocess.run(a.command, capture_output=True, text=True, timeout=120)
    output = run.stdout + run.stderr
    m = re.search(r'poolalloc-test: bad pointer (?:0x)?([0-9a-fA-F]+)', output)
    problems = []
    if not m:
        problems.append('the program did not print the pointer it misuses')
    pointer = int(m.group(1), 16) if m else None
    if a.action == 'trap':
        if a.host:
            if run.returncode != -signal.SIGILL:
                problems.append('expected SIGILL (the trap), got status %d' % run.returncode)
        else:
            regs = dict((r, int(v, 16)) for r, v in re.findall(r'(R\d+):\s+0x([0-9a-fA-F]+)', output))
            if 'ARM fault: hardfault' not in output:
                problems.append('no HardFault report')
            elif regs.get('R0') != a.kind:
                problems.append('R0 = %r, expected the fault kind %d' % (regs.get('R0'), a.kind))
            elif pointer is not None and regs.get('R1') != pointer:
                problems.append('R1 = %#x, expected the bad pointer %#x' % (regs.get('R1', 0), pointer))
    else:
        if run.returncode not in (134, -signal.SIGABRT):
            problems.append('expected an abort, got status %d' % run.returncode)
        if a.action == 'message' and a.message not in output:
            problems.append('the output lacks %r' % a.message)
        if a.action == 'abort' and 'poolalloc: ' in output:
            problems.append('fault=abort printed a message')
    if a.expect_failure is not None:
        if any(a.expect_failure in p for p in problems):
            print('failed as expected: %s' % '; '.join(problems))
            return 0
        print('FAIL: expected the checks to fail with %r; problems: %s\noutput (status %d):\n%s'
              % (a.expect_failure, problems or 'none', run.returncode, output))
        return 1
    if problems:
        print('FAIL: %s\noutput (status %d):\n%s' % ('; '.join(problems), run.returncode, output))
        return 1
    print('stopped as expected (%s, kind %d, pointer %s)' % (a.action, a.kind, m.group(1)))
    return 0


if __name__ == '__main__':
    sys.exit(main())

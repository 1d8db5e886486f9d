#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A program that must stop with abort() for a stated reason.

    expect_abort.py --contains TEXT [--status N] COMMAND...

Runs COMMAND (e.g. cross/qemu-run.py ELF) and passes when it exits with
status N (default 134: SIGABRT, which the QEMU runner reports the way a
host shell does) and its output (stdout and stderr) contains TEXT; any other
ending fails and says which.
"""
import argparse
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--contains', required=True)
    ap.add_argument('--status', type=int, default=134)
    ap.add_argument('command', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    p = subprocess.run(a.command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    sys.stdout.write(out)
    if p.returncode != a.status:
        print('FAIL: expected exit status %d, got %d' % (a.status, p.returncode))
        return 1
    if a.contains not in out:
        print('FAIL: status %d, but the output does not say %r' % (p.returncode, a.contains))
        return 1
    print('OK: stopped with status %d: %r' % (p.returncode, a.contains))
    return 0


if __name__ == '__main__':
    sys.exit(main())

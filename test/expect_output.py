#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a test program and pass only when it exits 0 and each --line
regular expression matches a line of its output (stdout and stderr): for
what a program prints that it cannot check itself, such as malloc_stats.
Usage: expect_output.py --line REGEX [--line REGEX]... [--timeout S] COMMAND...
"""
import argparse
import re
import subprocess
import sys


def run_program(command, timeout):
    """(exit status, stdout + stderr) of command, or None when it does not
    finish within timeout seconds.  expect_failure_reason.py uses it too."""
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return run.returncode, run.stdout + run.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--line', action='append', required=True, help='regular expression a line must match')
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('command', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    ran = run_program(a.command, a.timeout)
    if ran is None:
        print('the program did not finish within %g s' % a.timeout)
        return 1
    status, output = ran
    missing = [r for r in a.line if not re.search(r, output, re.M)]
    print(output[-3000:])
    if status != 0 or missing:
        print('expected exit 0 and lines matching %r; status %d, no line matches %r' % (a.line, status, missing))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a test program built against a deliberately broken library and pass
only when it fails for the named reason: a non-zero exit status, a line of
its output matching --reason, and no line matching --not (a watchdog, a
timeout: the failure must be the property the test checks, not a hang).
Usage: expect_failure_reason.py --reason REGEX [--not REGEX]... [--timeout S] COMMAND...
"""
import argparse
import re
import sys

from expect_output import run_program


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reason', required=True, help='regular expression a line of the output must match')
    ap.add_argument('--not', dest='forbidden', action='append', default=[],
                    help='regular expression no line of the output may match')
    ap.add_argument('--timeout', type=float, default=600)
    ap.add_argument('command', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    ran = run_program(a.command, a.timeout)
    if ran is None:
        print('expected a failure (%s), but the program did not finish within %g s' % (a.reason, a.timeout))
        return 1
    status, output = ran
    reason = re.search(a.reason, output, re.M)
    forbidden = [m.group(0) for f in a.forbidden for m in [re.search(f, output, re.M)] if m]
    if status != 0 and reason and not forbidden:
        print('failed as expected: %s' % reason.group(0))
        return 0
    print('expected a failure matching %r and none matching %r; status %d, found %r, forbidden %r; output:\n%s'
          % (a.reason, a.forbidden, status, reason and reason.group(0), forbidden, output[-3000:]))
    return 1


if __name__ == '__main__':
    sys.exit(main())

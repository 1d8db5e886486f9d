# SPDX-License-Identifier: MIT
"""What the end-to-end tests of poolalloc-tune share: running the tool
(argv[1] of the test), recording failed checks, and the final verdict.
A failed check is recorded, not raised, so one run reports them all."""

import subprocess
import sys

TOOL = sys.argv[1] if len(sys.argv) > 1 else 'poolalloc-tune'
failures = []


def run(*args, stdin=None, timeout=60, **kwargs):
    """The tool on args; a death by signal or an exit status above 5 is a
    failure of its own (the tool's statuses are 0 to 5)."""
    p = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True, timeout=timeout, stdin=stdin,
                       **kwargs)
    if p.returncode < 0 or p.returncode > 5:
        failures.append('%s: died with status %d\n%s' % (' '.join(map(str, args)), p.returncode, p.stderr))
    return p


def check(name, cond, detail=''):
    if not cond:
        failures.append('%s%s' % (name, ('\n' + detail) if detail else ''))


def verdict():
    """Print every failed check; the exit status (1 if any)."""
    for f in failures:
        print('FAIL: ' + f)
    print('%d checks failed' % len(failures))
    return 1 if failures else 0

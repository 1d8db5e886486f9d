#!/usr/bin/env python3
"""Run a preemption test built against a deliberately broken library and
pass only when it fails for the right reason: the ownership map caught
blocks handed out twice or returned by a non-owner (a sweep or final line
reporting a non-zero count of ownership errors), not a precondition, a
crash before any check or a timeout.
Usage: expect_ownership_errors.py COMMAND...
"""
import re
import subprocess
import sys


def main(argv):
    run = subprocess.run(argv[1:], capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    counts = [int(n) for n in re.findall(r'(\d+) ownership (?:and \d+ pattern )?errors', output)]
    if 'first ownership error: ' in output:
        counts.append(1)
    if run.returncode != 0 and counts and max(counts) > 0:
        print('failed as expected: %d ownership errors' % max(counts))
        return 0
    print('expected a failure with ownership errors; status %d, counts %s, output:\n%s'
          % (run.returncode, counts, output[-3000:]))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

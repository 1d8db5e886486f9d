#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a preemption test built against a deliberately broken library and
pass only when it fails for the right reason: the test ran to its own
summary ("N checks, M failed", M > 0) and reported a non-zero count of
ownership errors (blocks handed out twice, returned by a non-owner, a
damaged free list) or of lost blocks (the allocator counts more blocks in
use than their owners hold, or fewer than every block allocatable at the
end).  Not a precondition failure, a crash or hang before the summary, or
a timeout.  With --reason REGEX the output must also match REGEX (the
particular error a broken variant is there to cause).
Usage: expect_ownership_errors.py [--reason REGEX] COMMAND...
"""
import re
import subprocess
import sys


def main(argv):
    reason = None
    if len(argv) > 2 and argv[1] == '--reason':
        reason, argv = argv[2], argv[2:]
    run = subprocess.run(argv[1:], capture_output=True, text=True, timeout=600)
    output = run.stdout + run.stderr
    counts = [int(n) for n in re.findall(r'(\d+) ownership (?:and \d+ pattern )?errors', output)]
    if 'first ownership error: ' in output:
        counts.append(1)
    lost = [int(n) for n in re.findall(r'(\d+) lost blocks', output)]
    summary = re.search(r'\d+ checks, (\d+) failed', output)
    finished = summary is not None and int(summary.group(1)) > 0
    reasons = []
    if run.returncode == 0:
        reasons.append('it passed')
    if run.returncode == 124:
        reasons.append('it timed out')
    if not finished:
        reasons.append('no summary with failed checks (a crash or hang before the checks)')
    if 'precondition failed' in output:
        reasons.append('a precondition failed')
    if not (counts and max(counts) > 0) and not (lost and max(lost) > 0):
        reasons.append('no ownership errors and no lost blocks reported')
    if reason is not None and not re.search(reason, output):
        reasons.append('nothing matched %r' % reason)
    if not reasons:
        print('failed as expected: %d ownership errors, %d lost blocks'
              % (max(counts, default=0), max(lost, default=0)))
        return 0
    print('expected a failure with ownership errors or lost blocks, but %s; status %d, output:\n%s'
          % ('; '.join(reasons), run.returncode, output[-3000:]))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""MISRA C:2012 check of src/ and include/: cppcheck's MISRA addon against
the deviations documented in doc/misra.md.

    test/misra_check.py --build HOST_BUILD_DIR [--cppcheck cppcheck]

Runs `cppcheck --addon=misra` on every src/*.c (the headers of src/ and
include/ they include are checked with them) in the configuration of a host
build (its generated pool_layout.h and poolalloc_config.h), and fails (exit
1) on any violation whose rule and file no row of the deviations table in
doc/misra.md covers, printing it.  A row names a rule, the files it applies
to (globs, comma-separated; `generated/NAME` for the headers the build
generates) and why.  Rows no violation needs any more are listed, not
failed: another configuration may need them.  Python 3 standard library
only; about 25 s.
"""
import argparse
import fnmatch
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROW = re.compile(r'^\|\s*(\d+\.\d+(?:\s*,\s*\d+\.\d+)*)\s*\|([^|]*)\|([^|]*)\|\s*$')


def deviations(doc):
    rows = []
    with open(doc) as f:
        for line in f:
            m = ROW.match(line)
            if m:
                places = [p.strip().strip('`') for p in m.group(2).split(',') if p.strip()]
                if not m.group(3).strip():
                    sys.exit('misra_check: %s: rule %s has no reason' % (doc, m.group(1)))
                for rule in m.group(1).split(','):
                    rows.append((rule.strip(), places))
    if not rows:
        sys.exit('misra_check: %s: no deviations table found' % doc)
    return rows


def place(path):
    """A violation's file as the deviations table names it."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    if rel.startswith(('src/', 'include/')):
        return rel
    return 'generated/' + os.path.basename(rel)


def classify(found, rows):
    """(indices of the rows used, violations no row covers)."""
    used, new = set(), []
    for path, line, rule, _ in found:
        where = place(path)
        match = [n for n, (r, places) in enumerate(rows)
                 if r == rule and any(fnmatch.fnmatch(where, p) for p in places)]
        if match:
            used.update(match)
        else:
            new.append('%s:%s: MISRA C:2012 rule %s' % (where, line, rule))
    return used, new


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', required=True, help='a host build directory (its generated headers)')
    ap.add_argument('--cppcheck', default='cppcheck')
    ap.add_argument('--doc', default=os.path.join(ROOT, 'doc', 'misra.md'))
    a = ap.parse_args()
    rows = deviations(a.doc)
    sources = sorted(glob.glob(os.path.join(ROOT, 'src', '*.c')))
    cmd = [a.cppcheck, '--quiet', '--addon=misra', '--inline-suppr', '-UPOOLALLOC_TEST_SYNC', '-UPOOLALLOC_TEST_NO_FREE_MARK',
           '-UPOOLALLOC_TEST_MARK_WITHOUT_LOOK', '-UPOOLALLOC_TEST_CLEAR_BEFORE_PUSH', '--std=c11',
           '--template={file}:{line}:{id}:{message}', '-I', os.path.join(ROOT, 'include'),
           '-I', os.path.join(ROOT, 'src'), '-I', a.build, '-I', os.path.join(a.build, 'include')] + sources
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    found = re.findall(r'^(.+?):(\d+):misra-c2012-(\d+\.\d+):(.*)$', run.stdout + run.stderr, re.M)
    if run.returncode != 0 or not found:
        print(run.stdout + run.stderr)
        print('misra_check: error: cppcheck status %d, %d MISRA findings: the addon did not run'
              % (run.returncode, len(found)))
        return 2
    used, new = classify(found, rows)
    # The check's teeth, on the same findings: without one deviation row its
    # findings must be reported as undocumented.
    if used:
        dropped = rows[min(used)]
        _, missed = classify(found, [r for r in rows if r != dropped])
        if not any(' rule %s' % dropped[0] in m for m in missed):
            print('misra_check: error: without the deviation %s the check still passes: it tests nothing'
                  % dropped[0])
            return 2
    print('misra_check: %d findings of %d rules, %d covered by the deviations of %s'
          % (len(found), len({f[2] for f in found}), len(found) - len(new), os.path.relpath(a.doc, ROOT)))
    for n, (rule, places) in enumerate(rows):
        if n not in used:
            print('misra_check: note: deviation %s (%s) is not needed in this configuration'
                  % (rule, ', '.join(places)))
    for v in sorted(set(new)):
        print('misra_check: undocumented: ' + v)
    if new:
        print('misra_check: FAILED: %d violation(s) neither fixed nor in %s' % (len(new), os.path.relpath(a.doc, ROOT)))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

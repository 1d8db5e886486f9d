#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the shell commands the documentation gives, as a newcomer would.

    test/doc_commands.py [--work DIR] [FILE...]

FILEs default to README.md, every doc/*.md and the manuals (MANUALS).  For each file that has
```sh code blocks, a scratch copy of the repository (the files git tracks)
is made under --work, and the file's blocks run there in order, each with
`bash -e -o pipefail`, so a block may rely on the ones before it (a build
directory set up earlier in the same file).  One line per file:
"docs: FILE: N block(s) ok" or the failing block with its output; the exit
status is the number of failing files.

A command line that is exactly what `.ci/run` runs itself (the install
script, the whole matrix, or a part of the matrix by its configuration and
step names) is not run again here -- CI runs it -- and is reported; that it
still appears in `.ci/run` (and the names in test/run-matrix.sh) is checked.
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The manuals beside the code they describe, whose examples run too.
MANUALS = ['tools/tune/README.md']
# The files whose blocks take longest (a build and its whole test suite;
# the benchmarks): started first.
LONGEST = ['README.md', 'doc/performance.md', 'doc/misra.md']
BLOCK = re.compile(r'^```sh\n(.*?)^```', re.M | re.S)


def ci_commands():
    """A test: is this command line one that .ci/run runs itself?  With the
    whole matrix, so is a run of a part of it (test/run-matrix.sh naming
    some of its configurations and steps)."""
    with open(os.path.join(ROOT, '.ci', 'run')) as f:
        lines = {line.strip() for line in f if line.strip() and not line.lstrip().startswith('#')}
    parts = set(matrix_names()) if 'test/run-matrix.sh' in lines else set()

    def run_by_ci(line):
        words = line.split()
        return line in lines or (words[:1] == ['test/run-matrix.sh'] and len(words) > 1
                                 and set(words[1:]) <= parts)
    return run_by_ci


def matrix_names():
    """The configuration names and the step names test/run-matrix.sh takes."""
    with open(os.path.join(ROOT, 'test', 'run-matrix.sh')) as f:
        text = f.read()
    steps = [w for line in re.findall(r'^run_steps (.+)$', text, re.M) for w in line.split()]
    return re.findall(r'^  "([A-Za-z0-9-]+)\|', text, re.M) + steps


def scratch_copy(dest):
    files = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True).stdout
    if os.path.exists(dest):
        shutil.rmtree(dest)
    for name in files.decode().split('\0'):
        if not name:
            continue
        os.makedirs(os.path.join(dest, os.path.dirname(name)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, name), os.path.join(dest, name), follow_symlinks=False)


def command_lines(block):
    """The block's logical command lines (continuations joined), comments out."""
    text = block.replace('\\\n', ' ')
    return [re.sub(r'\s+#.*$', '', line).strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith('#')]


def run_file(path, work, ci):
    with open(os.path.join(ROOT, path)) as f:
        blocks = BLOCK.findall(f.read())
    if not blocks:
        return True, 'no sh blocks'
    copy = os.path.join(work, re.sub(r'[^A-Za-z0-9]+', '-', path))
    scratch_copy(copy)
    ran = skipped = 0
    for number, block in enumerate(blocks, 1):
        lines = command_lines(block)
        if lines and all(ci(line) for line in lines):
            print('docs: %s: block %d (%s) is what .ci/run runs: not run twice' % (path, number, '; '.join(lines)))
            skipped += 1
            continue
        run = subprocess.run(['bash', '-e', '-o', 'pipefail', '-c', block], cwd=copy,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if run.returncode != 0:
            tail = '\n'.join(run.stdout.splitlines()[-40:])
            return False, 'block %d failed (status %d):\n%s\n--- output (last 40 lines) ---\n%s' % (
                number, run.returncode, block.rstrip(), tail)
        ran += 1
    shutil.rmtree(copy, ignore_errors=True)
    return True, '%d block(s) ok%s' % (ran, ', %d run by CI itself' % skipped if skipped else '')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default=os.path.join(ROOT, 'build-docs'))
    ap.add_argument('--jobs', type=int, default=2, help='documentation files run at a time (default 2)')
    ap.add_argument('files', nargs='*')
    a = ap.parse_args()
    files = a.files or (['README.md'] + sorted(os.path.join('doc', f) for f in os.listdir(os.path.join(ROOT, 'doc'))
                                               if f.endswith('.md')) + MANUALS)
    ci = ci_commands()

    def timed(path):
        started = time.monotonic()
        ok, what = run_file(path, os.path.abspath(a.work), ci)
        return ok, '%s (%d s)' % (what, time.monotonic() - started)

    # Each file runs in its own scratch copy: --jobs of them at a time
    # (many blocks are single-threaded: QEMU runs, the tuner, Python), the
    # longest first (LONGEST), so that none starts last and runs alone.
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        runs = {path: pool.submit(timed, path)
                for path in sorted(files, key=lambda f: LONGEST.index(f) if f in LONGEST else len(LONGEST))}
        for path in files:
            ok, what = runs[path].result()
            print('docs: %s: %s' % (path, what) if ok else 'docs: %s: FAILED %s' % (path, what), flush=True)
            failed += not ok
    return failed


if __name__ == '__main__':
    sys.exit(main())

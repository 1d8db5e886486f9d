# SPDX-License-Identifier: MIT
"""What the end-to-end trace tests share (test_trace_e2e.py,
test_trace_regions.py): running a command that must succeed, and running a
firmware under QEMU in a directory of its own, where the recorder's
semihosting sink leaves poolalloc.trace."""
import os
import shutil
import subprocess
import sys

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Failed(Exception):
    """A step failed; the message says how (command, status, output)."""


def run(cmd, cwd=None, env=None, check=True):
    """Run cmd; with check, a non-zero exit raises Failed with its output."""
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if check and p.returncode != 0:
        raise Failed('%s: exit %d\n%s%s' % (' '.join(map(str, cmd)), p.returncode, p.stdout, p.stderr))
    return p


def record_trace(source_root, elf, rundir):
    """Run elf under cross/qemu-run.py with cwd = rundir (created; an old
    trace removed); its output and the path of the trace it left."""
    os.makedirs(rundir, exist_ok=True)
    trace = os.path.join(rundir, 'poolalloc.trace')
    if os.path.exists(trace):
        os.unlink(trace)
    out = run([sys.executable, os.path.join(source_root, 'cross', 'qemu-run.py'), '--timeout', '60', elf],
              cwd=rundir).stdout
    if not os.path.exists(trace):
        raise Failed('%s left no poolalloc.trace in %s; its output:\n%s' % (elf, rundir, out))
    return out, trace


def add_common_arguments(ap):
    """The options every end-to-end trace test takes."""
    ap.add_argument('--source-root', default=SOURCE_ROOT)
    ap.add_argument('--meson', default=shutil.which('meson') or 'meson')
    ap.add_argument('--keep', help='work in this directory and keep it')

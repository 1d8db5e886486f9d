#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The RTT trace sink end to end, under QEMU's gdbstub.

In a temporary directory: configure this source tree for thumbv7m + picolibc
with -Dtrace=true -Dtrace-sink=rtt, build the demo (examples/demo.c) and
poolalloc-tune, then run the demo under gdb-multiarch with QEMU as its gdb
server (`target remote | qemu-system-arm ... -gdb stdio`) and
tools/trace/rtt_dump.py draining the ring.  The demo's trace (~2.9 KB) is
larger than the 1 KiB ring, so the firmware must wait for the debugger at
least twice.  The trace must read cleanly and say exactly what the same
demo recorded through the semihosting sink says (--reference: the demo of a
semihosting trace build, run here too): same records, requests, histogram,
peak and replay.
Usage: test_trace_rtt.py --source-root DIR --meson PROG --reference DEMO_ELF
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


class Failed(Exception):
    pass


def run(cmd, cwd=None, timeout=240):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise Failed('%s: exit %d\n%s%s' % (' '.join(map(str, cmd)), p.returncode, p.stdout, p.stderr))
    return p.stdout


def report(tune, trace):
    """poolalloc-tune's report without the lines that name the file or code
    addresses (the two demos are different builds)."""
    text = run([tune, 'report', trace])
    if 'no END record' in text or 'truncated' in text:
        raise Failed('report of %s has integrity notes:\n%s' % (trace, text))
    return [line for line in text.splitlines() if not line.startswith('trace:') and not re.search(r'0x[0-9a-f]+', line)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--source-root', required=True)
    ap.add_argument('--meson', required=True)
    ap.add_argument('--reference', required=True, help='demo ELF of a semihosting trace build')
    args = ap.parse_args()
    args.source_root = os.path.abspath(args.source_root)
    args.reference = os.path.abspath(args.reference)
    gdb = shutil.which('gdb-multiarch')
    if gdb is None:
        print('gdb-multiarch is not installed (tools/install-deps.sh installs it)')
        return 1
    tmp = tempfile.mkdtemp(prefix='poolalloc-trace-rtt-')
    try:
        build = os.path.join(tmp, 'build')
        run([args.meson, 'setup', build, args.source_root, '--cross-file',
             os.path.join(args.source_root, 'cross', 'thumbv7m-picolibc.txt'),
             '-Dtrace=true', '-Dtrace-sink=rtt'])
        run(['ninja', '-C', build, 'examples/demo', 'tools/tune/poolalloc-tune'])
        demo = os.path.join(build, 'examples', 'demo')
        tune = os.path.join(build, 'tools', 'tune', 'poolalloc-tune')

        rtt_trace = os.path.join(tmp, 'rtt.trace')
        qemu = ('exec qemu-system-arm -M mps2-an385 -cpu cortex-m3 -nographic -monitor none -serial none'
                ' -chardev file,id=out,path=%s -semihosting-config enable=on,target=native,chardev=out'
                ' -kernel %s -gdb stdio -S' % (os.path.join(tmp, 'demo.out'), demo))
        # gdb's exit status is not the verdict: QEMU may exit (the demo's
        # _exit) while gdb detaches.  The dump's summary and the trace are.
        p = subprocess.run([gdb, '-batch', '-nx', '-ex', 'target remote | ' + qemu,
                            '-x', os.path.join(args.source_root, 'tools', 'trace', 'rtt_dump.py'),
                            '-ex', 'poolalloc-rtt-dump ' + rtt_trace, demo],
                           capture_output=True, text=True, timeout=120)
        out = p.stdout + p.stderr
        m = re.search(r'poolalloc-rtt-dump: (\d+) bytes in (\d+) drains', out)
        if not m:
            raise Failed('no summary from poolalloc-rtt-dump:\n' + out)
        size, drains = int(m.group(1)), int(m.group(2))
        if size != os.path.getsize(rtt_trace) or drains < 3:
            raise Failed('%d bytes in %d drains (file: %d bytes): the ring never filled?'
                         % (size, drains, os.path.getsize(rtt_trace)))

        semihosted = os.path.join(tmp, 'semihosting')
        os.makedirs(semihosted)
        run([sys.executable, os.path.join(args.source_root, 'cross', 'qemu-run.py'), args.reference],
            cwd=semihosted)
        want = report(tune, os.path.join(semihosted, 'poolalloc.trace'))
        got = report(tune, rtt_trace)
        if got != want:
            raise Failed('the RTT trace reads differently from the semihosting one:\n%s\n---\n%s'
                         % ('\n'.join(got), '\n'.join(want)))
        print('RTT sink: %d bytes in %d drains; report identical to the semihosting trace (%s)'
              % (size, drains, got[0] if got else ''))
        return 0
    except (Failed, subprocess.TimeoutExpired) as e:
        print('FAILED: %s' % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run a Cortex-M ELF under QEMU with semihosting; exit with its exit status.

The board is chosen from the ELF's build attributes (readelf -A), so one
runner serves every core:
    v6-M   -> microbit      (Cortex-M0)
    v7     -> mps2-an385    (Cortex-M3)
    v7E-M  -> mps2-an386    (Cortex-M4)
    v8-M.mainline -> mps2-an505 (Cortex-M33)
--machine overrides the board (e.g. mps2-an521, the two-core Cortex-M33 of
the dual-core test: its core is the one the ELF was built for).
Semihosting output goes to our stdout; a program that does not finish within
--timeout seconds (a fault loop, a hang) fails with status 124.

The Cortex-M0 board is QEMU's micro:bit with its RAM and flash enlarged
(-global nrf51-soc.sram-size=..., flash-size=...): its real 16 KiB of RAM
holds neither the tests nor picolibc.ld's default layout, and a Cortex-M0
firmware run on plain `-M microbit` locks up.  Running your own Cortex-M0
firmware by hand, pass the same -global options (or use this runner).
Usage: qemu-run.py [--timeout S] [--readelf PROG] [--machine M] [--qemu-arg ARG]... ELF
"""
import argparse
import os
import re
import subprocess
import sys

BOARDS = {
    'v6S-M': ('microbit', 'cortex-m0', ['-global', 'nrf51-soc.sram-size=8388608',
                                       '-global', 'nrf51-soc.flash-size=4194304']),
    'v6-M': ('microbit', 'cortex-m0', ['-global', 'nrf51-soc.sram-size=8388608',
                                      '-global', 'nrf51-soc.flash-size=4194304']),
    'v7': ('mps2-an385', 'cortex-m3', []),
    'v7E-M': ('mps2-an386', 'cortex-m4', []),
    'v8-M.mainline': ('mps2-an505', 'cortex-m33', []),
    'v8.1-M.mainline': ('mps3-an547', 'cortex-m55', []),
}


def board_for(elf, readelf):
    """(machine, cpu, extra QEMU arguments) for the ELF's architecture;
    exits with a one-line message when the file is missing or unreadable."""
    if not os.path.isfile(elf):
        sys.exit('qemu-run: %s: no such file (build it first, e.g. meson compile -C BUILDDIR)' % elf)
    try:
        p = subprocess.run([readelf, '-A', elf], capture_output=True, text=True)
    except OSError as e:
        sys.exit('qemu-run: cannot run %s: %s (install binutils-arm-none-eabi)' % (readelf, e.strerror))
    if p.returncode != 0:
        sys.exit('qemu-run: %s: %s cannot read it: %s' % (elf, readelf, (p.stderr.strip().splitlines() or ['?'])[-1]))
    out = p.stdout
    m = re.search(r'Tag_CPU_arch:\s*(\S+)', out)
    if not m or m.group(1) not in BOARDS:
        sys.exit('qemu-run: %s: no board for CPU architecture %s' % (elf, m.group(1) if m else '?'))
    return BOARDS[m.group(1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--timeout', type=float, default=float(os.environ.get('QEMU_RUN_TIMEOUT', 120)))
    ap.add_argument('--readelf', default='arm-none-eabi-readelf')
    ap.add_argument('--machine', help='QEMU machine instead of the one for the ELF\'s architecture')
    ap.add_argument('--qemu-arg', action='append', default=[], help='extra QEMU argument')
    ap.add_argument('elf')
    a = ap.parse_args()
    machine, cpu, extra = board_for(a.elf, a.readelf)
    if a.machine:
        machine, extra = a.machine, []
    cmd = ['qemu-system-arm', '-M', machine, '-cpu', cpu, '-nographic', '-monitor', 'none',
           '-serial', 'none', '-chardev', 'stdio,mux=on,id=stdio0',
           '-semihosting-config', 'enable=on,target=native,chardev=stdio0',
           '-kernel', a.elf] + extra + a.qemu_arg
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=a.timeout).returncode
    except subprocess.TimeoutExpired:
        print('qemu-run: %s did not finish within %g s (hung or faulted)' % (a.elf, a.timeout), file=sys.stderr)
        return 124


if __name__ == '__main__':
    sys.exit(main())

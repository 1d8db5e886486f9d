#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vendor-script: the pools stay clear of the stack under a vendor linker script.

Builds test/stack_safe.c with the build's compiler, flags and libpoolalloc.a
against test/vendor_stm32.ld (STM32Cube style: end, _estack,
_Min_Heap_Size, _Min_Stack_Size, no __heap_* symbol), runs it under QEMU and
proves that
  1. the documented recipe (doc/integration.md) -- __heap_start=end,
     __heap_end=_estack-_Min_Stack_Size -- links and runs: every block taken
     and filled, most of the stack reservation used, every pool below
     _estack - _Min_Stack_Size and every block intact ("stack-safe: OK");
  2. so does the obvious mapping __heap_end=_estack: the pools start at the
     heap start and the unused part of the region lies under the stack;
  3. teeth: with the pools moved to end at _estack (the placement before
     the pools were anchored at the heap start, emulated by a --defsym of
     __poolalloc_base after poolalloc.ld), the program fails, saying that a
     pool overlaps the stack reservation.

Usage: test_vendor_script.py --cc=CC... [--c-arg=ARG...] [--link-arg=ARG...]
         --lib libpoolalloc.a --ldscript poolalloc.ld --include DIR...
         --vendor-ld test/vendor_stm32.ld --source test/stack_safe.c
         --board-src vectors.c... --qemu-run cross/qemu-run.py --nm NM
"""
import argparse
import os
import subprocess
import sys
import tempfile

from build_flags import add_compiler_arguments, show

RECIPE = ['__heap_start=end', '__heap_end=_estack-_Min_Stack_Size']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_compiler_arguments(ap)
    ap.add_argument('--lib', required=True)
    ap.add_argument('--ldscript', required=True)
    ap.add_argument('--include', action='append', required=True, help='header directory (repeat)')
    ap.add_argument('--vendor-ld', required=True)
    ap.add_argument('--source', required=True)
    ap.add_argument('--board-src', action='append', default=[])
    ap.add_argument('--board-ld', help='the board linker script: ignored, the vendor script replaces it')
    ap.add_argument('--qemu-run', required=True)
    ap.add_argument('--nm', required=True)
    a = ap.parse_args()
    failures = []

    with tempfile.TemporaryDirectory(prefix='poolalloc-vendor-') as tmp:
        objs = []
        for i, src in enumerate([a.source] + a.board_src):
            obj = os.path.join(tmp, '%d.o' % i)
            cmd = a.cc + a.c_arg + [f for d in a.include for f in ('-I', d)] + ['-c', src, '-o', obj]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit('FAIL: compiling %s:\n  $ %s\n%s' % (src, show(cmd), p.stderr))
            objs.append(obj)

        def link_and_run(name, defsyms, after=()):
            elf = os.path.join(tmp, name + '.elf')
            cmd = (a.cc + objs + a.link_arg + ['-Wl,--defsym=' + d for d in defsyms]
                   + ['-Wl,--whole-archive', a.lib, '-Wl,--no-whole-archive', a.ldscript]
                   + ['-Wl,--defsym=' + d for d in after] + ['-T', a.vendor_ld, '-o', elf])
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                return None, 'link failed:\n  $ %s\n%s' % (show(cmd), p.stderr), elf
            r = subprocess.run([sys.executable, a.qemu_run, '--timeout', '30', elf], capture_output=True,
                               text=True, stdin=subprocess.DEVNULL)
            # newlib-nano with no pool for its 324-byte FILEs writes stdout to fd 2.
            return r.returncode, r.stdout + r.stderr, elf

        for name, defsyms in (('recipe', RECIPE), ('obvious', ['__heap_start=end', '__heap_end=_estack'])):
            rc, out, elf = link_and_run(name, defsyms)
            if rc != 0 or 'stack-safe: OK' not in out:
                failures.append('%s mapping %s: exit %s\n%s' % (name, ' '.join(defsyms), rc, out.strip()))
            else:
                print('%s mapping (%s): %s' % (name, ' '.join(defsyms),
                                               next(l for l in out.splitlines() if 'stack-safe: OK' in l)))
            if name == 'recipe':
                syms = dict(reversed(l.split()[::2]) for l in subprocess.run(
                    [a.nm, elf], capture_output=True, text=True).stdout.splitlines() if len(l.split()) == 3)
                size = int(syms.get('__poolalloc_end', '0'), 16) - int(syms.get('__poolalloc_base', '0'), 16)

        # 3. Teeth: pools ending at _estack, as the old placement put them.
        rc, out, _ = link_and_run('top', ['__heap_start=end', '__heap_end=_estack'],
                                  after=['__poolalloc_base=_estack-%d' % size])
        if rc == 0 or 'overlaps the stack reservation' not in out:
            failures.append('pools moved to end at _estack: expected a failure naming the overlap with the '
                            'stack reservation, got exit %s:\n%s' % (rc, out.strip()))
        else:
            print('pools ending at _estack (the old placement): fails with: %s'
                  % next(l for l in out.splitlines() if 'overlaps' in l))

    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

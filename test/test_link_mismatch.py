#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""link-mismatch: a library linked into the wrong firmware fails the LINK, saying why.

Links a trivial malloc/free program with this build's libpoolalloc.a and
poolalloc.ld, for the build's CPU (its -mcpu/-mthumb/-mfloat-abi flags) and
each C library, and proves that
  1. with the build's own C library it links;
  2. with a poolalloc.ld generated for another layout it fails with
     'poolalloc: this poolalloc.ld was generated for a libpoolalloc.a built
     for ...' (the library's absolute build marker is missing);
  3. with another C library it fails with 'poolalloc: this libpoolalloc.a was
     built for LIBC (CPU) but the firmware links ...' -- except a picolibc
     library in a newlib link, where ld stops first, while loading symbols,
     with its own 'errno: TLS reference in .../libpoolalloc.a ...
     mismatches non-TLS definition in .../libc...a' (checked as such);
     exactly one such message, naming the C library linked;
  4. teeth: with the 'poolalloc: ...' build and C library ASSERTs removed
     from poolalloc.ld, case 2 links, and so does a newlib library in the
     other newlib flavour's link: the ASSERTs are what stops them.
What no symbol can tell is the CPU: a Cortex-M3 library links into a
Cortex-M0 firmware (doc/integration.md says so).

Usage: test_link_mismatch.py --cc=CC... [--c-arg=ARG...] --lib libpoolalloc.a
         --ldscript poolalloc.ld --libc LIBC --cpu CPU --gen-layout gen_layout.py
         --newlib-board DIR [--regions NAME:START:END,...]
"""
import argparse
import os
import subprocess
import sys
import tempfile

from build_flags import add_compiler_arguments, show

PROGRAM = r'''
#include <stdlib.h>

int main(void)
{
    void *volatile p = malloc(10);
    free(p);
    return 0;
}
'''

ARCH_PREFIXES = ('-mcpu=', '-march=', '-mthumb', '-mfloat-abi=', '-mfpu=')


def libc_flags(libc, board):
    """(compile flags, link flags, extra sources) of a firmware for `libc`."""
    # Only linked, never run: newlib's crt0 and the board's linker script
    # suffice (the board's vectors.c is Cortex-M3 only).
    newlib_board = []
    newlib_link = ['--specs=nosys.specs', '-Wl,--gc-sections', '-T', os.path.join(board, 'mps2-an385.ld')]
    return {
        'picolibc': (['--specs=picolibc.specs'],
                     ['--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost'], []),
        'newlib': ([], newlib_link, newlib_board),
        'newlib-nano': (['--specs=nano.specs'], ['--specs=nano.specs'] + newlib_link, newlib_board),
    }[libc]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_compiler_arguments(ap, link_help="the build's link flags: only its linker scripts are used (the "
                           "board's RAM banks, which -Dregions may name); each C library's come from libc_flags()")
    ap.add_argument('--lib', required=True)
    ap.add_argument('--ldscript', required=True)
    ap.add_argument('--libc', required=True, choices=['picolibc', 'newlib', 'newlib-nano'])
    ap.add_argument('--cpu', required=True)
    ap.add_argument('--gen-layout', required=True)
    ap.add_argument('--newlib-board', required=True, help='cross/newlib')
    ap.add_argument('--regions', default='', help="the build's -Dregions, comma-separated")
    a = ap.parse_args()
    arch = [c for c in a.c_arg if c.startswith(ARCH_PREFIXES)]
    board_scripts = [l for l in a.link_arg if l.endswith('.ld')]
    failures = []

    with tempfile.TemporaryDirectory(prefix='poolalloc-mismatch-') as tmp:
        src = os.path.join(tmp, 'main.c')
        with open(src, 'w') as f:
            f.write(PROGRAM)
        with open(a.ldscript) as f:
            script = f.read()
        unchecked = os.path.join(tmp, 'unchecked.ld')
        with open(unchecked, 'w') as f:
            f.write(''.join(l for l in script.splitlines(True) if 'was built for' not in l
                            and 'was generated for' not in l))
        other_layout = os.path.join(tmp, 'other-layout.ld')
        with open(other_layout, 'w') as f:
            # Another layout with the build's regions (-Dregions): one pool in each.
            regions = [r.split(':')[0] for r in a.regions.split(',') if r]
            f.write(subprocess.run([sys.executable, a.gen_layout, '--libc', a.libc, '--cpu', a.cpu,
                                    '--regions', a.regions, '--emit', 'ldscript', '--', '8:4']
                                   + ['%s@8:4' % name for name in regions],
                                   capture_output=True, text=True, check=True).stdout)

        def link(libc, ldscript):
            c_flags, link_flags, extra = libc_flags(libc, a.newlib_board)
            objs = []
            for i, s in enumerate([src] + extra):
                obj = os.path.join(tmp, '%s-%d.o' % (libc, i))
                cmd = a.cc + arch + c_flags + ['-c', s, '-o', obj]
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    sys.exit('FAIL: compiling %s for %s:\n  $ %s\n%s' % (s, libc, show(cmd), p.stderr))
                objs.append(obj)
            cmd = (a.cc + arch + objs + ['-Wl,--whole-archive', a.lib, '-Wl,--no-whole-archive', ldscript]
                   + board_scripts + link_flags + ['-o', os.path.join(tmp, 'fw.elf')])
            p = subprocess.run(cmd, capture_output=True, text=True)
            return p.returncode, p.stderr, show(cmd)

        def expect_failure(what, rc, err, cmd, needles):
            line = next((l for l in err.splitlines() if needles[0] in l), None)
            if rc == 0 or not all(n in err for n in needles):
                failures.append('%s: expected the link to fail with %s (status %d):\n  $ %s\n%s'
                                % (what, ' ... '.join(map(repr, needles)), rc, cmd, err))
            else:
                print('%s: fails with: %s' % (what, line.split('ld: ', 1)[-1].strip()))

        # 1. Its own C library.
        rc, err, cmd = link(a.libc, a.ldscript)
        if rc != 0:
            sys.exit('FAIL: the program does not link with its own C library %s:\n  $ %s\n%s' % (a.libc, cmd, err))
        print('%s library in a %s link: links' % (a.libc, a.libc))

        # 2. poolalloc.ld of another build.
        rc, err, cmd = link(a.libc, other_layout)
        expect_failure('poolalloc.ld of another layout', rc, err, cmd,
                       ['poolalloc: this poolalloc.ld was generated for a libpoolalloc.a built for %s, %s'
                        % (a.libc, a.cpu)])

        # 3. Another C library.
        for other in ('picolibc', 'newlib', 'newlib-nano'):
            if other == a.libc:
                continue
            rc, err, cmd = link(other, a.ldscript)
            what = '%s library in a %s link' % (a.libc, other)
            if a.libc == 'picolibc':
                expect_failure(what, rc, err, cmd, ['TLS reference in', 'libpoolalloc.a', 'mismatches non-TLS'])
            else:
                said = 'poolalloc: this libpoolalloc.a was built for %s (%s) but the firmware links' % (a.libc, a.cpu)
                expect_failure(what, rc, err, cmd, [said])
                # One message, naming the C library linked: a newlib flavour's
                # library in a picolibc link once also said "links full newlib".
                right = {'picolibc': 'not newlib', 'newlib': 'links full newlib',
                         'newlib-nano': 'links newlib-nano'}[other]
                if err.count(said) != 1 or right not in err:
                    failures.append('%s: expected exactly one message, saying %r; got %d:\n%s'
                                    % (what, right, err.count(said), err))

        # 4. Teeth: without the ASSERTs these mismatches link.
        silent = [(a.libc, other_layout, 'poolalloc.ld of another layout')]
        if a.libc != 'picolibc':
            other = 'newlib' if a.libc == 'newlib-nano' else 'newlib-nano'
            silent.append((other, a.ldscript, '%s library in a %s link' % (a.libc, other)))
        for libc, ldscript, what in silent:
            if ldscript == other_layout:
                with open(other_layout) as f:
                    text = f.read()
                ldscript = os.path.join(tmp, 'other-unchecked.ld')
                with open(ldscript, 'w') as f:
                    f.write(''.join(l for l in text.splitlines(True) if 'was generated for' not in l))
            else:
                ldscript = unchecked
            rc, err, cmd = link(libc, ldscript)
            if rc != 0:
                failures.append('teeth: %s without the ASSERTs should link (silently wrong), but failed:\n'
                                '  $ %s\n%s' % (what, cmd, err))
            else:
                print('teeth: %s without the ASSERTs: links silently' % what)

    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

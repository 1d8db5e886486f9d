#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""link-overflow: a pool layout larger than the heap region fails the LINK.

Links a trivial malloc/free program the way the build links firmware (same
compiler, c_args, c_link_args, the built libpoolalloc.a as a whole archive,
the generated implicit linker script poolalloc.ld, and for newlib the board's
linker script and vector table), then proves that
  1. it links with the board's normal heap region;
  2. with the region shrunk to 64 bytes (--defsym of the heap end) the link
     fails with poolalloc's ASSERT message 'poolalloc: the pools need N bytes';
  3. the check is exact: a region of exactly N bytes above an aligned start
     links, one byte less fails, and so does the region of N bytes moved up
     by one byte (the pools start at the heap start rounded up to their
     alignment: the padding counts);
  4. with --gen-layout (the build's generator command), a poolalloc.ld
     generated with -Dstack-limit-symbol links while the pools end below
     that symbol and fails with poolalloc's message naming it when they
     would reach it;
  5. with --gen-layout, a heap start, heap end or stack limit symbol that
     the link does not define stops it with ld's "poolalloc.ld:N: undefined
     symbol ... referenced in expression", and line N-1 of poolalloc.ld is
     the note naming the option and the fix; teeth: without the notes the
     check fails.

The --defsym options go before poolalloc.ld on the link line, as
c_link_args do in a meson build: ld evaluates the implicit script's
assignments in command-line order, so a --defsym placed after it is not seen
by the ASSERT.

Usage: test_link_overflow.py --cc=CC... [--c-arg=ARG...] [--link-arg=ARG...]
         --lib libpoolalloc.a --ldscript poolalloc.ld
         [--board-ld mps2-an385.ld --board-src vectors.c...]
         [--heap-start __heap_start --heap-end __heap_end]
         [--gen-layout=WORD... --gen-pool=ENTRY...]   (python3, gen_layout.py and this
         build's arguments; its -Dpools entries)
(Use the --opt=VALUE form: values start with '-'.)
"""
import argparse
import os
import re
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

# The start of the region for the exactness check: inside the 4 MiB data RAM
# at 0x20000000 of mps2-an385, and aligned far beyond any pool's alignment.
BOUNDARY_START = 0x20200000


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_compiler_arguments(ap)
    ap.add_argument('--lib', required=True, help='the built libpoolalloc.a')
    ap.add_argument('--ldscript', required=True, help='the generated poolalloc.ld')
    ap.add_argument('--board-ld', help='board linker script (newlib builds)')
    ap.add_argument('--board-src', action='append', default=[], help='board source (newlib: vectors.c)')
    ap.add_argument('--heap-start', default='__heap_start')
    ap.add_argument('--heap-end', default='__heap_end')
    ap.add_argument('--gen-layout', action='append', default=[],
                    help='the command that generates this build\'s layout (repeat, one word each)')
    ap.add_argument('--gen-pool', action='append', default=[], help='one -Dpools entry of this build (repeat)')
    a = ap.parse_args()
    for path in [a.lib, a.ldscript] + ([a.board_ld] if a.board_ld else []) + a.board_src:
        if not os.path.exists(path):
            sys.exit('FAIL: %s does not exist' % path)

    failures = []

    with tempfile.TemporaryDirectory(prefix='poolalloc-link-') as tmp:
        src = os.path.join(tmp, 'main.c')
        with open(src, 'w') as f:
            f.write(PROGRAM)
        objs = []
        # Compile and link in separate steps, as meson does: c_args and
        # c_link_args both carry --specs=picolibc.specs, and gcc refuses to
        # read that spec file twice in one command.
        for i, s in enumerate([src] + a.board_src):
            obj = os.path.join(tmp, '%d.o' % i)
            cmd = a.cc + a.c_arg + ['-c', s, '-o', obj]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit('FAIL: compiling %s failed:\n  $ %s\n%s' % (s, show(cmd), p.stderr))
            objs.append(obj)

        def link(name, defsyms):
            out = os.path.join(tmp, name + '.elf')
            cmd = (a.cc + objs + ['-Wl,--whole-archive', a.lib, '-Wl,--no-whole-archive']
                   + a.link_arg + ['-Wl,--defsym=%s=%s' % d for d in defsyms]
                   + [a.ldscript] + (['-T', a.board_ld] if a.board_ld else []) + ['-o', out])
            p = subprocess.run(cmd, capture_output=True, text=True)
            return p, show(cmd)

        # 1. The normal region.
        p, cmd = link('normal', [])
        if p.returncode != 0:
            sys.exit('FAIL: the program does not link with the normal heap region:\n  $ %s\n%s'
                     % (cmd, p.stderr))
        print('normal region: links')

        # 2. A 64-byte region.
        p, cmd = link('small', [(a.heap_end, a.heap_start + '+64')])
        m = re.search(r'poolalloc: the pools need ([0-9]+) bytes', p.stderr)
        if p.returncode == 0:
            sys.exit('FAIL: the link succeeded with a 64-byte heap region; the ASSERT in %s did '
                     'not fire\n  $ %s\n%s' % (a.ldscript, cmd, p.stderr))
        if not m:
            sys.exit("FAIL: the link with a 64-byte region failed (status %d) but not with "
                     "'poolalloc: the pools need N bytes':\n  $ %s\n%s" % (p.returncode, cmd, p.stderr))
        need = int(m.group(1))
        print('64-byte region: link fails with: %s'
              % next(l for l in p.stderr.splitlines() if 'poolalloc:' in l).strip())

        # 3. Exactly `need` bytes above an aligned start links; one byte less
        # fails, and so does an unaligned start (padding).
        for start, size, ok in ((BOUNDARY_START, need, True), (BOUNDARY_START, need - 1, False),
                                (BOUNDARY_START + 1, need, False)):
            region = '0x%x..0x%x' % (start, start + size)
            p, cmd = link('exact%d_%d' % (start & 1, size),
                          [(a.heap_start, '0x%x' % start), (a.heap_end, '0x%x' % (start + size))])
            if ok and p.returncode != 0:
                failures.append('a region of exactly %d bytes (%s) does not link:\n  $ %s\n%s'
                                % (size, region, cmd, p.stderr))
            elif not ok and (p.returncode == 0 or 'poolalloc: the pools need' not in p.stderr):
                failures.append('a region %s, too small for the %d bytes the pools need from an aligned '
                                'start, did not fail the link with the ASSERT message (status %d):\n  $ %s\n%s'
                                % (region, need, p.returncode, cmd, p.stderr))
            else:
                print('region %s of %d bytes (pools need %d from an aligned start): %s'
                      % (region, size, need, 'links' if ok else 'fails'))

        # 4. A stack limit: the same layout's script, generated with one.
        if a.gen_layout:
            gen = a.gen_layout + ['--stack-limit', 'test_stack_limit', '--emit', 'ldscript', '--'] + a.gen_pool
            p = subprocess.run(gen, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit('FAIL: generating a script with a stack limit failed:\n  $ %s\n%s' % (show(gen), p.stderr))
            limited = os.path.join(tmp, 'limited.ld')
            with open(limited, 'w') as f:
                f.write(p.stdout)
            a.ldscript = limited
            for limit, ok in ((a.heap_end, True), (a.heap_start + '+64', False)):
                p, cmd = link('limit', [('test_stack_limit', limit)])
                named = 'poolalloc: the pools end above test_stack_limit' in p.stderr
                if ok != (p.returncode == 0) or (not ok and not named):
                    failures.append('stack limit %s: %s, expected %s:\n  $ %s\n%s'
                                    % (limit, 'links' if p.returncode == 0 else 'fails',
                                       'a link' if ok else "poolalloc's message naming the symbol", cmd, p.stderr))
                else:
                    print('stack limit at %s: %s' % (limit, 'links' if ok else 'fails naming the symbol'))

        # 5. Missing symbols: a heap start, heap end or stack limit that the
        # link does not define stops ld at its first use in poolalloc.ld,
        # with its own "FILE:N: undefined symbol `X' referenced in
        # expression" (no ASSERT of ours can speak first: DEFINED() is false
        # for a symbol a later -T script assigns).  Line N-1 of the script is
        # poolalloc's note naming the option and the recipe.  Teeth: the same
        # check on the script with its notes removed fails.
        if a.gen_layout:
            missing = 'poolalloc_test_undefined'
            for flag, option in (('--heap-start', '-Dheap-start-symbol'), ('--heap-end', '-Dheap-end-symbol'),
                                 ('--stack-limit', '-Dstack-limit-symbol')):
                gen = a.gen_layout + [flag, missing, '--emit', 'ldscript', '--'] + a.gen_pool
                p = subprocess.run(gen, capture_output=True, text=True)
                if p.returncode != 0:
                    sys.exit('FAIL: generating a script with %s %s failed:\n  $ %s\n%s'
                             % (flag, missing, show(gen), p.stderr))
                for teeth in (False, True):
                    lines = [l for l in p.stdout.splitlines(True) if not (teeth and l.startswith('/* ld: '))]
                    a.ldscript = os.path.join(tmp, 'missing%s.ld' % ('-unnoted' if teeth else ''))
                    with open(a.ldscript, 'w') as f:
                        f.write(''.join(lines))
                    q, cmd = link('missing', [])
                    m = re.search(r'%s:([0-9]+): undefined symbol .%s. referenced in expression'
                                  % (re.escape(a.ldscript), missing), q.stderr)
                    note = lines[int(m.group(1)) - 2] if m and int(m.group(1)) >= 2 else ''
                    noted = 'undefined symbol' in note and option in note and 'doc/integration.md' in note
                    if q.returncode == 0 or not m:
                        failures.append('%s %s, defined nowhere: expected ld\'s "undefined symbol" in %s '
                                        '(status %d):\n  $ %s\n%s' % (flag, missing, a.ldscript, q.returncode,
                                                                       cmd, q.stderr))
                    elif noted == teeth:
                        failures.append('%s%s %s undefined: the line above poolalloc.ld:%s is %r'
                                        % ('teeth: ' if teeth else '', flag, missing, m.group(1), note))
                    else:
                        print('%s%s undefined: ld stops at poolalloc.ld:%s, %s' % (
                            'teeth: ' if teeth else '', option, m.group(1),
                            'no note above it (notes removed)' if teeth else 'below the note naming %s' % option))

    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""lock-hooks-required: a sync=lock library without the firmware's hooks
fails the LINK, saying which hook is missing -- it never runs unprotected.

Links a trivial malloc/free program (picolibc) with a sync=lock library and
its poolalloc.ld, and proves that
  1. without poolalloc_lock/poolalloc_unlock it fails with "undefined
     reference to `poolalloc_lock'" (and `poolalloc_unlock');
  2. teeth: the same program with the two hooks defined links, so the
     hooks are what was missing.

Usage: test_lock_hooks.py --cc=CC... [--c-arg=ARG...] [--link-arg=ARG...]
         --lib libpoolalloc_...a --ldscript poolalloc.ld
"""
import argparse
import os
import subprocess
import sys
import tempfile

from build_flags import add_compiler_arguments, show

PROGRAM = r'''
#include <stdint.h>
#include <stdlib.h>

#if WITH_HOOKS
uint32_t poolalloc_lock(void) { return 0; }
void poolalloc_unlock(uint32_t token) { (void)token; }
#endif

int main(void)
{
    void *volatile p = malloc(10);
    free(p);
    return 0;
}
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_compiler_arguments(ap, link_help="the build's link flags")
    ap.add_argument('--lib', required=True)
    ap.add_argument('--ldscript', required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='poolalloc-lock-') as tmp:
        src = os.path.join(tmp, 'main.c')
        with open(src, 'w') as f:
            f.write(PROGRAM)

        def link(with_hooks):
            # Compiled with the build's c_args, linked with its link args
            # (each carries the specs file, which may be given only once).
            obj = os.path.join(tmp, 'main-%d.o' % with_hooks)
            cmd = a.cc + a.c_arg + ['-DWITH_HOOKS=%d' % with_hooks, '-c', src, '-o', obj]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit('FAIL: compiling the program:\n  $ %s\n%s' % (show(cmd), p.stderr))
            cmd = (a.cc + [obj, '-Wl,--whole-archive', a.lib, '-Wl,--no-whole-archive', a.ldscript] + a.link_arg
                   + ['-o', os.path.join(tmp, 'fw.elf')])
            p = subprocess.run(cmd, capture_output=True, text=True)
            return p.returncode, p.stderr, show(cmd)

        rc, err, cmd = link(0)
        needles = ["undefined reference to `poolalloc_lock'", "undefined reference to `poolalloc_unlock'"]
        if rc == 0 or not all(n in err for n in needles):
            print('FAIL: without hooks the link should fail with %s (status %d):\n  $ %s\n%s'
                  % (' and '.join(map(repr, needles)), rc, cmd, err))
            return 1
        print('without hooks: the link fails with: %s' % needles[0])
        rc, err, cmd = link(1)
        if rc != 0:
            print('FAIL: teeth: with both hooks defined the program should link:\n  $ %s\n%s' % (cmd, err))
            return 1
        print('teeth: with both hooks defined: links')
    return 0


if __name__ == '__main__':
    sys.exit(main())

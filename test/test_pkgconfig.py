#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pkgconfig-link: the installed library links through its pkg-config file.

Installs the current build into a temporary DESTDIR (`meson install
--destdir --no-rebuild`), asks pkg-config for the README's link line
(`pkg-config --static --libs --cflags poolalloc`, with prefix redirected into
the DESTDIR), builds examples/demo.c with the cross compiler, the build's
c_args/c_link_args (and the board files for newlib) and that output, runs it
under QEMU, and proves that
  1. pkg-config keeps '-Wl,--whole-archive,LIBDIR/libpoolalloc.a,--no-whole-archive'
     (one argument, so that pkg-config's de-duplication cannot drop half of
     it when another package uses whole-archive too; the archive by its
     path, which needs no -L, so that CMake's IMPORTED_TARGET links it too),
     and names the installed poolalloc.ld;
  2. the demo exits 0 and prints 'pools after freeing the log';
  3. in the ELF, malloc is poolalloc_malloc (same address), libc's allocator
     is absent, and there is no sbrk, _sbrk or _sbrk_r (nor, by the linker's
     symbol trace, any reference to one).
  4. the variable freertos_heap names the installed FreeRTOS heap source
     (src/freertos/heap_poolalloc.c, doc/integration.md).

Usage: test_pkgconfig.py --meson MESON --build-root DIR --prefix P --libdir L
         --pkg-config PROG --nm PROG --qemu-run cross/qemu-run.py
         --demo examples/demo.c
         --cc=CC... [--c-arg=ARG...] [--link-arg=ARG...]
         [--board-ld LD --board-src SRC...]
(Use the --opt=VALUE form for values that start with '-'.)
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

from build_flags import add_compiler_arguments, show


def bracket(libdir):
    return ['-Wl,--whole-archive,%s,--no-whole-archive' % os.path.join(libdir, 'libpoolalloc.a')]

SBRK_NAMES = ['sbrk', '_sbrk', '_sbrk_r']
# ... and symbols of the libcs' own allocators (newlib's mallocr, newlib-nano's
# and picolibc's nano-malloc).
FORBIDDEN = SBRK_NAMES + ['__malloc_av_', '__malloc_free_list', '__malloc_sbrk_start',
                          '__malloc_sbrk_top', 'nano_malloc']


def run(cmd, what, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit('FAIL: %s failed (status %d):\n  $ %s\n%s%s' % (what, p.returncode, show(cmd), p.stdout, p.stderr))
    return p


def has_bracket(tokens, libdir):
    want = bracket(libdir)
    return any(tokens[i:i + len(want)] == want for i in range(len(tokens)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--meson', required=True)
    ap.add_argument('--build-root', required=True)
    ap.add_argument('--prefix', required=True)
    ap.add_argument('--libdir', required=True)
    ap.add_argument('--pkg-config', required=True)
    ap.add_argument('--nm', required=True)
    ap.add_argument('--qemu-run', required=True)
    ap.add_argument('--demo', required=True)
    add_compiler_arguments(ap)
    ap.add_argument('--board-ld')
    ap.add_argument('--trace', action='store_true',
                    help='-Dtrace=true: malloc is the recording wrapper, not an alias')
    ap.add_argument('--board-src', action='append', default=[])
    a = ap.parse_args()
    failures = []

    with tempfile.TemporaryDirectory(prefix='poolalloc-pkgconfig-') as tmp:
        destdir = os.path.join(tmp, 'destdir')
        run([a.meson, 'install', '-C', a.build_root, '--destdir', destdir, '--no-rebuild'],
            'meson install into a DESTDIR', stdin=subprocess.DEVNULL)
        prefix = os.path.join(destdir, a.prefix.lstrip(os.sep))
        libdir = os.path.join(destdir, (a.libdir if os.path.isabs(a.libdir)
                                        else os.path.join(a.prefix, a.libdir)).lstrip(os.sep))
        pcdir = os.path.join(libdir, 'pkgconfig')
        if not os.path.exists(os.path.join(pcdir, 'poolalloc.pc')):
            sys.exit('FAIL: meson install did not install %s' % os.path.join(pcdir, 'poolalloc.pc'))

        env = dict(os.environ, PKG_CONFIG_PATH=pcdir, PKG_CONFIG_LIBDIR=pcdir)
        env.pop('PKG_CONFIG_SYSROOT_DIR', None)

        def pkg_config(*flags):
            cmd = [a.pkg_config, '--define-variable=prefix=' + prefix] + list(flags) + ['poolalloc']
            return shlex.split(run(cmd, 'pkg-config', env=env).stdout), show(cmd)

        # 4. The FreeRTOS heap, shipped as source.
        heap, heap_cmd = pkg_config('--variable=freertos_heap')
        if len(heap) != 1 or not os.path.isfile(heap[0]) or not heap[0].endswith('heap_poolalloc.c'):
            sys.exit('FAIL: pkg-config --variable=freertos_heap names no installed heap_poolalloc.c:\n  $ %s\n  %s'
                     % (heap_cmd, show(heap)))
        print('$ %s\n  %s' % (heap_cmd, show(heap)))

        readme, readme_cmd = pkg_config('--static', '--libs', '--cflags')
        cflags, _ = pkg_config('--cflags')
        libs, libs_cmd = pkg_config('--static', '--libs')
        print('$ PKG_CONFIG_PATH=%s %s\n  %s' % (pcdir, readme_cmd, show(readme)))

        # 1. The link line.
        for tokens, cmd in ((readme, readme_cmd), (libs, libs_cmd)):
            if not has_bracket(tokens, libdir):
                sys.exit('FAIL: pkg-config reordered or dropped the whole-archive flags: expected %s '
                         'together and in this order, got:\n  $ %s\n  %s' % (show(bracket(libdir)), cmd, show(tokens)))
        # Another package linked as a whole archive beside ours.
        with open(os.path.join(pcdir, 'other-whole.pc'), 'w') as other:
            other.write('Name: other-whole\nDescription: test\nVersion: 1\n'
                        'Libs: -Wl,--whole-archive -lother -Wl,--no-whole-archive\n')
        for order in (['poolalloc', 'other-whole'], ['other-whole', 'poolalloc']):
            cmd = [a.pkg_config, '--define-variable=prefix=' + prefix, '--static', '--libs'] + order
            both = shlex.split(run(cmd, 'pkg-config', env=env).stdout)
            if not has_bracket(both, libdir):
                failures.append('with another whole-archive package, pkg-config broke ours:\n  $ %s\n  %s'
                                % (show(cmd), show(both)))
        if sorted(readme) != sorted(cflags + libs):
            failures.append('`--static --libs --cflags` (%s) is not `--cflags` (%s) + `--static --libs` (%s)'
                            % (show(readme), show(cflags), show(libs)))
        ldscripts = [t for t in libs if t.endswith('poolalloc.ld')]
        if ldscripts != [os.path.join(libdir, 'poolalloc.ld')] or not os.path.exists(ldscripts[0]):
            failures.append('the link line should name the installed %s once, got %s'
                            % (os.path.join(libdir, 'poolalloc.ld'), ldscripts))
        if not os.path.exists(os.path.join(libdir, 'libpoolalloc.a')):
            failures.append('the link line names %s, which was not installed' % os.path.join(libdir, 'libpoolalloc.a'))
        for t in readme:
            if t.startswith(('-I', '-L')) and not t[2:].startswith(destdir):
                failures.append('%s points outside the DESTDIR %s' % (t, destdir))

        # 2. Build the demo the way a Makefile would, run it.  Compile and link
        # are separate steps: c_args and c_link_args both carry
        # --specs=picolibc.specs, and gcc refuses to read it twice.
        objs = []
        for i, src in enumerate([a.demo] + a.board_src):
            obj = os.path.join(tmp, '%d.o' % i)
            run(a.cc + a.c_arg + cflags + ['-c', src, '-o', obj], 'compiling ' + src)
            objs.append(obj)
        elf = os.path.join(tmp, 'demo.elf')
        trace = ['-Wl,-y,' + s for s in SBRK_NAMES]
        link = (a.cc + objs + a.link_arg + libs + (['-T', a.board_ld] if a.board_ld else [])
                + ['-o', elf])
        linked = run(link + trace, 'linking the demo with the pkg-config link line')
        print('$ %s' % show(link))

        p = subprocess.run([sys.executable, a.qemu_run, '--timeout', '60', elf],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            failures.append('the demo exited with status %d under QEMU:\n%s%s' % (p.returncode, p.stdout, p.stderr))
        # stdout or stderr: newlib-nano allocates its std FILEs (428 bytes) on
        # first use, and with no pool that large its stdout ends up on fd 2.
        elif 'pools after freeing the log' not in p.stdout + p.stderr:
            failures.append("the demo did not print 'pools after freeing the log':\n%s%s" % (p.stdout, p.stderr))
        else:
            print('demo under QEMU: exit 0, pool table printed')

        # 3. Whose malloc is it?
        syms = {}
        for line in run([a.nm, elf], 'nm').stdout.splitlines():
            f = line.split()
            if len(f) == 3:
                syms[f[2]] = (f[0], f[1])
        m, pm = syms.get('malloc'), syms.get('poolalloc_malloc')
        if a.trace:
            if not m or not pm or m[0] == pm[0] or m[1] not in 'Tt' or 'trace_record_alloc' not in syms:
                failures.append('malloc %s is not the recording wrapper of poolalloc_malloc %s' % (m, pm))
        elif not m or not pm or m[0] != pm[0] or m[1] not in 'TtWw':
            failures.append('malloc %s is not poolalloc_malloc %s' % (m, pm))
        for s in FORBIDDEN:
            if s in syms:
                defs = [l for l in linked.stderr.splitlines() if 'definition of %s' % s in l]
                failures.append("the ELF contains %s (%s %s): libc's allocator or an sbrk was linked%s"
                                % (s, syms[s][0], syms[s][1], ('\n  ' + '\n  '.join(defs)) if defs else ''))
        refs = [l for l in linked.stderr.splitlines() if ': reference to ' in l]
        if refs:
            failures.append('something references sbrk:\n  ' + '\n  '.join(refs))
        if not failures:
            print('nm: malloc %s poolalloc_malloc at %s; no libc allocator, no sbrk in use'
                  % ('wraps' if a.trace else '==', m[0]))

    for f in failures:
        print('FAIL: ' + f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

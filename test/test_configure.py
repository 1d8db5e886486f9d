#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""configure-rejects: a bad -Dpools layout is refused at configure time.

Proves that
  1. src/gen_layout.py rejects every kind of bad layout (malformed entry,
     block 0, capacity 0, block below a pointer, duplicate block, block not a
     multiple of the alignment, block below the alignment that is not a power
     of two, empty list, bad alignment) with exit status 1 and a message on
     stderr that names the entry and says what would be valid, and accepts the
     valid layouts (Drone OS's 20:8,116:4 with alignment 4, among others);
  2. runaway input is refused fast, in one line, never with a traceback: a
     block of 5000 digits; a bad entry with -Dalignment=1073741824 (its
     nearest valid blocks once took 188 s to find); an alignment of 2^31 or
     2^32 on a 32-bit target (more than PTRDIFF_MAX allows; it used to be
     accepted and fail in the compiler) -- each within FAST_SECONDS;
  3. the heap and stack symbol options must be linker symbol names: 'foo
     bar', ';', '"', a newline, (for the heap symbols) an empty name, '.'
     (the location counter: pools on top of .text) and ld's keywords (ALIGN,
     NEXT, ...: a syntax error at link time) are refused, naming the option;
  4. a real `meson setup` of the source tree fails with the generator's message
     for -Dpools=20:8,116:4, for an empty list, for -Dheap-end-symbol='foo bar',
     -Dheap-start-symbol=.
     and for -Dalignment=1073741824 with a bad entry (within MESON_SECONDS),
     and succeeds for -Dpools=8:4.

  5. region names: 'count' is refused; names that read as words of
     generated names ('align', 'in', 'in_extra', 'x' beside 'align_x', ...)
     give a library that compiles (with --cc, a host build's compiler).

Usage: test_configure.py --gen-layout src/gen_layout.py --meson MESON
                         --source-root DIR [--cc CC... --config-dir DIR --source FILE...]
"""
import argparse
import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

failures = []
FAST_SECONDS = 2.0    # one generator run, Python start-up included
MESON_SECONDS = 30.0  # one native `meson setup` that must fail


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


_gen_module = None


def run_gen(gen, pools, alignment=8, ptr=4, emit='check', subprocess_run=False, extra=()):
    """Run the generator's main() (in-process: ~50 runs, 90 ms each as
    processes) or, with subprocess_run, the script itself."""
    global _gen_module
    args = ['--alignment', str(alignment), '--pointer-size', str(ptr)] + list(extra) + ['--emit', emit, '--'] + pools
    shown = ' '.join(shlex.quote(c if len(c) < 60 else c[:40] + '...') for c in [gen] + args)
    if subprocess_run:
        try:
            p = subprocess.run([sys.executable, gen] + args, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return Result(-1, '', 'still running after 30 s, killed\n'), shown
        return Result(p.returncode, p.stdout, p.stderr), shown
    if _gen_module is None:
        spec = importlib.util.spec_from_file_location('gen_layout', gen)
        _gen_module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_gen_module)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = _gen_module.main(args)
        except SystemExit as e:   # argparse errors
            rc = e.code if isinstance(e.code, int) else 1
    return Result(rc, out.getvalue(), err.getvalue()), shown


def word(n):
    """A regex matching the number n as a whole word (16 but not 160)."""
    return re.compile(r'(?<![0-9])%d(?![0-9])' % n)


# (pools arguments, alignment, pointer size, what the message must contain:
#  plain strings or compiled regexes).  The entry is always named in quotes.
BAD = [
    # malformed entries
    (['abc'], 8, 4, ["'abc'", 'BLOCK:CAPACITY']),
    (['16:'], 8, 4, ["'16:'", 'BLOCK:CAPACITY']),
    (['16:-1'], 8, 4, ["'16:-1'", 'BLOCK:CAPACITY']),
    (['0x10:4'], 8, 4, ["'0x10:4'", 'BLOCK:CAPACITY', 'decimal']),
    (['16:4:2'], 8, 4, ["'16:4:2'", 'BLOCK:CAPACITY']),
    # block 0, capacity 0
    (['0:4'], 8, 4, ["'0:4'", 'smallest valid block is 4']),
    (['16:0'], 8, 4, ["'16:0'", 'at least one block']),
    # block smaller than a pointer (4 on the target, 8 on a 64-bit host)
    (['2:8'], 8, 4, ["'2:8'", 'pointer', 'smallest valid block is 4']),
    (['4:8'], 8, 8, ["'4:8'", 'pointer', 'smallest valid block is 8']),
    # duplicate block size: names both entries and the merged one
    (['8:32,8:4'], 8, 4, ["'8:4'", "'8:32'", '8:36']),
    (['8:32', '8:4'], 8, 4, ["'8:4'", "'8:32'", '8:36']),   # as meson passes an array
    # block >= alignment, not a multiple of it: the nearest valid sizes
    (['20:8'], 8, 4, ["'20:8'", 'alignment 8', word(16), word(24)]),
    (['12:4'], 8, 4, ["'12:4'", 'alignment 8', word(8), word(16)]),
    (['40:2'], 16, 4, ["'40:2'", 'alignment 16', word(32), word(48)]),
    # Drone OS's layout is valid only with alignment 4
    (['20:8,116:4'], 8, 4, ["'20:8'", word(16), word(24)]),
    # a bad entry after good ones is still found
    (['16:4,64:2,20:8'], 8, 4, ["'20:8'", word(16), word(24)]),
    # block < alignment that is not a power of two
    (['12:4'], 16, 4, ["'12:4'", 'power of two', word(8), word(16)]),
    (['6:4'], 8, 4, ["'6:4'", 'power of two', word(4), word(8)]),
    # empty list: no entry, an empty string, only commas
    ([], 8, 4, ['empty', 'BLOCK:CAPACITY']),
    ([''], 8, 4, ['empty', 'BLOCK:CAPACITY']),
    ([',,'], 8, 4, ['empty', 'BLOCK:CAPACITY']),
    # bad alignment: not a power of two, below a pointer, zero
    (['8:4'], 3, 4, ['alignment 3', 'power of two']),
    (['8:4'], 2, 4, ['alignment 2', 'pointer size']),
    (['8:4'], 0, 4, ['alignment 0', 'power of two']),
]

GOOD = [
    (['20:8,116:4'], 4, 4),                     # Drone OS's example
    (['4:32,8:64,24:32,64:16,256:4'], 8, 4),
    (['4:32', '8:64', '24:32', '64:16', '256:4'], 8, 4),
    (['256:4,4:32,64:16'], 8, 4),               # order does not matter
    (['8:32', '16:32', '24:32', '32:32', '48:16', '64:16', '128:8', '256:8', '1024:4'], 8, 4),
    (['8:4'], 8, 8),                            # 64-bit host
    (['4:1'], 4, 4),
]


def check_generator(gen):
    before = len(failures)
    for pools, alignment, ptr, expect in BAD:
        p, cmd = run_gen(gen, pools, alignment, ptr)
        what = '%s (alignment %d, pointer size %d)' % (pools, alignment, ptr)
        if p.returncode != 1:
            fail('%s: exit status %d, expected 1 (rejected)\n  $ %s\n  stdout: %s\n  stderr: %s'
                 % (what, p.returncode, cmd, p.stdout.strip(), p.stderr.strip()))
            continue
        msg = p.stderr.strip()
        if not msg:
            fail('%s: rejected but with no message on stderr (meson shows stderr)\n  $ %s' % (what, cmd))
            continue
        if not msg.startswith('poolalloc: '):
            fail('%s: message does not start with "poolalloc: ": %s' % (what, msg))
        for e in expect:
            found = e.search(msg) if hasattr(e, 'search') else e in msg
            if not found:
                fail('%s: message does not mention %s:\n  %s'
                     % (what, e.pattern if hasattr(e, 'pattern') else repr(e), msg))
        if p.stdout.strip():
            fail('%s: rejected layout still printed a summary on stdout: %s' % (what, p.stdout.strip()))
    # The script itself (not just main()) exits 1 / 0: what meson's run_command sees.
    p, cmd = run_gen(gen, ['20:8'], 8, 4, subprocess_run=True)
    if p.returncode != 1 or "'20:8'" not in p.stderr:
        fail('running the script: 20:8 gave exit status %d, stderr %r, expected 1 naming the entry\n  $ %s'
             % (p.returncode, p.stderr.strip(), cmd))
    p, cmd = run_gen(gen, ['20:8,116:4'], 4, 4, subprocess_run=True)
    if p.returncode != 0 or p.stderr.strip():
        fail('running the script: 20:8,116:4 with alignment 4 gave exit status %d, stderr %r, expected 0\n  $ %s'
             % (p.returncode, p.stderr.strip(), cmd))
    # Every --emit mode refuses a bad layout (meson runs them as configure_file commands).
    for emit in ('header', 'source', 'ldscript'):
        p, cmd = run_gen(gen, ['20:8'], 8, 4, emit)
        if p.returncode != 1 or "'20:8'" not in p.stderr:
            fail('--emit %s accepted the bad layout 20:8 (exit %d)\n  $ %s' % (emit, p.returncode, cmd))

    for pools, alignment, ptr in GOOD:
        what = '%s (alignment %d, pointer size %d)' % (pools, alignment, ptr)
        for emit in ('check', 'header', 'source', 'ldscript'):
            p, cmd = run_gen(gen, pools, alignment, ptr, emit)
            if p.returncode != 0 or p.stderr.strip() or not p.stdout.strip():
                fail('valid layout %s rejected by --emit %s (exit %d)\n  $ %s\n  stderr: %s'
                     % (what, emit, p.returncode, cmd, p.stderr.strip()))
                break
    if len(failures) == before:
        print('generator: %d bad layouts rejected, %d valid layouts accepted' % (len(BAD), len(GOOD)))


# Runaway input: (what, pools, alignment, what the one-line message must contain).
RUNAWAY = [
    ('a block of 5000 digits', ['9' * 5000 + ':1'], 8, ['5000 digits', '...']),
    ('a capacity of 5000 digits', ['16:' + '7' * 5000], 8, ['5000 digits']),
    ('a bad entry with alignment 2^30', ['1073741832:1'], 2 ** 30, ["'1073741832:1'", word(1073741824)]),
    ('a small bad entry with alignment 2^30', ['20:8'], 2 ** 30, ["'20:8'", word(16), word(32)]),
    ('alignment 2^31', ['8:4'], 2 ** 31, ['alignment 2147483648', 'PTRDIFF_MAX', word(1073741824)]),
    ('alignment 2^32', ['8:4'], 2 ** 32, ['alignment 4294967296', 'PTRDIFF_MAX', word(1073741824)]),
    ('a block of 2^31', ['2147483648:1'], 8, ["'2147483648:1'", 'PTRDIFF_MAX']),
]

# (option, generator flag, bad value)
BAD_SYMBOLS = [(opt, flag, value)
               for opt, flag in (('heap-start-symbol', '--heap-start'), ('heap-end-symbol', '--heap-end'),
                                 ('stack-limit-symbol', '--stack-limit'))
               for value in ('foo bar', ';', '"', '__heap_end;', 'a\nb', '9lives')
               ] + [(opt, flag, value)  # symbol-shaped, but the location counter or ld keywords
                    for opt, flag in (('heap-start-symbol', '--heap-start'), ('stack-limit-symbol', '--stack-limit'))
                    for value in ('.', 'ALIGN', 'NEXT', 'ORIGIN', 'LENGTH', 'DEFINED', 'MAX', 'ABSOLUTE', 'CONSTANT')
                    ] + [('heap-start-symbol', '--heap-start', ''), ('heap-end-symbol', '--heap-end', '')]


def check_one_line_rejection(what, p, cmd, expect, took=None):
    msg = p.stderr
    if p.returncode != 1:
        fail('%s: exit status %d, expected 1\n  $ %s\n  stderr: %s' % (what, p.returncode, cmd, msg[-2000:]))
        return
    if not msg.startswith('poolalloc: ') or msg.count('\n') != 1 or len(msg) > 400:
        fail('%s: not one short "poolalloc: " line: %r' % (what, msg[:2000]))
    for e in expect:
        if not (e.search(msg) if hasattr(e, 'search') else e in msg):
            fail('%s: message does not mention %s: %s' % (what, getattr(e, 'pattern', repr(e)), msg.strip()))
    if took is not None and took > FAST_SECONDS:
        fail('%s: rejected after %.1f s, bound %.0f s\n  $ %s' % (what, took, FAST_SECONDS, cmd))


def check_runaway(gen):
    before = len(failures)
    for what, pools, alignment, expect in RUNAWAY:
        started = time.monotonic()
        p, cmd = run_gen(gen, pools, alignment, 4, subprocess_run=True)
        check_one_line_rejection(what, p, cmd, expect, time.monotonic() - started)
    # The largest alignment and block that make sense are accepted.
    for pools, alignment in ((['1073741824:1'], 2 ** 30), (['2147483640:1'], 8)):
        p, cmd = run_gen(gen, pools, alignment, 4)
        if p.returncode != 0:
            fail('%s with alignment %d rejected: %s\n  $ %s' % (pools, alignment, p.stderr.strip(), cmd))
    for option, flag, value in BAD_SYMBOLS:
        p, cmd = run_gen(gen, ['8:4'], extra=[flag, value])
        check_one_line_rejection('%s=%r' % (option, value), p, cmd, [option, "'%s'" % value.replace('\n', ' ')])
    for flag, value in (('--heap-end', '_estack'), ('--heap-start', '.end$1'), ('--stack-limit', ''),
                        ('--stack-limit', '__stack_limit')):
        p, cmd = run_gen(gen, ['8:4'], emit='ldscript', extra=[flag, value])
        if p.returncode != 0:
            fail('%s=%r refused: %s\n  $ %s' % (flag, value, p.stderr.strip(), cmd))
    if len(failures) == before:
        print('runaway input: %d cases refused in one line within %.0f s each; %d bad symbol names refused'
              % (len(RUNAWAY), FAST_SECONDS, len(BAD_SYMBOLS)))


def meson_setup(meson, source_root, tmp, name, pools, extra=()):
    build = os.path.join(tmp, name)
    cmd = [meson, 'setup', build, source_root, '-Dtests=false', '-Dpools=' + pools] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp,
                       stdin=subprocess.DEVNULL)
    return p, build, ' '.join(shlex.quote(c) for c in cmd)


def check_meson(gen, meson, source_root):
    before = len(failures)
    with tempfile.TemporaryDirectory(prefix='poolalloc-configure-') as tmp:
        # The message meson must show is the generator's own, whatever the
        # native pointer size (4 or 8) makes of its hint.
        for pools in ('20:8,116:4', ''):
            msgs = [run_gen(gen, [pools], 8, ptr)[0].stderr.strip() for ptr in (4, 8)]
            p, build, cmd = meson_setup(meson, source_root, tmp, 'bad' + str(len(pools)), pools)
            out = p.stdout + p.stderr
            if p.returncode == 0:
                fail('meson setup accepted -Dpools=%s\n  $ %s\n%s' % (pools, cmd, out[-2000:]))
            elif not any(m and m in out for m in msgs):
                fail('meson setup with -Dpools=%s failed, but without the generator message %r\n'
                     '  $ %s\n%s' % (pools, msgs[0], cmd, out[-2000:]))
            if os.path.exists(os.path.join(build, 'build.ninja')):
                fail('meson setup with -Dpools=%s wrote build.ninja' % pools)
        # A bad symbol option and a slow-to-explain layout: fast, with the message.
        for name, pools, extra, expect in (
                ('badsym', '8:4', ['-Dheap-end-symbol=foo bar'], "heap-end-symbol 'foo bar' is not a linker symbol name"),
                ('dotsym', '8:4', ['-Dheap-start-symbol=.'], "heap-start-symbol '.' is not a linker symbol name"),
                ('bigalign', '1073741832:1', ['-Dalignment=1073741824'], "pools entry '1073741832:1'")):
            started = time.monotonic()
            p, build, cmd = meson_setup(meson, source_root, tmp, name, pools, extra)
            took = time.monotonic() - started
            out = p.stdout + p.stderr
            if p.returncode == 0 or expect not in out:
                fail('meson setup %s: expected a failure with %r (exit %d)\n  $ %s\n%s'
                     % (' '.join(extra), expect, p.returncode, cmd, out[-2000:]))
            elif took > MESON_SECONDS:
                fail('meson setup %s failed after %.0f s, bound %.0f s' % (' '.join(extra), took, MESON_SECONDS))
        p, build, cmd = meson_setup(meson, source_root, tmp, 'good', '8:4')
        out = p.stdout + p.stderr
        summary = run_gen(gen, ['8:4'], 8, 8)[0].stdout.splitlines()[0]
        if p.returncode != 0:
            fail('meson setup with -Dpools=8:4 failed (exit %d)\n  $ %s\n%s' % (p.returncode, cmd, out[-3000:]))
        elif not os.path.exists(os.path.join(build, 'build.ninja')):
            fail('meson setup with -Dpools=8:4 succeeded but wrote no build.ninja')
        elif summary not in out:
            fail('meson setup with -Dpools=8:4 did not print the layout summary %r' % summary)
    if len(failures) == before:
        print('meson setup: -Dpools=20:8,116:4, -Dpools=, -Dheap-end-symbol=\'foo bar\', -Dheap-start-symbol=. and '
              '-Dalignment=1073741824 with a bad entry rejected, -Dpools=8:4 accepted')


# Region names that once collided with other generated or library names
# (POOL_BASE_ALIGN, pool_for_size_in, pool_for_size_in_extra, and a
# POOL_BASE_ALIGN_X of region x with region align_x's POOL_BASE_ALIGN).
TRICKY_REGION_NAMES = ['align', 'in', 'in_extra', 'x', 'align_x', 'count_x', 'heap_x']


def check_region_names(gen, cc, config_dir, source_root, sources):
    """'count' is refused (POOLALLOC_REGION_COUNT); names that look like
    words of generated names build: every library source compiles with the
    layout of regions named so (a host build's compiler and configuration)."""
    r, shown = run_gen(gen, ['8:4', 'count@16:2'], extra=['--regions', 'count:__a:__b'])
    if r.returncode != 1 or "region name 'count' is reserved" not in r.stderr:
        fail('%s: exit %d, %r (expected the reserved-name error)' % (shown, r.returncode, r.stderr))
    if not cc:
        return
    regions = ','.join('%s:__%s_start:__%s_end' % (n, n, n) for n in TRICKY_REGION_NAMES)
    pools = ['8:4', '16:2'] + ['%s@%d:2' % (n, 8 << (i % 3)) for i, n in enumerate(TRICKY_REGION_NAMES)]
    with tempfile.TemporaryDirectory() as out:
        r, shown = run_gen(gen, pools, emit='all', extra=['--regions', regions, '--outdir', out])
        if r.returncode != 0:
            return fail('%s: exit %d: %s' % (shown, r.returncode, r.stderr))
        with open(os.path.join(out, 'pool_layout.c'), 'w') as f:
            f.write(r.stdout)
        cmd = cc + ['-std=gnu11', '-fsyntax-only', '-Wall', '-Wextra', '-Werror', '-I', out, '-I', config_dir,
                    '-I', os.path.join(config_dir, 'include'),   # poolalloc_version.h
                    '-I', os.path.join(source_root, 'include'), '-I', os.path.join(source_root, 'src'),
                    os.path.join(out, 'pool_layout.c')] + sources
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            fail('regions named %s: the library does not compile:\n$ %s\n%s'
                 % (', '.join(TRICKY_REGION_NAMES), ' '.join(cmd), p.stderr[-2000:]))


def check_emit_all(gen):
    """--emit all (the variants' one generator run) prints the source and
    writes each other file exactly as its own --emit would."""
    pools = ['8:4', '32:2', 'dma@64:2']
    extra = ['--regions', 'dma:__dma_start:__dma_end']
    with tempfile.TemporaryDirectory() as out:
        r, shown = run_gen(gen, pools, emit='all', extra=extra + ['--outdir', out])
        if r.returncode != 0:
            return fail('%s: exit %d: %s' % (shown, r.returncode, r.stderr))
        module = _gen_module
        for emit, name in module.EMITTED.items():
            one, _ = run_gen(gen, pools, emit=emit, extra=extra)
            if emit == 'source':
                got = r.stdout
            else:
                with open(os.path.join(out, name)) as f:
                    got = f.read()
            if one.returncode != 0 or got != one.stdout:
                fail('--emit all: %s differs from --emit %s' % (name, emit))
    r, shown = run_gen(gen, pools, emit='all', extra=extra)
    if r.returncode != 2 or '--emit all needs --outdir' not in r.stderr:
        fail('%s without --outdir: exit %d, %r' % (shown, r.returncode, r.stderr))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--gen-layout', required=True, help='path of src/gen_layout.py')
    ap.add_argument('--meson', required=True, help='meson program, for the real `meson setup` checks')
    ap.add_argument('--source-root', required=True, help='the poolalloc source tree')
    ap.add_argument('--cc', action='append', default=[], help='a host build\'s C compiler (words)')
    ap.add_argument('--config-dir', help='the directory of that build\'s poolalloc_config.h')
    ap.add_argument('--source', action='append', default=[], help='a library source, compiled by the name check')
    a = ap.parse_args()
    check_generator(a.gen_layout)
    check_region_names(a.gen_layout, a.cc, a.config_dir, a.source_root, a.source)
    check_emit_all(a.gen_layout)
    check_runaway(a.gen_layout)
    check_meson(a.gen_layout, a.meson, a.source_root)
    if failures:
        print('\n%d check(s) failed' % len(failures))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

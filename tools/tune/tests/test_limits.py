#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""poolalloc-tune at the edges of what it accepts (argv[1] = the tool):

  * generate with over-aligned requests beside large ones (a valloc, a
    memalign(4096, n), a 32-byte-aligned DMA buffer beside a block over
    4 KiB): a layout, which replays clean with fallback off;
  * generate without --heap-size: the minimum layout, no budget; with
    --headroom PCT that headroom; --help says where a budget comes from;
  * --heap-size beyond what a 32-bit target's pools may hold (5000M): the
    layout stays within it and src/gen_layout.py accepts it;
  * an inconsistent trace (a successful call the allocator refuses: an
    all-ones reallocf, a memalign of alignment 3, more bytes than
    PTRDIFF_MAX) is refused at the record's field, and the byte totals of
    a 64-bit trace whose live bytes pass 2^64 do not wrap;
  * a file that is no trace (/dev/zero) is refused at once, and a stream
    longer than the limit (a header, then zeros) at the limit (without
    the limit the tool reads until the timeout or its memory ends; no
    rlimit here: AddressSanitizer's shadow needs the address space).
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracegen  # noqa: E402
from tracegen import fmt  # noqa: E402
from tunetest import TOOL, check, run, verdict  # noqa: E402

GEN_LAYOUT = Path(__file__).resolve().parents[3] / 'src' / 'gen_layout.py'
LIMIT = 256 << 20            # TUNE_MAX_TRACE_BYTES (tune.h)


def configure_line(text):
    m = re.search(r'^meson configure -Dpools=(\S+)( -Dalignment=\d+)? BUILDDIR$', text, re.M)
    return m.group(1) if m else None


def write(tmp, name, t):
    path = tmp / name
    path.write_bytes(t.data())
    return path


def over_aligned(tmp):
    """The cases the docs promote: every one gets a layout that serves it."""
    t = tracegen.Trace([(8, 32), (64, 8), (8192, 2)])
    t.record('malloc', size=4200, result=0x20003000, caller=0x100)
    t.record('memalign', size=64, align=32, result=0x20002000, caller=0x104)
    t.end()
    u = tracegen.Trace([(8, 32), (64, 8), (8192, 2)])
    u.record('malloc', size=100, result=0x20001000, caller=0x100)
    u.record('valloc', size=10, align=4096, result=0x20002000, caller=0x104)
    u.record('memalign', size=6000, align=4096, result=0x20004000, caller=0x108)
    u.record('memalign', size=64, align=32, result=0x20006000, caller=0x10c)
    u.record('malloc', size=9000, result=0x20008000, caller=0x100)
    u.end()
    for name, trace in (('dma-beside-4200', t), ('valloc-memalign-4096', u)):
        path = write(tmp, name + '.trace', trace)
        p = run('generate', path, '--heap-size', '1M', '--headroom', '0')
        line = configure_line(p.stdout)
        check('%s: generate gives a layout' % name, p.returncode == 0 and line is not None, p.stdout + p.stderr)
        if line is None:
            continue
        r = run('replay', path, '--pools', line, '--fallback', 'off')
        check('%s: its layout %s replays clean with fallback off' % (name, line),
              r.returncode == 0 and 'OK: 0 requests fail' in r.stdout, r.stdout + r.stderr)


def without_budget(tmp):
    sample = write(tmp, 'sample.trace', tracegen.sample())
    p = run('generate', sample)
    m = re.search(r'total (\d+) bytes \(minimum (\d+)\)', p.stdout)
    check('no --heap-size: the minimum layout, no budget',
          p.returncode == 0 and m is not None and m.group(1) == m.group(2) and 'budget' not in p.stdout.lower()
          .replace('--heap-size size spreads a budget', '') and configure_line(p.stdout) is not None,
          p.stdout + p.stderr)
    q = run('generate', sample, '--headroom', '50')
    n = re.search(r'total (\d+) bytes \(minimum (\d+)\)', q.stdout)
    check('no --heap-size, --headroom 50: more than the minimum',
          q.returncode == 0 and n is not None and int(n.group(1)) > int(n.group(2)) == int(m.group(2) if m else -1)
          and 'headroom: 50% of each pool' in q.stdout, q.stdout + q.stderr)
    h = run('--help')
    check('--help: how to choose a budget from the link map',
          all(w in h.stdout for w in ('__heap_end', '__heap_start', 'link map', '[--heap-size SIZE]')), h.stdout)


def budget_beyond_target(tmp):
    """5000M on a 32-bit trace: held to what a region's pools may hold."""
    sample = tmp / 'sample.trace'
    p = run('generate', sample, '--heap-size', '5000M')
    line = configure_line(p.stdout) or ''
    blocks = sum(int(b) * int(c) for b, c in (e.split(':') for e in line.split(',') if e))
    g = subprocess.run([sys.executable, str(GEN_LAYOUT), '--alignment', '8', '--pointer-size', '4', '--emit',
                        'check', line], capture_output=True, text=True)
    check('--heap-size 5000M on a 32-bit trace: at most 2^32 - 1 bytes of blocks, accepted by gen_layout.py',
          p.returncode == 0 and 0 < blocks <= 2 ** 32 - 1 and g.returncode == 0
          and 'more than a region\'s pools may hold on a 32-bit target' in p.stdout,
          p.stdout[-600:] + p.stderr + g.stdout + g.stderr)


def record_offset(t, index, field):
    return fmt.header_size(len(t.pools), t.w) + index * fmt.size('RECORD', t.w) + fmt.at('RECORD', field, t.w)


def inconsistent(tmp):
    ones = 2 ** 32 - 1
    cases = []
    t = tracegen.Trace([(16, 4), (64, 2)])
    t.record('malloc', size=10, result=0x20000010)
    t.record('reallocf', size=ones, old=0x20000010, result=0x20000040)      # "succeeded"
    t.end()
    cases.append(('all-ones reallocf', t, 1, 'size', 'reallocf record: successful'))
    t = tracegen.Trace([(16, 4), (64, 2)])
    t.record('memalign', size=10, align=3, result=0x20000010)
    t.end()
    cases.append(('memalign alignment 3', t, 0, 'align', 'with alignment 3, which the allocator refuses'))
    t = tracegen.Trace([(16, 4), (64, 2)])
    t.record('malloc', size=2 ** 31, result=0x20000010)
    t.end()
    cases.append(('2 GiB on a 32-bit target', t, 0, 'size', 'more than any object on a 4-byte-pointer target'))
    for name, trace, index, field, words in cases:
        path = write(tmp, re.sub(r'\W+', '-', name) + '.trace', trace)
        offset = record_offset(trace, index, field)
        for cmd in ('report', 'generate', 'check'):
            p = run(cmd, path)
            want = 'poolalloc-tune: %s: byte %d: ' % (path, offset)
            check('%s (%s): exit 1 at byte %d, saying %r' % (name, cmd, offset, words),
                  p.returncode == 1 and p.stderr.startswith(want) and words in p.stderr, p.stderr)
    # 64-bit: three live objects just under PTRDIFF_MAX, which is consistent,
    # add up beyond 2^64; the totals say "at least", never a wrapped number.
    t = tracegen.Trace([(16, 4)], pointer_size=8)
    big = 2 ** 63 - 8
    for i in range(3):
        t.record('malloc', size=big, result=0x1000 * (i + 1), caller=0x400)
    t.end()
    path = write(tmp, 'huge64.trace', t)
    p = run('report', path)
    check('64-bit live bytes beyond 2^64: "at least 2^64 - 1", not wrapped',
          p.returncode == 0 and 'peak live: at least %d bytes in 3 blocks' % (2 ** 64 - 1) in p.stdout
          and 'still allocated at the end: 3 blocks, at least %d bytes' % (2 ** 64 - 1) in p.stdout,
          p.stdout + p.stderr)


def not_a_trace(tmp):
    p = run('report', '/dev/zero', timeout=20)
    check('report /dev/zero: refused at once (bad magic)',
          p.returncode == 1 and 'byte 0: bad magic' in p.stderr, p.stderr)
    head = tracegen.Trace([(16, 4)]).header()
    stream = subprocess.Popen(['sh', '-c', 'cat "$0"; exec cat /dev/zero', str(write_bytes(tmp, 'head', head))],
                              stdout=subprocess.PIPE)
    try:
        p = run('report', '/dev/stdin', stdin=stream.stdout, timeout=60)
    finally:
        stream.kill()
        stream.wait()
    check('a header, then zeros forever: refused at the limit (%d bytes)' % LIMIT,
          p.returncode == 1 and ('byte %d: /dev/stdin is larger than %d bytes' % (LIMIT, LIMIT)) in p.stderr,
          p.stderr)


def write_bytes(tmp, name, data):
    path = tmp / name
    path.write_bytes(data)
    return path


def main():
    tmp = Path(tempfile.mkdtemp(prefix='tune-limits-'))
    over_aligned(tmp)
    without_budget(tmp)
    budget_beyond_target(tmp)
    inconsistent(tmp)
    not_a_trace(tmp)
    rc = verdict()
    if rc == 0:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return rc


if __name__ == '__main__':
    assert TOOL
    sys.exit(main())

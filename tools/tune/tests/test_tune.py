#!/usr/bin/env python3
"""End-to-end tests of poolalloc-tune (argv[1] = the executable).

  * report and generate on tracegen.crafted(), a 16-event trace checked by
    hand (the event comments in tracegen.py give each step), compared with
    the exact expected output;
  * generate's options: headroom, budget too small (exit 3 and the minimum),
    --max-pools 1, --alignment, K/M suffixes, bad arguments (exit 2), --help;
  * integrity warnings: DROPPED records, sequence gaps, no END record;
  * every kind of malformed header, pool table and record, and truncation at
    many lengths: exit status 1 and an error naming the right byte offset,
    never a crash;
  * --svg writes well-formed SVG with one curve per pool.
"""

import os
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracegen  # noqa: E402

TOOL = sys.argv[1]
failures = []

REPORT = """\
trace: {path}: 17 records, pointer size 4, alignment 8, fallback on
recorded layout: 8:2,16:2,32:1
requests: 12 allocations (3 failed in the trace, 0 invalid), 4 frees, 1 in interrupt handlers
peak live: 47 bytes in 5 blocks (a lower bound for any allocator)

requested sizes:
      size  requests peak live
         3         1         1  ##########
         5         1         1  ##########
         6         1         1  ##########
         7         1         0  ##########
         8         4         1  ########################################
        12         1         1  ##########
        16         1         1  ##########
        20         2         1  ####################

recorded layout, replayed (first pool that fits, then larger pools):
  pool    block  capacity high water  utilisation   served spilled in  failures
     0        8         2          2       100.0%        3          0         1
     1       16         2          2       100.0%        3          1         1
     2       32         1          1       100.0%        2          1         1
  failures: 3 in the replay (0 with no pool large or aligned enough, 0 invalid), 3 in the trace
  blocks the replay placed in another pool than the firmware did: 0

still allocated at the end: 3 blocks, 31 bytes, from 3 callers
  caller      blocks    bytes  sizes
  0x00000110       1       20  20
  0x00000114       1        3  3
  0x00000118       1        8  8
  (addr2line -f -p -e FIRMWARE.elf ADDRESS... names the callers)
"""

GENERATE_HEAD = """\
trace: {path}: 17 records, pointer size 4, alignment 8, fallback on
recorded layout: 8:2,16:2,32:1
requests: 12 allocations (3 failed in the trace, 0 invalid), 4 frees, 1 in interrupt handlers
peak live: 47 bytes in 5 blocks (a lower bound for any allocator)

minimum layout (every request served by the pool the allocator tries first; also works with -Dfallback=false):
  3 pools, 88 bytes of blocks + 3 x 8 bytes of pool records = 112 bytes
"""

GENERATE_FILL = GENERATE_HEAD + """\
headroom: the rest of the budget, in proportion to each pool's peak

layout for a budget of 212 bytes:
  pool    block   peak  capacity     bytes  utilisation
     0        8      4         9        72        44.4%
     1       16      2         4        64        50.0%
     2       24      1         2        48        50.0%
  total 208 bytes (minimum 112): 184 in blocks, 24 in pool records; 4 of the budget unused
  replay of the trace on this layout, fallback off: 0 failures

meson configure -Dpools=8:9,16:4,24:2 BUILDDIR
"""

GENERATE_HEADROOM = GENERATE_HEAD + """\
headroom: 50% of each pool's peak

layout for a budget of 200 bytes:
  pool    block   peak  capacity     bytes  utilisation
     0        8      4         6        48        66.7%
     1       16      2         3        48        66.7%
     2       24      1         2        48        50.0%
  total 168 bytes (minimum 112): 144 in blocks, 24 in pool records; 32 of the budget unused
  replay of the trace on this layout, fallback off: 0 failures

meson configure -Dpools=8:6,16:3,24:2 BUILDDIR
"""


def run(*args):
    p = subprocess.run([TOOL, *map(str, args)], capture_output=True, text=True, timeout=60)
    if p.returncode < 0 or p.returncode > 3:
        failures.append('%s: died with status %d\n%s' % (' '.join(map(str, args)), p.returncode, p.stderr))
    return p


def check(name, cond, detail=''):
    if not cond:
        failures.append('%s%s' % (name, ('\n' + detail) if detail else ''))


def expect_output(name, p, want, rc=0):
    check(name + ': exit status %d (want %d)' % (p.returncode, rc), p.returncode == rc, p.stderr)
    if p.stdout != want:
        import difflib
        diff = ''.join(difflib.unified_diff(want.splitlines(True), p.stdout.splitlines(True), 'expected', 'got'))
        failures.append('%s: output differs\n%s' % (name, diff))


def expect_error(name, path, offset, words):
    for cmd in (['report', path], ['generate', path, '--heap-size', '1K']):
        p = run(*cmd)
        prefix = 'poolalloc-tune: %s: byte %d: ' % (path, offset)
        check('%s (%s): exit status %d, want 1' % (name, cmd[0], p.returncode), p.returncode == 1, p.stderr)
        check('%s (%s): want "%s...%s", got %r' % (name, cmd[0], prefix, words, p.stderr),
              p.stderr.startswith(prefix) and words in p.stderr)


def main():
    tmp = Path(tempfile.mkdtemp(prefix='tune-test-'))
    crafted = tmp / 'crafted.trace'
    data = tracegen.crafted().data()
    crafted.write_bytes(data)

    # ---- report and generate, exact ----
    expect_output('report', run('report', crafted), REPORT.format(path=crafted))
    expect_output('generate fill', run('generate', crafted, '--heap-size', '212'),
                  GENERATE_FILL.format(path=crafted))
    expect_output('generate headroom', run('generate', crafted, '--heap-size', '200', '--headroom', '50'),
                  GENERATE_HEADROOM.format(path=crafted))
    p = run('generate', crafted, '--heap-size=100')
    check('budget too small: exit 3', p.returncode == 3, p.stdout + p.stderr)
    check('budget too small: minimum named',
          'DOES NOT FIT: the trace needs at least 112 bytes (with at most 255 pools); the budget is 100 bytes'
          in p.stdout, p.stdout)
    # One pool must serve everything, the 16-aligned memalign included: a
    # 32-byte block; peak 6 (five live blocks and the failed malloc(7)).
    p = run('generate', crafted, '--heap-size', '1K', '--max-pools', '1', '--headroom', '0')
    check('max-pools 1', '1 pools, 192 bytes of blocks + 1 x 8 bytes of pool records = 200 bytes' in p.stdout
          and 'meson configure -Dpools=32:6 BUILDDIR' in p.stdout and 'budget of 1024 bytes' in p.stdout,
          p.stdout + p.stderr)
    p = run('generate', crafted, '--heap-size', '1M', '--alignment', '4', '--headroom', '0')
    check('alignment 4', p.returncode == 0 and '-Dalignment=4 BUILDDIR' in p.stdout
          and 'fallback off: 0 failures' in p.stdout, p.stdout + p.stderr)
    for bad in (['generate', crafted], ['generate', crafted, '--heap-size', '10X'],
                ['generate', crafted, '--heap-size', '1K', '--alignment', '12'],
                ['generate', crafted, '--heap-size', '1K', '--max-pools', '0'],
                ['report'], ['report', crafted, '--bogus'], ['frobnicate'], []):
        p = run(*bad)
        check('bad command line %r: exit 2, got %d' % (bad, p.returncode), p.returncode == 2, p.stderr)
    p = run('--help')
    check('--help', p.returncode == 0 and p.stdout.startswith('usage: poolalloc-tune report'), p.stdout)

    # ---- integrity warnings ----
    t = tracegen.Trace([(8, 4)])
    t.record('malloc', size=4, result=0x100)
    t.dropped(3)
    t.record('malloc', size=4, result=0x108)
    t.record('free', old=0x108, seq=t.seq + 2)       # two events lost silently
    t.record('free', old=0x200)                      # never allocated
    gaps = tmp / 'gaps.trace'
    gaps.write_bytes(t.data())
    p = run('report', gaps)
    gap_offset = 24 + 12 + 3 * 28
    for words in ('WARNING: the recorder dropped 3 events',
                  'WARNING: 2 events missing from the sequence with no DROPPED record (1 jumps, the first at byte %d)'
                  % gap_offset,
                  'note: no END record', 'note: 1 frees or reallocs of pointers the trace never returned'):
        check('warning: ' + words, words in p.stdout, p.stdout)

    # ---- malformed traces: the byte offset of the first bad field ----
    def put(offset, fmt, value, base=data):
        b = bytearray(base)
        struct.pack_into(fmt, b, offset, value)
        return bytes(b)

    header = 24 + 3 * 12
    rec = lambda i: header + 28 * i  # noqa: E731
    cases = [
        ('empty', b'', 0, 'truncated header'),
        ('short header', data[:10], 10, 'truncated header'),
        ('magic', b'X' + data[1:], 0, 'bad magic'),
        ('version', put(8, '<H', 2), 8, 'unsupported trace version 2'),
        ('header size', put(10, '<H', 61), 10, 'header size 61'),
        ('pointer size', put(12, '<B', 3), 12, 'pointer size 3'),
        ('flags', put(13, '<B', 3), 13, 'unknown bits'),
        ('pool count', put(14, '<H', 0), 14, 'pool count 0'),
        ('alignment', put(16, '<I', 6), 16, 'alignment 6'),
        ('record size', put(20, '<H', 32), 20, 'record size 32'),
        ('reserved', put(22, '<H', 1), 22, 'reserved header field'),
        ('pool table cut', data[:40], 40, 'truncated pool table'),
        ('invalid block', put(24 + 12, '<I', 20), 36, 'block 20 is not valid'),
        ('unsorted pools', put(24 + 24, '<I', 16), 48, 'not larger than pool 1'),
        ('capacity 0', put(24 + 4, '<I', 0), 28, 'capacity 0'),
        ('truncated record', data[:-5], rec(16), 'truncated record at byte %d: 23 of 28 bytes present' % rec(16)),
        ('unknown op', put(rec(3), '<B', 0), rec(3), 'unknown operation 0'),
        ('event flags', put(rec(3) + 1, '<B', 4), rec(3) + 1, 'unknown flag bits'),
        ('record reserved', put(rec(3) + 2, '<H', 9), rec(3) + 2, 'reserved field is 9'),
        ('free with a size', put(rec(6) + 8, '<I', 4), rec(6) + 8, 'free record: field size must be 0'),
        ('malloc with old', put(rec(0) + 20, '<I', 4), rec(0) + 20, 'malloc record: field old must be 0'),
        ('END with a caller', put(rec(16) + 24, '<I', 1), rec(16) + 24, 'END record: field caller must be 0'),
        ('record after END', data + data[rec(0):rec(1)], rec(17), 'malloc record after the END record'),
        ('DROPPED of 0', put(rec(16), '<B', 0x80), rec(16) + 8, 'DROPPED record with a count of 0'),
    ]
    for name, blob, offset, words in cases:
        path = tmp / ('bad-%s.trace' % name.replace(' ', '-'))
        path.write_bytes(blob)
        expect_error(name, path, offset, words)
    # Truncation anywhere: an error at or before the cut, never a crash.
    lengths = list(range(0, header + 2)) + list(range(header + 2, len(data), 5))
    for n in lengths:
        path = tmp / 'cut.trace'
        path.write_bytes(data[:n])
        p = run('report', path)
        ok = p.returncode == 1 and p.stderr.startswith('poolalloc-tune: %s: byte ' % path)
        if ok:
            off = int(p.stderr.split('byte ')[1].split(':')[0])
            ok = off <= n
        check('cut at %d bytes: %r' % (n, p.stderr), ok or (n - header) % 28 == 0 and p.returncode == 0)
    missing = tmp / 'missing.trace'
    p = run('report', missing)
    check('missing file', p.returncode == 1 and 'cannot open' in p.stderr, p.stderr)

    # ---- SVG ----
    svg = tmp / 'occupancy.svg'
    p = run('report', crafted, '--svg', svg)
    try:
        root = ET.parse(svg).getroot()
        lines = root.findall('{http://www.w3.org/2000/svg}polyline')
        check('svg: one curve per pool', len(lines) == 3, '%d polylines' % len(lines))
    except (OSError, ET.ParseError) as e:
        failures.append('svg: %s' % e)

    for f in failures:
        print('FAIL: ' + f)
    print('%d checks failed' % len(failures))
    if not failures:
        for f in tmp.iterdir():
            f.unlink()
        os.rmdir(tmp)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

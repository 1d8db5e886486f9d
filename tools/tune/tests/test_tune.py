#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end tests of poolalloc-tune (argv[1] = the executable).

  * report and generate on tracegen.crafted(), a 16-event trace checked by
    hand (the event comments in tracegen.py give each step), compared with
    the exact expected output;
  * generate's options: headroom, budget too small (exit 3 and the minimum),
    --max-pools 1, --alignment, K/M suffixes, bad arguments (exit 2), --help;
  * the RAM of a pool's state the header records: 28 bytes (a -Dstats=true
    build) are charged per pool; a version 1 trace, which does not record
    it, is read with the default options' 8 bytes;
  * integrity warnings: DROPPED records, sequence gaps, no END record;
  * every kind of malformed header, pool table and record, and truncation at
    many lengths: exit status 1 and an error naming the right byte offset,
    never a crash;
  * --svg writes well-formed SVG with one curve per pool, an event axis,
    interrupt and failure markers, high-water lines, and with --pools the
    proposed layout as a second column;
  * argument errors name the problem: a size too large (with the limit),
    --svg with no file name, an alignment beyond the trace's pointer size;
  * several traces -> one layout: two copies of a trace give the layout of
    one (peaks are the largest over traces, not their sum), two different
    traces a layout that replays clean on each, and traces for different
    pointer sizes are refused;
  * replay --pools: exit 4 and the failures on a layout too small, 0 and the
    per-pool high water on one large enough, 2 on an invalid layout.
"""

import os
import struct
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracegen  # noqa: E402
from tracegen import fmt  # noqa: E402

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
no layout relying on fallback searched: over-aligned requests: only the exact search serves them
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
    if p.returncode < 0 or p.returncode > 4:
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
    # The per-pool RAM the trace records: a -Dstats=true build's 28 bytes.
    stats = tmp / 'stats.trace'
    t = tracegen.crafted()
    t.pool_state_size = 28
    stats.write_bytes(t.data())
    p = run('generate', stats, '--heap-size', '1K', '--headroom', '0')
    check('pool state 28: charged per pool',
          '3 pools, 88 bytes of blocks + 3 x 28 bytes of pool records = 172 bytes' in p.stdout
          and 'total 172 bytes (minimum 172): 88 in blocks, 84 in pool records' in p.stdout, p.stdout + p.stderr)
    p = run('generate', stats, '--heap-size', '171')
    check('pool state 28: 171 bytes do not fit', p.returncode == 3 and 'needs at least 172 bytes' in p.stdout,
          p.stdout + p.stderr)
    # Version 1 did not record it (the field was reserved, 0): 8 bytes.
    v1 = tmp / 'v1.trace'
    t.version = 1
    v1.write_bytes(t.data())
    expect_output('version 1 generate', run('generate', v1, '--heap-size', '212'), GENERATE_FILL.format(path=v1))
    # Fallback-aware: on the demo-like sample (plain requests), a layout
    # relying on fallback is cheaper (1176 vs 1416 bytes), within its
    # printed bound, chosen, and replays clean with fallback on;
    # --no-fallback keeps the exact one.
    sample = tmp / 'sample.trace'
    sample.write_bytes(tracegen.sample().data())
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0')
    m = re.search(r'relying on fallback .*\n  (\d+) pools, .* = (\d+) bytes\n'
                  r'  no layout with fallback needs less than (\d+) bytes', p.stdout)
    check('fallback: both optima printed, the fallback one chosen and clean',
          p.returncode == 0 and m is not None and int(m.group(3)) <= int(m.group(2)) < 1416
          and '5 pools, 1376 bytes of blocks + 5 x 8 bytes of pool records = 1416 bytes' in p.stdout
          and 'using the layout relying on fallback' in p.stdout
          and 'replay of the trace on this layout, fallback on: 0 failures' in p.stdout, p.stdout + p.stderr)
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0', '--no-fallback')
    check('--no-fallback: the exact layout', p.returncode == 0
          and 'using the layout that needs no fallback (--no-fallback)' in p.stdout
          and 'total 1416 bytes (minimum 1416)' in p.stdout
          and 'replay of the trace on this layout, fallback off: 0 failures' in p.stdout, p.stdout + p.stderr)
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
    gap_offset = fmt.header_size(1, 4) + 3 * fmt.size('RECORD', 4)
    for words in ('WARNING: the recorder dropped 3 events',
                  'WARNING: 2 events missing from the sequence with no DROPPED record (1 jumps, the first at byte %d)'
                  % gap_offset,
                  'note: no END record', 'note: 1 frees or reallocs of pointers the trace never returned'):
        check('warning: ' + words, words in p.stdout, p.stdout)

    # ---- malformed traces: the byte offset of the first bad field ----
    def put(offset, length, value, base=data):
        b = bytearray(base)
        b[offset:offset + length] = value.to_bytes(length, 'little')
        return bytes(b)

    def put_header(field, value, base=data):
        return put(fmt.at('HEADER', field, 4), fmt.length('HEADER', field, 4), value, base)

    def at(field):                    # offset in the header
        return fmt.at('HEADER', field, 4)

    entry = lambda k, field: fmt.header_size(k, 4) + fmt.at('POOL', field, 4)  # noqa: E731
    header = fmt.header_size(3, 4)
    record_size = fmt.size('RECORD', 4)
    rec = lambda i, field='op': header + record_size * i + fmt.at('RECORD', field, 4)  # noqa: E731

    def put_record(i, field, value):
        return put(rec(i, field), fmt.length('RECORD', field, 4), value)

    v1 = put_header('version', 1)
    cases = [
        ('empty', b'', 0, 'truncated header'),
        ('short header', data[:10], 10, 'truncated header'),
        ('magic', b'X' + data[1:], 0, 'bad magic'),
        ('version', put_header('version', fmt.VERSION + 1), at('version'),
         'unsupported trace version %d' % (fmt.VERSION + 1)),
        ('version 0', put_header('version', 0), at('version'), 'unsupported trace version 0'),
        ('header size', put_header('header_size', 61), at('header_size'), 'header size 61'),
        ('pointer size', put_header('pointer_size', 3), at('pointer_size'), 'pointer size 3'),
        ('flags', put_header('flags', 3), at('flags'), 'unknown bits'),
        ('pool count', put_header('pool_count', 0), at('pool_count'), 'pool count 0'),
        ('alignment', put_header('alignment', 6), at('alignment'), 'alignment 6'),
        ('record size', put_header('record_size', 32), at('record_size'), 'record size 32'),
        ('pool state size 0', put_header('pool_state_size', 0), at('pool_state_size'), 'pool state size 0'),
        ('version 1 reserved', put_header('pool_state_size', 1, v1), at('pool_state_size'),
         'reserved header field'),
        ('pool table cut', data[:40], 40, 'truncated pool table'),
        ('invalid block', put(entry(1, 'block'), 4, 20), entry(1, 'block'), 'block 20 is not valid'),
        ('unsorted pools', put(entry(2, 'block'), 4, 16), entry(2, 'block'), 'not larger than pool 1'),
        ('capacity 0', put(entry(0, 'capacity'), 4, 0), entry(0, 'capacity'), 'capacity 0'),
        ('truncated record', data[:-5], rec(16),
         'truncated record at byte %d: %d of %d bytes present' % (rec(16), record_size - 5, record_size)),
        ('unknown op', put_record(3, 'op', 0), rec(3), 'unknown operation 0'),
        ('event flags', put_record(3, 'flags', 4), rec(3, 'flags'), 'unknown flag bits'),
        ('record region', put_record(3, 'region', 9), rec(3, 'region'), 'field region must be 0, is 9'),
        ('free with a size', put_record(6, 'size', 4), rec(6, 'size'), 'free record: field size must be 0'),
        ('malloc with old', put_record(0, 'old', 4), rec(0, 'old'), 'malloc record: field old must be 0'),
        ('END with a caller', put_record(16, 'caller', 1), rec(16, 'caller'), 'END record: field caller must be 0'),
        ('END with a size', put_record(16, 'size', 1), rec(16, 'size'), 'END record: field size must be 0'),
        ('record after END', data + data[rec(0):rec(1)], rec(17), 'malloc record after the END record'),
        ('DROPPED of 0', put_record(16, 'op', fmt.OPS['DROPPED']), rec(16, 'size'),
         'DROPPED record with a count of 0'),
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
        check('cut at %d bytes: %r' % (n, p.stderr), ok or (n - header) % record_size == 0 and p.returncode == 0)
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

    svg_details(tmp, crafted)
    argument_errors(crafted)
    several_traces(tmp, crafted)
    replay_layouts(crafted)

    for f in failures:
        print('FAIL: ' + f)
    print('%d checks failed' % len(failures))
    if not failures:
        for f in tmp.iterdir():
            f.unlink()
        os.rmdir(tmp)
    return 1 if failures else 0


SVG_NS = '{http://www.w3.org/2000/svg}'


def svg_details(tmp, crafted):
    """The chart's axis, markers and high-water lines; a proposed layout
    beside the recorded one.  The crafted trace has one interrupt-handler
    event and three failures on its recorded layout."""
    svg = tmp / 'both.svg'
    p = run('report', crafted, '--svg', svg, '--pools', '8:4,16:2,32:2')
    check('svg --pools: exit 0', p.returncode == 0, p.stderr)
    try:
        root = ET.parse(svg).getroot()
    except (OSError, ET.ParseError) as e:
        failures.append('svg --pools: %s' % e)
        return
    classes = [e.get('class') for e in root.iter() if e.get('class')]
    columns = [''.join(e.itertext()) for e in root.iter(SVG_NS + 'text') if e.get('class') == 'column']
    check('svg: two columns, recorded and proposed', len(columns) == 2 and columns[0].startswith('recorded')
          and columns[1].startswith('proposed'), repr(columns))
    check('svg: an event axis per column', classes.count('axis') == 2, repr(classes))
    ticks = [e.text for e in root.iter(SVG_NS + 'text') if e.get('class') == 'tick']
    check('svg: axis ticks are event numbers 0..16', '0' in ticks and '16' in ticks, repr(ticks))
    check('svg: interrupt markers', 'irq' in classes, repr(classes))
    check('svg: failure markers (the recorded layout fails 3)', 'failure' in classes, repr(classes))
    check('svg: a high-water line per pool of both layouts', classes.count('high-water') == 6, repr(classes))
    p = run('report', crafted, '--pools', '8:4')
    check('report --pools without --svg: exit 2', p.returncode == 2 and '--svg' in p.stderr, p.stderr)


def argument_errors(crafted):
    """Each bad argument says what is wrong with it."""
    cases = [
        (['generate', crafted, '--heap-size', '99999999999999'], ['too large', '1099511627776']),
        (['generate', crafted, '--heap-size', '12Q'], ['bad number']),
        (['report', crafted, '--svg'], ['--svg needs a file name']),
        (['generate', crafted, '--heap-size', '1K', '--alignment', '4294967296'],
         ['4294967296 exceeds', '4-byte pointers', 'at most 1073741824']),
        (['replay', crafted, '--pools'], ['--pools needs a layout']),
        (['replay', crafted, '--pools', '8:1', '--fallback', 'maybe'], ['--fallback needs on or off']),
    ]
    for args, words in cases:
        p = run(*args)
        name = 'argument error %s' % ' '.join(map(str, args[2:]))
        check(name + ': exit 2', p.returncode == 2, p.stderr)
        check(name + ': says ' + repr(words), all(w in p.stderr for w in words), p.stderr)


def minimum_of(p):
    m = re.search(r'^  \d+ pools, .* = (\d+) bytes$', p.stdout, re.M)
    return int(m.group(1)) if m else None


def several_traces(tmp, crafted):
    sample = tmp / 'sample.trace'
    sample.write_bytes(tracegen.sample().data())
    one = run('generate', sample, '--heap-size', '64K', '--headroom', '0', '--no-fallback')
    two = run('generate', sample, sample, '--heap-size', '64K', '--headroom', '0', '--no-fallback')
    line = re.compile(r'^meson configure .*$', re.M)
    check('two copies of a trace: the layout of one (max over traces, not sum)',
          one.returncode == 0 and two.returncode == 0 and line.search(one.stdout) is not None
          and line.search(one.stdout).group(0) == (line.search(two.stdout) or re.match('', '')).group(0),
          one.stdout[-300:] + two.stdout[-300:])
    p = run('generate', sample, crafted, '--heap-size', '64K', '--headroom', '0')
    clean = re.findall(r'replay of (\S+) on this layout, fallback \w+: 0 failures', p.stdout)
    check('two traces: the layout replays clean on each', p.returncode == 0 and len(clean) == 2, p.stdout)
    alone = [minimum_of(run('generate', t, '--heap-size', '64K', '--headroom', '0')) for t in (sample, crafted)]
    both = minimum_of(p)
    check('two traces: no cheaper than either alone', None not in alone and both is not None
          and both >= max(alone), '%r %r' % (alone, both))
    wide = tmp / 'wide.trace'
    t = tracegen.Trace([(16, 4)], pointer_size=8)
    t.record('malloc', size=10, result=0x1000)
    t.end()
    wide.write_bytes(t.data())
    p = run('generate', crafted, wide, '--heap-size', '1K')
    check('traces for different pointer sizes: refused', p.returncode == 2 and '8-byte' in p.stderr, p.stderr)


def replay_layouts(crafted):
    """replay on the recorded layout fails what the replay in report fails."""
    p = run('replay', crafted, '--pools', '8:2,16:2,32:1', '--fallback', 'on')
    check('replay: a layout too small exits 4', p.returncode == 4 and 'FAILS: 3 requests' in p.stdout, p.stdout)
    p = run('replay', crafted, '--pools', '32:1,8:9,16:4', '--fallback', 'off')
    check('replay: a layout large enough exits 0 with high water',
          p.returncode == 0 and 'OK: 0 requests' in p.stdout
          and re.search(r'^ +0 +8 +9 +4 ', p.stdout, re.M) is not None, p.stdout)
    p = run('replay', crafted, '--pools', '8:2,12:2')
    check('replay: an invalid layout exits 2 saying why',
          p.returncode == 2 and 'not a multiple of the alignment 8' in p.stderr, p.stderr)


if __name__ == '__main__':
    sys.exit(main())

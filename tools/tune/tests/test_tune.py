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
    per-pool high water on one large enough, 2 on an invalid layout;
  * several regions (-Dregions): every malformed region table and region
    field rejected at its byte offset; each region's report and generate
    section equal to those of a one-region trace of that region's calls
    alone (tracegen.Regions writes both), for 2 and 3 regions; budgets per
    region (missing, unknown, doubled: exit 2 naming the regions), DOES NOT
    FIT naming the region (exit 3), the one -Dpools line equal to the
    per-region lines tagged, accepted by src/gen_layout.py and replayed
    clean; replay of a tagged list; report --region and --svg.
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
from tunetest import check, failures, run, verdict  # noqa: E402


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

cost (a model of the default thumbv7m picolibc build, 0 to 4 instructions above the measured worst on 16 layouts: doc/performance.md):
  size lookup: sizes up to 16 by a 3-entry table (granule 8), 0 correction step(s); larger sizes: 1 compare(s)
  pointer lookup: 12-entry table (granule 16 bytes), 0 compare(s)
  worst case, instructions per call: malloc 139, free 59 with -Dfallback=true; malloc 39, free 47 with -Dfallback=false
  a free of a block that carries the free mark (misuse, or data equal to it) walks its pool's list: up to 13 x 9 instructions more

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

cost (a model of the default thumbv7m picolibc build, 0 to 4 instructions above the measured worst on 16 layouts: doc/performance.md):
  size lookup: sizes up to 16 by a 3-entry table (granule 8), 0 correction step(s); larger sizes: 1 compare(s)
  pointer lookup: 9-entry table (granule 16 bytes), 0 compare(s)
  worst case, instructions per call: malloc 139, free 59 with -Dfallback=true; malloc 39, free 47 with -Dfallback=false
  a free of a block that carries the free mark (misuse, or data equal to it) walks its pool's list: up to 13 x 6 instructions more

meson configure -Dpools=8:6,16:3,24:2 BUILDDIR
"""


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
    for bad in (['generate', crafted, '--heap-size', '10X'],
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
    # --no-spill-under PCT: the exact layout (1416 bytes) is 240 bytes, 20.4 %,
    # dearer than the fallback one (1176): taken at 21 %, not at 20 %; the
    # cost model's worst cases of both printed.
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0', '--no-spill-under', '21')
    check('--no-spill-under 21: the exact layout, the worst cases compared', p.returncode == 0
          and 'the layout that needs no fallback costs 240 bytes (20.4%) more; worst case malloc 39, free 47 '
              'instructions with -Dfallback=false against 139 and 59 relying on fallback (cost model)\n' in p.stdout
          and 'using the layout that needs no fallback: at most 21% more (--no-spill-under' in p.stdout
          and 'total 1416 bytes (minimum 1416)' in p.stdout
          and 'replay of the trace on this layout, fallback off: 0 failures' in p.stdout
          and 'malloc 39, free 47 with -Dfallback=false\n' in p.stdout, p.stdout + p.stderr)
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0', '--no-spill-under', '20')
    check('--no-spill-under 20: the fallback layout', p.returncode == 0
          and 'more than --no-spill-under 20%: using the layout relying on fallback, 240 bytes less' in p.stdout
          and 'total 1176 bytes (minimum 1176)' in p.stdout
          and 'malloc 139, free 59 with -Dfallback=true (the layout relies on it)\n' in p.stdout, p.stdout + p.stderr)
    # --max-instructions N (cost model): the fallback layout's worst case is
    # 139, the exact layout's 47 with -Dfallback=false: 139 keeps the first,
    # 138 takes the second, 46 fits neither (exit 3, DOES NOT FIT).
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0', '--max-instructions', '139')
    check('--max-instructions 139: the fallback layout', p.returncode == 0
          and 'total 1176 bytes (minimum 1176)' in p.stdout and 'more than --max-instructions' not in p.stdout,
          p.stdout + p.stderr)
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0', '--max-instructions', '138')
    check('--max-instructions 138: the exact layout', p.returncode == 0
          and 'the layout relying on fallback takes up to 139 instructions per call, more than --max-instructions '
              '138; the one that needs no fallback, 240 bytes more, up to 47 with -Dfallback=false' in p.stdout
          and 'total 1416 bytes (minimum 1416)' in p.stdout
          and 'replay of the trace on this layout, fallback off: 0 failures' in p.stdout, p.stdout + p.stderr)
    p = run('generate', sample, '--heap-size', '8K', '--headroom', '0', '--max-instructions', '46')
    check('--max-instructions 46: does not fit, exit 3', p.returncode == 3
          and 'DOES NOT FIT: the layout takes up to 139 instructions per call (cost model), more than '
              '--max-instructions 46' in p.stdout and '-Dpools=' not in p.stdout, p.stdout + p.stderr)
    for bad in ('0', '100001'):
        p = run('generate', sample, '--max-instructions', bad)
        check('--max-instructions %s: exit 2' % bad, p.returncode == 2 and '1 to 100000' in p.stderr, p.stderr)
    p = run('generate', sample, '--no-spill-under', '100001')
    check('--no-spill-under 100001: exit 2', p.returncode == 2 and 'at most 100000' in p.stderr, p.stderr)
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
    region_table_errors(tmp)
    region_sections(tmp)
    no_such_region(tmp)
    many_regions(tmp)
    region_budgets(tmp, crafted)
    region_layouts(tmp)
    region_alignment(tmp)

    rc = verdict()
    if rc == 0:
        for f in tmp.iterdir():
            f.unlink()
        os.rmdir(tmp)
    return rc


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
    # Without --svg, --pools gives the layout's lookup shape and worst case
    # (the cost model, test_cost.py), and whether the trace needs fallback.
    p = run('report', crafted, '--pools', '8:4')
    check('report --pools 8:4: fails even with fallback, one pool',
          p.returncode == 0 and '\n--pools 8:4: 6 requests of the trace fail there, even with fallback\n' in p.stdout
          and '  size lookup: one pool, one compare\n' in p.stdout and 'malloc 56, free 41 with -Dfallback=true' in p.stdout,
          p.stdout + p.stderr)
    p = run('report', crafted, '--pools', '8:2,16:2,32:1')
    check('report --pools 8:2,16:2,32:1 (the recorded layout): 3 failures, its shape',
          p.returncode == 0 and 'the trace relies on fallback there' not in p.stdout
          and 'fail there, even with fallback' in p.stdout and 'pointer lookup: 3-entry table (granule 32 bytes)' in p.stdout,
          p.stdout + p.stderr)
    p = run('report', crafted, '--pools', '8:9,16:4,24:2')
    check('report --pools 8:9,16:4,24:2: serves with fallback off, both worst cases',
          p.returncode == 0 and '--pools 8:9,16:4,24:2: serves the trace with fallback off\n' in p.stdout
          and 'malloc 139, free 59 with -Dfallback=true; malloc 39, free 47 with -Dfallback=false' in p.stdout,
          p.stdout + p.stderr)


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


# ---- several regions ----------------------------------------------------------

HEADING = re.compile(r'^== region (\w+) \(region (\d+)\): pools (\d+)\.\.(\d+) ==$', re.M)
GEN_LAYOUT = Path(__file__).resolve().parents[3] / 'src' / 'gen_layout.py'


def sections(text):
    """{region name: the text under its heading} of a multi-region output;
    a section ends at the next heading or at generate's "all regions:"."""
    heads = list(HEADING.finditer(text))
    out = {}
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        body = text[h.end() + 1:end]
        out[h.group(1)] = body.split('\nall regions:\n')[0].rstrip('\n') + '\n'
    return out


def without_configure(text):
    """generate's output without its cost block and final meson configure
    line (and the blank lines before them): what a region's section holds
    (a build of several regions gives the costs after "all regions:")."""
    return re.sub(r'\n\ncost \(a model [^\n]*\n(  [^\n]*\n)*\nmeson configure [^\n]*\n$', '\n', text)


def configure_line(text):
    m = re.search(r'^meson configure -Dpools=(\S+)( -Dalignment=\d+)? BUILDDIR$', text, re.M)
    return m.group(1) if m else None


def three_regions():
    """Three regions (fast below the heap in memory), with a stray free of
    an address in fast's pools, one outside every pool (region 0's), a
    failed poolalloc_malloc_in and a realloc(p, 0) of a fast block."""
    w = tracegen.Regions([('heap', [(8, 4), (32, 2)], 0x20000000), ('dma', [(64, 2)], 0x20010000),
                          ('fast', [(16, 8), (128, 2)], 0x10000000)])
    h = [w.malloc(n) for n in (4, 8, 30)]
    f = [w.malloc(n, 'fast') for n in (10, 12, 16, 100, 100)]
    d = w.malloc(64, 'dma')
    w.malloc(65, 'dma')                                 # fails
    f[0] = w.realloc(f[0], 16)                          # in place
    f[2] = w.realloc(f[2], 90)                          # 128 full: fails, stays
    w.free(f[3])
    f[1] = w.realloc(f[1], 120)                         # moves to fast's 128
    w.free(f[1])                                        # the moved block, through free
    w.free(0x10000000 + 16 * 7, region='fast')          # never returned, in fast's pools
    w.free(0x30000000, region='heap')                   # in no pool: region 0's
    w.free(d)
    w.realloc(h[0], 32)
    w.free(h[2])
    w.realloc(f[4], 0)                                  # realloc(p, 0) frees p, in fast
    w.end()
    return w


def write_workload(tmp, name, w):
    """The multi-region trace and one one-region trace per region."""
    paths = {'multi': tmp / ('%s.trace' % name)}
    paths['multi'].write_bytes(w.multi.data())
    for region, t in zip(w.names, w.split):
        paths[region] = tmp / ('%s-%s.trace' % (name, region))
        paths[region].write_bytes(t.data())
    return paths


def region_table_errors(tmp):
    """Every bad region table and region field: exit 1 and its byte offset."""
    w4 = 4
    pools = [(8, 2), (16, 2), (32, 2), (512, 1)]

    def trace(regions, records=(), pool_list=pools):
        t = tracegen.Trace(pool_list, regions=regions)
        for op, fields in records:
            t.record(op, **fields)
        t.end()
        return t.data()

    def old_version(records):
        t = tracegen.Trace(pools, version=2)
        for op, fields in records:
            t.record(op, **fields)
        t.end()
        return t.data()

    table = fmt.header_size(len(pools), w4)             # the region table's offset
    entry = fmt.size('REGION', w4)
    name_at = fmt.at('REGION', 'name', w4)
    first = fmt.header_size(len(pools), w4, 2)           # the first record, with 2 regions
    region_field = fmt.at('RECORD', 'region', w4)
    good = trace([('heap', 3), ('dma', 1)])
    too_big = bytearray(good)
    too_big[fmt.at('HEADER', 'header_size', w4)] += 5    # not a whole number of entries
    cases = [
        ('regions sum short', trace([('heap', 2), ('dma', 1)]), table, 'the regions have 3 pools, the header 4'),
        ('region over', trace([('heap', 3), ('dma', 2)]), table + entry, 'region 1: 2 pools, but 1 of'),
        ('region of 0 pools', trace([('heap', 4), ('dma', 0)]), table + entry, 'region 1: 0 pools'),
        ('region name upper case', trace([('heap', 3), ('Dma', 1)]), table + entry + name_at,
         'region 1: byte 0x44 in its name'),
        ('region name digit first', trace([('heap', 3), ('1dma', 1)]), table + entry + name_at,
         'region 1: byte 0x31 in its name'),
        ('region name empty', trace([('heap', 3), ('', 1)]), table + entry + name_at, 'region 1: empty name'),
        ('region name after NUL', trace([('heap', 3), ('dma\0x', 1)]), table + entry + name_at + 4,
         'region 1: byte 0x78 after the NUL'),
        ('region name twice', trace([('heap', 3), ('heap', 1)]), table + entry + name_at,
         "region 1: named 'heap' like region 0"),
        ('one region entry', trace([('heap', 4)]), fmt.at('HEADER', 'header_size', w4),
         'plus a region table of 2 or more entries'),
        ('header size', bytes(too_big), fmt.at('HEADER', 'header_size', w4), 'header size %d' % (first + 5)),
        ('region table cut', good[:table + entry + 3], table + entry + 3, 'truncated region table'),
        ('region on malloc', trace([('heap', 3), ('dma', 1)], [('malloc', dict(size=8, region=1))]),
         first + region_field, 'malloc record: field region must be 0, is 1'),
        ('region 0 not heap', trace([('main', 3), ('dma', 1)]), table + name_at,
         "region 0: named 'main'; the default region is named 'heap'"),
        ('region 0 not heap, heap later', trace([('main', 3), ('heap', 1)]), table + name_at,
         "region 0: named 'main'"),
        ('version 2 with poolalloc_malloc_in', old_version([('poolalloc_malloc_in', dict(size=8))]),
         fmt.header_size(len(pools), w4), 'unknown operation 12 (poolalloc_malloc_in is a version 3 operation)'),
        ('version 2 with a region field', old_version([('malloc', dict(size=8, region=1))]),
         fmt.header_size(len(pools), w4) + region_field, 'malloc record: reserved field is 1, must be 0'),
    ]
    for name, blob, offset, words in cases:
        path = tmp / ('bad-%s.trace' % name.replace(' ', '-'))
        path.write_bytes(blob)
        expect_error(name, path, offset, words)
    ok = tmp / 'good-regions.trace'
    ok.write_bytes(good)
    p = run('report', ok)
    check('a good region table reads', p.returncode == 0 and '== region dma (region 1): pools 3..3 ==' in p.stdout,
          p.stdout + p.stderr)


def region_sections(tmp):
    """Each region of a multi-region trace is reported and optimised as a
    one-region trace of its calls alone would be: the attribution of every
    call (poolalloc_malloc_in, free and realloc of a dma block through the
    libc names, realloc(NULL, n), stray frees) decides it."""
    for name, w, budgets in (('two', tracegen.regions(), {'heap': '1K', 'dma': '2K'}),
                             ('three', three_regions(), {'heap': '512', 'dma': '300', 'fast': '1K'})):
        paths = write_workload(tmp, name, w)
        multi = str(paths['multi'])
        p = run('report', multi)
        got = sections(p.stdout)
        check('%s regions: report exit 0 and a section per region' % name,
              p.returncode == 0 and list(got) == w.names, p.stdout + p.stderr)
        for r, region in enumerate(w.names):
            alone = run('report', paths[region]).stdout.replace(str(paths[region]), multi)
            check('%s regions: report of %s = the report of its calls alone' % (name, region),
                  got.get(region) == alone, '--- multi:\n%s--- alone:\n%s' % (got.get(region), alone))
            one = run('report', multi, '--region', region)
            first = '== region %s (region %d): pools ' % (region, r)
            check('%s regions: report --region %s: that region only' % (name, region),
                  one.returncode == 0 and one.stdout.startswith(first) and sections(one.stdout) == {region: alone},
                  one.stdout)
        args = [a for region, size in budgets.items() for a in ('--heap-size', '%s=%s' % (region, size))]
        p = run('generate', multi, *args)
        got = sections(p.stdout)
        check('%s regions: generate exit 0, a section per region' % name,
              p.returncode == 0 and list(got) == w.names, p.stdout + p.stderr)
        lines = []
        for region in w.names:
            alone = run('generate', paths[region], '--heap-size', budgets[region])
            lines.append(','.join(e if region == 'heap' else region + '@' + e
                                  for e in (configure_line(alone.stdout) or '?').split(',')))
            want = without_configure(alone.stdout).replace(str(paths[region]), multi)
            check('%s regions: generate of %s = generate of its calls alone' % (name, region),
                  got.get(region) == want, '--- multi:\n%s--- alone:\n%s' % (got.get(region), want))
        check('%s regions: one -Dpools line, the regions\' lines tagged in region order' % name,
              configure_line(p.stdout) == ','.join(lines) and p.stdout.count('meson configure') == 1,
              '%r\n%r' % (configure_line(p.stdout), lines))
    heading_lines = HEADING.findall(run('report', tmp / 'two.trace').stdout)
    check('two regions: the headings', heading_lines == [('heap', '0', '0', '2'), ('dma', '1', '3', '4')],
          repr(heading_lines))


def no_such_region(tmp):
    """poolalloc_malloc_in for a region the build has not fails (EINVAL):
    the trace is valid, the call an invalid request of the heap region's,
    and no region's layout serves it.  The recorder writes a number above
    16 bits as 65535."""
    pools = [(8, 2), (16, 2), (512, 1)]
    for regions, bad in (([('heap', 2), ('dma', 1)], 2), ([('heap', 2), ('dma', 1)], 0xFFFF), (None, 1)):
        t = tracegen.Trace(pools if regions else pools[:2], regions=regions,
                           starts=[0x20000000, 0x20000010, 0x21000000][:3 if regions else 2])
        t.record('malloc', size=8, result=0x20000000, caller=0x100)
        t.record('poolalloc_malloc_in', size=8, region=bad, result=0, caller=0x104)
        t.end()
        path = tmp / ('no-such-region-%d.trace' % bad)
        path.write_bytes(t.data())
        p = run('report', path)
        heap = sections(p.stdout).get('heap', p.stdout) if regions else p.stdout
        check('poolalloc_malloc_in(%d, 8) in a %s-region trace: read, an invalid request of heap\'s'
              % (bad, 'two' if regions else 'one'),
              p.returncode == 0 and re.search(r'^requests: 2 allocations \(1 failed in the trace, 1 invalid\)',
                                              heap, re.M) is not None, p.stdout + p.stderr)


def many_regions(tmp):
    """A build may have up to 255 regions (one pool each): generate takes a
    budget for each of 70, and refuses more budgets than regions can exist
    and more than 64 traces, in one line each."""
    n = 70
    names = ['heap'] + ['r%d' % i for i in range(1, n)]
    t = tracegen.Trace([(8, 2)] * n, regions=[(name, 1) for name in names])
    for r in range(n):
        t.record('poolalloc_malloc_in', size=8, region=r, result=0x20000000 + 8 * r, caller=0x100)
    t.end()
    path = tmp / 'many-regions.trace'
    path.write_bytes(t.data())
    budgets = [a for name in names for a in ('--heap-size', '%s=64' % name)]
    p = run('generate', path, *budgets)
    line = configure_line(p.stdout) or ''
    check('70 regions: generate exit 0, a pool per region', p.returncode == 0 and len(line.split(',')) == n,
          p.stdout[-2000:] + p.stderr)
    p = run('generate', path, *(budgets + [a for i in range(n, 256) for a in ('--heap-size', 'x%d=64' % i)]))
    check('256 budgets: refused', p.returncode == 2 and '--heap-size x255=64: more regions than a build can have' in p.stderr,
          p.stderr)
    p = run('generate', *([path] * 65), '--heap-size', '1K')
    check('65 traces: refused', p.returncode == 2 and 'more than 64 traces' in p.stderr, p.stderr)


def region_budgets(tmp, crafted):
    """Budgets per region: none unknown, none twice; a region without one
    gets its minimum layout."""
    two, three = tmp / 'two.trace', tmp / 'three.trace'
    cases = [
        ([two, '--heap-size', '1K', '--heap-size', 'dmx=1K'], ["no region 'dmx'", 'its regions are heap, dma']),
        ([crafted, '--heap-size', 'dma=1K'], ["no region 'dma'", 'its regions are heap']),
        ([two, '--heap-size', '1K', '--heap-size', 'heap=2K', '--heap-size', 'dma=1K'],
         ['two budgets for region heap']),
        ([two, '--heap-size', 'dma=1K', '--heap-size', 'dma=2K'], ['--heap-size dma=2K: a second value for that region']),
        ([two, '--heap-size', '=1K'], ['no region name']),
        ([two, '--heap-size', 'dma=12Q'], ['bad number']),
        ([two, crafted, '--heap-size', '1K', '--heap-size', 'dma=1K'], ['has the regions heap, dma and', 'crafted.trace heap: one layout is for one build']),
    ]
    p = run('generate', three, '--heap-size', '1K', '--heap-size', 'dma=1K')
    fast = sections(p.stdout).get('fast', '')
    m = re.search(r'total (\d+) bytes \(minimum (\d+)\)', fast)
    check('no budget for region fast: its minimum, the others their budgets',
          p.returncode == 0 and m is not None and m.group(1) == m.group(2) and 'headroom: none' in fast
          and p.stdout.count('of the budget unused') == 2, p.stdout[-800:] + p.stderr)
    for args, words in cases:
        p = run('generate', *args)
        name = 'budget error %s' % ' '.join(map(str, args[1:]))
        check(name + ': exit 2', p.returncode == 2, p.stdout[-300:] + p.stderr)
        check(name + ': says ' + repr(words), all(w in p.stderr for w in words), p.stderr)
    expect_output('one region: report --region heap is report',
                  run('report', crafted, '--region', 'heap'), REPORT.format(path=crafted))
    p = run('report', crafted, '--region', 'dma')
    check('one region: report --region dma: exit 2 naming heap',
          p.returncode == 2 and 'its regions are heap' in p.stderr, p.stderr)
    expect_output('one region: --heap-size heap=SIZE is --heap-size SIZE',
                  run('generate', crafted, '--heap-size', 'heap=212'), GENERATE_FILL.format(path=crafted))
    p = run('generate', two, '--heap-size', '1K', '--heap-size', 'dma=1000')
    check('dma over its budget: exit 3 naming dma, no configure line',
          p.returncode == 3 and 'DOES NOT FIT: region dma needs at least 1080 bytes, its budget is 1000' in p.stdout
          and 'region heap needs' not in p.stdout and 'meson configure' not in p.stdout, p.stdout + p.stderr)
    p = run('generate', two, '--heap-size', '100', '--heap-size', 'dma=2K')
    check('heap over its budget: exit 3 naming heap only',
          p.returncode == 3 and 'DOES NOT FIT: region heap needs at least 104 bytes, its budget is 100' in p.stdout
          and 'region dma needs' not in p.stdout, p.stdout + p.stderr)
    p = run('generate', two, two, '--heap-size', '1K', '--heap-size', 'dma=2K')
    q = run('generate', two, '--heap-size', '1K', '--heap-size', 'dma=2K')
    check('two copies of a multi-region trace: the layout of one',
          p.returncode == 0 and configure_line(p.stdout) is not None
          and configure_line(p.stdout) == configure_line(q.stdout), p.stdout[-400:])


def region_alignment(tmp):
    """--alignment NAME=A: region NAME's blocks are multiples of A (DMA
    buffers on whole cache lines), the other regions' and -Dalignment are
    unchanged, and the line is valid and replays clean."""
    two = tmp / 'two.trace'
    budgets = ['--heap-size', '1K', '--heap-size', 'dma=2K']
    plain = run('generate', two, *budgets)
    p = run('generate', two, *budgets, '--alignment', 'dma=32')
    line = configure_line(p.stdout) or ''
    dma = [int(e.split('@')[1].split(':')[0]) for e in line.split(',') if e.startswith('dma@')]
    heap = [e for e in line.split(',') if '@' not in e]
    check('--alignment dma=32: dma blocks are multiples of 32, heap\'s as without it, no -Dalignment',
          p.returncode == 0 and dma and all(b % 32 == 0 for b in dma) and ' -Dalignment' not in p.stdout
          and heap == [e for e in (configure_line(plain.stdout) or '').split(',') if '@' not in e]
          and 'blocks are multiples of 32 (--alignment dma=32)' in p.stdout,
          '%s\n%s' % (line, p.stdout[-1500:] + p.stderr))
    check('--alignment dma=32: without it a dma block is not a multiple of 32 (the option matters)',
          any(int(e.split('@')[1].split(':')[0]) % 32 for e in (configure_line(plain.stdout) or '').split(',')
              if e.startswith('dma@')), plain.stdout)
    r = run('replay', two, '--pools', line)
    check('--alignment dma=32: the line replays clean', r.returncode == 0, r.stdout + r.stderr)
    one = run('generate', tmp / 'crafted.trace', '--heap-size', '1K', '--alignment', 'heap=64')
    blocks = [int(e.split(':')[0]) for e in (configure_line(one.stdout) or '0:0').split(',')]
    check('--alignment heap=64 on a one-region trace: blocks are multiples of 64',
          one.returncode == 0 and all(b % 64 == 0 for b in blocks), one.stdout + one.stderr)
    for value, words in (('dma=24', '--alignment dma=24: must be a power of two'),
                         ('dma=4', '--alignment dma=4: must be from the build\'s alignment 8'),
                         ('dmx=32', "--alignment dmx=: the trace has no region 'dmx'")):
        p = run('generate', two, *budgets, '--alignment', value)
        check('--alignment %s: exit 2 saying %r' % (value, words), p.returncode == 2 and words in p.stderr, p.stderr)


def region_layouts(tmp):
    """The one -Dpools line: accepted by gen_layout.py, replayed clean;
    fallback said per region; replay of tagged lists; report --svg."""
    two = tmp / 'two.trace'
    for extra, fallback in (([], 'regions relying on fallback: dma '), (['--no-fallback'], 'no region relies')):
        p = run('generate', two, '--heap-size', '1K', '--heap-size', 'dma=2K', '--headroom', '0', *extra)
        line = configure_line(p.stdout)
        check('generate %s: says which regions rely on fallback' % extra, fallback in p.stdout, p.stdout)
        if line is None:
            failures.append('generate %s: no configure line\n%s' % (extra, p.stdout + p.stderr))
            continue
        g = subprocess.run([sys.executable, str(GEN_LAYOUT), '--regions', 'dma:__dma_start:__dma_end', line],
                           capture_output=True, text=True)
        check('generate %s: gen_layout.py accepts %s' % (extra, line), g.returncode == 0, g.stderr)
        r = run('replay', two, '--pools', line, '--fallback', 'off' if extra else 'on')
        check('generate %s: its line replays clean on every region' % extra,
              r.returncode == 0 and r.stdout.count('OK: 0 requests fail') == 2
              and r.stdout.endswith('OK: no request fails in any region\n'), r.stdout + r.stderr)
    p = run('replay', two, '--pools', '32:3,dma@32:4,dma@512:2')
    check('replay: the recorded dma layout fails 2 (exit 4)',
          p.returncode == 4 and 'FAILS: 2 requests fail' in p.stdout and 'OK: 0 requests' in p.stdout
          and HEADING.findall(p.stdout) == [('heap', '0', '0', '2'), ('dma', '1', '3', '4')], p.stdout)
    for pools, words in (('32:3,dmx@32:4', ["unknown region 'dmx'", 'regions are heap, dma']),
                         ('32:3,16:2', ['no entries for region dma']),
                         ('dma@32:4', ['no entries for region heap']),
                         ('32:3,dma@12:4', ['region dma: block 12 is not a multiple'])):
        p = run('replay', two, '--pools', pools)
        check('replay --pools %s: exit 2 saying %r' % (pools, words),
              p.returncode == 2 and all(w in p.stderr for w in words), p.stderr)
    svg = tmp / 'dma.svg'
    p = run('report', two, '--svg', svg)
    check('report --svg of several regions needs --region', p.returncode == 2 and '--region' in p.stderr, p.stderr)
    p = run('report', two, '--svg', svg, '--region', 'dma', '--pools', '32:1,dma@32:8,dma@512:3')
    curves = len(ET.parse(svg).getroot().findall(SVG_NS + 'polyline')) if p.returncode == 0 else -1
    check('report --svg --region dma --pools: dma\'s pools, recorded and proposed', curves == 2 + 2,
          '%d curves\n%s' % (curves, p.stderr))
    # A region the trace never allocates in still needs a pool (gen_layout.py).
    w = tracegen.Regions([('heap', [(8, 4)], 0x20000000), ('dma', [(64, 2)], 0x20010000),
                          ('fast', [(16, 2)], 0x10000000)])
    w.free(w.malloc(40, 'dma'))
    w.malloc(6)
    w.end()
    idle = write_workload(tmp, 'idle', w)['multi']
    p = run('generate', idle, '--heap-size', '64', '--heap-size', 'dma=64', '--heap-size', 'fast=64')
    line = configure_line(p.stdout) or ''
    g = subprocess.run([sys.executable, str(GEN_LAYOUT), '--regions', 'dma:a:b,fast:c:d', line],
                       capture_output=True, text=True)
    check('a region with no calls: one 4-byte block, accepted by gen_layout.py',
          p.returncode == 0 and line.endswith(',fast@4:1') and 'a region needs a pool: one 4-byte block' in p.stdout
          and g.returncode == 0, p.stdout + p.stderr + g.stderr)
    p = run('generate', idle, '--heap-size', '64', '--heap-size', 'dma=64', '--heap-size', 'fast=11')
    check('a region with no calls over its budget: DOES NOT FIT, exit 3',
          p.returncode == 3 and 'DOES NOT FIT: region fast needs at least 12 bytes, its budget is 11' in p.stdout,
          p.stdout + p.stderr)
    # The build's limit is 255 pools in all: 200 + 100 sizes, each its own pool.
    w = tracegen.Regions([('heap', [(64 * 200, 200)], 0x20000000), ('dma', [(64 * 100, 100)], 0x30000000)])
    for n in range(1, 201):
        w.malloc(64 * n)
    for n in range(1, 101):
        w.malloc(64 * n, 'dma')
    w.end()
    many = write_workload(tmp, 'many', w)['multi']
    p = run('generate', many, '--heap-size', '4M', '--heap-size', 'dma=4M', '--headroom', '0')
    check('300 pools over two regions: DOES NOT FIT, exit 3',
          p.returncode == 3 and 'the regions need 300 pools, a build has at most 255' in p.stdout
          and 'meson configure' not in p.stdout, p.stdout[-600:] + p.stderr)
    p = run('--help')
    check('--help: the region options', all(w in p.stdout for w in ('--region NAME', '--heap-size NAME=SIZE',
                                                                     'NAME@BLOCK:CAP')), p.stdout)
    p = run('report', two, '--region', 'dmx')
    check('report --region dmx: exit 2 naming the regions', p.returncode == 2 and 'heap, dma' in p.stderr, p.stderr)


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""poolalloc-tune check, the CI guard (argv[1] = the tool).  Each pool's
high water is read from `replay` (its table), an independent printout of
the same replay, and every verdict of check is derived from it here:

  * the minimum layout generate prints (--no-fallback): OK (exit 0) with
    no margin; with --margin 20% exactly the pools whose high water plus
    20% (rounded up) exceeds their capacity get a FAIL line, one each,
    with those numbers (exit 5);
  * one pool a block short, fallback off: that pool's line says its
    requests failed (exit 4); no pool large enough: its own line;
  * the layout generate relies on fallback for: OK with fallback, and with
    --no-spill exactly the pools replay shows spilling get a line (exit 5);
  * without --pools, the layout the trace recorded;
  * several regions: lines name the region; several traces: each;
  * bad arguments exit 2, a bad trace 1.
"""

import math
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracegen  # noqa: E402
from tunetest import check, run, verdict  # noqa: E402

ROW = re.compile(r'^ +(\d+) +(\d+) +(\d+) +(\d+) +[\d.]+% +(\d+) +(\d+) +(\d+)$', re.M)


def configure_line(text):
    m = re.search(r'^meson configure -Dpools=(\S+)( -Dalignment=\d+)? BUILDDIR$', text, re.M)
    return m.group(1) if m else None


def replay_table(path, pools, fallback):
    """{pool: (block, capacity, high water, spilled in, failures)} from replay."""
    p = run('replay', path, '--pools', pools, '--fallback', fallback)
    return {int(m[0]): tuple(int(x) for x in (m[1], m[2], m[3], m[5], m[6])) for m in ROW.findall(p.stdout)}


def fail_lines(text):
    return {int(m.group(1)): m.group(0) for m in re.finditer(r'^FAIL .*?pool (\d+) \(.*$', text, re.M)}


def margins(tmp, sample):
    g = run('generate', sample, '--no-fallback', '--headroom', '0')
    lay = configure_line(g.stdout)
    check('generate --no-fallback gives a layout', lay is not None, g.stdout + g.stderr)
    lay = lay or '8:1'
    table = replay_table(sample, lay, 'off')
    p = run('check', sample, '--pools', lay, '--fallback', 'off')
    check('the minimum layout: OK, exit 0', p.returncode == 0 and p.stdout.startswith('OK: 1 trace'),
          p.stdout + p.stderr)
    p = run('check', sample, '--pools', lay, '--fallback', 'off', '--margin', '20%')
    want = {k: (hw, hw + math.ceil(hw * 20 / 100), cap) for k, (_, cap, hw, _, _) in table.items()
            if hw + math.ceil(hw * 20 / 100) > cap}
    got = fail_lines(p.stdout)
    check('--margin 20%%: a line for exactly the pools %s, exit 5' % sorted(want),
          p.returncode == 5 and want and set(got) == set(want)
          and all('high water %d + 20%% margin = %d blocks > capacity %d' % want[k] in got[k] for k in want),
          p.stdout + p.stderr)
    # One block less in the fullest pool, fallback off: its requests fail.
    k = max(table, key=lambda k: table[k][2])
    short = ','.join('%d:%d' % (b, c - (j == k)) for j, (b, c, _, _, _) in sorted(table.items()) if c - (j == k) > 0)
    p = run('check', sample, '--pools', short, '--fallback', 'off')
    lines = fail_lines(p.stdout)
    check('pool %d a block short: its line says requests failed, exit 4' % k,
          p.returncode == 4 and set(lines) == {k} and 'requests failed' in lines.get(k, ''), p.stdout + p.stderr)
    return lay


def spills(sample):
    g = run('generate', sample, '--headroom', '0')
    lay = configure_line(g.stdout) or '8:1'
    check('generate relies on fallback for the sample', 'using the layout relying on fallback' in g.stdout,
          g.stdout)
    p = run('check', sample, '--pools', lay, '--fallback', 'on')
    check('the fallback layout: OK with fallback', p.returncode == 0, p.stdout + p.stderr)
    table = replay_table(sample, lay, 'on')
    # A request spills out of the pool below the one it lands in: the pools
    # that receive spills tell which spill (the smallest pools are first).
    receivers = [k for k, v in table.items() if v[3] > 0]
    p = run('check', sample, '--pools', lay, '--fallback', 'on', '--no-spill')
    lines = fail_lines(p.stdout)
    spilling = {k for k, line in lines.items() if 'spilled into larger pools (--no-spill)' in line}
    check('--no-spill: exit 5, lines only for pools that spill, and some spill below every receiver',
          p.returncode == 5 and spilling and set(lines) == spilling
          and all(any(s < r for s in spilling) for r in receivers), p.stdout + p.stderr)


def no_pool_large_enough(sample):
    p = run('check', sample, '--pools', '8:64,16:64', '--fallback', 'off')
    check('no pool large enough: its own line, exit 4',
          p.returncode == 4 and re.search(r'^FAIL .*: \d+ requests larger or more aligned than any pool$', p.stdout,
                                          re.M), p.stdout + p.stderr)


def recorded_and_several(tmp, sample):
    # The sample's recorded layout: the firmware's own, which the trace says failed some requests.
    r = run('replay', sample, '--pools', '8:32,16:32,24:32,32:32,48:16,64:16,128:8,256:8,1024:4')
    p = run('check', sample)
    check('no --pools: the recorded layout, as replay sees it',
          (p.returncode == 0) == (r.returncode == 0) and p.returncode in (0, 4, 5), p.stdout + r.stdout)
    w = tracegen.regions()
    two = tmp / 'two.trace'
    two.write_bytes(w.multi.data())
    again = tmp / 'two-again.trace'
    again.write_bytes(w.multi.data())
    p = run('check', two, again, '--pools', '8:1,16:1,32:1,dma@32:1,dma@512:1', '--fallback', 'off')
    check('two traces of two regions: lines name the trace and the region',
          p.returncode == 4 and all(re.search(r'^FAIL %s: region %s pool \d' % (re.escape(str(path)), region),
                                              p.stdout, re.M) for path in (two, again) for region in ('heap', 'dma'))
          and re.search(r'^FAIL %s: region dma: 1 requests larger' % re.escape(str(two)), p.stdout, re.M),
          p.stdout + p.stderr)


def bad_arguments(tmp, sample):
    for args in (['check'], ['check', sample, '--margin', 'x'], ['check', sample, '--margin', '20%%'],
                 ['check', sample, '--bogus'], ['check', sample, '--pools', '12:1'],
                 ['check', sample, '--fallback', 'maybe']):
        p = run(*args)
        check('check %r: exit 2' % args[1:], p.returncode == 2, p.stdout + p.stderr)
    bad = tmp / 'bad.trace'
    bad.write_bytes(b'not a trace at all')
    p = run('check', bad)
    check('check of a bad trace: exit 1', p.returncode == 1, p.stderr)


def main():
    tmp = Path(tempfile.mkdtemp(prefix='tune-check-'))
    sample = tmp / 'sample.trace'
    sample.write_bytes(tracegen.sample().data())
    margins(tmp, sample)
    spills(sample)
    no_pool_large_enough(sample)
    recorded_and_several(tmp, sample)
    bad_arguments(tmp, sample)
    rc = verdict()
    if rc == 0:
        for f in tmp.iterdir():
            f.unlink()
        tmp.rmdir()
    return rc


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The benchmark command: build, run, and report poolalloc against the C
libraries' own allocators (bench/README.md).

    bench/run.py                       the default cross files (below)
    bench/run.py --cross cross/thumbv6m-picolibc.txt --cross ...
    bench/run.py --build-root /tmp/b --out /tmp/b/results

For each cross file (named <target>-<libc>.txt) it configures a build with
the default options under --build-root (reused when present), builds the
bench/ images, runs every workload image under single-step QEMU
(bench/itrace.py, one process per core) for three allocators: `poolalloc`
(the default build), `bound` (the default options rebuilt: what the bound test checks) and
the C library's own (`libc`), and reads the code-size probes' link maps.  It writes to --out:
results.md (the tables, also printed), chart-<target>.svg (per-call
distributions, one chart per target), and with --json results.json (every
call's count).  Default cross files: thumbv7m x picolibc, newlib-nano,
newlib, and thumbv6m-picolibc when present.
Python 3 standard library only.
"""
import argparse
import concurrent.futures
import json
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import itrace  # noqa: E402

WORKLOADS = ['steady', 'frag', 'realloc', 'exhaust', 'json']
FLAVOURS = ['poolalloc', 'bound', 'libc']
DEFAULT_CROSS = ['cross/thumbv7m-picolibc.txt', 'cross/thumbv7m-newlib-nano.txt',
                 'cross/thumbv7m-newlib.txt', 'cross/thumbv6m-picolibc.txt']
NAMES = {'poolalloc': 'poolalloc', 'bound': 'poolalloc (bound build: default options)'}

# Archive members that make up a C library's allocator (picolibc 1.8,
# newlib 3.3 full and nano, libnosys's sbrk).  memcpy/memset and the generic
# lock/errno objects are shared with the rest of libc and not counted.
LIBC_ARCHIVES = {'libc.a', 'libc_nano.a', 'libg.a', 'libg_nano.a', 'libnosys.a'}
LIBC_ALLOCATOR = re.compile(
    r'^(nano-malloc-.*'
    r'|libc_stdlib_(aligned_alloc|reallocarray|reallocf)\.c'
    r'|libc_picolib_picosbrk\.c'
    r'|lib_a-(nano-)?(aligned_alloc|calloc|callocr|cfreer|freer|mallinfor|malloc|mallocr|malloptr'
    r'|mallstatsr|memalignr?|mlock|msize|msizer|mstats|mtrim|pvallocr|realloc|reallocarray|reallocf'
    r'|reallocr|sbrkr|syssbrk|valloc|vallocr)'
    r'|sbrk)\.o$')
POOLALLOC_OBJECT = re.compile(r'lib(poolalloc|bench_pa_\w+)\.a(\(|\.p/)')
INPUT = re.compile(r'^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$')
CONT = re.compile(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$')


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---- link maps ---------------------------------------------------------------

def allocator_sections(map_path, flavour):
    """Bytes of the allocator's own input sections in a link map:
    {'code': text+rodata+exidx, 'data': .data, 'bss': .bss}, and the same
    per object."""
    sizes = {'code': 0, 'data': 0, 'bss': 0}
    objects = {}
    started = False
    pending = None
    with open(map_path) as f:
        for line in f:
            if not started:
                started = line.startswith('Linker script and memory map')
                continue
            line = line.rstrip('\n')
            m = INPUT.match(line)
            if m:
                name, size, origin = m.group(1), int(m.group(3), 16), m.group(4)
            elif pending and CONT.match(line):
                c = CONT.match(line)
                name, size, origin = pending, int(c.group(2), 16), c.group(3)
            else:
                pending = line.strip() if re.match(r'^ \.\S+$', line) else None
                continue
            pending = None
            if size == 0 or name.startswith(('.debug', '.comment', '.ARM.attributes')):
                continue
            if flavour == 'libc':
                am = re.search(r'([^/]+\.a)\(([^)]+)\)$', origin)
                if not am or am.group(1) not in LIBC_ARCHIVES or not LIBC_ALLOCATOR.match(am.group(2)):
                    continue
                member = am.group(2)
            else:
                # an archive member, or (link_whole of a library of this
                # build) an object from the library's private directory
                am = POOLALLOC_OBJECT.search(origin)
                if not am:
                    continue
                member = os.path.basename(origin.rstrip(')').replace('(', '/'))
            kind = ('bss' if name.startswith(('.bss', '.tbss')) or name == 'COMMON'
                    else 'data' if name.startswith(('.data', '.tdata')) else 'code')
            sizes[kind] += size
            objects.setdefault(member, {'code': 0, 'data': 0, 'bss': 0})[kind] += size
    return sizes, objects


def image_size(readelf, elf):
    """(flash, ram) of an image from its section headers: flash = the loaded
    contents (code, read-only data, .data's initial values), ram = the
    writable sections (.data, .bss, thread-local errno & co.), without the
    stack and the linker scripts' placeholder sections."""
    out = subprocess.run([readelf, '-S', '-W', elf], capture_output=True, text=True, check=True).stdout
    flash = ram = 0
    for line in out.splitlines():
        m = re.match(r'^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)', line)
        if not m or 'A' not in m.group(4) or m.group(1) in ('.stack', '.heap', '.tbss_space', '.tdata_space'):
            continue
        name, kind, size, flags = m.group(1), m.group(2), int(m.group(3), 16), m.group(4)
        if kind != 'NOBITS':
            flash += size
        if 'W' in flags and name != '.init':
            ram += size
    return flash, ram


# ---- one configuration ---------------------------------------------------------

def configure_and_build(cross, build_root):
    stem = os.path.splitext(os.path.basename(cross))[0]
    build = os.path.join(build_root, stem)
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        log('setup %s' % build)
        sh(['meson', 'setup', build, '--cross-file', os.path.join(ROOT, cross)], cwd=ROOT,
           stdout=subprocess.DEVNULL)
    targets = ['bench/bench_%s_%s' % (w, f) for w in WORKLOADS for f in FLAVOURS]
    targets += ['bench/flash_%s_%s' % (p, f) for p in ('none', 'mf', 'family') for f in FLAVOURS]
    targets += ['bench/bench_json_tuned']
    log('build %s' % build)
    sh(['meson', 'compile', '-C', build] + targets, stdout=subprocess.DEVNULL)
    return stem, build


def measure_memory(build, readelf):
    mem = {}
    for flavour in FLAVOURS:
        base_flash, base_ram = image_size(readelf, os.path.join(build, 'bench', 'flash_none_%s' % flavour))
        row = {}
        for probe in ('mf', 'family'):
            elf = os.path.join(build, 'bench', 'flash_%s_%s' % (probe, flavour))
            sections, objects = allocator_sections(elf + '.map', flavour)
            flash, ram = image_size(readelf, elf)
            row[probe] = dict(sections, objects=objects, image_flash=flash - base_flash,
                              image_ram=ram - base_ram)
        mem[flavour] = row
    return mem


# ---- tables ----------------------------------------------------------------------

def fmt_ratio(x):
    return '%.1f×' % x if x < 10 else '%.0f×' % x


def instruction_table(label, libc, runs):
    """All workloads together: one row per call category."""
    rows = ['| call | allocator | calls | min | median | p99 | max | ÷ poolalloc median | ÷ poolalloc max |',
            '|---|---|---:|---:|---:|---:|---:|---:|---:|']
    for cat in itrace.CATEGORIES:
        stats = {}
        for flavour in FLAVOURS:
            counts = [c for w in WORKLOADS for k, c in runs[flavour][w]['calls'] if k == cat]
            if counts:
                stats[flavour] = itrace.summarize(counts)
        if not stats:
            continue
        ref = stats.get('poolalloc')
        first = True
        for flavour in FLAVOURS:
            s = stats.get(flavour)
            if not s:
                continue
            name = libc if flavour == 'libc' else NAMES[flavour]
            ratio = ('', '')
            if flavour == 'libc' and ref:
                ratio = (fmt_ratio(s['median'] / ref['median']), fmt_ratio(s['max'] / ref['max']))
            rows.append('| %s | %s | %d | %d | %d | %d | %d | %s | %s |' % (
                cat if first else '', name, s['n'], s['min'], s['median'], s['p99'], s['max'], *ratio))
            first = False
    return '### Instructions per call: %s, %s (all workloads)\n\n' % (label, libc) + '\n'.join(rows) + '\n'


def summary_table(target, configs):
    """All C libraries of a target in one table: median / max per call
    category; the poolalloc columns are from the first configuration's
    build, the ratios compare each C library with poolalloc (default
    options) built for that same C library."""
    ref_cfg = configs[0]
    cols = [('poolalloc', ref_cfg, 'poolalloc'), ('poolalloc (bound build)', ref_cfg, 'bound')]
    cols += [(c['libc'], c, 'libc') for c in configs]
    rows = ['| call | ' + ' | '.join(n for n, _, _ in cols) + ' |', '|---|' + '---:|' * len(cols)]

    def stats(cfg, flavour, cat):
        counts = [c for w in WORKLOADS for k, c in cfg['runs'][flavour][w]['calls'] if k == cat]
        return itrace.summarize(counts) if counts else None
    for cat in itrace.CATEGORIES:
        cells = []
        for _, cfg, flavour in cols:
            s = stats(cfg, flavour, cat)
            if not s:
                cells.append('–')
            elif flavour == 'libc' and stats(cfg, 'poolalloc', cat):
                ref = stats(cfg, 'poolalloc', cat)
                cells.append('%d / %d (%s / %s)' % (s['median'], s['max'], fmt_ratio(s['median'] / ref['median']),
                                                   fmt_ratio(s['max'] / ref['max'])))
            else:
                cells.append('%d / %d' % (s['median'], s['max']))
        if any(c != '–' for c in cells):
            rows.append('| %s | %s |' % (cat, ' | '.join(cells)))
    return ('### Median / worst instructions per call, all workloads: %s\n\n'
            '(median / worst; in brackets, the C library\'s median and worst divided by those of '
            'poolalloc built for the same C library; the poolalloc columns are its %s build)\n\n'
            % (target, ref_cfg['libc'])
            + '\n'.join(rows) + '\n')


def workload_table(target, configs):
    """Per workload: median / max of malloc and free (and realloc), poolalloc
    (first configuration's build) against every C library."""
    cols = [('poolalloc', configs[0], 'poolalloc')] + [(c['libc'], c, 'libc') for c in configs]
    head = '| workload | call | ' + ' | '.join(n for n, _, _ in cols) + ' |'
    rows = [head, '|---|---|' + '---:|' * len(cols)]
    for w in WORKLOADS:
        for cat in ('malloc', 'malloc-fail', 'calloc', 'realloc-in-place', 'realloc-move', 'free'):
            cells = []
            for _, cfg, flavour in cols:
                counts = [c for k, c in cfg['runs'][flavour][w]['calls'] if k == cat]
                if counts:
                    s = itrace.summarize(counts)
                    cells.append('%d / %d' % (s['median'], s['max']))
                else:
                    cells.append('–')
            if any(c != '–' for c in cells):
                rows.append('| %s | %s | %s |' % (w, cat, ' | '.join(cells)))
    return ('### Median / worst instructions per call, by workload: %s\n\n' % target
            + '\n'.join(rows) + '\n')


def memory_table(target, configs):
    rows = ['| allocator | own flash, malloc+free | own flash, family | own RAM (.data+.bss) '
            '| image growth, malloc+free (flash / RAM) | image growth, family (flash / RAM) '
            '| heap needed: steady / frag / realloc | heap reserved |',
            '|---|---:|---:|---:|---:|---:|---|---:|']
    entries = [(NAMES[f], configs[0], f) for f in ('poolalloc', 'bound')]
    entries += [(c['libc'], c, 'libc') for c in configs]
    for name, cfg, flavour in entries:
        m = cfg['memory'][flavour]
        heap = ' / '.join(str(cfg['runs'][flavour][w]['report']['heap_peak']) for w in WORKLOADS[:3])
        reserved = cfg['runs'][flavour]['steady']['report']['heap_reserved']
        rows.append('| %s | %d | %d | %d | %d / %d | %d / %d | %s | %s |' % (
            name, m['mf']['code'] + m['mf']['data'], m['family']['code'] + m['family']['data'],
            m['family']['data'] + m['family']['bss'], m['mf']['image_flash'], m['mf']['image_ram'],
            m['family']['image_flash'], m['family']['image_ram'], heap,
            reserved if flavour != 'libc' else 'sbrk budget %d' % reserved))
    notes = []
    for name, cfg, flavour in entries[:2]:
        objs = cfg['memory'][flavour]['mf']['objects']
        notes.append('%s, malloc+free program, by object (code + data): %s.' % (name, ', '.join(
            '%s %d' % (re.sub(r'^.*?src_|^meson-generated_\.\._|\.c\.o$', '', o), v['code'] + v['data'])
            for o, v in sorted(objs.items()))))
    return ('### Memory: %s (bytes)\n\n' % target + '\n'.join(rows) + '\n\n'
            + '\n'.join('- ' + n for n in notes) + '\n')


# ---- chart -------------------------------------------------------------------------

COLOURS = ['#1b6ac9', '#d9480f', '#2b8a3e', '#862e9c', '#e67700']


def json_table(target, configs):
    """The json workload: poolalloc on the default layout and on the layout
    poolalloc-tune made of the workload's trace (bench/tuned/meson.build,
    bench_json_pools), against each C library's allocator: per call, and the
    whole program's allocator instructions and heap."""
    ref = configs[0]
    cols = [('poolalloc, default layout', ref['runs']['poolalloc']['json']),
            ('poolalloc, tuned layout', ref['tuned'])]
    cols += [(cfg['libc'], cfg['runs']['libc']['json']) for cfg in configs]
    tuned_total = sum(c for _, c in ref['tuned']['calls'])
    out = ['### The json workload: %s\n' % target,
           '(a document tree built, printed into a buffer grown by malloc + copy + free, duplicated, '
           'freed; three documents alive at a time.  The tuned layout is what `poolalloc-tune generate '
           '--headroom 0` makes of the workload\'s own trace.  Median / worst instructions per call; '
           'in brackets, divided by the tuned poolalloc\'s.)\n',
           '| call | ' + ' | '.join(name for name, _ in cols) + ' |',
           '|---|' + '---:|' * len(cols)]
    for cat in itrace.CATEGORIES:
        stats = [itrace.summarize([c for k, c in run['calls'] if k == cat]) if any(k == cat for k, _ in run['calls'])
                 else None for _, run in cols]
        if not any(stats):
            continue
        base = stats[1]
        cells = []
        for i, st in enumerate(stats):
            if st is None:
                cells.append('-')
            elif i >= 2 and base:
                cells.append('%d / %d (%s / %s)' % (st['median'], st['max'], fmt_ratio(st['median'] / base['median']),
                                                    fmt_ratio(st['max'] / base['max'])))
            else:
                cells.append('%d / %d' % (st['median'], st['max']))
        out.append('| %s | %s |' % (cat, ' | '.join(cells)))
    totals = [sum(c for _, c in run['calls']) for _, run in cols]
    out.append('| whole program: instructions in the allocator | %s |' % ' | '.join(
        '%d%s' % (t, ' (%s)' % fmt_ratio(t / tuned_total) if i >= 2 else '') for i, t in enumerate(totals)))
    out.append('| heap needed (bytes) | %s |' % ' | '.join(str(run['report']['heap_peak']) for _, run in cols))
    return '\n'.join(out) + '\n'


def svg_chart(target, series, path):
    """Cumulative distribution of instructions per call, log x axis, one panel
    per call kind; series: [(name, {panel: [counts]})]."""
    panels = [('malloc', ('malloc',)), ('free', ('free',)),
              ('realloc in place', ('realloc-in-place',)), ('realloc, moving', ('realloc-move',))]
    pw, ph, ml, mt, mb, gap = 260, 220, 50, 50, 60, 40
    width = ml + len(panels) * (pw + gap) + 140
    height = mt + ph + mb
    allc = [c for _, d in series for cats in d.values() for c in cats]
    lo = 10 ** math.floor(math.log10(max(1, min(allc))))
    hi = 10 ** math.ceil(math.log10(max(allc)))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
           'font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">Instructions per call (call included), %s: '
           'cumulative share of calls, all workloads</text>' % (ml, target)]
    for p, (title, cats) in enumerate(panels):
        x0 = ml + p * (pw + gap)

        def X(v):
            return x0 + pw * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

        def Y(f):
            return mt + ph * (1 - f)
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>' % (x0, mt, pw, ph))
        out.append('<text x="%d" y="%d" font-size="13">%s</text>' % (x0, mt - 8, title))
        d = lo
        while d <= hi:
            out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (X(d), mt, X(d), mt + ph))
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(d), mt + ph + 14, d))
            d *= 10
        for f in (0, 0.5, 1):
            out.append('<text x="%d" y="%.1f" text-anchor="end">%d%%</text>' % (x0 - 4, Y(f) + 4, f * 100))
        out.append('<text x="%d" y="%d" text-anchor="middle">instructions (log scale)</text>'
                   % (x0 + pw // 2, mt + ph + 30))
        for i, (name, data) in enumerate(series):
            counts = sorted(c for cat in cats for c in data.get(cat, []))
            if not counts:
                continue
            n = len(counts)
            pts = []
            j = 0
            while j < n:
                k = j
                while k < n and counts[k] == counts[j]:
                    k += 1
                pts.append('%.1f,%.1f' % (X(counts[j]), Y(j / n)))
                pts.append('%.1f,%.1f' % (X(counts[j]), Y(k / n)))
                j = k
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                       % (COLOURS[i % len(COLOURS)], ' '.join(pts)))
    lx = ml + len(panels) * (pw + gap)
    for i, (name, _) in enumerate(series):
        y = mt + 10 + 18 * i
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>'
                   % (lx, y, lx + 20, y, COLOURS[i % len(COLOURS)]))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 26, y + 4, name))
    out.append('</svg>')
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


# ---- main ------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cross', action='append', help='cross file (repeatable); default: %s'
                    % ', '.join(DEFAULT_CROSS))
    ap.add_argument('--build-root', default=os.path.join(ROOT, 'build-bench'))
    ap.add_argument('--out', help='results directory (default: BUILD_ROOT/results)')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--json', action='store_true', help='also write results.json (every call count)')
    a = ap.parse_args()
    started = time.time()
    crosses = a.cross or [c for c in DEFAULT_CROSS if os.path.exists(os.path.join(ROOT, c))]
    out_dir = a.out or os.path.join(a.build_root, 'results')
    os.makedirs(out_dir, exist_ok=True)
    nm, readelf = 'arm-none-eabi-nm', 'arm-none-eabi-readelf'

    configs = []
    for cross in crosses:
        stem, build = configure_and_build(cross, a.build_root)
        target, _, libc = stem.partition('-')
        configs.append({'cross': cross, 'target': target, 'libc': libc or stem, 'build': build})

    jobs = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=a.jobs) as pool:
        for i, cfg in enumerate(configs):
            for flavour in FLAVOURS:
                for w in WORKLOADS:
                    elf = os.path.join(cfg['build'], 'bench', 'bench_%s_%s' % (w, flavour))
                    jobs[(i, flavour, w)] = pool.submit(itrace.run_traced, elf, nm)
            tuned = os.path.join(cfg['build'], 'bench', 'bench_json_tuned')
            jobs[(i, 'tuned', 'json')] = pool.submit(itrace.run_traced, tuned, nm)
        log('tracing %d images on %d cores' % (len(jobs), a.jobs))
        failed = []
        for (i, flavour, w), fut in jobs.items():
            try:
                if flavour == 'tuned':
                    configs[i]['tuned'] = fut.result()
                else:
                    configs[i].setdefault('runs', {}).setdefault(flavour, {})[w] = fut.result()
            except itrace.TraceError as e:
                failed.append(str(e))
    if failed:
        for f in failed:
            log('run.py: ' + f)
        return 1
    for cfg in configs:
        cfg['memory'] = measure_memory(cfg['build'], readelf)

    md = []
    targets = []
    for cfg in configs:
        if cfg['target'] not in targets:
            targets.append(cfg['target'])
    for target in targets:
        group = [c for c in configs if c['target'] == target]
        md.append('## %s\n' % target)
        md.append(summary_table(target, group))
        md.append(workload_table(target, group))
        md.append(memory_table(target, group))
        md.append(json_table(target, group))
        for cfg in group:
            md.append(instruction_table(target, cfg['libc'], cfg['runs']))
        chart = 'chart-%s.svg' % target
        series = [('poolalloc', {}), ('poolalloc (bound build)', {})]
        for cat, c in [(k, c) for w in WORKLOADS for k, c in group[0]['runs']['poolalloc'][w]['calls']]:
            series[0][1].setdefault(cat, []).append(c)
        for cat, c in [(k, c) for w in WORKLOADS for k, c in group[0]['runs']['bound'][w]['calls']]:
            series[1][1].setdefault(cat, []).append(c)
        for cfg in group:
            d = {}
            for w in WORKLOADS:
                for cat, c in cfg['runs']['libc'][w]['calls']:
                    d.setdefault(cat, []).append(c)
            series.append((cfg['libc'], d))
        svg_chart(target, series, os.path.join(out_dir, chart))
        md.append('![per-call distribution](%s)\n' % chart)
    text = '\n'.join(md)
    with open(os.path.join(out_dir, 'results.md'), 'w') as f:
        f.write(text)
    if a.json:
        with open(os.path.join(out_dir, 'results.json'), 'w') as f:
            json.dump(configs, f, default=str)
    print(text)
    log('run.py: results in %s (%.0f s)' % (out_dir, time.time() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())

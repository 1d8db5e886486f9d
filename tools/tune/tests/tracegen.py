#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write poolalloc traces (doc/trace-format.md) for the tests, the fuzzer's
seed corpus and the README's examples.

This is the reference encoder of the format in a few lines: the tests build
crafted traces with it, and the on-target recorder must produce the same
bytes for the same calls.  The layout, the version and the operation codes
come from include/poolalloc_trace.h (through tools/tune/trace_format.py).

  tracegen.py seeds DIR        seed traces for the fuzzer
  tracegen.py crafted FILE     the hand-checked trace of test_tune.py
  tracegen.py sample FILE      a larger demo-like workload (README examples)
  tracegen.py regions FILE     a build with two regions, heap and dma (doc/tuning.md)
  tracegen.py library FILE [SEED [RECORDS]]
                               a library-like workload (the fallback search's gap)
"""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import trace_format as fmt  # noqa: E402

IN_IRQ = fmt.RECORD_IN_IRQ
DEFAULT_POOL_STATE = 8          # free-list head and high-water count on Cortex-M, default options


class Trace:
    """A trace under construction: header fields, then records in order."""

    def __init__(self, pools, alignment=8, pointer_size=4, fallback=True, starts=None,
                 pool_state_size=DEFAULT_POOL_STATE, version=fmt.VERSION, regions=None):
        self.pools = pools                      # [(block, capacity)], each region's sorted
        self.regions = regions or []            # [(name, pool count)]: none for one region
        self.alignment = alignment
        self.w = pointer_size
        self.fallback = fallback
        self.starts = starts or [0] * len(pools)
        self.pool_state_size = pool_state_size
        self.version = version                  # 1: no pool_state_size (written as 0)
        self.records = []
        self.seq = 0

    def header(self):
        w = self.w
        head = fmt.pack('HEADER', w, magic=fmt.MAGIC, version=self.version,
                        header_size=fmt.header_size(len(self.pools), w, len(self.regions)), pointer_size=w,
                        flags=fmt.HEADER_FALLBACK if self.fallback else 0, pool_count=len(self.pools),
                        alignment=self.alignment, record_size=fmt.size('RECORD', w),
                        pool_state_size=self.pool_state_size if self.version > 1 else 0)
        for (block, cap), start in zip(self.pools, self.starts):
            head += fmt.pack('POOL', w, block=block, capacity=cap, start=start)
        name_len = fmt.length('REGION', 'name', w)
        for name, count in self.regions:
            head += fmt.pack('REGION', w, pool_count=count, name=name.encode().ljust(name_len, b'\0'))
        return head

    def record(self, op, size=0, align=0, result=0, old=0, caller=0, flags=0, seq=None, region=0):
        """Append one record; seq defaults to the next sequence number."""
        s = self.seq if seq is None else seq
        self.records.append(fmt.pack('RECORD', self.w, op=fmt.OPS[op], flags=flags, region=region,
                                     seq=s & 0xFFFFFFFF,
                                     size=size, align=align, result=result, old=old, caller=caller))
        if op == 'DROPPED':
            self.seq = s + size
        elif op != 'END':
            self.seq = s + 1

    def dropped(self, n):
        self.record('DROPPED', size=n)

    def end(self):
        self.record('END')

    def data(self):
        return self.header() + b''.join(self.records)


def crafted():
    """The trace whose report and generate output test_tune.py checks
    exactly.  Layout 8:2,16:2,32:1, fallback on; results are where the
    allocator would put them (pool starts given)."""
    base = 0x20000000
    t = Trace([(8, 2), (16, 2), (32, 1)], starts=[base, base + 0x10, base + 0x30])
    A, B, C, D, E = base, base + 8, base + 0x10, base + 0x20, base + 0x30
    t.record('malloc', size=5, result=A, caller=0x100)          # 0 pool 0
    t.record('malloc', size=8, result=B, caller=0x100)          # 1 pool 0
    t.record('malloc', size=6, result=C, caller=0x104)          # 2 pool 0 full: pool 1
    t.record('malloc', size=12, result=D, caller=0x108)         # 3 pool 1
    t.record('malloc', size=16, result=E, caller=0x108)         # 4 pool 1 full: pool 2
    t.record('malloc', size=7, result=0, caller=0x10c)          # 5 all full: fails
    t.record('free', old=B, caller=0x100)                       # 6
    t.record('realloc', size=8, old=A, result=A, caller=0x110)  # 7 in place
    t.record('realloc', size=20, old=A, result=0, caller=0x110)  # 8 pool 2 full: fails
    t.record('free', old=E, caller=0x108, flags=IN_IRQ)         # 9 from an interrupt
    t.record('realloc', size=20, old=A, result=E, caller=0x110)  # 10 moves to pool 2
    t.record('calloc', size=3, result=A, caller=0x114)          # 11 pool 0
    t.record('memalign', size=8, align=16, result=0, caller=0x118)  # 12 pools 1, 2 full
    t.record('free', old=C, caller=0x104)                       # 13
    t.record('memalign', size=8, align=16, result=C, caller=0x118)  # 14 pool 1
    t.record('free', old=D, caller=0x108)                       # 15
    t.end()
    return t


def sample(seed=1):
    """A demo-like workload on the default layout: strings, a growing
    buffer, messages from an interrupt handler, a few leaks."""
    rnd = random.Random(seed)
    pools = [(8, 32), (16, 32), (24, 32), (32, 32), (48, 16), (64, 16), (128, 8), (256, 8), (1024, 4)]
    starts, addr = [], 0x20001000
    for b, c in pools:
        starts.append(addr)
        addr += b * c
    t = Trace(pools, starts=starts)
    free_blocks = {b: [starts[k] + i * b for i in reversed(range(c))] for k, (b, c) in enumerate(pools)}
    block_of = {}

    def alloc(op, n, caller, flags=0, align=0):
        for b, _ in pools:
            if b >= n and free_blocks[b]:
                p = free_blocks[b].pop()
                block_of[p] = b
                t.record(op, size=n, align=align, result=p, caller=caller, flags=flags)
                return p
        t.record(op, size=n, align=align, result=0, caller=caller, flags=flags)
        return 0

    def free(p, caller, flags=0):
        free_blocks[block_of.pop(p)].append(p)
        t.record('free', old=p, caller=caller, flags=flags)

    live = []
    for step in range(400):
        r = rnd.random()
        if r < 0.45 or not live:
            n = rnd.choice([6, 9, 12, 13, 17, 20, 24, 31, 40, 60, 100])
            p = alloc('malloc', n, 0x08000120 + 4 * (n % 5))
            if p:
                live.append(p)
        elif r < 0.55:
            p = alloc('malloc', 36, 0x08000200, flags=IN_IRQ)       # interrupt message
            if p:
                free(p, 0x08000210, flags=IN_IRQ)
        else:
            free(live.pop(rnd.randrange(len(live))), 0x08000180)
    buf = alloc('malloc', 16, 0x08000300)
    for n in (40, 90, 200, 600):
        old_block = block_of[buf]
        if n <= old_block:
            t.record('realloc', size=n, old=buf, result=buf, caller=0x08000304)
            continue
        new = alloc('realloc', n, 0x08000304) if False else None
        for b, _ in pools:
            if b >= n and free_blocks[b]:
                new = free_blocks[b].pop()
                block_of[new] = b
                break
        t.record('realloc', size=n, old=buf, result=new or 0, caller=0x08000304)
        if new:
            free_blocks[block_of.pop(buf)].append(buf)
            buf = new
    alloc('calloc', 48, 0x08000400)
    t.end()
    return t


class Regions:
    """A workload on a build with several regions (-Dregions), simulated
    with the allocator's rules (first pool large enough in the region, then
    larger ones: fallback on; realloc in place while the block fits, else a
    move within the block's region).  It writes the multi-region trace and,
    for each region, the trace a one-region build would have recorded for
    that region's calls alone (poolalloc_malloc_in as malloc): what
    poolalloc-tune's sub-trace of the region must model like."""

    def __init__(self, regions):
        # regions: [(name, [(block, capacity)], base address)]
        self.names = [name for name, _, _ in regions]
        self.pools, starts, self.split = [], [], []
        for name, pools, base in regions:
            mine = []
            for block, cap in pools:
                mine.append(base)
                base += block * cap
            starts += mine
            self.pools += [(name, b, c, st) for (b, c), st in zip(pools, mine)]
            self.split.append(Trace(pools, starts=mine))
        self.multi = Trace([(b, c) for _, b, c, _ in self.pools], starts=starts,
                           regions=[(name, len(pools)) for name, pools, _ in regions])
        self.free_blocks = {k: [st + i * b for i in reversed(range(c))]
                            for k, (_, b, c, st) in enumerate(self.pools)}
        self.pool_of = {}

    def _take(self, region, n):
        for k, (name, b, _, _) in enumerate(self.pools):
            if name == region and b >= n and self.free_blocks[k]:
                p = self.free_blocks[k].pop()
                self.pool_of[p] = k
                return p
        return 0

    def _give(self, p):
        self.free_blocks[self.pool_of.pop(p)].append(p)

    def _record(self, region, op, **fields):
        r = self.names.index(region)
        self.multi.record(op, region=r if op == 'poolalloc_malloc_in' else 0, **fields)
        self.split[r].record('malloc' if op == 'poolalloc_malloc_in' else op, **fields)

    def malloc(self, n, region='heap', caller=0x100):
        """malloc (region 'heap') or poolalloc_malloc_in(region, n)."""
        p = self._take(region, n)
        self._record(region, 'malloc' if region == 'heap' else 'poolalloc_malloc_in', size=n, result=p,
                     caller=caller)
        return p

    def region_of(self, p):
        return self.pools[self.pool_of[p]][0] if p in self.pool_of else None

    def free(self, p, region=None, caller=0x104):
        """free(p); region: where a pointer the workload never returned lies."""
        self._record(region or self.region_of(p), 'free', old=p, caller=caller)
        if p in self.pool_of:
            self._give(p)

    def realloc(self, p, n, caller=0x108):
        """realloc(p, n) as the allocator does it: realloc(p, 0) frees p and
        returns NULL; in place while the block holds n; else a new block
        of p's region (p stays when there is none)."""
        region = self.region_of(p) or 'heap'
        if p and n == 0:
            self._give(p)
            self._record(region, 'realloc', size=0, old=p, result=0, caller=caller)
            return 0
        if p and n <= self.pools[self.pool_of[p]][1]:
            new = p
        else:
            new = self._take(region, n)
            if new and p:
                self._give(p)
        self._record(region, 'realloc', size=n, old=p, result=new, caller=caller)
        return new or p

    def end(self):
        self.multi.end()
        for t in self.split:
            t.end()


def regions():
    """Two regions, heap and dma (the README's and doc/tuning.md's
    example; test_tune.py checks it against its per-region traces): DMA
    buffers from poolalloc_malloc_in, freed through free and grown by
    realloc, beside ordinary heap use."""
    w = Regions([('heap', [(8, 4), (16, 4), (32, 2)], 0x20000000),
                 ('dma', [(32, 4), (512, 2)], 0x20010000)])
    a, b = w.malloc(5), w.malloc(12)
    rx = [w.malloc(32, 'dma', caller=0x200) for _ in range(3)]
    frame = w.malloc(300, 'dma', caller=0x204)
    w.malloc(600, 'dma', caller=0x208)                 # fails: no dma pool that large
    c = w.realloc(0, 24)                               # realloc(NULL, n): heap
    w.free(rx[0])                                      # a dma block back through free
    rx[1] = w.realloc(rx[1], 28)                       # in place, in dma
    rx[2] = w.realloc(rx[2], 200)                      # moves to dma's 512-byte pool
    more = [w.malloc(20, 'dma', caller=0x20c) for _ in range(4)]    # dma's pools are full: the fourth fails
    w.free(a)
    b = w.realloc(b, 16)
    d = w.malloc(30)
    for p in more[:2]:
        w.free(p)
    w.free(frame)
    w.free(c)
    w.free(d)
    w.end()
    return w


LIBRARY_RECORDS = 29000


def library(seed=1, records=LIBRARY_RECORDS):
    """A library-like workload (a parser or a protocol stack), for the
    fallback search's gap (tools/tune/README.md): 30 structure types of
    2^U(3, 9) bytes (8 to 512) with weights U(0, 1)^2 make 55 % of the
    allocations, strings of 1 + Exp(mean 24) bytes 35 % (one in ten grown
    once by realloc to twice its size), buffers of 64, 128, 256 or 512
    bytes 7 %, large ones of 1024, 1536, 1600 or 2048 bytes 3 %.  Lifetimes
    in steps: 40 % 1 to 5, 50 % 5 to 500, 9.5 % 500 to 5000, 0.5 % never
    freed.  A phase of 800 to 3000 steps ends with 80 % of the live objects
    that are not permanent freed (a document torn down); above 12 000 live
    bytes, 7 allocations in 10 are skipped.  With the default records,
    about 29 000 records and a live peak of 28 to 35 KiB."""
    rnd = random.Random(seed)
    types = [int(2 ** rnd.uniform(3, 9)) for _ in range(30)]
    weights = [rnd.random() ** 2 for _ in types]
    t = Trace([(16384, 1)])
    live = {}                     # address -> [size, step it dies]
    addr, step, live_bytes = 0x20000000, 0, 0
    phase = rnd.randint(800, 3000)

    def free(a, caller):
        nonlocal live_bytes
        live_bytes -= live.pop(a)[0]
        t.record('free', old=a, caller=caller)

    while len(t.records) < records:
        step += 1
        for a in [a for a, (_, death) in live.items() if death is not None and death <= step]:
            free(a, 0x08000104)
        if step % phase == 0:
            for a in [a for a, (_, death) in live.items() if death is not None]:
                if rnd.random() < 0.8:
                    free(a, 0x08000108)
            phase = rnd.randint(800, 3000)
        if live_bytes > 12000 and rnd.random() < 0.7:
            continue
        r = rnd.random()
        string = 0.55 <= r < 0.9
        n = (rnd.choices(types, weights)[0] if r < 0.55 else 1 + int(rnd.expovariate(1 / 24)) if string
             else rnd.choice([64, 128, 256, 512]) if r < 0.97 else rnd.choice([1024, 1536, 1600, 2048]))
        life = rnd.random()
        death = (step + rnd.randint(1, 5) if life < 0.4 else step + rnd.randint(5, 500) if life < 0.9
                 else step + rnd.randint(500, 5000) if life < 0.995 else None)
        addr += 16
        t.record('malloc', size=n, result=addr, caller=0x08000100)
        if string and rnd.random() < 0.1:
            addr += 16
            t.record('realloc', size=2 * n, old=addr - 16, result=addr, caller=0x0800010c)
            n *= 2
        live[addr] = [n, death]
        live_bytes += n
    t.end()
    return t


def seeds(directory):
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    (d / 'crafted.trace').write_bytes(crafted().data())
    (d / 'sample.trace').write_bytes(sample().data())
    t = Trace([(8, 4), (64, 2)], pointer_size=8, alignment=8, fallback=False)
    t.record('posix_memalign', size=40, align=64, result=0x1000, caller=1)
    t.record('valloc', size=10, align=4096, result=0)
    t.record('pvalloc', size=10, align=4096, result=0)
    t.dropped(3)
    t.record('reallocarray', size=2**64 - 1, old=0x1000, result=0)
    t.record('reallocf', size=100, old=0x1000, result=0)
    t.end()
    (d / 'ptr8.trace').write_bytes(t.data())
    (d / 'regions.trace').write_bytes(regions().multi.data())


def main(argv):
    makers = {'crafted': crafted, 'sample': sample, 'regions': lambda: regions().multi}
    if argv[1:2] == ['library'] and len(argv) in (3, 4, 5):
        seed, records = (int(x) for x in argv[3:] + ['1', str(LIBRARY_RECORDS)][len(argv) - 3:])
        Path(argv[2]).write_bytes(library(seed, records).data())
        return 0
    if len(argv) != 3 or argv[1] not in ('seeds', *makers):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == 'seeds':
        seeds(argv[2])
    else:
        Path(argv[2]).write_bytes(makers[argv[1]]().data())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

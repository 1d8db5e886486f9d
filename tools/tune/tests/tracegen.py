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


def main(argv):
    if len(argv) != 3 or argv[1] not in ('seeds', 'crafted', 'sample'):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == 'seeds':
        seeds(argv[2])
    else:
        Path(argv[2]).write_bytes((crafted() if argv[1] == 'crafted' else sample()).data())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Static worst-case bound of every allocator entry point, from the ELF.

    bench/wcet.py --layout BUILD/pool_layout.h --config BUILD/poolalloc_config.h
                  [--cpu cortex-m3|cortex-m0] [--json OUT] ELF

Reads the disassembly of a linked image (arm-none-eabi-objdump -d), its
symbols (nm) and its line tables (addr2line -i), and bounds, for every
entry point of the malloc family the image contains, the number of
instructions one call executes -- call instruction and return included, as
bench/itrace.py counts -- and the processor cycles on Cortex-M0 or
Cortex-M3, without running anything:

 1. The control-flow graph of each function the entry reaches: calls
    (`bl`) and tail calls (`b` out of the function) are followed into the
    callee (the C library's memcpy/memset included); a call of
    poolalloc_fault() ends the path (a misuse, reported; its time is the
    fault action's, not the allocator's).  An indirect call or jump, a
    table branch, or recursion is an error.
 2. Every loop is found (back edges, by dominators) and must be bounded:
    - an LL/SC retry loop -- a back edge whose branch tests the status of a
      STREX in the same block -- repeats only when an exception intervened
      between LDREX and STREX (it clears the monitor).  It is counted once in
      the bound N, and its longest cycle is M: the call takes at most
      N + M x (interrupts that land inside it) instructions;
    - any other loop needs an entry in LOOP_BOUNDS below, keyed by the C
      function that holds its back edge (the innermost inlined function,
      from the line tables; the ELF symbol for assembly), whose bound is
      derived from the build's generated layout (pool_layout.h).  A loop
      without one is an error, never counted once.
 3. Loops are collapsed innermost first (iterations x longest iteration +
    longest exit), then the longest path of the remaining acyclic graph is
    the bound.  The two measures are bounded separately.

Cycles (zero-wait-state memory, no caches; the TRMs' instruction tables,
ARM DDI 0337 for Cortex-M3 and DDI 0432 for Cortex-M0): every taken branch
pays the full pipeline refill (P = 3 on M3), loads and stores get no
pipelining credit and pay the M3's address-dependency stall when the
previous instruction wrote their base register, and the Cortex-M0 multiplier
is the small one (32 cycles) unless --m0-fast-multiplier.  Interrupt entry
and the handlers' own time are not included (doc/performance.md, "Worst
case").

Output: a table per entry point (and per region for poolalloc_malloc_in) on
stdout; --json writes the same as JSON.  --check-measured ITRACE_LOG
compares a bench/itrace.py output against the bounds (test wcet-check).
--broken-ignore-loops counts every layout loop once: a deliberately wrong
tool for the test's teeth.  Python 3 standard library only.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys

# ---- What the layout says ---------------------------------------------------


class Layout:
    """The facts of pool_layout.h the loop bounds use: pools per region and
    their block sizes, capacities from pool_layout.c when given."""

    def __init__(self, header):
        with open(header) as f:
            text = f.read()

        def define(name):
            m = re.search(r'^#define %s (.+)$' % name, text, re.M)
            if not m:
                raise WcetError('%s: no #define %s (is this a generated pool_layout.h?)' % (header, name))
            return m.group(1).strip()
        self.pool_count = int(define('POOL_COUNT').rstrip('u'))
        self.blocks = [int(x.strip().rstrip('u')) for x in define('POOL_BLOCK_SIZES').strip('{} ').split(',')]
        names = re.findall(r'"([^"]+)"', define('POOL_REGION_NAMES'))
        default_end = int(define('POOL_DEFAULT_END').rstrip('u'))
        # region name -> (first pool, end); the extra regions' ranges are in
        # the generated section headers "Region NAME (...): pools A..B".
        self.regions = {names[0]: (0, default_end)}
        for name, first, last in re.findall(r'Region (\S+) \([^)]*\): pools (\d+)\.\.(\d+)', text):
            self.regions[name] = (int(first), int(last) + 1)
        if sorted(self.regions) != sorted(names) or len(self.blocks) != self.pool_count:
            raise WcetError('%s: regions %s, pools %d: cannot tell which pools each region has'
                            % (header, names, len(self.blocks)))
        self.region_names = names
        self.max_capacity = int(define('POOL_MAX_CAPACITY').rstrip('u'))

    def region_blocks(self, region):
        first, end = self.regions[region]
        return sorted(self.blocks[first:end])


class WcetError(Exception):
    pass


# ---- Loop bounds: the documented table ------------------------------------
#
# function holding the back edge -> (what bounds it, why).  The bound is the
# number of times the back edge can be taken per entry into the loop, an
# expression over the context of the entry point being analysed:
#   pools      pools of the region the call allocates in (malloc: the
#              default region; poolalloc_malloc_in: each region in turn;
#              realloc: the largest region)
#   bytes      bytes a copy or fill of this entry point moves: calloc the
#              largest block of the default region; realloc the largest
#              block that can move (the second largest of a region: a block
#              of the largest pool never moves); anything else the largest
#              block of any region
#   capacity   blocks of the largest pool (a walk of one free list)
#   stride     bytes one iteration stores (from the stores' write-back in
#              the loop; 1 when none is found -- every iteration of a copy
#              or fill stores at least one byte)
# A bottom-tested loop runs its back edge one time fewer than these allow:
# the bound is at most one iteration loose there.
LOOP_BOUNDS = {
    'next_candidate': ('(pools + 31) // 32', 'the empty-pool map has one word per 32 pools (src/spill.c)'),
    'pool_free_list_holds': ('capacity', 'checks=fast: the walk that confirms a marked block visits at most '
                             'the blocks handed out (src/checks.c)'),
    'alloc_aligned': ('pools', 'memalign tries each pool of the default region once (src/memalign.c)'),
    'poison_block': ('bytes / stride', 'checks=full: poisons one block (src/checks.c)'),
    'poison_intact': ('bytes / stride', 'checks=full: reads one block (src/checks.c)'),
}
# Loops whose back edge is taken only when an interrupt intervened, counted
# like the LL/SC retries: in the "per interrupt" column, not in N.
INTERRUPT_LOOPS = {
    'pool_spill': 'a spill tries a second pool only when an interrupt left a stale clear bit in the '
                  'empty-pool map; without one the map is exact (src/spill.c)',
}
# The C library's copy and fill, by function (DWARF) or symbol name.
for _name in ('memcpy', 'memmove', 'memset', '__aeabi_memcpy', '__aeabi_memcpy4', '__aeabi_memcpy8',
              '__aeabi_memmove', '__aeabi_memset', '__aeabi_memset4', '__aeabi_memclr', '__aeabi_memclr4'):
    LOOP_BOUNDS[_name] = ('bytes / stride', 'the C library copies or fills at most one block')

# Entry points: the names an application calls, the itrace categories they
# cover, and how their loops are bounded ('region' of their allocations and
# what their copies move).
ENTRIES = [
    # (symbol, itrace categories, region context, bytes context)
    ('malloc', ('malloc', 'malloc-fail'), 'default', 'largest'),
    ('free', ('free',), 'default', 'largest'),
    ('calloc', ('calloc', 'calloc-fail'), 'default', 'default-largest'),
    ('realloc', ('realloc-in-place', 'realloc-move', 'realloc-fail'), 'any', 'movable'),
    ('reallocf', (), 'any', 'movable'),
    ('reallocarray', (), 'any', 'movable'),
    ('memalign', (), 'default', 'largest'),
    ('aligned_alloc', (), 'default', 'largest'),
    ('posix_memalign', (), 'default', 'largest'),
    ('valloc', (), 'default', 'largest'),
    ('pvalloc', (), 'default', 'largest'),
    ('malloc_usable_size', (), 'default', 'largest'),
    ('poolalloc_malloc_in', ('malloc-in', 'malloc-in-fail'), 'each', 'largest'),
]
# Calls that end the analysed path: the fault report of a misuse.
PATH_ENDS = ('poolalloc_fault',)

# ---- Instruction timing ------------------------------------------------------

CONDS = 'eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al'
BRANCH = re.compile(r'^b(%s)?$' % CONDS)
LINE = re.compile(r'^\s*([0-9a-f]+):\s+((?:[0-9a-f]{4}\s?){1,2})\s+(\S+)\s*(.*)$')
REGS = re.compile(r'\b(r\d+|ip|lr|sp|fp|sl)\b')


def reglist(args):
    m = re.search(r'\{([^}]*)\}', args)
    n = 0
    for part in (m.group(1).split(',') if m else []):
        part = part.strip()
        if '-' in part:
            lo, hi = (int(x.strip()[1:]) for x in part.split('-'))
            n += hi - lo + 1
        elif part:
            n += 1
    return n


def base_op(op):
    """Mnemonic without width suffix and (outside the branch forms)
    condition: 'strexeq' -> 'strex', 'cmpeq.w' -> 'cmp', 'ldmia.w' -> 'ldmia'."""
    op = op.split('.')[0]
    for known in ('strex', 'ldrex', 'clrex', 'cmp', 'cmn', 'tst', 'teq', 'mov', 'movs', 'mvn', 'add', 'adds',
                  'sub', 'subs', 'str', 'ldr', 'strb', 'ldrb', 'strh', 'ldrh', 'bx', 'pop', 'push'):
        if op.startswith(known) and re.fullmatch('(%s)?' % CONDS, op[len(known):]):
            return known
    return op


def cycles(cpu, insn, prev, taken, m0_fast_mul):
    """Cycles of `insn` on `cpu`; `taken`: the branch part is taken."""
    op, args = base_op(insn.op), insn.args
    m3 = cpu != 'cortex-m0'
    refill = 3 if m3 else 2      # M3: P <= 3; M0: a taken branch costs 3 = 1 + 2
    if insn.kind in ('branch', 'cbz'):
        return 1 + refill if taken else 1
    if insn.kind == 'call':
        return 1 + refill if m3 else 4
    if insn.kind == 'return':
        if op.startswith('bx'):
            return 1 + refill if m3 else 3
        regs = max(reglist(args), 1)     # ldr pc, [sp], #4: one
        return 1 + regs + refill if m3 else 3 + regs + 1
    if insn.kind == 'tailcall':
        return 1 + refill if m3 else 3
    if op in ('push', 'pop') or op.startswith(('ldm', 'stm')):
        return 1 + reglist(args)
    if op in ('ldrd', 'strd'):
        return 3 if m3 else 4
    if op.startswith(('ldr', 'str')):  # also ldrex/strex
        stall = 0
        if m3 and prev is not None:
            written = prev.dest()
            addr = re.search(r'\[([^\]]*)\]', args)
            if written and addr and written in REGS.findall(addr.group(1)):
                stall = 1            # address depends on the previous result
        if m3 and re.search(r'\[pc', args):
            stall = 1                # literal load: may contend with the fetch
        return 2 + stall
    if op.startswith(('umull', 'smull')):
        return 5 if m3 else 1
    if op.startswith(('umlal', 'smlal')):
        return 7
    if op.startswith(('udiv', 'sdiv')):
        return 12
    if op.startswith(('mla', 'mls')):
        return 2
    if op.startswith('mul'):
        return 1 if (m3 or m0_fast_mul) else 32
    if op.startswith(('mrs', 'msr')):
        return 2 if m3 else 4
    if op.startswith(('dmb', 'dsb', 'isb')):
        return 4
    return 1


# ---- Disassembly -------------------------------------------------------------


class Insn:
    def __init__(self, addr, size, op, args):
        self.addr, self.size, self.op, self.args = addr, size, op, args
        self.kind = 'plain'
        self.target = None

    def dest(self):
        """Register the instruction writes first (for the M3 stall)."""
        op = base_op(self.op)
        if op.startswith(('cmp', 'cmn', 'tst', 'teq', 'str', 'push', 'stm', 'b', 'it', 'cbz', 'cbnz')):
            return None
        m = REGS.match(self.args)
        return m.group(1) if m else None

    def __repr__(self):
        return '%x: %s %s' % (self.addr, self.op, self.args)


class Image:
    """An ELF's functions, disassembled, and their source functions."""

    def __init__(self, elf, objdump, nm, addr2line):
        self.elf, self.addr2line = elf, addr2line
        out = subprocess.run([nm, '-S', '--defined-only', elf], capture_output=True, text=True,
                             check=True).stdout
        self.names = {}       # address -> [names]
        self.sizes = {}       # address -> size
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[2] in 'TtWw':
                addr = int(parts[0], 16) & ~1
                self.names.setdefault(addr, []).append(parts[3])
                self.sizes[addr] = max(self.sizes.get(addr, 0), int(parts[1], 16))
            elif len(parts) == 3 and parts[1] in 'TtWw':
                # no size (assembly): it ends where the next symbol starts
                addr = int(parts[0], 16) & ~1
                self.names.setdefault(addr, []).append(parts[2])
                self.sizes.setdefault(addr, 0)
        starts = sorted(self.sizes)
        for n, addr in enumerate(starts):
            if self.sizes[addr] == 0 and n + 1 < len(starts):
                self.sizes[addr] = starts[n + 1] - addr
        self.by_name = {n: a for a, ns in self.names.items() for n in ns}
        self.insns = {}
        dump = subprocess.run([objdump, '-d', elf], capture_output=True, text=True, check=True).stdout
        for line in dump.splitlines():
            m = LINE.match(line)
            if m and not m.group(3).startswith('.'):
                raw = m.group(2).split()
                addr = int(m.group(1), 16)
                self.insns[addr] = Insn(addr, 2 * len(raw), m.group(3), m.group(4).split('@')[0].split(';')[0].strip())
        self._source = {}

    def function_at(self, addr):
        for start, size in self.sizes.items():
            if start <= addr < start + size:
                return start
        return None

    def name(self, start):
        names = self.names.get(start, ['?'])
        public = [n for n in names if not n.startswith('poolalloc_') and not n.startswith('_')]
        return (public or names)[0]

    def source_function(self, addr):
        """Innermost C function (inlining included) at addr, or None."""
        if addr not in self._source:
            out = subprocess.run([self.addr2line, '-f', '-i', '-e', self.elf, '%x' % addr],
                                 capture_output=True, text=True).stdout.split('\n')
            fn = out[0].strip() if out and out[0].strip() not in ('', '??') else None
            where = out[1].strip() if len(out) > 1 else '?'
            self._source[addr] = (fn, os.path.basename(where))
        return self._source[addr]


# ---- One function's control-flow graph ----------------------------------------


class Function:
    """Basic blocks of the function at `start`; instruction kinds set."""

    def __init__(self, image, start):
        self.image, self.start = image, start
        end = start + image.sizes[start]
        code = [image.insns[a] for a in sorted(image.insns) if start <= a < end]
        if not code:
            raise WcetError('no code at %#x' % start)
        it_left = 0
        for i in code:
            op = i.op.split('.')[0]
            conditional = it_left > 0
            it_left = max(0, it_left - 1)
            if re.fullmatch(r'it[te]{0,3}', op):
                it_left = len(op) - 1
                continue
            i.conditional = conditional
            target = re.search(r'([0-9a-f]+) <', i.args)
            if op in ('bl',):
                i.kind, i.target = 'call', int(target.group(1), 16)
            elif op in ('blx', 'tbb', 'tbh') or (op.startswith('bx') and not i.args.startswith('lr')):
                i.kind = 'indirect'
            elif op.startswith('bx') or (op.startswith(('pop', 'ldm')) and 'pc' in i.args) or (
                    op.startswith('ldr') and re.match(r'pc, \[sp\], #4$', i.args)):  # pop {pc}
                i.kind = 'return'
            elif op in ('cbz', 'cbnz'):
                i.kind, i.target = 'cbz', int(target.group(1), 16)
            elif BRANCH.match(op):
                i.target = int(target.group(1), 16)
                i.kind = 'branch'
                if not (start <= i.target < end):
                    i.kind = 'tailcall'
                if i.kind == 'branch' and (op not in ('b', 'bal') or conditional):
                    i.kind = 'cbz'   # conditional: taken or not
                if i.kind == 'tailcall' and (op not in ('b', 'bal') or conditional):
                    raise WcetError('%s: conditional tail call at %#x: not modelled' % (image.name(start), i.addr))
            elif op in ('udf', 'bkpt'):
                i.kind = 'stop'
            elif re.search(r'\bpc\b', i.args.split(',')[0]) and not op.startswith(('str', 'cmp', 'push')):
                i.kind = 'indirect'   # writes the PC some other way
        self.code = code
        self.index = {i.addr: n for n, i in enumerate(code)}
        # Block leaders: the entry, branch targets, what follows a control transfer.
        leaders = {code[0].addr}
        for n, i in enumerate(code):
            if i.kind in ('branch', 'cbz') and i.target in self.index:
                leaders.add(i.target)
            if i.kind != 'plain' and n + 1 < len(code):
                leaders.add(code[n + 1].addr)
        self.blocks = {}     # leader -> [insns]
        self.succ = {}       # leader -> [(successor leader, taken)]
        self.calls = {}      # leader -> [callee starts]
        self.ends = {}       # leader -> 'return' | 'tailcall' | 'stop' | 'fault'
        # Blocks from the entry on, following the edges: padding and literal
        # pools after the last return are never decoded as code.
        self.reachable, todo = set(), [code[0].addr]
        while todo:
            b = todo.pop()
            if b in self.reachable:
                continue
            self.reachable.add(b)
            self._block(b, leaders)
            todo.extend(s for s, _ in self.succ[b])

    def _block(self, leader, leaders):
        n = self.index[leader]
        insns, succ, calls = [], [], []
        name = self.image.name(self.start)
        end = None
        while n < len(self.code):
            i = self.code[n]
            insns.append(i)
            n += 1
            nxt = self.code[n].addr if n < len(self.code) else None
            if i.kind == 'indirect':
                raise WcetError('%s: indirect branch or call at %#x (%s %s): cannot be bounded'
                                % (name, i.addr, i.op, i.args))
            if i.kind == 'call':
                callee = self.image.function_at(i.target)
                if callee is None:
                    raise WcetError('%s: call at %#x to %#x, outside every function' % (name, i.addr, i.target))
                if any(c in PATH_ENDS for c in self.image.names.get(callee, [])):
                    end = 'fault'
                    break
                calls.append(callee)
            elif i.kind == 'tailcall':
                callee = self.image.function_at(i.target)
                if callee is None:
                    raise WcetError('%s: branch at %#x to %#x, outside every function' % (name, i.addr, i.target))
                if any(c in PATH_ENDS for c in self.image.names.get(callee, [])):
                    end = 'fault'
                else:
                    calls.append(callee)
                    end = 'tailcall'
                break
            elif i.kind == 'return':
                end = 'return'
                if i.conditional and nxt is not None:
                    succ.append((nxt, False))
                break
            elif i.kind == 'stop':
                end = 'stop'
                break
            elif i.kind == 'branch':
                succ.append((i.target, True))
                break
            elif i.kind == 'cbz':
                if i.target not in self.index:
                    raise WcetError('%s: branch at %#x into the middle of an instruction' % (name, i.addr))
                succ.append((i.target, True))
                if nxt is not None:
                    succ.append((nxt, False))
                break
            if nxt is None:
                raise WcetError('%s: falls off its end after %#x' % (name, i.addr))
            if nxt in leaders:
                succ.append((nxt, False))
                break
        self.blocks[leader], self.succ[leader], self.calls[leader] = insns, succ, calls
        if end:
            self.ends[leader] = end

    def calls_strex(self, target):
        """Does the function at target (a leaf helper) hold a STREX?"""
        start = self.image.function_at(target)
        if start is None:
            return False
        return any(base_op(i.op) == 'strex' for a, i in self.image.insns.items()
                   if start <= a < start + self.image.sizes[start])

    def dominators(self):
        entry = self.code[0].addr
        preds = {b: [] for b in self.reachable}
        for b in self.reachable:
            for s, _ in self.succ[b]:
                preds[s].append(b)
        dom = {b: set(self.reachable) for b in self.reachable}
        dom[entry] = {entry}
        changed = True
        while changed:
            changed = False
            for b in sorted(self.reachable):
                if b == entry:
                    continue
                new = set.intersection(*(dom[p] for p in preds[b])) | {b} if preds[b] else {b}
                if new != dom[b]:
                    dom[b], changed = new, True
        return dom, preds

    def is_retry_edge(self, latch, preds=None):
        """Is latch's back edge an LL/SC retry: its branch tests the status
        register of a STREX earlier in the same block (or the latch is a
        lone `b` reached only from such a branch)?"""
        insns = self.blocks[latch]
        if len(insns) == 1 and insns[0].kind == 'branch' and preds is not None and len(preds[latch]) == 1:
            return self.is_retry_edge(preds[latch][0])
        # with the straight-line blocks before it (a call ends a block)
        b = latch
        while preds is not None and len(preds[b]) == 1 and len(self.succ[preds[b][0]]) == 1 \
                and preds[b][0] != latch:
            b = preds[b][0]
            insns = self.blocks[b] + insns
        br = insns[-1]
        status = None
        for i in insns[:-1]:
            if base_op(i.op) == 'strex':
                status = REGS.match(i.args).group(1)
            elif i.kind == 'call' and self.calls_strex(i.target):
                status = 'r0'    # a helper that returns the STREX status (-fno-inline)
        if status is None:
            return False
        if br.op.startswith(('cbnz', 'cbz')):
            return br.args.startswith(status + ',')
        setter = None
        for i in insns[:-1]:
            if base_op(i.op) in ('cmp', 'tst', 'cmn') or i.op.split('.')[0].endswith('s'):
                setter = i
        return setter is not None and base_op(setter.op) == 'cmp' and re.fullmatch(
            r'%s,\s*#0' % status, setter.args) is not None


# ---- The analysis --------------------------------------------------------------


class Analysis:
    def __init__(self, image, cpu, context, ignore_loops=False, m0_fast_mul=False):
        self.image, self.cpu, self.context = image, cpu, context
        self.ignore_loops, self.m0_fast_mul = ignore_loops, m0_fast_mul
        self.functions = {}
        self.memo = {}
        self.active = set()
        self.loops = []         # descriptions, for the report
        self.retry = {'instructions': 0, 'cycles': 0, 'where': None}

    def function(self, start):
        if start not in self.functions:
            self.functions[start] = Function(self.image, start)
        return self.functions[start]

    def wcet(self, start):
        """(instructions, cycles) bound of one call of the function at start,
        its return included (the call instruction is the caller's)."""
        if start in self.memo:
            return self.memo[start]
        if start in self.active:
            raise WcetError('recursion through %s: cannot be bounded' % self.image.name(start))
        self.active.add(start)
        fn = self.function(start)
        result = tuple(self.longest(fn, metric) for metric in ('instructions', 'cycles'))
        self.active.discard(start)
        self.memo[start] = result
        return result

    def block_cost(self, fn, b, metric, taken):
        """Cost of block b left through an edge (taken: its branch taken),
        calls included."""
        total = 0
        prev = None
        for i in fn.blocks[b]:
            if metric == 'instructions':
                total += 1
            else:
                total += cycles(self.cpu, i, prev, taken and i is fn.blocks[b][-1], self.m0_fast_mul)
            prev = i
        for callee in fn.calls[b]:
            total += self.wcet(callee)[0 if metric == 'instructions' else 1]
        return total

    def is_interrupt_loop(self, fn, latch):
        """Is latch's back edge in a loop of INTERRUPT_LOOPS?"""
        src, _ = self.image.source_function(fn.blocks[latch][-1].addr)
        names = ([src] if src else []) + self.image.names.get(fn.start, [])
        return any(n in INTERRUPT_LOOPS for n in names)

    def loop_bound(self, fn, header, latches, body):
        """Times the back edges to `header` may be taken, from LOOP_BOUNDS."""
        keys = set()
        for latch in latches:
            br = fn.blocks[latch][-1]
            src, where = self.image.source_function(br.addr)
            names = [src] if src else []
            names += self.image.names.get(fn.start, [])
            key = next((n for n in names if n in LOOP_BOUNDS), None)
            if key is None:
                raise WcetError('%s: the loop at %#x (back edge at %#x, %s in %s) has no bound: '
                                'add its function to LOOP_BOUNDS in bench/wcet.py'
                                % (self.image.name(fn.start), header, br.addr, src or '?', where))
            keys.add(key)
        if len(keys) != 1:
            raise WcetError('%s: loops of %s share the header %#x: cannot bound them apart'
                            % (self.image.name(fn.start), ', '.join(sorted(keys)), header))
        key = keys.pop()
        expr, why = LOOP_BOUNDS[key]
        stride = 0
        for b in body:
            for i in fn.blocks.get(b, []):
                op = base_op(i.op)
                if op.startswith('str') and not op.startswith('strex'):
                    m = re.search(r'\], #(\d+)$|, #(\d+)\]!$', i.args)
                    if m:
                        stride += int(m.group(1) or m.group(2))
                elif op.startswith('stm') and '!' in i.args:
                    stride += 4 * reglist(i.args)
        values = dict(self.context, stride=max(stride, 1))
        bound = int(math.ceil(eval(expr, {}, values)))  # an expression of LOOP_BOUNDS, nothing else
        entry = {'function': key, 'at': '%s+%#x' % (self.image.name(fn.start), header - fn.start),
                           'back_edges': bound, 'bound': '%s = %d' % (expr, bound), 'why': why}
        if entry not in self.loops:
            self.loops.append(entry)
        return 0 if self.ignore_loops else bound

    def longest(self, fn, metric):
        dom, preds = fn.dominators()
        succ = {b: list(fn.succ[b]) for b in fn.reachable}
        # Back edges, and the retry edges among them (counted in M, not N).
        back = [(u, h) for u in fn.reachable for h, _ in succ[u] if h in dom[u]]
        acyclic = {b: [(s, t) for s, t in succ[b] if (b, s) not in back] for b in fn.reachable}
        for u, h in back:
            if fn.is_retry_edge(u, preds) or self.is_interrupt_loop(fn, u):
                succ[u] = [(s, t) for s, t in succ[u] if s != h]
                cycle = self.path_cost(fn, acyclic, h, u, metric) + self.block_cost(fn, u, metric, True)
                if cycle > self.retry[metric]:
                    self.retry[metric] = cycle
                    self.retry['where'] = '%s+%#x' % (self.image.name(fn.start), h - fn.start)
        loops = {}
        for u, h in back:
            if fn.is_retry_edge(u, preds) or self.is_interrupt_loop(fn, u):
                continue
            loops.setdefault(h, set()).add(u)
        # Natural loop bodies, innermost (smallest) first.
        bodies = {}
        for h, latches in loops.items():
            body, todo = {h}, list(latches)
            rpreds = {b: [p for p in fn.reachable if any(s == b for s, _ in succ[p])] for b in fn.reachable}
            while todo:
                b = todo.pop()
                if b not in body:
                    body.add(b)
                    todo.extend(rpreds[b])
            bodies[h] = body
        # node costs live on edges: cost[(u, v)] = what leaving u towards v costs
        cost = {}
        for u in fn.reachable:
            for v, taken in succ[u]:
                cost[(u, v)] = self.block_cost(fn, u, metric, taken)
        exit_cost = {u: self.block_cost(fn, u, metric, True) for u in fn.reachable if u in fn.ends}
        nodes = set(fn.reachable)
        edges = {u: {v for v, _ in succ[u]} for u in nodes}
        for h in sorted(bodies, key=lambda x: len(bodies[x])):
            body = bodies[h] & nodes | ({h} if h in nodes else set())
            latches = loops[h]
            n = self.loop_bound(fn, h, latches, bodies[h])
            # longest path from h inside the body, edges back to h removed
            dist = self.dag_longest(h, body, edges, cost, exclude_target=h)
            iteration = max(dist[u] + cost[(u, h)] for u in latches if u in dist)
            out_cost, out_ends = {}, 0
            for u in body:
                if u not in dist:
                    continue
                for v in edges[u]:
                    if v not in body:
                        out_cost[v] = max(out_cost.get(v, 0), dist[u] + cost[(u, v)])
                if u in exit_cost:
                    out_ends = max(out_ends, dist[u] + exit_cost[u])
            # collapse the body into h
            for u in body:
                if u != h:
                    nodes.discard(u)
                    edges.pop(u, None)
                    exit_cost.pop(u, None)
            edges[h] = set(out_cost)
            for v, c in out_cost.items():
                cost[(h, v)] = n * iteration + c
            if out_ends or h in fn.ends:
                exit_cost[h] = n * iteration + out_ends
            for u in nodes:
                if u != h and edges[u] & (body - {h}):
                    raise WcetError('%s: a jump into the loop at %#x past its header: cannot be bounded'
                                    % (self.image.name(fn.start), h))
        # the rest is acyclic, or irreducible
        dist = self.dag_longest(fn.code[0].addr, nodes, edges, cost)
        ends = [dist[u] + exit_cost[u] for u in exit_cost if u in dist]
        if not ends:
            raise WcetError('%s: no path returns' % self.image.name(fn.start))
        return max(ends)

    def dag_longest(self, entry, nodes, edges, cost, exclude_target=None):
        """Longest distance from entry to every node, over edges inside nodes
        (not into exclude_target); a cycle left is an error."""
        order, state = [], {}

        def visit(u):
            stack = [(u, iter(sorted(edges.get(u, ()))))]
            state[u] = 1
            while stack:
                node, it = stack[-1]
                for v in it:
                    if v not in nodes or v == exclude_target:
                        continue
                    if state.get(v) == 1:
                        raise WcetError('an irreducible loop through %#x: cannot be bounded' % v)
                    if v not in state:
                        state[v] = 1
                        stack.append((v, iter(sorted(edges.get(v, ())))))
                        break
                else:
                    state[node] = 2
                    order.append(node)
                    stack.pop()
        visit(entry)
        dist = {entry: 0}
        for u in reversed(order):
            if u not in dist:
                continue
            for v in edges.get(u, ()):
                if v in nodes and v != exclude_target:
                    dist[v] = max(dist.get(v, 0), dist[u] + cost[(u, v)])
        return dist

    def path_cost(self, fn, succ, h, u, metric):
        """Longest path from h to the start of u (the retry cycle's body)."""
        edges = {b: {v for v, _ in succ[b]} for b in fn.reachable}
        cost = {(a, v): self.block_cost(fn, a, metric, t) for a in fn.reachable for v, t in succ[a]}
        dist = self.dag_longest(h, fn.reachable, edges, cost, exclude_target=h)
        if u not in dist:
            raise WcetError('%s: retry loop at %#x not reducible' % (self.image.name(fn.start), h))
        return dist[u]


def read_config(path):
    with open(path) as f:
        text = f.read()
    conf = dict(re.findall(r'^#define (POOLALLOC_\w+) (\S+)', text, re.M))

    def flag(name):
        return conf.get('POOLALLOC_' + name) == '1'
    sync = next((s for s in ('llsc', 'irq', 'c11', 'none') if flag('SYNC_' + s.upper())), '?')
    return {'sync': sync, 'fallback': flag('FALLBACK'), 'stats': flag('STATS'),
            'checks': conf.get('POOLALLOC_CHECKS', '?').replace('POOL_CHECKS_', '').lower(),
            'fault': 'message' if flag('FAULT_MESSAGE') else 'abort' if flag('FAULT_ABORT') else 'trap',
            'trace': flag('TRACE')}


def contexts(layout, region_ctx, bytes_ctx):
    """[(region label, loop-bound variables)] of one entry point."""
    def movable(region):
        blocks = layout.region_blocks(region)
        return blocks[-2] if len(blocks) > 1 else 0
    largest = max(max(layout.region_blocks(r)) for r in layout.region_names)
    nbytes = {'largest': largest,
              'default-largest': max(layout.region_blocks(layout.region_names[0])),
              'movable': max(movable(r) for r in layout.region_names)}[bytes_ctx]
    pools = {r: layout.regions[r][1] - layout.regions[r][0] for r in layout.region_names}
    cap = layout.max_capacity
    if region_ctx == 'each':
        return [(r, {'pools': pools[r], 'bytes': nbytes, 'capacity': cap}) for r in layout.region_names]
    if region_ctx == 'any':
        return [(None, {'pools': max(pools.values()), 'bytes': nbytes, 'capacity': cap})]
    return [(None, {'pools': pools[layout.region_names[0]], 'bytes': nbytes, 'capacity': cap})]


def analyse(elf, layout, config, cpu, tools, ignore_loops=False, m0_fast_mul=False):
    image = Image(elf, *tools)
    result = {'elf': os.path.basename(elf), 'cpu': cpu, 'options': config,
              'layout': {r: {'pools': layout.region_blocks(r)} for r in layout.region_names},
              'assumptions': ASSUMPTIONS, 'entries': []}
    for name, categories, region_ctx, bytes_ctx in ENTRIES:
        if name not in image.by_name:
            continue
        start = image.by_name[name]
        for region, ctx in contexts(layout, region_ctx, bytes_ctx):
            a = Analysis(image, cpu, ctx, ignore_loops, m0_fast_mul)
            insns, cyc = a.wcet(start)
            if cpu not in TIMED_CPUS:
                cyc = None
            result['entries'].append({
                'entry': name, 'region': region, 'categories': list(categories),
                # the caller's `bl` is counted, as bench/itrace.py counts a call
                'instructions': insns + 1,
                'cycles': None if cyc is None else cyc + cycles(cpu, CALL, None, True, m0_fast_mul),
                'retry_instructions': a.retry['instructions'], 'retry_cycles': a.retry['cycles'],
                'retry_loop': a.retry['where'], 'loops': a.loops})
    if not result['entries']:
        raise WcetError('%s: no entry point of the malloc family found' % elf)
    return result


# Cores whose instruction timing is modelled (others: instructions only).
TIMED_CPUS = ('cortex-m0', 'cortex-m0plus', 'cortex-m3')
CALL = Insn(0, 4, 'bl', '0 <x>')
CALL.kind = 'call'

ASSUMPTIONS = [
    'instructions: exact count of the longest feasible-or-not path, the call (bl) and return included',
    'cycles: zero-wait-state memory, no caches, no flash accelerator; every taken branch pays the largest '
    'pipeline refill; loads and stores get no pipelining credit; Cortex-M0 small multiplier unless stated',
    'retry loops (LDREX/STREX) counted once; each interrupt that lands inside one adds at most the retry '
    'figure; the handlers and the exception entry/exit themselves are not included',
    'a misuse (a call of poolalloc_fault) ends the path; poolalloc_oom is the one linked in the image',
]


def print_table(result, out=sys.stdout):
    opts = result['options']
    print('Worst case, %s, %s: sync=%s fallback=%s stats=%s checks=%s fault=%s' % (
        result['elf'], result['cpu'], opts['sync'], str(opts['fallback']).lower(), str(opts['stats']).lower(),
        opts['checks'], opts['fault']), file=out)
    print('  layout: %s' % '; '.join('%s %s' % (r, ','.join(map(str, v['pools'])))
                                     for r, v in result['layout'].items()), file=out)
    print('  %-22s %-8s %12s %8s   %s' % ('entry', 'region', 'instructions', 'cycles', 'per interrupt inside'),
          file=out)
    for e in result['entries']:
        retry = ('+%d instr / +%d cycles' % (e['retry_instructions'], e['retry_cycles'])
                 if e['retry_instructions'] else '-')
        if e['cycles'] is None:
            retry = retry.split(' / ')[0]
        print('  %-22s %-8s %12d %8s   %s' % (e['entry'], e['region'] or '', e['instructions'],
                                             '-' if e['cycles'] is None else e['cycles'], retry), file=out)
    loops = {}
    for e in result['entries']:
        for lp in e['loops']:
            loops.setdefault((lp['function'], lp['bound']), []).append(e['entry'])
    for (fn, bound), entries in sorted(loops.items()):
        print('  loop %s: back edge taken at most %s (%s)' % (fn, bound, ', '.join(sorted(set(entries)))),
              file=out)


def check_measured(result, logs):
    """Compare bench/itrace.py outputs (category ... max N lines) with the
    bounds; returns the list of violations and the tightness lines."""
    bound_of = {}
    for e in result['entries']:
        for cat in e['categories']:
            bound_of[cat] = max(bound_of.get(cat, 0), e['instructions'])
    worst = {}
    for log in logs:
        with open(log) as f:
            for line in f:
                m = re.match(r'^\s+([a-z-]+)\s+n=\s*\d+\s+min \d+\s+median \d+\s+p99 \d+\s+max (\d+)', line)
                if m:
                    worst[m.group(1)] = max(worst.get(m.group(1), 0), int(m.group(2)))
    violations, lines = [], []
    for cat, measured in sorted(worst.items()):
        if cat not in bound_of:
            violations.append('%s: measured %d, but the image has no static bound for it' % (cat, measured))
            continue
        ratio = bound_of[cat] / measured
        lines.append('%-17s measured worst %5d  static bound %5d  bound/measured %.2f'
                     % (cat, measured, bound_of[cat], ratio))
        if measured > bound_of[cat]:
            violations.append('%s: measured %d instructions, more than the static bound %d'
                              % (cat, measured, bound_of[cat]))
    return worst, bound_of, violations, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--layout', required=True, help='the build\'s generated pool_layout.h')
    ap.add_argument('--config', required=True, help='the build\'s generated poolalloc_config.h')
    ap.add_argument('--cpu', default='cortex-m3', help='cortex-m3 (ARMv7-M timing) or cortex-m0')
    ap.add_argument('--m0-fast-multiplier', action='store_true',
                    help='Cortex-M0 with the single-cycle multiplier (default: the 32-cycle one)')
    ap.add_argument('--objdump', default='arm-none-eabi-objdump')
    ap.add_argument('--nm', default='arm-none-eabi-nm')
    ap.add_argument('--addr2line', default='arm-none-eabi-addr2line')
    ap.add_argument('--json', help='write the bounds here as JSON')
    ap.add_argument('--check-measured', action='append', default=[], metavar='ITRACE_OUTPUT',
                    help='fail when a call in this bench/itrace.py output exceeds its static bound')
    ap.add_argument('--tight', action='append', default=[], metavar='CATEGORY=RATIO',
                    help='with --check-measured: fail when bound / measured worst of CATEGORY exceeds RATIO')
    ap.add_argument('--lower', metavar='ELF',
                    help='fail unless every entry point\'s bound exceeds that of this image (same layout): '
                         'a build with a longer path must raise the bound')
    ap.add_argument('--broken-ignore-loops', action='store_true',
                    help='DELIBERATELY WRONG: count every layout loop once (the check\'s teeth)')
    ap.add_argument('elf')
    a = ap.parse_args()
    try:
        layout = Layout(a.layout)
        config = read_config(a.config)
        result = analyse(a.elf, layout, config, a.cpu, (a.objdump, a.nm, a.addr2line), a.broken_ignore_loops,
                         a.m0_fast_multiplier)
    except (WcetError, OSError, subprocess.CalledProcessError) as e:
        print('wcet: error: %s' % e, file=sys.stderr)
        return 2
    print_table(result)
    if a.lower:
        try:
            lower = analyse(a.lower, layout, config, a.cpu, (a.objdump, a.nm, a.addr2line))
        except (WcetError, OSError, subprocess.CalledProcessError) as e:
            print('wcet: error: %s' % e, file=sys.stderr)
            return 2
        below = {(e['entry'], e['region']): e['instructions'] for e in lower['entries']}
        not_raised = []
        for e in result['entries']:
            key = (e['entry'], e['region'])
            if key not in below:
                continue
            print('wcet: %s: %d instructions here, %d in %s' % (e['entry'], e['instructions'], below[key],
                                                              os.path.basename(a.lower)))
            if e['instructions'] <= below[key]:
                not_raised.append(e['entry'])
        if not_raised or not below:
            print('wcet: error: the bound is not raised for %s' % (', '.join(not_raised) or 'any entry point'))
            return 1
        print('wcet: every bound above that of %s' % os.path.basename(a.lower))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(result, f, indent=1)
            f.write('\n')
    if a.check_measured:
        worst, bound_of, violations, lines = check_measured(result, a.check_measured)
        for line in lines:
            print('wcet: ' + line)
        if not worst:
            print('wcet: error: no measured call found in %s' % ', '.join(a.check_measured), file=sys.stderr)
            return 2
        for spec in a.tight:
            cat, _, ratio = spec.partition('=')
            if cat not in worst:
                print('wcet: error: --tight %s: no %s call was measured' % (spec, cat), file=sys.stderr)
                return 2
            if bound_of.get(cat, 0) > float(ratio) * worst[cat]:
                violations.append('%s: static bound %d is more than %s x the measured worst %d (not tight)'
                                  % (cat, bound_of[cat], ratio, worst[cat]))
        for v in violations:
            print('wcet: ' + v)
        if violations:
            return 1
        print('wcet: every measured call within its static bound')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prove from a linked firmware ELF that the whole allocator is poolalloc's.

Reads the symbol table (nm) and fails if:
  * any sbrk is linked (poolalloc never grows a heap; a linked sbrk means a
    libc allocator object came in);
  * any private symbol of picolibc's, newlib's or newlib-nano's own malloc is
    present (their allocator objects were pulled);
  * a malloc-family name that is present is not at the address of the
    poolalloc_* function it must alias -- except, with --trace, the names
    that src/trace_names.c defines as recording wrappers, which must then be
    defined and NOT at that address;
  * without --trace, any symbol of the trace recorder is linked (tracing off
    costs nothing).
Usage: check_symbols.py [--trace] NM ELF...
"""
import subprocess
import sys

FORBIDDEN = {
    'sbrk', '_sbrk', '_sbrk_r',
    # picolibc 1.8 malloc internals
    '__malloc_malloc', '__malloc_free', '__malloc_grow_chunk', '__malloc_sbrk_aligned',
    '__malloc_sbrk_top', '__malloc_free_list',
    # newlib (dlmalloc) internals
    '__malloc_av_', '__malloc_sbrk_base', '__malloc_trim_threshold', '__malloc_top_pad',
    '__malloc_max_sbrked_mem', '__malloc_update_mallinfo',
    # newlib-nano internals
    '__malloc_sbrk_start', 'nano_malloc',
}

# The names that are recording wrappers with -Dtrace=true.
TRACED = {'malloc', 'free', 'cfree', 'calloc', 'realloc', 'reallocf', 'reallocarray', 'memalign',
          'aligned_alloc', 'posix_memalign', 'valloc', 'pvalloc'}
# Symbols of src/trace.c, trace_sink.c: none may exist with trace=false.
TRACE_PREFIXES = ('poolalloc_trace', 'trace_record', 'trace_product')

ALIASES = {
    'malloc': 'poolalloc_malloc', 'free': 'poolalloc_free', 'cfree': 'poolalloc_free',
    'calloc': 'poolalloc_calloc', 'realloc': 'poolalloc_realloc',
    'reallocf': 'poolalloc_reallocf', 'reallocarray': 'poolalloc_reallocarray',
    'memalign': 'poolalloc_memalign', 'aligned_alloc': 'poolalloc_aligned_alloc',
    'posix_memalign': 'poolalloc_posix_memalign', 'valloc': 'poolalloc_valloc',
    'pvalloc': 'poolalloc_pvalloc', 'malloc_usable_size': 'poolalloc_usable_size',
    'mallinfo': 'poolalloc_mallinfo', 'malloc_stats': 'poolalloc_malloc_stats',
    'mstats': 'poolalloc_mstats', 'mallopt': 'poolalloc_mallopt',
    'malloc_trim': 'poolalloc_malloc_trim',
}


def symbols(nm, elf):
    out = subprocess.run([nm, elf], capture_output=True, text=True, check=True).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            table[parts[2]] = (parts[0], parts[1])
        elif len(parts) == 2:
            table[parts[1]] = (None, parts[0])
    return table


def check(nm, elf, trace=False):
    errors = []
    syms = symbols(nm, elf)
    for name in sorted(FORBIDDEN & syms.keys()):
        errors.append('%s: libc allocator symbol %s is linked' % (elf, name))
    if not trace:
        for name in sorted(s for s in syms if s.startswith(TRACE_PREFIXES)):
            errors.append('%s: trace symbol %s is linked with tracing off' % (elf, name))
    for name, ours in sorted(ALIASES.items()):
        if name not in syms:
            continue
        addr, kind = syms[name]
        if kind in ('U', 'w'):
            errors.append('%s: %s is undefined' % (elf, name))
        elif trace and name in TRACED:
            if ours in syms and syms[ours][0] == addr:
                errors.append('%s: %s is %s, not a recording wrapper' % (elf, name, ours))
        elif ours not in syms or syms[ours][0] != addr:
            errors.append('%s: %s at %s is not %s' % (elf, name, addr, ours))
    return errors


def main(argv):
    trace = len(argv) > 1 and argv[1] == '--trace'
    if trace:
        argv = argv[:1] + argv[2:]
    if len(argv) < 3:
        sys.exit(__doc__)
    errors = [e for elf in argv[2:] for e in check(argv[1], elf, trace)]
    for e in errors:
        print('FAIL ' + e)
    print('check_symbols: %d ELF(s)%s, %d problem(s)' % (len(argv) - 2, ' (traced)' if trace else '',
                                                        len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The teeth of POOL_ASSUME's host assertion: a pool_layout.c whose
pointer -> pool table names a pool that does not exist.

Algorithm: run src/gen_layout.py with the given arguments (--emit source),
then set every entry of the default region's pointer -> pool table
(pool_address_lookup) to 255, past every pool index.  The table keeps its
size and type, so the library builds and links; on the target the lookup's
POOL_ASSUME(k < POOL_COUNT) lets the compiler drop the range test and free
would index past the pool geometry (undefined behaviour), on the host the
assumption is an assertion and the first free stops there.  Exits 1 when
the layout has no such table (a compare tree: nothing would change).

Usage: layout_out_of_range.py GEN_LAYOUT [gen_layout arguments...]
"""
import re
import subprocess
import sys

OUT_OF_RANGE = 255  # a uint8_t entry no layout reaches (POOL_COUNT <= 32 per region)


def corrupt(source):
    table = re.compile(r'(const uint8_t pool_address_lookup\[[A-Z_]+\] = \{\n)(.*?)(\n\};)', re.S)
    m = table.search(source)
    if m is None:
        raise SystemExit('layout_out_of_range: the layout has no pointer -> pool table')
    count = len(re.findall(r'[0-9]+', m.group(2)))
    lines = ['    ' + ', '.join([str(OUT_OF_RANGE)] * min(16, count - i)) + ',' for i in range(0, count, 16)]
    return source[:m.start(2)] + '\n'.join(lines) + source[m.end(2):]


def main():
    gen_layout, args = sys.argv[1], sys.argv[2:]
    run = subprocess.run([sys.executable, gen_layout] + args, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        return run.returncode
    sys.stdout.write(corrupt(run.stdout))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The regions test's teeth: a pool_layout.c whose address table for one
extra region routes its blocks to the wrong pools.

Algorithm: run src/gen_layout.py with the given arguments (--emit source),
then, in the region's pointer -> pool table (pool_address_lookup__NAME),
give every entry as an index within the region instead of a global pool
index: the region's first pool index is not added (the entries are global,
region by region, so the smallest entry is that first index).  A pointer of
the region then goes to a pool of the default region, of another block size
-- free pushes it on that pool's list, and malloc hands it out later.  The
table keeps its size and stays in range, so the library builds and links;
only the routing is wrong.  Exits 1 when the table is not found or the
region is the default one (no table would change: the test would pass).

Usage: regions_misroute.py REGION GEN_LAYOUT [gen_layout arguments...]
"""
import re
import subprocess
import sys


def misroute(source, region):
    table = re.compile(r'(const uint8_t pool_address_lookup__%s\[[A-Z_]+\] = \{\n)(.*?)(\n\};)' % region, re.S)
    m = table.search(source)
    if m is None:
        raise SystemExit('regions_misroute: no address table for region %s in the generated source' % region)
    entries = [int(v) for v in re.findall(r'[0-9]+', m.group(2))]
    first = min(entries)
    if first == 0:
        raise SystemExit('regions_misroute: region %s starts at pool 0: nothing to misroute' % region)
    lines = ['    ' + ', '.join('%d' % (v - first) for v in entries[i:i + 16]) + ','
             for i in range(0, len(entries), 16)]
    return source[:m.start(2)] + '\n'.join(lines) + source[m.end(2):]


def main():
    region, gen_layout, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    run = subprocess.run([sys.executable, gen_layout] + args, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        return run.returncode
    sys.stdout.write(misroute(run.stdout, region))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a large random trace for timing poolalloc-tune (never committed:
generate it when you need it).

  bigtrace.py RECORDS SIZES FILE [SEED]

RECORDS allocation and free records (about half each, then an END record)
over SIZES distinct request sizes drawn from 1..16384, with a live set that
wanders around 200 blocks.  Results are fresh addresses, so the trace is
valid whatever layout replays it.  tools/tune/README.md ("Speed") gives
the timings it was used for.
"""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tracegen  # noqa: E402

TARGET_LIVE = 200


def big(records, sizes, seed):
    rnd = random.Random(seed)
    palette = rnd.sample(range(1, 16385), sizes)
    t = tracegen.Trace([(16384, 1)])
    live, addr = [], 0x20000000
    for i in range(records):
        # Every size once first, so the trace has exactly SIZES of them.
        if i < sizes or not live or rnd.random() < TARGET_LIVE / (TARGET_LIVE + len(live)):
            n = palette[i] if i < sizes else rnd.choice(palette)
            addr += 16
            t.record('malloc', size=n, result=addr, caller=0x08000100)
            live.append(addr)
        else:
            k = rnd.randrange(len(live))
            live[k], live[-1] = live[-1], live[k]
            t.record('free', old=live.pop(), caller=0x08000104)
    t.end()
    return t


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    seed = int(argv[4]) if len(argv) == 5 else 1
    Path(argv[3]).write_bytes(big(int(argv[1]), int(argv[2]), seed).data())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

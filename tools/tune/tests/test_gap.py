#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The fallback search within 3 % of its printed lower bound (argv[1] = the
tool), on the project's generated traces: tracegen.py's regions trace
(both regions) and its demo-like sample workload with seeds 1 to 12 (400
steps: 45 % a malloc of one of 11 sizes from 6 to 100 bytes, 10 % an
interrupt handler's 36-byte message freed at once, 45 % a free of a
random live block; then a buffer grown by realloc to 600 bytes).  On all
of them the search proves its layout optimal (fallback.c, step 5); with
step 5 disabled, the sample (seed 1) is 3.5 % above the bound and the
regions trace's heap 8.3 %, and this test fails.  The json workload's
trace is held to the same in bench/json_layout.py (a target build's test).

On tracegen.py's library-like workload the gap is out of reach of 3 %
(tools/tune/README.md says why): three 4000-record seeds are held to what
the search reached when its replays became fast enough for larger budgets
(12.5, 6.5 and 10.8 %), with half a point to spare; with the earlier
budgets (20 M and 100 M records) seeds 1 and 3 were at 14.1 and 11.0 %.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gap_report  # noqa: E402
import tracegen  # noqa: E402
from tunetest import TOOL, check, verdict  # noqa: E402

MAX_GAP = 3.0
SEEDS = range(1, 13)
LIBRARY_RECORDS = 4000
LIBRARY_MAX_GAP = {1: 13.0, 2: 7.0, 3: 11.3}   # seed: percent


def main():
    with tempfile.TemporaryDirectory(prefix='tune-gap-') as tmp:
        traces = [Path(tmp) / 'regions.trace']
        traces[0].write_bytes(tracegen.regions().multi.data())
        for seed in SEEDS:
            traces.append(Path(tmp) / ('sample%d.trace' % seed))
            traces[-1].write_bytes(tracegen.sample(seed).data())
        above = gap_report.report(TOOL, traces, [], MAX_GAP)
        check('every trace within %g %% of its bound' % MAX_GAP, above == 0, '%d above' % above)
        for seed, most in LIBRARY_MAX_GAP.items():
            path = Path(tmp) / ('library%d.trace' % seed)
            path.write_bytes(tracegen.library(seed, LIBRARY_RECORDS).data())
            above = gap_report.report(TOOL, [path], [], most)
            check('library seed %d within %g %% of its bound' % (seed, most), above == 0, 'above')
    return verdict()


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the libFuzzer harness for poolalloc-tune's trace reader with clang
# (-fsanitize=fuzzer,address,undefined) and run it for a bounded time.
#
#   tools/tune/fuzz/run-fuzz.sh [WORKDIR [SECONDS]]     default /tmp/poolalloc-fuzz, 60 s
#   CLANG=clang-14 tools/tune/fuzz/run-fuzz.sh ...
#
# The corpus starts from seed traces written by tools/tune/tests/tracegen.py
# and is kept in WORKDIR/corpus between runs.  Exits non-zero if the fuzzer
# finds a crash (the reproducer is left in WORKDIR).  Needs clang and
# libclang-rt-14-dev (Debian bookworm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-/tmp/poolalloc-fuzz}
secs=${2:-60}
cc=${CLANG:-clang}
mkdir -p "$work/corpus"
"$cc" -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I "$here/.." -I "$here/../../../include" -o "$work/fuzz_trace" "$here/fuzz_trace.c" \
  "$here/../trace.c" "$here/../rules.c" "$here/../model.c" "$here/../replay.c" "$here/../region.c" "$here/../optimise.c" "$here/../peak_tree.c" "$here/../search_replay.c"
python3 "$here/../tests/tracegen.py" seeds "$work/corpus"
cd "$work"
# -max_len: big enough for a header with 255 pools plus a few hundred records.
./fuzz_trace -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 corpus 2>fuzz.log || { tail -40 fuzz.log; exit 1; }
grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' fuzz.log || true
echo "run-fuzz: no crash in ${secs} s"

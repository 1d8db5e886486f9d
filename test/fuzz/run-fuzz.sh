#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build and run the libFuzzer harness test/fuzz/fuzz_api.c (the whole API
# against a reference model; see its header).
#
#   test/fuzz/run-fuzz.sh [SECONDS]        default 45; prints the libFuzzer summary
#   FUZZ_BUILD=/tmp/fz test/fuzz/run-fuzz.sh 600
#   test/fuzz/run-fuzz.sh 600 -jobs=2 -workers=2    extra arguments go to libFuzzer
#
# A separate clang build of the library (outside the gcc builds): CC=clang,
# -Dchecks=full -Dstats=true (the harness checks every statistic), ASan + UBSan, and -fsanitize=fuzzer-no-link so that
# libFuzzer sees the library's coverage.  The seed corpus test/fuzz/corpus/ is
# read, never written: new inputs go to $FUZZ_BUILD/corpus.  A crash leaves
# the input in $FUZZ_BUILD/crash-*; replay it with `$FUZZ_BUILD/fuzz_api FILE`.
# Exit status: 0 when the run ended clean.
set -eu
cd "$(dirname "$0")/../.."
seconds=${1:-45}
shift || true
build=${FUZZ_BUILD:-build-fuzz}
mkdir -p "$build"
build=$(cd "$build" && pwd)
lib_build=$build/lib

# The harness checks every statistic: a library build left with other
# options (an older run, a hand-made one) is configured back to these.
lib_options=(-Dchecks=full -Dstats=true -Dtests=false
             -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link)
if [ ! -f "$lib_build/build.ninja" ]; then
  CC=clang meson setup "$lib_build" "${lib_options[@]}" >"$build/setup.log" 2>&1 ||
    { cat "$build/setup.log"; exit 1; }
else
  meson configure "$lib_build" "${lib_options[@]}" >"$build/setup.log" 2>&1 || { cat "$build/setup.log"; exit 1; }
fi
meson compile -C "$lib_build" poolalloc >"$build/compile.log" 2>&1 || { tail -30 "$build/compile.log"; exit 1; }
clang -g -O1 -std=gnu11 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$lib_build/include" -Iinclude test/fuzz/fuzz_api.c "$lib_build/libpoolalloc.a" -o "$build/fuzz_api"

mkdir -p "$build/corpus"
cd "$build"
# -error_exitcode: any crash, leak or model mismatch fails the run.
./fuzz_api -max_total_time="$seconds" -print_final_stats=1 -error_exitcode=1 -timeout=10 "$@" \
  corpus "$OLDPWD/test/fuzz/corpus" 2>&1 | tee fuzz.log | grep -E '^(#[0-9]+ +DONE|stat::|==|SUMMARY|fuzz_api:)' || true
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "fuzz_api: clean, $(sed -n 's/^stat::number_of_executed_units: *//p' fuzz.log) executions in ${seconds}s"
exit "$status"

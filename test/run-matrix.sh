#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build and test every configuration poolalloc supports, then print one line
# "N passed, N failed" (N = meson tests, plus one failed entry for each
# configuration that does not configure or build).
#
#   test/run-matrix.sh            all configurations, build dirs in build-matrix/
#   test/run-matrix.sh host m3-picolibc   only those
#   BUILD_ROOT=/tmp/m test/run-matrix.sh
#   MATRIX_JOBS=1 test/run-matrix.sh   one configuration at a time (default 2)
#   test/run-matrix.sh fuzz       only the bounded fuzzer run (FUZZ_SECONDS, default 45)
#   test/run-matrix.sh docs       only the documented commands (test/doc_commands.py)
#   test/run-matrix.sh integration   only the consumer projects (test/consumers/run.sh)
#   test/run-matrix.sh options   only the option sweep (test/option_sweep.sh: configure + build)
#
# Each configuration is "name|meson setup arguments".
set -u
cd "$(dirname "$0")/.."
root=${BUILD_ROOT:-build-matrix}
issue_layout='-Dpools=4:32,8:64,24:32,64:16,256:4'
# The configuration that also runs the suite 'build-independent' (the
# tuner's tests, the layout parser's, configure-time refusals: the same
# result in every build), and the one that also runs 'cross-independent'
# (the trace round trip: any cross build).
independent_in=host
cross_independent_in=m3-picolibc

# The benchmarks' tests depend on the core, the C library and the sync
# backend (their bound library has options of its own), and on this
# build's options only for the default ones: they are built in the
# configurations that differ in those, not again in the others.
no_bench='-Dbenchmarks=false'

configs=(
  "host|-Db_sanitize=address,undefined"
  "host-tsan|-Db_sanitize=thread -Dstats=true"
  "host-nofallback-none|-Dfallback=false -Dsync=none -Dpools=8:4,16:4,32:3,64:2 -Db_sanitize=address,undefined"
  "m3-picolibc|--cross-file cross/thumbv7m-picolibc.txt"
  "m3-picolibc-trace|--cross-file cross/thumbv7m-picolibc.txt -Dtrace=true"
  "m3-picolibc-abort-stats|--cross-file cross/thumbv7m-picolibc.txt -Dfault=abort -Dstats=true $no_bench"
  "m3-picolibc-one-pool|--cross-file cross/thumbv7m-picolibc.txt -Dpools=512:48 $no_bench"
  "m3-picolibc-regions|--cross-file cross/thumbv7m-picolibc.txt -Dregions=dma:__psram_start:__psram_end -Dpools=8:32,16:32,24:32,32:32,48:16,64:16,128:8,256:8,1024:4,dma@32:8,dma@512:4 $no_bench"
  "m3-newlib|--cross-file cross/thumbv7m-newlib.txt"
  "m3-newlib-nano|--cross-file cross/thumbv7m-newlib-nano.txt"
  "m0-picolibc|--cross-file cross/thumbv6m-picolibc.txt"
  "m4f-picolibc|--cross-file cross/thumbv7em-picolibc.txt $no_bench"
  "m33-picolibc|--cross-file cross/thumbv8m.main-picolibc.txt"
  "m3-picolibc-small|--cross-file cross/thumbv7m-picolibc.txt $issue_layout -Dfallback=false -Dheap-start-symbol=__end $no_bench"
  "m3-newlib-small|--cross-file cross/thumbv7m-newlib.txt $issue_layout -Dsync=irq -Dstats=true"
  "m3-newlib-nano-small|--cross-file cross/thumbv7m-newlib-nano.txt $issue_layout -Dfault=message $no_bench"
  "host-checks-none|-Dchecks=none -Db_sanitize=address,undefined"
  "host-checks-full|-Dchecks=full -Dfault=message -Dstats=true -Db_sanitize=address,undefined"
  "m3-picolibc-checks-none|--cross-file cross/thumbv7m-picolibc.txt -Dchecks=none -Dfault=message"
  "m3-picolibc-checks-full|--cross-file cross/thumbv7m-picolibc.txt -Dchecks=full -Dfault=message -Dstats=true $no_bench"
  "m3-newlib-checks-full|--cross-file cross/thumbv7m-newlib.txt -Dchecks=full -Dfault=message $issue_layout $no_bench"
  "m0-picolibc-checks-full|--cross-file cross/thumbv6m-picolibc.txt -Dchecks=full -Dstats=true $no_bench"
)

# One configuration: configure, build, test.  Prints its report and ends
# with a line "counts: PASSED FAILED" (run_configs reads it).
run_config() {
  local name=$1 args=$2 dir=$root/$1 ok xfail bad n field started=$SECONDS
  echo "=== $name: meson setup $args"
  rm -rf "$dir"
  # shellcheck disable=SC2086
  if ! meson setup "$dir" $args >"$root/$name.setup.log" 2>&1; then
    echo "FAILED to configure $name:"; tail -20 "$root/$name.setup.log"
    echo "counts: 0 1"; return
  fi
  if ! meson compile -C "$dir" >"$dir/compile.log" 2>&1; then
    echo "FAILED to build $name:"; tail -30 "$dir/compile.log"
    echo "counts: 0 1"; return
  fi
  local suites=()
  [ "$name" = "$independent_in" ] || suites+=(--no-suite build-independent)
  [ "$name" = "$cross_independent_in" ] || suites+=(--no-suite cross-independent)
  local built=$SECONDS
  meson test -C "$dir" --print-errorlogs "${suites[@]}" >"$dir/test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test.log"
  echo "time: $name: configure and build $((built - started)) s, tests $((SECONDS - built)) s"
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir/test.log")
  xfail=$(sed -n 's/^Expected Fail: *\([0-9]*\).*/\1/p' "$dir/test.log")
  bad=0
  for field in 'Fail' 'Unexpected Pass' 'Timeout'; do
    n=$(sed -n "s/^$field: *\([0-9]*\).*/\1/p" "$dir/test.log")
    bad=$((bad + ${n:-0}))
  done
  if [ -z "$ok" ]; then
    echo "FAILED: no test summary for $name"; tail -30 "$dir/test.log"; bad=$((bad + 1))
  elif [ "$bad" -gt 0 ]; then
    grep -E '^FAIL|failed|Error' "$dir/test.log" | head -40
  fi
  echo "counts: $((${ok:-0} + ${xfail:-0})) $bad"
}

# MATRIX_JOBS configurations at a time (default 2: one configuring or
# linking while the other runs its tests keeps both cores busy), each
# report printed whole as it ends.
passed=0
failed=0
failures=()
only=("$@")
mkdir -p "$root"
running=0
for entry in "${configs[@]}"; do
  name=${entry%%|*}
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then
    continue
  fi
  if [ "$running" -ge "${MATRIX_JOBS:-2}" ]; then wait -n; running=$((running - 1)); fi
  (run_config "$name" "${entry#*|}" >"$root/$name.report" 2>&1; grep -v '^counts: ' "$root/$name.report") &
  running=$((running + 1))
done
wait
for entry in "${configs[@]}"; do
  report=$root/${entry%%|*}.report
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" ${entry%%|*} "* ]]; then continue; fi
  ok=0 bad=1   # a report without its counts line: that configuration failed
  read -r ok bad < <(sed -n 's/^counts: //p' "$report" 2>/dev/null)
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${bad:-1}))
  # Each failed test by name, repeated at the end of the output (where a
  # truncated CI log still shows it).
  while read -r line; do failures+=("${entry%%|*}: $line"); done \
    < <(sed -n 's/^ *[0-9]*\/[0-9]* *\(.*[^ ]\) \+\(FAIL\|TIMEOUT\|UNEXPECTEDPASS\) .*/\1 \2/p' "$root/${entry%%|*}/test.log" 2>/dev/null)
  if [ "${bad:-1}" -gt 0 ] && ! [ -s "$root/${entry%%|*}/test.log" ]; then failures+=("${entry%%|*}: configure or build"); fi
done

# The steps after the configurations.  Each prints its report and ends with
# "counts: PASSED FAILED" and a "failed: NAME" line per failure; lint and
# fuzz (each mostly one core), then integration and options, run side by
# side, the docs alone (it runs two files at a time itself).

# Static analysis of our own code, on the host build's compile database
# (clang-tidy; checks in .clang-tidy) and on every C file (cppcheck).
step_lint() {
  local ok=0 bad=0 name
  if [ -f "$root/host/compile_commands.json" ]; then
    # Our own sources in the host build (not the generated pool_layout.c).
    mapfile -t tidy_files < <(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1])):
    f = e["file"]
    if "meson-generated" not in f: print(f)' "$root/host/compile_commands.json" | sort -u)
    if (cd "$root/host" && clang-tidy --quiet -p . "${tidy_files[@]}") >"$root/clang-tidy.log" 2>&1; then
      echo "clang-tidy OK"; ok=$((ok + 1))
    else
      echo "clang-tidy FAILED:"; grep -E 'warning:|error:' "$root/clang-tidy.log" | head -20; bad=$((bad + 1))
      echo "failed: clang-tidy"
    fi
  else
    echo "clang-tidy FAILED: no host build to read compile_commands.json from"; bad=$((bad + 1))
    echo "failed: clang-tidy"
  fi
  if cppcheck --quiet --inline-suppr --error-exitcode=1 -UPOOLALLOC_TEST_SYNC -UPOOLALLOC_TEST_NO_FREE_MARK \
      -UPOOLALLOC_TEST_MARK_WITHOUT_LOOK -UPOOLALLOC_TEST_CLEAR_BEFORE_PUSH --enable=warning,style,performance,portability \
      --std=c11 -I include -I src -I tools/tune -I "$root/host" -I "$root/host/include" src/*.c test/*.c cross/newlib/*.c \
      examples/*.c tools/tune/*.c tools/tune/tests/*.c tools/tune/fuzz/*.c >"$root/cppcheck.log" 2>&1; then
    echo "cppcheck OK"; ok=$((ok + 1))
  else
    echo "cppcheck FAILED:"; head -20 "$root/cppcheck.log"; bad=$((bad + 1)); echo "failed: cppcheck"
  fi
  # MISRA C:2012 (cppcheck's addon) on src/ and include/: every finding
  # fixed or documented in doc/misra.md (test/misra_check.py, about 25 s).
  if [ -f "$root/host/pool_layout.h" ] && test/misra_check.py --build "$root/host" >"$root/misra.log" 2>&1; then
    echo "misra OK"; ok=$((ok + 1))
  else
    echo "misra FAILED:"; grep -E 'undocumented|error|FAILED' "$root/misra.log" | head -20; bad=$((bad + 1))
    echo "failed: misra"
  fi
  # Every source file carries the licence's SPDX line.
  if test/check_spdx.py >"$root/spdx.log" 2>&1; then
    echo "spdx OK"; ok=$((ok + 1))
  else
    echo "spdx FAILED:"; head -20 "$root/spdx.log"; bad=$((bad + 1)); echo "failed: spdx"
  fi
  echo "counts: $ok $bad"
}

# The libFuzzer harness (test/fuzz/run-fuzz.sh: a clang build with
# checks=full, ASan + UBSan), for a bounded time on the seed corpus.
step_fuzz() {
  if FUZZ_BUILD="$root/fuzz" test/fuzz/run-fuzz.sh "${FUZZ_SECONDS:-45}" >"$root/fuzz.log" 2>&1; then
    tail -1 "$root/fuzz.log"; echo "counts: 1 0"
  else
    echo "fuzz FAILED:"; tail -20 "$root/fuzz.log"; echo "failed: fuzz"; echo "counts: 0 1"
  fi
}

# A step that prints "PREFIX: NAME: ok..." or "PREFIX: NAME: FAILED..."
# lines into LOG: those lines, the failures' details, and the counts (a
# step that checked nothing fails).
summarise() {
  local prefix=$1 log=$2 what=$3 ok bad
  grep -E "^$prefix: " "$log" | grep -v -e "not run twice" -e "no sh blocks"
  ok=$(grep -cE "^$prefix: [^ ]+: ([0-9]+ block\(s\) )?ok" "$log")
  bad=$(grep -c "^$prefix: [^ ]*: FAILED" "$log")
  grep "^$prefix: [^ ]*: FAILED" "$log" | cut -c1-120 | sed 's/^/failed: /'
  if [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ]; then
    echo "$what FAILED: nothing was checked:"; tail -20 "$log"; bad=1; echo "failed: $what"
  fi
  if [ "$bad" -gt 0 ]; then sed -n '/FAILED/,$p' "$log" | head -60; fi
  echo "counts: $ok $bad"
}

# Every integration path (Meson subproject, Make + pkg-config, CMake) from
# a consumer project outside the tree, under QEMU (test/consumers/run.sh).
step_integration() {
  test/consumers/run.sh "$(cd "$root" && pwd)/consumers" >"$root/integration.log" 2>&1
  summarise integration "$root/integration.log" integration
}

# Every option with every cross file, configured (tests on) and built, not
# run (test/option_sweep.sh).
step_options() {
  test/option_sweep.sh "$(cd "$root" && pwd)/sweep" >"$root/options.log" 2>&1
  summarise sweep "$root/options.log" options
}

# Every shell block of README.md and doc/*.md, run in a scratch copy as a
# newcomer would (test/doc_commands.py); one test per documentation file.
step_docs() {
  test/doc_commands.py --work "$root/docs" >"$root/docs.log" 2>&1
  summarise docs "$root/docs.log" docs
}

# Run the selected ones of these steps side by side, then print each
# report whole, in order, and add up its counts and failures.
run_steps() {
  local step started=$SECONDS selected=()
  for step in "$@"; do
    if [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $step "* ]]; then selected+=("$step"); fi
  done
  [ ${#selected[@]} -gt 0 ] || return 0
  echo "=== ${selected[*]} (from $SECONDS s)"
  for step in "${selected[@]}"; do "step_$step" >"$root/$step.report" 2>&1 & done
  wait
  for step in "${selected[@]}"; do
    local ok=0 bad=1 line
    grep -v -e '^counts: ' -e '^failed: ' "$root/$step.report"
    read -r ok bad < <(sed -n 's/^counts: //p' "$root/$step.report")
    passed=$((passed + ${ok:-0}))
    failed=$((failed + ${bad:-1}))
    while read -r line; do failures+=("$line"); done < <(sed -n 's/^failed: //p' "$root/$step.report")
  done
  echo "time: ${selected[*]}: $((SECONDS - started)) s"
}

mkdir -p "$root"
run_steps lint fuzz
run_steps integration options
run_steps docs

echo "time: everything $SECONDS s"
for line in "${failures[@]}"; do echo "failed: $line"; done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

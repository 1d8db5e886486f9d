#!/usr/bin/env bash
# Build and test every configuration poolalloc supports, then print one line
# "N passed, N failed" (N = meson tests, plus one failed entry for each
# configuration that does not configure or build).
#
#   test/run-matrix.sh            all configurations, build dirs in build-matrix/
#   test/run-matrix.sh host m3-picolibc   only those
#   BUILD_ROOT=/tmp/m test/run-matrix.sh
#
# Each configuration is "name|meson setup arguments".
set -u
cd "$(dirname "$0")/.."
root=${BUILD_ROOT:-build-matrix}
issue_layout='-Dpools=4:32,8:64,24:32,64:16,256:4'

configs=(
  "host|-Db_sanitize=address,undefined"
  "host-nofallback-nostats|-Dfallback=false -Dstats=false -Dpools=8:4,16:4,32:3,64:2 -Db_sanitize=address,undefined"
  "m3-picolibc|--cross-file cross/thumbv7m-picolibc.txt"
  "m3-newlib|--cross-file cross/thumbv7m-newlib.txt"
  "m3-newlib-nano|--cross-file cross/thumbv7m-newlib-nano.txt"
  "m3-picolibc-small|--cross-file cross/thumbv7m-picolibc.txt $issue_layout -Dfallback=false"
  "m3-newlib-small|--cross-file cross/thumbv7m-newlib.txt $issue_layout -Dsync=none"
  "m3-newlib-nano-small|--cross-file cross/thumbv7m-newlib-nano.txt $issue_layout -Dstats=false"
)

passed=0
failed=0
only=("$@")
for entry in "${configs[@]}"; do
  name=${entry%%|*}
  args=${entry#*|}
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then
    continue
  fi
  dir=$root/$name
  echo "=== $name: meson setup $args"
  rm -rf "$dir"
  # shellcheck disable=SC2086
  mkdir -p "$root"
  if ! meson setup "$dir" $args >"$root/$name.setup.log" 2>&1; then
    echo "FAILED to configure $name:"; tail -20 "$root/$name.setup.log"
    failed=$((failed + 1)); continue
  fi
  if ! meson compile -C "$dir" >"$dir/compile.log" 2>&1; then
    echo "FAILED to build $name:"; tail -30 "$dir/compile.log"
    failed=$((failed + 1)); continue
  fi
  meson test -C "$dir" --print-errorlogs >"$dir/test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test.log"
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
  passed=$((passed + ${ok:-0} + ${xfail:-0}))
  failed=$((failed + bad))
done

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

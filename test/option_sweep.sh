#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every option with every cross file, at least configured and built: each
# combination below is set up from scratch with the tests on (so that every
# meson.build of the tree is evaluated with it: newlib-nano with -Dregions
# once failed in test/meson.build) and its library and demo firmware
# (host: the library) are compiled -- nothing is run; the matrix runs the
# suites.  Across the combinations each cross file meets every value of
# regions, trace, trace-sink, stats, checks, fault, fallback, sync (those
# its core allows) and an alignment other than 8.  One line
# "sweep: NAME: ok" or "sweep: NAME: FAILED ..." per combination; the exit
# status is the number of failures.
#
#   test/option_sweep.sh [WORK] [NAME...]
set -uo pipefail
cd "$(dirname "$0")/.."
work=${1:-$(mktemp -d /tmp/poolalloc-sweep.XXXXXX)}
shift $(($# > 0 ? 1 : 0))
regions='-Dregions=dma:__psram_start:__psram_end -Dpools=8:32,16:32,32:32,64:16,256:8,1024:4,dma@32:8,dma@512:4'
# Two combinations per cross file, both with regions: one with the checks
# and statistics on and the tests' own optional parts (newlib-nano's
# printf-float tests come only without trace), one with the recorder.
all_on="$regions -Dstats=true -Dchecks=full -Dfault=message -Dfallback=false"
traced="$regions -Dtrace=true"
combos=(
  "host-all|$all_on -Dalignment=16 -Dstack-limit-symbol=__heap_end"
  "host-traced|$traced -Dsync=none -Dchecks=fast -Dfault=abort"
  "host-no-tests|-Dtests=false -Dsync=none"
  "m3-picolibc-all|--cross-file cross/thumbv7m-picolibc.txt $all_on -Dstack-limit-symbol=__heap_end"
  "m3-picolibc-traced|--cross-file cross/thumbv7m-picolibc.txt $traced -Dtrace-sink=rtt -Dsync=irq -Dfault=abort -Dchecks=fast"
  "m3-picolibc-align4|--cross-file cross/thumbv7m-picolibc.txt -Dalignment=4 -Dpools=20:8,116:4 -Dsync=none"
  "m3-newlib-all|--cross-file cross/thumbv7m-newlib.txt $all_on"
  "m3-newlib-traced|--cross-file cross/thumbv7m-newlib.txt $traced -Dsync=none -Dtrace-sink=rtt -Dtests=false"
  "m3-newlib-nano-all|--cross-file cross/thumbv7m-newlib-nano.txt $all_on -Dalignment=16"
  "m3-newlib-nano-traced|--cross-file cross/thumbv7m-newlib-nano.txt $traced -Dchecks=fast -Dfault=abort -Dsync=irq -Dalignment=16 -Dtrace-sink=rtt"
  "m0-picolibc-all|--cross-file cross/thumbv6m-picolibc.txt $all_on"
  "m0-picolibc-lock|--cross-file cross/thumbv6m-picolibc.txt -Dsync=lock -Dstats=true -Dchecks=full"
  "m0-picolibc-traced|--cross-file cross/thumbv6m-picolibc.txt $traced -Dsync=none -Dtrace-sink=rtt -Dfault=abort -Dchecks=fast"
  "m4f-picolibc-all|--cross-file cross/thumbv7em-picolibc.txt $all_on -Dalignment=16 -Dsync=irq"
  "m33-picolibc-traced|--cross-file cross/thumbv8m.main-picolibc.txt $traced -Dtrace-sink=rtt -Dfault=abort"
)
only=("$@")
mkdir -p "$work"
failed=0
for entry in "${combos[@]}"; do
  name=${entry%%|*}
  args=${entry#*|}
  if [ ${#only[@]} -gt 0 ] && [[ ! " ${only[*]} " == *" $name "* ]]; then
    continue
  fi
  dir=$work/$name
  rm -rf "$dir"
  started=$SECONDS
  # shellcheck disable=SC2086
  if ! meson setup "$dir" $args >"$work/$name.log" 2>&1; then
    echo "sweep: $name: FAILED to configure: meson setup $args"; grep -E 'ERROR|error' "$work/$name.log" | head -5
    failed=$((failed + 1)); continue
  fi
  # The demo links the library with the board: the generated linker script
  # too.  A host build, one with -Dtests=false, or one with -Dsync=lock (its
  # programs bring no lock hooks: configure skips them, saying so) has no demo.
  targets=poolalloc
  if [[ $args == *--cross-file* && $args != *-Dtests=false* && $args != *-Dsync=lock* ]]; then
    targets="poolalloc demo"
  fi
  # shellcheck disable=SC2086
  if ! meson compile -C "$dir" $targets >>"$work/$name.log" 2>&1; then
    echo "sweep: $name: FAILED to build ($targets): meson setup $args"; grep -E 'error|FAILED' "$work/$name.log" | head -5
    failed=$((failed + 1)); continue
  fi
  echo "sweep: $name: ok ($((SECONDS - started)) s)"
  rm -rf "$dir"
done
exit "$failed"

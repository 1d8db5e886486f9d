#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The integration paths of doc/integration.md, each tested from a consumer
# project outside the tree (in WORK, default a new temporary directory) that
# builds a firmware for a Cortex-M3 with picolibc and runs it under QEMU
# (cross/qemu-run.py), which must print "consumer ok".  What a user copies
# from the page -- the wrap file, meson.build, the tuning commands, the CMake
# lines -- is taken from doc/integration.md itself, so the two cannot drift.
#   meson         poolalloc as a subproject through the page's git wrap,
#                 cloned from a git repository of the tree under test
#                 (HEAD plus uncommitted changes to tracked files), with
#                 the page's meson.build; configured with no build-machine
#                 C compiler; the parent gets no test of ours and installs
#                 nothing
#   meson-pinned  the same wrap with revision = the commit hash (as the page
#                 says to pin one) fetches exactly that commit
#   meson-tune    the page's tuning round trip in that project: record a
#                 trace, generate, apply the printed -Dpoolalloc:pools line,
#                 rebuild, rerun with no failed request; the layout the
#                 firmware then reports is the printed one
#   make          Make + pkg-config against `meson install`'s prefix
#   cmake         the CMake package: the page's find_package lines and
#                 poolalloc::poolalloc; a Cortex-M0 toolchain is refused,
#                 naming both CPUs
#   cmake-pkgconfig  CMake, pkg_check_modules(IMPORTED_TARGET)
#   cpp           C++ (test/consumers/cpp/: new, containers, make_shared,
#                 bad_alloc, nothrow, the pool table) with Make + pkg-config;
#                 teeth: linked as a plain archive it must fail, saying the
#                 containers held no pool block
#   recipe        the no-build-system recipe of doc/integration.md (a block
#                 the docs step runs) still names every source of
#                 meson.build's lib_sources and defines every macro
#                 meson.build puts in poolalloc_config.h
# One line "integration: NAME: ok" or "integration: NAME: FAILED ..." per
# path; the exit status is the number of failures.
#
#   test/consumers/run.sh [WORK]
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
here=$src/test/consumers
work=${1:-$(mktemp -d /tmp/poolalloc-consumers.XXXXXX)}
cross=$src/cross/thumbv7m-picolibc.txt
layout=8:32,32:32,128:8
# The installed library's: C++'s throw of std::bad_alloc takes a 132-byte
# block (doc/integration.md, "From C++").
prefix_layout=$layout,256:4
rm -rf "$work" && mkdir -p "$work"
failed=0

fail() { echo "integration: $1: FAILED: $2"; tail -25 "$work/$1.log"; failed=$((failed + 1)); }

consumer() { # NAME DIR: a fresh copy of test/consumers/DIR with the C firmware
  cp -r "$here/$2" "$work/$1" && cp "$here/firmware.c" "$work/$1/"
}

runs() { # NAME ELF: the firmware runs under QEMU and says so
  if "$src/cross/qemu-run.py" "$2" >>"$work/$1.log" 2>&1 && grep -q '^consumer ok' "$work/$1.log"; then
    echo "integration: $1: ok"
  else
    fail "$1" "the firmware did not print 'consumer ok' under QEMU"
  fi
}

doc_block() { # LANG HEADING: the first ```LANG block after the line HEADING of doc/integration.md
  python3 - "$src/doc/integration.md" "$1" "$2" <<'PY'
import sys
text, lang, heading = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
at = text.find('\n%s\n' % heading)
fence = '\n```%s\n' % lang
start = text.find(fence, at) if at >= 0 else -1
if start < 0:
    sys.exit('doc/integration.md: no ```%s block after %r' % (lang, heading))
start += len(fence)
sys.stdout.write(text[start:text.index('\n```\n', start - 1) + 1])
PY
}

upstream() { # a git repository of the tree under test, for the git wrap
  local repo=$work/upstream
  git clone -q "file://$src" "$repo" || return 1
  # Uncommitted changes to tracked files too, as one more commit.
  (cd "$src" && git ls-files -z | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | (cd "$repo" && git rm -rqf . && tar -xf - && git add -A) || return 1
  git -C "$repo" diff --cached --quiet \
    || git -C "$repo" -c user.name=run.sh -c user.email=run.sh@localhost commit -qm 'uncommitted changes under test'
}

meson_subproject() {
  local dir=$work/meson log=$work/meson.log
  mkdir -p "$dir/subprojects" && cp "$here/firmware.c" "$dir/main.c" && cp "$cross" "$dir/cross.txt"
  { doc_block meson '## As a Meson subproject' >"$dir/meson.build" \
      && doc_block ini '## As a Meson subproject' >"$work/poolalloc.wrap"; } 2>"$log" \
    || { fail meson "doc/integration.md has no meson.build or wrap block"; return; }
  grep -q "^url = <poolalloc's repository>$" "$work/poolalloc.wrap" \
    || { fail meson "the page's wrap has no 'url = <poolalloc's repository>' line to point at the clone"; return; }
  sed "s|^url = <poolalloc's repository>$|url = file://$work/upstream|" "$work/poolalloc.wrap" \
    >"$dir/subprojects/poolalloc.wrap"
  # No C compiler for the build machine: only the library is wanted.
  printf "[binaries]\nc = '/nonexistent/cc'\n" >"$dir/no-build-cc.ini"
  cd "$dir" || return
  meson setup build --cross-file cross.txt --native-file no-build-cc.ini -Dpoolalloc:pools=$layout >>"$log" 2>&1 \
    || { fail meson "meson setup"; return; }
  meson compile -C build >>"$log" 2>&1 || { fail meson "meson compile"; return; }
  meson test -C build --list >"$work/meson.tests" 2>&1
  grep -q '^No tests defined' "$work/meson.tests" \
    || { fail meson "the subproject added tests to the parent: $(tr '\n' ' ' <"$work/meson.tests")"; return; }
  meson install -C build --destdir "$work/meson-dest" >>"$log" 2>&1 || { fail meson "meson install"; return; }
  [ -z "$(find "$work/meson-dest" -type f 2>/dev/null)" ] \
    || { fail meson "the subproject installed $(find "$work/meson-dest" -type f | tr '\n' ' ')"; return; }
  runs meson build/firmware
}

meson_pinned() { # the page's advice: revision = a full commit hash, with depth = 1
  local dir=$work/meson-pinned log=$work/meson-pinned.log commit
  commit=$(git -C "$work/upstream" rev-parse HEAD)
  mkdir -p "$dir/subprojects" && cp "$work/meson/meson.build" "$work/meson/main.c" "$dir/"
  sed "s|^revision = head$|revision = $commit|" "$work/meson/subprojects/poolalloc.wrap" >"$dir/subprojects/poolalloc.wrap"
  grep -q "^revision = $commit$" "$dir/subprojects/poolalloc.wrap" \
    || { fail meson-pinned "the page's wrap has no 'revision = head' line"; return; }
  (cd "$dir" && meson subprojects download) >"$log" 2>&1 || { fail meson-pinned "meson subprojects download"; return; }
  local got
  got=$(git -C "$dir/subprojects/poolalloc" rev-parse HEAD 2>>"$log")
  if [ "$got" = "$commit" ]; then echo "integration: meson-pinned: ok"
  else fail meson-pinned "fetched ${got:-nothing}, not the pinned $commit"; fi
}

meson_tune() { # the page's tuning commands, in the subproject's project
  local log=$work/meson-tune.log
  doc_block shell '### Tuning a subproject build' >"$work/tune.sh" 2>"$log" \
    || { fail meson-tune "doc/integration.md has no tuning block"; return; }
  (cd "$work/meson" && bash -e -o pipefail -x "$work/tune.sh") >>"$log" 2>&1 \
    || { fail meson-tune "a command of the page's tuning block failed"; return; }
  local line pools count recorded
  line=$(grep -E '^meson configure -Dpoolalloc:pools=[^ ]+ BUILDDIR$' "$log" | tail -1)
  pools=${line#meson configure -Dpoolalloc:pools=}
  pools=${pools% BUILDDIR}
  count=$(grep -c '^consumer ok' "$log")
  # The rerun's trace records the layout it ran on.
  recorded=$("$work/meson/build-trace/subprojects/poolalloc/tools/tune/poolalloc-tune" report \
    "$work/meson/build-trace/poolalloc.trace" 2>>"$log" | sed -n 's/^recorded layout: //p')
  if [ -z "$line" ]; then
    fail meson-tune "generate printed no 'meson configure -Dpoolalloc:pools=... BUILDDIR' line"
  elif [ "$count" -ne 2 ]; then
    fail meson-tune "the firmware said 'consumer ok' $count times, expected 2 (recorded, rerun)"
  elif [ "$recorded" != "$pools" ]; then
    fail meson-tune "the rerun ran on the layout ${recorded:-?}, not the printed $pools"
  else
    echo "integration: meson-tune: ok ($pools)"
  fi
}

installed_prefix() { # the library for the make, cmake and cpp consumers
  meson setup "$work/lib" "$src" --cross-file "$cross" --prefix="$work/prefix" --libdir=lib \
    -Dtests=false -Dpools=$prefix_layout >"$work/install.log" 2>&1 \
    && meson install -C "$work/lib" >>"$work/install.log" 2>&1
}

make_pkgconfig() {
  consumer make make
  PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig make -C "$work/make" >"$work/make.log" 2>&1 \
    || { fail make "make"; return; }
  runs make "$work/make/firmware.elf"
}

cmake_package() {
  local dir=$work/cmake log=$work/cmake.log
  consumer cmake cmake
  { printf 'cmake_minimum_required(VERSION 3.16)\nproject(consumer_cmake C)\n'
    doc_block cmake '### With the CMake package'; } >"$dir/CMakeLists.txt" 2>"$log" \
    || { fail cmake "doc/integration.md has no find_package block"; return; }
  cmake -S "$dir" -B "$dir/build" --toolchain "$dir/thumbv7m-picolibc.cmake" \
    -DCMAKE_PREFIX_PATH="$work/prefix" >>"$log" 2>&1 || { fail cmake "cmake configure"; return; }
  cmake --build "$dir/build" --verbose >>"$log" 2>&1 || { fail cmake "cmake --build"; return; }
  # The package refuses a toolchain for another CPU, naming both.
  sed 's/cortex-m3/cortex-m0/g' "$dir/thumbv7m-picolibc.cmake" >"$dir/thumbv6m-picolibc.cmake"
  if cmake -S "$dir" -B "$dir/build-m0" --toolchain "$dir/thumbv6m-picolibc.cmake" \
      -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/cmake-m0.log" 2>&1; then
    fail cmake "find_package accepted a Cortex-M0 toolchain for a Cortex-M3 library"; return
  fi
  tr -s ' \n' ' ' <"$work/cmake-m0.log" \
    | grep -q 'built for -mcpu=cortex-m3 but the toolchain compiles for -mcpu=cortex-m0' \
    || { cat "$work/cmake-m0.log" >>"$log"; fail cmake "a Cortex-M0 toolchain failed, but not naming both CPUs"; return; }
  runs cmake "$dir/build/firmware"
}

cmake_pkgconfig() {
  consumer cmake-pkgconfig cmake-pkgconfig
  cp "$here/cmake/thumbv7m-picolibc.cmake" "$work/cmake-pkgconfig/"
  cmake -S "$work/cmake-pkgconfig" -B "$work/cmake-pkgconfig/build" \
    --toolchain "$work/cmake-pkgconfig/thumbv7m-picolibc.cmake" \
    -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/cmake-pkgconfig.log" 2>&1 \
    || { fail cmake-pkgconfig "cmake configure"; return; }
  cmake --build "$work/cmake-pkgconfig/build" --verbose >>"$work/cmake-pkgconfig.log" 2>&1 \
    || { fail cmake-pkgconfig "cmake --build"; return; }
  runs cmake-pkgconfig "$work/cmake-pkgconfig/build/firmware"
}

cpp() {
  local log=$work/cpp.log
  cp -r "$here/cpp" "$work/cpp"
  PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig make -C "$work/cpp" firmware.elf firmware-plain.elf >"$log" 2>&1 \
    || { fail cpp "make"; return; }
  # Teeth: linked as a plain archive, operator new takes the C library's
  # heap, and the firmware must say so.
  "$src/cross/qemu-run.py" "$work/cpp/firmware-plain.elf" >"$work/cpp-plain.log" 2>&1
  if ! grep -q '^FAIL: the containers hold no pool block' "$work/cpp-plain.log" \
      || grep -q '^consumer ok' "$work/cpp-plain.log"; then
    cat "$work/cpp-plain.log" >>"$log"
    fail cpp "linked without --whole-archive, the firmware did not fail saying its containers held no pool block"
    return
  fi
  runs cpp "$work/cpp/firmware.elf"
}

recipe_current() {
  python3 - "$src/meson.build" "$src/doc/integration.md" >"$work/recipe.log" 2>&1 <<'PY'
import re, sys
meson, doc = (open(f).read() for f in sys.argv[1:])
recipe = doc[doc.index('## Without a build system'):]
sources = re.findall(r"'src/(\w+)\.c'", meson[meson.index('lib_sources = files('):].split(')', 1)[0])
macros = re.findall(r"'(POOLALLOC_\w+)':", meson[meson.index('config = {'):].split('}', 1)[0])
missing = [s for s in sources if not re.search(r'\b%s\b' % s, recipe)]
missing += [m for m in macros if '#define %s ' % m not in recipe]
if not sources or not macros or missing:
    sys.exit('the recipe lacks %s (of %d sources, %d macros)' % (missing, len(sources), len(macros)))
PY
  if [ $? -eq 0 ]; then echo "integration: recipe: ok"; else fail recipe "$(tail -1 "$work/recipe.log")"; fi
}

recipe_current
if upstream >"$work/upstream.log" 2>&1; then
  meson_subproject
  meson_pinned
  if [ -f "$work/meson/build/build.ninja" ]; then
    meson_tune
  else
    fail meson-tune "no subproject build to tune (see meson)"
  fi
else
  fail upstream "git clone of $src (and its uncommitted changes) into $work/upstream"
fi
if installed_prefix; then
  make_pkgconfig
  cmake_package
  cmake_pkgconfig
  cpp
else
  fail install "meson setup/install of the library into $work/prefix"
fi
exit "$failed"

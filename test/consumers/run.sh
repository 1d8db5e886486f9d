#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The integration paths of doc/integration.md, each tested from a consumer
# project outside the tree (in WORK, default a new temporary directory) that
# builds test/consumers/firmware.c for a Cortex-M3 with picolibc and runs it
# under QEMU (cross/qemu-run.py), which must print "consumer ok":
#   meson   poolalloc as a subproject through meson/subprojects/poolalloc.wrap
#           ([provide]), served as a release tarball of the tracked files;
#           configured with no build-machine C compiler; the parent gets no
#           test of ours and installs nothing
#   make    Make + pkg-config against `meson install`'s prefix
#   cmake   CMake, pkg_check_modules(IMPORTED_TARGET) + target_link_libraries
#   recipe  the no-build-system recipe of doc/integration.md (a block the
#           docs step runs) still names every source of meson.build's
#           lib_sources and defines every macro meson.build puts in
#           poolalloc_config.h  One line "integration: NAME: ok" or "integration: NAME:
# FAILED ..." per path; the exit status is the number of failures.
#
#   test/consumers/run.sh [WORK]
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
here=$src/test/consumers
work=${1:-$(mktemp -d /tmp/poolalloc-consumers.XXXXXX)}
cross=$src/cross/thumbv7m-picolibc.txt
layout=8:32,32:32,128:8
version=$(sed -n "s/^  version: '\(.*\)',$/\1/p" "$src/meson.build")
rm -rf "$work" && mkdir -p "$work"
failed=0

fail() { echo "integration: $1: FAILED: $2"; tail -25 "$work/$1.log"; failed=$((failed + 1)); }

consumer() { # NAME: a fresh copy of the consumer project with the firmware
  cp -r "$here/$1" "$work/$1" && cp "$here/firmware.c" "$work/$1/"
}

runs() { # NAME ELF: the firmware runs under QEMU and says so
  if "$src/cross/qemu-run.py" "$2" >>"$work/$1.log" 2>&1 && grep -q '^consumer ok' "$work/$1.log"; then
    echo "integration: $1: ok"
  else
    fail "$1" "the firmware did not print 'consumer ok' under QEMU"
  fi
}

meson_subproject() {
  local log=$work/meson.log tarball=$work/poolalloc-$version.tar.gz
  consumer meson
  (cd "$src" && git ls-files -z | tar --null -T - --transform "s,^,poolalloc-$version/," -czf "$tarball") \
    || { fail meson "no release tarball"; return; }
  sed -i -e "s|@VERSION@|$version|g" -e "s|@TARBALL@|$tarball|" \
    -e "s|@SHA256@|$(sha256sum "$tarball" | cut -d' ' -f1)|" "$work/meson/subprojects/poolalloc.wrap"
  # No C compiler for the build machine: only the library is wanted.
  printf "[binaries]\nc = '/nonexistent/cc'\n" >"$work/meson/no-build-cc.ini"
  cd "$work/meson" || return
  meson setup build --cross-file "$cross" --native-file no-build-cc.ini -Dpoolalloc:pools=$layout >"$log" 2>&1 \
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

installed_prefix() { # the library for the make and cmake consumers
  meson setup "$work/lib" "$src" --cross-file "$cross" --prefix="$work/prefix" --libdir=lib \
    -Dtests=false -Dpools=$layout >"$work/install.log" 2>&1 \
    && meson install -C "$work/lib" >>"$work/install.log" 2>&1
}

make_pkgconfig() {
  consumer make
  PKG_CONFIG_PATH=$work/prefix/lib/pkgconfig make -C "$work/make" >"$work/make.log" 2>&1 \
    || { fail make "make"; return; }
  runs make "$work/make/firmware.elf"
}

cmake_pkgconfig() {
  consumer cmake
  cmake -S "$work/cmake" -B "$work/cmake/build" --toolchain "$work/cmake/thumbv7m-picolibc.cmake" \
    -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/cmake.log" 2>&1 || { fail cmake "cmake configure"; return; }
  cmake --build "$work/cmake/build" --verbose >>"$work/cmake.log" 2>&1 || { fail cmake "cmake --build"; return; }
  runs cmake "$work/cmake/build/firmware"
}

recipe_current() {
  python3 - "$src/meson.build" "$src/doc/integration.md" >"$work/recipe.log" 2>&1 <<'PY'
import re, sys
meson, doc = (open(f).read() for f in sys.argv[1:])
recipe = doc[doc.index('## Without a build system'):]
sources = re.findall(r"'src/(\w+)\.c'", meson[meson.index('lib_sources = files('):].split(')', 1)[0])
macros = re.findall(r"conf\.set(?:10)?\('(POOLALLOC_\w+)'", meson)
missing = [s for s in sources if not re.search(r'\b%s\b' % s, recipe)]
missing += [m for m in macros if '#define %s ' % m not in recipe]
if not sources or not macros or missing:
    sys.exit('the recipe lacks %s (of %d sources, %d macros)' % (missing, len(sources), len(macros)))
PY
  if [ $? -eq 0 ]; then echo "integration: recipe: ok"; else fail recipe "$(tail -1 "$work/recipe.log")"; fi
}

recipe_current
meson_subproject
if installed_prefix; then
  make_pkgconfig
  cmake_pkgconfig
else
  fail install "meson setup/install of the library into $work/prefix"
fi
exit "$failed"

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what poolalloc needs on Debian (bookworm): the Arm cross toolchain
# with picolibc, newlib and their libstdc++, QEMU, Meson, a host compiler,
# the static analysers, make and cmake for the consumer projects of
# test/consumers/ (git: the Meson consumer clones the tree through its
# wrap), and gdb-multiarch for the RTT trace sink test.
# Installs only the packages that are missing.  Run it as root, or as a user
# who may use sudo: it runs itself through sudo when it has something to
# install and is not root (a root-only box has no sudo).
set -euo pipefail
packages=(
  gcc-arm-none-eabi picolibc-arm-none-eabi libnewlib-arm-none-eabi
  libstdc++-arm-none-eabi-picolibc libstdc++-arm-none-eabi-newlib
  qemu-system-arm meson ninja-build pkg-config python3 gcc libc6-dev
  clang-tidy cppcheck clang libclang-rt-14-dev make cmake gdb-multiarch git
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root: running through sudo"
  exec sudo "$0" "$@"
fi
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"

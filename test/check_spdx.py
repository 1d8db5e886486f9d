#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every source file git tracks names its licence in an SPDX line near its
top (C, headers, linker scripts, Python, shell, Meson, CMake, Make, cross
and wrap files); exit 1 naming the files that do not.
Usage: test/check_spdx.py"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_SUFFIXES = ('.c', '.h', '.cpp', '.ld', '.py', '.sh', '.txt', '.cmake', '.wrap')
SOURCE_NAMES = ('meson.build', 'Makefile', 'run')
TAG = 'SPDX-License-Identifier: MIT'


def main():
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    missing = []
    for name in files:
        if not (name.endswith(SOURCE_SUFFIXES) or os.path.basename(name) in SOURCE_NAMES):
            continue
        with open(os.path.join(ROOT, name), encoding='utf-8', errors='replace') as f:
            if TAG not in f.read(400):
                missing.append(name)
    for name in missing:
        print('%s: no "%s" line at the top' % (name, TAG))
    print('spdx: %d source files, %d without the licence line' % (len(files), len(missing)))
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())

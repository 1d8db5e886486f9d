#!/usr/bin/env python3
"""Run a program that must abort with a given message.

Passes when the program dies by abort() -- exit status 134 under QEMU
semihosting, SIGABRT on the host -- and its output contains the message.
Usage: expect_abort.py MESSAGE COMMAND...
"""
import signal
import subprocess
import sys


def main(argv):
    message, command = argv[1], argv[2:]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    output = run.stdout + run.stderr
    aborted = run.returncode in (134, -signal.SIGABRT)
    if aborted and message in output:
        print('aborted as expected: ' + output.strip().splitlines()[-1])
        return 0
    print('expected an abort with %r, got status %d and output:\n%s' % (message, run.returncode, output))
    return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))

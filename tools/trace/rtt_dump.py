# SPDX-License-Identifier: MIT
"""gdb command: drain poolalloc's RTT trace ring into a trace file.

For firmware built with -Dtrace=true -Dtrace-sink=rtt (src/trace_sink_rtt.c).
Load it into gdb (gdb-multiarch for an Arm target), connect to any gdb
server -- OpenOCD, pyOCD, a J-Link GDB server, QEMU's -gdb -- and run

    (gdb) source tools/trace/rtt_dump.py
    (gdb) poolalloc-rtt-dump poolalloc.trace

The command breaks at poolalloc_trace_rtt_full (the firmware waits there
when the ring is full) and at _exit, copies the bytes between the ring's
read and write offsets to the file, moves the read offset on and lets the
firmware run again; it returns when the program reaches _exit, with the
trace complete.  Read the file with poolalloc-tune.

Layout read (SEGGER RTT, 32-bit): the control block poolalloc_trace_rtt is
a 16-byte id, two channel counts, then up channel 0 = name, buffer, size,
write offset, read offset, flags (4 bytes each).
"""
import struct

import gdb  # pylint: disable=import-error

CHANNEL = 24  # offset of up channel 0 in the control block
BUFFER, SIZE, WRITE_OFF, READ_OFF = CHANNEL + 4, CHANNEL + 8, CHANNEL + 12, CHANNEL + 16


class Ring:
    def __init__(self, out):
        self.out = out
        self.block = int(gdb.parse_and_eval('(unsigned long)&poolalloc_trace_rtt'))
        self.inferior = gdb.selected_inferior()
        self.bytes = 0
        self.drains = 0

    def word(self, offset):
        return struct.unpack('<I', bytes(self.inferior.read_memory(self.block + offset, 4)))[0]

    def drain(self):
        # Checked here, not at attach: before the C start-up code has run,
        # the block is not initialised yet.
        ident = bytes(self.inferior.read_memory(self.block, 16)).split(b'\0')[0]
        if ident != b'SEGGER RTT':
            raise gdb.GdbError('poolalloc_trace_rtt at 0x%x has id %r, not an RTT control block'
                               % (self.block, ident))
        buffer, size = self.word(BUFFER), self.word(SIZE)
        write, read = self.word(WRITE_OFF), self.word(READ_OFF)
        if read > write:  # wrapped: the tail of the ring first
            self.out.write(bytes(self.inferior.read_memory(buffer + read, size - read)))
            self.bytes += size - read
            read = 0
        self.out.write(bytes(self.inferior.read_memory(buffer + read, write - read)))
        self.bytes += write - read
        self.inferior.write_memory(self.block + READ_OFF, struct.pack('<I', write))
        self.drains += 1


class DrainPoint(gdb.Breakpoint):
    """Drains, then lets the firmware go on (stop() returns False) -- except
    at the final stop, which returns control to the command."""

    def __init__(self, spec, ring, final):
        super().__init__(spec, internal=True)
        self.ring = ring
        self.final = final

    def stop(self):
        self.ring.drain()
        return self.final


class RttDump(gdb.Command):
    """poolalloc-rtt-dump FILE: run the firmware to _exit, draining the
    trace ring into FILE."""

    def __init__(self):
        super().__init__('poolalloc-rtt-dump', gdb.COMMAND_USER)

    def invoke(self, argument, from_tty):
        path = argument.strip()
        if not path:
            raise gdb.GdbError('usage: poolalloc-rtt-dump FILE')
        with open(path, 'wb') as out:
            ring = Ring(out)
            points = [DrainPoint('poolalloc_trace_rtt_full', ring, False), DrainPoint('_exit', ring, True)]
            try:
                gdb.execute('continue')
            finally:
                for point in points:
                    point.delete()
        print('poolalloc-rtt-dump: %d bytes in %d drains to %s' % (ring.bytes, ring.drains, path))


RttDump()

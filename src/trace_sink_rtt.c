/* SPDX-License-Identifier: MIT */
/*
 * The debug-probe trace sink (-Dtrace=true -Dtrace-sink=rtt): the trace
 * bytes go into a RAM ring that a debugger reads while the firmware runs.
 * For boards where semihosting is not available or too slow.
 *
 * Algorithm: the ring is laid out as a SEGGER RTT control block with one
 * "up" channel (target to host), so every RTT-aware host reads it --
 * J-Link RTT Viewer, OpenOCD `rtt`, probe-rs -- and so does the gdb script
 * tools/trace/rtt_dump.py, which works through any gdb server (OpenOCD,
 * pyOCD, QEMU's gdbstub):
 *
 *   poolalloc_trace_rtt:  "SEGGER RTT\0..."  id (16 bytes)
 *                         1, 0              up / down channel counts
 *                         up[0]: name, buffer, size, write_off, read_off, flags
 *   poolalloc_trace_rtt_ring: POOLALLOC_TRACE_RTT_BYTES bytes
 *
 * The target only moves write_off, the host only moves read_off; a byte is
 * published by the store of write_off after it (a release store).  The ring
 * holds size - 1 bytes so that full and empty differ.
 *
 * A trace with a hole cannot be read, so when the ring is full the sink
 * waits for the host (RTT's "block if full" mode, which the host may change
 * in `flags`: 2 = block; 0 or 1 = drop what does not fit, counted in
 * poolalloc_trace_rtt_lost).  Each round of the wait calls
 * poolalloc_trace_rtt_full(), an empty function that a gdb breakpoint
 * drains at.  The sink only runs in thread mode (src/trace.c never drains
 * from a handler), so waiting there does not block an interrupt.  Without a
 * host attached the firmware stops at the first full ring, as the
 * semihosting sink faults without a debugger: trace builds are for runs
 * under a probe.
 *
 * The control block has its own name, not SEGGER's _SEGGER_RTT, so that it
 * links beside an application's own RTT; hosts that scan RAM for the id
 * find it, others are given its address (doc/tuning.md).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "poolalloc_private.h"

#ifndef POOLALLOC_TRACE_RTT_BYTES
#define POOLALLOC_TRACE_RTT_BYTES 1024
#endif
_Static_assert(POOLALLOC_TRACE_RTT_BYTES >= 64, "the ring holds at least a header's worth of bytes");

#define RTT_MODE_BLOCK 2u /* wait for the host; 0 (skip) and 1 (trim): drop what does not fit */
#define RTT_MODE_MASK 3u

/* SEGGER RTT's layout (32-bit fields on Cortex-M): do not reorder. */
struct rtt_channel {
    // cppcheck-suppress unusedStructMember ; read by the host, not by the target
    const char *name;
    uint8_t *buffer;
    uint32_t size;
    uint32_t write_off; /* moved by the target */
    uint32_t read_off;  /* moved by the host */
    uint32_t flags;
};

struct rtt_control_block {
    char id[16];
    int32_t up_channels;
    int32_t down_channels;
    struct rtt_channel up[1]; /* no down channels follow */
};

uint8_t poolalloc_trace_rtt_ring[POOLALLOC_TRACE_RTT_BYTES];

struct rtt_control_block poolalloc_trace_rtt = {
    .id = "SEGGER RTT",
    .up_channels = 1,
    .down_channels = 0,
    .up = { { "poolalloc.trace", poolalloc_trace_rtt_ring, POOLALLOC_TRACE_RTT_BYTES, 0, 0, RTT_MODE_BLOCK } },
};

/* Bytes dropped because the host chose a non-blocking mode: the trace it
 * reads is then truncated, and poolalloc-tune says where. */
uint32_t poolalloc_trace_rtt_lost;

/* Called on every round of a wait for room; a debugger breaks here to
 * drain the ring (tools/trace/rtt_dump.py).  noinline and an asm body, so
 * that the call and the symbol stay. */
__attribute__((noinline, used)) void poolalloc_trace_rtt_full(void)
{
    __asm__ volatile("" ::: "memory");
}

static uint32_t room(const struct rtt_channel *up)
{
    uint32_t read = __atomic_load_n(&up->read_off, __ATOMIC_ACQUIRE);
    uint32_t write = up->write_off;
    return read > write ? read - write - 1u : up->size - (write - read) - 1u;
}

/* Copy up to `length` bytes into the ring (wrapping); returns the count. */
static size_t put(struct rtt_channel *up, const uint8_t *bytes, size_t length)
{
    uint32_t write = up->write_off;
    size_t n = length < room(up) ? length : room(up);
    size_t first = n < up->size - write ? n : up->size - write;
    memcpy(up->buffer + write, bytes, first);
    memcpy(up->buffer, bytes + first, n - first);
    write += (uint32_t)n;
    __atomic_store_n(&up->write_off, write >= up->size ? write - up->size : write, __ATOMIC_RELEASE);
    return n;
}

void poolalloc_trace_sink(const void *bytes, size_t length)
{
    struct rtt_channel *up = &poolalloc_trace_rtt.up[0];
    const uint8_t *next = bytes;
    while (length > 0) {
        size_t n = put(up, next, length);
        next += n;
        length -= n;
        if (length == 0)
            break;
        if ((__atomic_load_n(&up->flags, __ATOMIC_RELAXED) & RTT_MODE_MASK) != RTT_MODE_BLOCK) {
            poolalloc_trace_rtt_lost += (uint32_t)length;
            break;
        }
        poolalloc_trace_rtt_full();
    }
}

/* SPDX-License-Identifier: MIT */
/*
 * The allocation trace recorder (-Dtrace=true): a RAM ring of fixed-size
 * records in the format of doc/trace-format.md, drained to
 * poolalloc_trace_sink() (src/trace_sink.c, weak: replace it to send the
 * trace over SWO, RTT or a UART).
 *
 * Recording an event:
 *  1. One critical section (PRIMASK on Cortex-M, a spinlock on the host)
 *     assigns the sequence number and reserves the record's slot, so file
 *     order is sequence order even when an interrupt handler records in
 *     between.  A full ring drops the event and counts it; the next event
 *     that finds room is preceded by one DROPPED record.
 *  2. The record is filled outside the critical section, then committed.
 *     The drain writes only committed records, in slot order, so the sink
 *     never sees a torn record.
 *  3. From thread mode, when the ring is half full, it is drained.  An
 *     interrupt handler never drains (the sink may be slow or not
 *     reentrant): its events wait in the ring, or are dropped and counted.
 *
 * The header is written before the first record.  END is written by
 * poolalloc_trace_finish(), registered with atexit() at the first event
 * recorded in thread mode; nothing is recorded after it.
 *
 * Cost: POOLALLOC_TRACE_RECORDS * (record size + 1) bytes of RAM (3.6 KiB
 * for the default 128 records on Cortex-M), O(1) per event plus the drains.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "poolalloc_private.h"
#include "trace.h"

#ifndef POOLALLOC_TRACE_RECORDS
#define POOLALLOC_TRACE_RECORDS 128
#endif
_Static_assert(POOLALLOC_TRACE_RECORDS >= 4 && (POOLALLOC_TRACE_RECORDS & (POOLALLOC_TRACE_RECORDS - 1)) == 0,
               "POOLALLOC_TRACE_RECORDS is a power of two, at least 4");

#define WORD_SIZE sizeof(void *)
#define RECORD_BYTES POOLALLOC_TRACE_RECORD_SIZE(WORD_SIZE)
/* A build with one region writes no region table (doc/trace-format.md). */
#define REGION_ENTRIES (POOL_REGION_COUNT > 1 ? POOL_REGION_COUNT : 0u)
#define HEADER_BYTES POOLALLOC_TRACE_HEADER_SIZE(POOL_COUNT, REGION_ENTRIES, WORD_SIZE)
#define RING_MASK ((uint32_t)POOLALLOC_TRACE_RECORDS - 1u)
_Static_assert(HEADER_BYTES <= UINT16_MAX, "header_size is a 16-bit field");
_Static_assert(sizeof pool_heap.state[0] <= UINT16_MAX, "pool_state_size is a 16-bit field");
_Static_assert(POOL_COUNT <= POOLALLOC_TRACE_MAX_POOLS, "pool_count is at most 255");

/* Store `value` in field FIELD of table TABLE (of the format header) at `base`. */
#define PUT_FIELD(base, table, field, value)                                                      \
    put_le((base) + POOLALLOC_TRACE_FIELD_AT(POOLALLOC_TRACE_##table##_##field, WORD_SIZE), (value), \
           POOLALLOC_TRACE_FIELD_LEN(POOLALLOC_TRACE_##table##_##field, WORD_SIZE))

/* ---- Critical sections and the processor mode ---------------------------- */

#if POOLALLOC_HOST_REGION
#include <stdatomic.h>

static atomic_flag ring_lock = ATOMIC_FLAG_INIT;

static inline uint32_t enter_critical(void)
{
    while (atomic_flag_test_and_set_explicit(&ring_lock, memory_order_acquire)) {
    }
    return 0;
}

static inline void leave_critical(uint32_t state)
{
    (void)state;
    atomic_flag_clear_explicit(&ring_lock, memory_order_release);
}

static inline bool in_handler(void)
{
    return false;
}
#else
#include "primask.h"

static inline uint32_t enter_critical(void)
{
    return primask_mask();
}

static inline void leave_critical(uint32_t primask)
{
    primask_restore(primask);
}

/* True in an exception handler (IPSR != 0). */
static inline bool in_handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    return ipsr != 0;
}
#endif

/* ---- The ring ------------------------------------------------------------- */

static uint8_t ring[POOLALLOC_TRACE_RECORDS][RECORD_BYTES];
static uint8_t committed[POOLALLOC_TRACE_RECORDS]; /* 1 once the slot is filled */

/* Guarded by the critical section. */
static uint32_t ring_head;     /* slots reserved, ever (modulo 2^32) */
static uint32_t next_seq;      /* seq of the next event */
static uint32_t dropped_count; /* events dropped since the last DROPPED record */
static uint32_t dropped_first; /* seq of the first of them */
static bool ended;             /* END reserved: record nothing more */
static bool draining;          /* a drain is running (one at a time) */

/* Written by the drain only. */
static uint32_t ring_tail;     /* slots written to the sink, ever */
static bool header_written;
static bool finish_registered;

static void put_le(uint8_t *out, uint64_t value, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        out[i] = (uint8_t)(value >> (8 * i));
}

static void fill_record(uint32_t slot, enum poolalloc_trace_op op, uint8_t flags, unsigned region, uint32_t seq,
                        size_t size, size_t align, const void *result, const void *old, const void *caller)
{
    uint8_t *r = ring[slot & RING_MASK];
    PUT_FIELD(r, RECORD, OP, op);
    PUT_FIELD(r, RECORD, FLAGS, flags);
    PUT_FIELD(r, RECORD, REGION, region);
    PUT_FIELD(r, RECORD, SEQ, seq);
    PUT_FIELD(r, RECORD, SIZE, size);
    PUT_FIELD(r, RECORD, ALIGN, align);
    PUT_FIELD(r, RECORD, RESULT, (uintptr_t)result);
    PUT_FIELD(r, RECORD, OLD, (uintptr_t)old);
    PUT_FIELD(r, RECORD, CALLER, (uintptr_t)caller);
    __atomic_store_n(&committed[slot & RING_MASK], 1, __ATOMIC_RELEASE);
}

/* The region table: each region's pool count and name (none with one region). */
static void write_region_table(uint8_t *table)
{
#if POOL_REGION_COUNT > 1
    /* Exactly the field's size: a longer name (src/gen_layout.py refuses
     * one) would not compile; the NUL of one that fills it is dropped. */
    static const char names[POOL_REGION_COUNT][POOLALLOC_TRACE_REGION_NAME_LEN] = POOL_REGION_NAMES;
    unsigned first = 0;
    for (unsigned r = 0; r < POOL_REGION_COUNT; r++) {
        uint8_t *entry = table + r * POOLALLOC_TRACE_REGION_ENTRY_SIZE;
        PUT_FIELD(entry, REGION, POOL_COUNT, pool_region_end(r) - first);
        memcpy(entry + POOLALLOC_TRACE_REGION_NAME_AT, names[r], POOLALLOC_TRACE_REGION_NAME_LEN);
        first = pool_region_end(r);
    }
#else
    (void)table;
#endif
}

static void write_header(void)
{
    uint8_t header[HEADER_BYTES];
    _Static_assert(sizeof POOLALLOC_TRACE_MAGIC == POOLALLOC_TRACE_HEADER_MAGIC_LEN, "the magic and its NUL");
    memcpy(header + POOLALLOC_TRACE_HEADER_MAGIC_AT, POOLALLOC_TRACE_MAGIC, sizeof POOLALLOC_TRACE_MAGIC);
    PUT_FIELD(header, HEADER, VERSION, POOLALLOC_TRACE_VERSION);
    PUT_FIELD(header, HEADER, HEADER_SIZE, HEADER_BYTES);
    PUT_FIELD(header, HEADER, POINTER_SIZE, WORD_SIZE);
    PUT_FIELD(header, HEADER, FLAGS, POOLALLOC_FALLBACK ? POOLALLOC_TRACE_HEADER_FALLBACK : 0);
    PUT_FIELD(header, HEADER, POOL_COUNT, POOL_COUNT);
    PUT_FIELD(header, HEADER, ALIGNMENT, POOL_MALLOC_ALIGN);
    PUT_FIELD(header, HEADER, RECORD_SIZE, RECORD_BYTES);
    PUT_FIELD(header, HEADER, POOL_STATE_SIZE, sizeof pool_heap.state[0]); /* the RAM each pool costs */
    for (unsigned k = 0; k < POOL_COUNT; k++) {
        uint8_t *entry = header + POOLALLOC_TRACE_REGION_TABLE_AT(k, WORD_SIZE);
        PUT_FIELD(entry, POOL, BLOCK, pool_block_size(k));
        PUT_FIELD(entry, POOL, CAPACITY, pool_capacity(k));
        PUT_FIELD(entry, POOL, START, (uintptr_t)pool_start(k));
    }
    write_region_table(header + POOLALLOC_TRACE_REGION_TABLE_AT(POOL_COUNT, WORD_SIZE));
    poolalloc_trace_sink(header, sizeof header);
}

/* Write every committed record to the sink, in slot order.  Thread mode only;
 * one drain at a time (a sink that allocates does not recurse). */
static void drain(void)
{
    uint32_t state = enter_critical();
    bool busy = draining;
    draining = true;
    leave_critical(state);
    if (busy)
        return;
    int saved_errno = errno; /* a host sink may set it; the entry point's result must stay */
    if (!header_written) {
        header_written = true;
        write_header();
    }
    for (;;) {
        /* A run of committed slots up to the end of the array: one sink call. */
        uint32_t head = __atomic_load_n(&ring_head, __ATOMIC_ACQUIRE);
        uint32_t first = ring_tail & RING_MASK;
        uint32_t n = 0;
        while (ring_tail + n != head && first + n < POOLALLOC_TRACE_RECORDS &&
               __atomic_load_n(&committed[first + n], __ATOMIC_ACQUIRE))
            n++;
        if (n == 0)
            break;
        poolalloc_trace_sink(ring[first], (size_t)n * RECORD_BYTES);
        for (uint32_t i = 0; i < n; i++)
            committed[first + i] = 0;
        state = enter_critical();
        ring_tail += n;
        leave_critical(state);
    }
    errno = saved_errno;
    state = enter_critical();
    draining = false;
    leave_critical(state);
}

/*
 * Reserve room for one event (or END) and its number.  Returns false when
 * the event is dropped (ring full) or recording has ended.  *dropped_slot
 * gets a slot for a pending DROPPED record (its seq and count in
 * *drop_seq / *drop_count), or stays UINT32_MAX.
 */
static bool reserve(bool is_end, uint32_t *slot, uint32_t *seq, uint32_t *dropped_slot, uint32_t *drop_seq,
                    uint32_t *drop_count)
{
    bool ok = false;
    uint32_t state = enter_critical();
    if (!ended) {
        uint32_t need = dropped_count != 0 ? 2u : 1u;
        if (ring_head - ring_tail + need <= POOLALLOC_TRACE_RECORDS) {
            if (dropped_count != 0) {
                *dropped_slot = ring_head++;
                *drop_seq = dropped_first;
                *drop_count = dropped_count;
                dropped_count = 0;
            }
            *slot = ring_head++;
            *seq = is_end ? next_seq : next_seq++;
            ended = is_end;
            ok = true;
        } else if (!is_end) {
            if (dropped_count++ == 0)
                dropped_first = next_seq;
            next_seq++;
        }
    }
    leave_critical(state);
    return ok;
}

void poolalloc_trace_flush(void)
{
    // cppcheck-suppress knownConditionTrueFalse ; constant on the host only
    if (!in_handler())
        drain();
}

/* At exit: END, then everything to the sink.  Registered with atexit(). */
static void poolalloc_trace_finish(void)
{
    uint32_t slot;
    uint32_t seq;
    uint32_t dropped_slot = UINT32_MAX;
    uint32_t drop_seq = 0;
    uint32_t drop_count = 0;
    drain();
    /* Interrupt handlers may fill the ring again between the drain and the
     * reservation: drain until END fits. */
    for (int attempt = 0; attempt < 4; attempt++) {
        if (reserve(true, &slot, &seq, &dropped_slot, &drop_seq, &drop_count)) {
            if (dropped_slot != UINT32_MAX)
                fill_record(dropped_slot, POOLALLOC_TRACE_OP_DROPPED, 0, 0, drop_seq, drop_count, 0, NULL, NULL, NULL);
            fill_record(slot, POOLALLOC_TRACE_OP_END, 0, 0, seq, 0, 0, NULL, NULL, NULL);
            break;
        }
        drain();
    }
    drain();
}

static void record(enum poolalloc_trace_op op, unsigned region, size_t size, size_t align, const void *result,
                   const void *old, const void *caller)
{
    bool handler = in_handler();
    // cppcheck-suppress knownConditionTrueFalse ; constant on the host only
    if (!handler && !finish_registered) {
        finish_registered = true; /* first: atexit() may allocate */
        (void)atexit(poolalloc_trace_finish);
    }
    uint32_t slot;
    uint32_t seq;
    uint32_t dropped_slot = UINT32_MAX;
    uint32_t drop_seq = 0;
    uint32_t drop_count = 0;
    if (reserve(false, &slot, &seq, &dropped_slot, &drop_seq, &drop_count)) {
        if (dropped_slot != UINT32_MAX)
            fill_record(dropped_slot, POOLALLOC_TRACE_OP_DROPPED, 0, 0, drop_seq, drop_count, 0, NULL, NULL, NULL);
        fill_record(slot, op, handler ? POOLALLOC_TRACE_RECORD_IN_IRQ : 0, region, seq, size, align, result, old,
                    caller);
    }
    if (!handler && __atomic_load_n(&ring_head, __ATOMIC_RELAXED) - ring_tail >= POOLALLOC_TRACE_RECORDS / 2)
        drain();
}

void trace_record_alloc(enum poolalloc_trace_op op, size_t size, size_t align, const void *result, const void *old,
                        const void *caller)
{
    record(op, 0, size, align, result, old, caller);
}

void trace_record_malloc_in(unsigned region, size_t size, const void *result, const void *caller)
{
    /* A number the build has no region for failed (EINVAL); it stays one
     * in the 16-bit field rather than wrapping to a region that exists. */
    record(POOLALLOC_TRACE_OP_MALLOC_IN, region > UINT16_MAX ? UINT16_MAX : region, size, 0, result, NULL, caller);
}

void trace_record_free(const void *ptr, const void *caller)
{
    record(POOLALLOC_TRACE_OP_FREE, 0, 0, 0, NULL, ptr, caller);
}

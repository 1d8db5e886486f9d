/*
 * The poolalloc allocation-trace format, version 1: the constants of
 * doc/trace-format.md, shared by the on-target recorder (src/trace.c) and
 * the host tool (tools/tune/), so that writer and reader cannot drift apart.
 * A change here is a change of the format: update the document and
 * TRACE_VERSION with it.
 */
#ifndef POOLALLOC_TRACE_FORMAT_H
#define POOLALLOC_TRACE_FORMAT_H

#define TRACE_MAGIC "PATRACE"          /* 7 characters + NUL = 8 bytes */
#define TRACE_MAGIC_LEN 8u
#define TRACE_VERSION 1u
#define TRACE_FIXED_HEADER 24u          /* bytes before the pool table */

#define TRACE_FLAG_FALLBACK 0x01u       /* header flags */
#define TRACE_EVENT_IN_IRQ 0x01u        /* event flags */

/* Size of one pool-table entry and of one record, for pointer size w. */
#define TRACE_POOL_ENTRY_SIZE(w) (8u + (unsigned)(w))
#define TRACE_RECORD_SIZE(w) (8u + 5u * (unsigned)(w))

/* Operations ("Operations" in the document). */
enum trace_op {
    TRACE_OP_MALLOC = 1,
    TRACE_OP_FREE = 2,
    TRACE_OP_CALLOC = 3,
    TRACE_OP_REALLOC = 4,
    TRACE_OP_REALLOCF = 5,
    TRACE_OP_REALLOCARRAY = 6,
    TRACE_OP_MEMALIGN = 7,
    TRACE_OP_ALIGNED_ALLOC = 8,
    TRACE_OP_POSIX_MEMALIGN = 9,
    TRACE_OP_VALLOC = 10,
    TRACE_OP_PVALLOC = 11,
    TRACE_OP_DROPPED = 0x80,
    TRACE_OP_END = 0x81,
};

#endif

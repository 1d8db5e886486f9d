/* SPDX-License-Identifier: MIT */
/*
 * The poolalloc allocation-trace format (doc/trace-format.md), defined once.
 *
 * Everything a writer or a reader of a trace needs is here: the version, the
 * flag bits, the offset and length of every field of the header, of a pool
 * table entry and of a record, and the list of operations.  The recorder
 * (src/trace.c, src/trace_names.c), the reader (tools/tune/trace.c) and the
 * Python tools (tools/tune/trace_format.py reads this file at run time) all
 * take them from here, so writer and readers cannot drift apart.  A change
 * here is a change of the format: bump POOLALLOC_TRACE_VERSION and update
 * doc/trace-format.md with it.
 *
 * Keep the file parseable by tools/tune/trace_format.py: plain
 * `#define POOLALLOC_TRACE_NAME value` lines (an unsigned number or a string),
 * and the tables below with one X(...) entry per line.
 */
#ifndef POOLALLOC_TRACE_FORMAT_H
#define POOLALLOC_TRACE_FORMAT_H

#define POOLALLOC_TRACE_MAGIC "PATRACE"   /* stored with its NUL: 8 bytes */
#define POOLALLOC_TRACE_VERSION 3u
#define POOLALLOC_TRACE_OLDEST_VERSION 1u /* readers accept versions from this one on */
#define POOLALLOC_TRACE_MAX_POOLS 255u    /* pool_count is 1 to this */
#define POOLALLOC_TRACE_REGIONS_SINCE 3u  /* the first version with a region table */
#define POOLALLOC_TRACE_DEFAULT_REGION "heap" /* region 0's name: the one malloc serves */

/* Bits of the header's flags field, and of a record's flags field. */
#define POOLALLOC_TRACE_HEADER_FALLBACK 0x01u /* built with -Dfallback=true */
#define POOLALLOC_TRACE_RECORD_IN_IRQ 0x01u   /* recorded in an exception handler */

/*
 * Field tables: X(TABLE, FIELD, at, at_words, len, len_words).  The field
 * starts at byte `at + at_words * W` of its table and is `len + len_words * W`
 * bytes long, W being the pointer size the header records.  Integers are
 * unsigned little-endian.  Fields are listed in order, back to back; a
 * table's size is the end of its last field.
 */

/* The fixed header, at the start of the file (then the pool table). */
#define POOLALLOC_TRACE_HEADER_FIELDS(X)           \
    X(HEADER, MAGIC, 0, 0, 8, 0)                   \
    X(HEADER, VERSION, 8, 0, 2, 0)                 \
    X(HEADER, HEADER_SIZE, 10, 0, 2, 0)            \
    X(HEADER, POINTER_SIZE, 12, 0, 1, 0)           \
    X(HEADER, FLAGS, 13, 0, 1, 0)                  \
    X(HEADER, POOL_COUNT, 14, 0, 2, 0)             \
    X(HEADER, ALIGNMENT, 16, 0, 4, 0)              \
    X(HEADER, RECORD_SIZE, 20, 0, 2, 0)            \
    X(HEADER, POOL_STATE_SIZE, 22, 0, 2, 0)

/* One pool-table entry; entry k follows the fixed header at k * its size. */
#define POOLALLOC_TRACE_POOL_FIELDS(X)             \
    X(POOL, BLOCK, 0, 0, 4, 0)                     \
    X(POOL, CAPACITY, 4, 0, 4, 0)                  \
    X(POOL, START, 8, 0, 0, 1)

/*
 * One region-table entry (version 3 on; only builds with several regions,
 * -Dregions, have the table: a trace without one has one region).  Entry r
 * follows the pool table at r * its size; the header's header_size says how
 * many there are.  Pools are numbered region by region, so region r's pools
 * are the POOL_COUNT pools after region r - 1's.  NAME is the region's name
 * from -Dregions (region 0: POOLALLOC_TRACE_DEFAULT_REGION), padded with
 * NULs.
 */
#define POOLALLOC_TRACE_REGION_FIELDS(X)           \
    X(REGION, POOL_COUNT, 0, 0, 2, 0)              \
    X(REGION, NAME, 2, 0, 30, 0)

/* One record; records follow the header, back to back.  REGION is the
 * region a call asked for (poolalloc_malloc_in), 0 for every other call
 * (reserved, 0, before version 3). */
#define POOLALLOC_TRACE_RECORD_FIELDS(X)           \
    X(RECORD, OP, 0, 0, 1, 0)                      \
    X(RECORD, FLAGS, 1, 0, 1, 0)                   \
    X(RECORD, REGION, 2, 0, 2, 0)                  \
    X(RECORD, SEQ, 4, 0, 4, 0)                     \
    X(RECORD, SIZE, 8, 0, 0, 1)                    \
    X(RECORD, ALIGN, 8, 1, 0, 1)                   \
    X(RECORD, RESULT, 8, 2, 0, 1)                  \
    X(RECORD, OLD, 8, 3, 0, 1)                     \
    X(RECORD, CALLER, 8, 4, 0, 1)

/*
 * The operations: X(OP, code, name, size, align, result, old, region).  The
 * last five say which of the record's fields the operation uses (1): the
 * four word fields and REGION; a field it does not use must be 0.  seq is
 * used by every record, caller by every operation below 0x80; the control
 * records (0x80 and up) leave caller and flags 0.
 */
#define POOLALLOC_TRACE_OPS(X)                                        \
    X(MALLOC, 1, "malloc", 1, 0, 1, 0, 0)                             \
    X(FREE, 2, "free", 0, 0, 0, 1, 0)                                 \
    X(CALLOC, 3, "calloc", 1, 0, 1, 0, 0)                             \
    X(REALLOC, 4, "realloc", 1, 0, 1, 1, 0)                           \
    X(REALLOCF, 5, "reallocf", 1, 0, 1, 1, 0)                         \
    X(REALLOCARRAY, 6, "reallocarray", 1, 0, 1, 1, 0)                 \
    X(MEMALIGN, 7, "memalign", 1, 1, 1, 0, 0)                         \
    X(ALIGNED_ALLOC, 8, "aligned_alloc", 1, 1, 1, 0, 0)               \
    X(POSIX_MEMALIGN, 9, "posix_memalign", 1, 1, 1, 0, 0)             \
    X(VALLOC, 10, "valloc", 1, 1, 1, 0, 0)                            \
    X(PVALLOC, 11, "pvalloc", 1, 1, 1, 0, 0)                          \
    X(MALLOC_IN, 12, "poolalloc_malloc_in", 1, 0, 1, 0, 1)            \
    X(DROPPED, 0x80, "DROPPED", 1, 0, 0, 0, 0)                        \
    X(END, 0x81, "END", 0, 0, 0, 0, 0)

#define POOLALLOC_TRACE_FIRST_CONTROL_OP 0x80u /* DROPPED, END and any later control record */

/* ---- What C code uses: names made from the tables above ------------------- */

#define POOLALLOC_TRACE_FIELD_ENUM_(table, field, at, at_words, len, len_words)                  \
    POOLALLOC_TRACE_##table##_##field##_AT = (at),                                                \
    POOLALLOC_TRACE_##table##_##field##_AT_WORDS = (at_words),                                    \
    POOLALLOC_TRACE_##table##_##field##_LEN = (len),                                              \
    POOLALLOC_TRACE_##table##_##field##_LEN_WORDS = (len_words),

enum poolalloc_trace_field {
    POOLALLOC_TRACE_HEADER_FIELDS(POOLALLOC_TRACE_FIELD_ENUM_)
    POOLALLOC_TRACE_POOL_FIELDS(POOLALLOC_TRACE_FIELD_ENUM_)
    POOLALLOC_TRACE_REGION_FIELDS(POOLALLOC_TRACE_FIELD_ENUM_)
    POOLALLOC_TRACE_RECORD_FIELDS(POOLALLOC_TRACE_FIELD_ENUM_)
};

/* Byte offset and length of FIELD of TABLE (HEADER, POOL, RECORD) for
 * pointer size w: POOLALLOC_TRACE_AT(RECORD, SEQ, 4) is 4.  A macro that
 * passes a field name on must paste it (POOLALLOC_TRACE_##table##_##field)
 * and use the _FIELD_ forms, or a macro of the same name (POOL_COUNT in the
 * library) would replace it. */
#define POOLALLOC_TRACE_FIELD_AT(f, w) ((unsigned)f##_AT + (unsigned)f##_AT_WORDS * (unsigned)(w))
#define POOLALLOC_TRACE_FIELD_LEN(f, w) ((unsigned)f##_LEN + (unsigned)f##_LEN_WORDS * (unsigned)(w))
#define POOLALLOC_TRACE_AT(table, field, w) POOLALLOC_TRACE_FIELD_AT(POOLALLOC_TRACE_##table##_##field, w)
#define POOLALLOC_TRACE_LEN(table, field, w) POOLALLOC_TRACE_FIELD_LEN(POOLALLOC_TRACE_##table##_##field, w)
#define POOLALLOC_TRACE_END_OF(table, field, w)                                                  \
    (POOLALLOC_TRACE_FIELD_AT(POOLALLOC_TRACE_##table##_##field, w) +                            \
     POOLALLOC_TRACE_FIELD_LEN(POOLALLOC_TRACE_##table##_##field, w))

/* Sizes: the end of each table's last field. */
#define POOLALLOC_TRACE_FIXED_HEADER_SIZE POOLALLOC_TRACE_END_OF(HEADER, POOL_STATE_SIZE, 0)
#define POOLALLOC_TRACE_POOL_ENTRY_SIZE(w) POOLALLOC_TRACE_END_OF(POOL, START, w)
#define POOLALLOC_TRACE_REGION_ENTRY_SIZE POOLALLOC_TRACE_END_OF(REGION, NAME, 0)
#define POOLALLOC_TRACE_RECORD_SIZE(w) POOLALLOC_TRACE_END_OF(RECORD, CALLER, w)
/* The offset of the region table, and of the first record with `regions`
 * region entries (0 for a build with one region). */
#define POOLALLOC_TRACE_REGION_TABLE_AT(pools, w)                                                \
    (POOLALLOC_TRACE_FIXED_HEADER_SIZE + (unsigned)(pools) * POOLALLOC_TRACE_POOL_ENTRY_SIZE(w))
#define POOLALLOC_TRACE_HEADER_SIZE(pools, regions, w)                                           \
    (POOLALLOC_TRACE_REGION_TABLE_AT(pools, w) + (unsigned)(regions) * POOLALLOC_TRACE_REGION_ENTRY_SIZE)

#define POOLALLOC_TRACE_OP_ENUM_(op, code, name, size, align, result, old, region) POOLALLOC_TRACE_OP_##op = (code),

enum poolalloc_trace_op {
    POOLALLOC_TRACE_OPS(POOLALLOC_TRACE_OP_ENUM_)
};

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Trace reader: checks a poolalloc trace (doc/trace-format.md; the layout
 * and the operations are include/poolalloc_trace.h's) byte by byte and turns
 * it into an array of events.  Everything a firmware
 * or a damaged file can put there is either accepted with a meaning or
 * rejected with the byte offset of the first bad field; the reader never
 * reads past the buffer (it is fuzzed: tools/tune/fuzz/).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* Little-endian unsigned of `n` bytes at p (n <= 8). */
static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

/* Field FIELD of TABLE (HEADER, POOL, RECORD) of the table at p, for
 * pointer size w. */
#define FIELD(p, table, field, w)                                                                \
    get_le((p) + POOLALLOC_TRACE_FIELD_AT(POOLALLOC_TRACE_##table##_##field, w),                   \
           POOLALLOC_TRACE_FIELD_LEN(POOLALLOC_TRACE_##table##_##field, w))

/* Version 1 did not record the size of a pool's state: the default options'
 * record on Cortex-M (free-list head and high-water count, 2 x 4 bytes). */
#define V1_POOL_STATE_SIZE 8u

/* Fill *err (offset, printf-style message) and evaluate to -1.  A macro
 * rather than a variadic function: no va_list, which clang-tidy's analyzer
 * misjudges when it checks several files in one run. */
#define fail(err, off, ...) \
    ((err)->offset = (off), (void)snprintf((err)->msg, sizeof (err)->msg, __VA_ARGS__), -1)

/* The operations of include/poolalloc_trace.h: code, name and the fields
 * each uses (bit 0 size, 1 align, 2 result, 3 old, 4 region; the others
 * must be 0). */
struct op_info {
    const char *name;
    unsigned code;
    unsigned uses;
};

#define OP_INFO(op, code, name, size, align, result, old, region) \
    { (name), (code), (size) | (align) << 1 | (result) << 2 | (old) << 3 | (region) << 4 },
#define USES_SIZE (1u << 0)
#define USES_ALIGN (1u << 1)
#define USES_REGION (1u << 4)

static const struct op_info op_table[] = { POOLALLOC_TRACE_OPS(OP_INFO) };

/* The entry of operation `op`, or NULL if there is none. */
static const struct op_info *find_op(unsigned op)
{
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (op_table[i].code == op)
            return &op_table[i];
    return NULL;
}

const char *trace_op_name(unsigned op)
{
    const struct op_info *info = find_op(op);
    return info != NULL ? info->name : "?";
}

/* The file starts with the magic and a version this reader knows; 0 or -1
 * with err. */
static int check_magic_and_version(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    if (len < POOLALLOC_TRACE_FIXED_HEADER_SIZE)
        return fail(err, len, "truncated header: the file has %zu bytes, the fixed header needs %u",
                    len, POOLALLOC_TRACE_FIXED_HEADER_SIZE);
    if (memcmp(buf + POOLALLOC_TRACE_HEADER_MAGIC_AT, POOLALLOC_TRACE_MAGIC, POOLALLOC_TRACE_HEADER_MAGIC_LEN) != 0)
        return fail(err, POOLALLOC_TRACE_HEADER_MAGIC_AT, "bad magic: not a poolalloc trace (expected \"PATRACE\\0\")");
    t->version = (unsigned)FIELD(buf, HEADER, VERSION, 0);
    if (t->version < POOLALLOC_TRACE_OLDEST_VERSION || t->version > POOLALLOC_TRACE_VERSION)
        return fail(err, POOLALLOC_TRACE_HEADER_VERSION_AT,
                    "unsupported trace version %u (this tool reads versions %u to %u)", t->version,
                    POOLALLOC_TRACE_OLDEST_VERSION, POOLALLOC_TRACE_VERSION);
    return 0;
}

/* The other fields of the fixed header, checked against each other; 0 or
 * -1 with err. */
static int read_fixed_header(const uint8_t *buf, struct trace *t, struct trace_error *err)
{
    unsigned header_size = (unsigned)FIELD(buf, HEADER, HEADER_SIZE, 0);
    t->pointer_size = (unsigned)FIELD(buf, HEADER, POINTER_SIZE, 0);
    t->flags = (unsigned)FIELD(buf, HEADER, FLAGS, 0);
    t->pool_count = (unsigned)FIELD(buf, HEADER, POOL_COUNT, 0);
    t->alignment = FIELD(buf, HEADER, ALIGNMENT, 0);
    unsigned record_size = (unsigned)FIELD(buf, HEADER, RECORD_SIZE, 0);
    t->pool_state_size = (unsigned)FIELD(buf, HEADER, POOL_STATE_SIZE, 0);
    if (t->pointer_size != 4 && t->pointer_size != 8)
        return fail(err, POOLALLOC_TRACE_HEADER_POINTER_SIZE_AT, "pointer size %u: must be 4 or 8", t->pointer_size);
    if ((t->flags & ~POOLALLOC_TRACE_HEADER_FALLBACK) != 0)
        return fail(err, POOLALLOC_TRACE_HEADER_FLAGS_AT, "header flags 0x%02x: unknown bits set", t->flags);
    if (t->pool_count == 0 || t->pool_count > POOLALLOC_TRACE_MAX_POOLS)
        return fail(err, POOLALLOC_TRACE_HEADER_POOL_COUNT_AT, "pool count %u: must be 1 to %u", t->pool_count,
                    POOLALLOC_TRACE_MAX_POOLS);
    if (!tune_is_pow2(t->alignment) || t->alignment < t->pointer_size)
        return fail(err, POOLALLOC_TRACE_HEADER_ALIGNMENT_AT,
                    "alignment %llu: must be a power of two and at least the pointer size %u",
                    (unsigned long long)t->alignment, t->pointer_size);
    unsigned pools_end = POOLALLOC_TRACE_REGION_TABLE_AT(t->pool_count, t->pointer_size);
    unsigned regions = (header_size - pools_end) / POOLALLOC_TRACE_REGION_ENTRY_SIZE;
    bool has_regions = t->version >= POOLALLOC_TRACE_REGIONS_SINCE && header_size > pools_end;
    if (header_size < pools_end || (header_size - pools_end) % POOLALLOC_TRACE_REGION_ENTRY_SIZE != 0 ||
        (has_regions && (regions < 2 || regions > t->pool_count)) || (!has_regions && header_size != pools_end))
        return fail(err, POOLALLOC_TRACE_HEADER_HEADER_SIZE_AT,
                    "header size %u: %u pools of pointer size %u need %u%s", header_size, t->pool_count,
                    t->pointer_size, pools_end,
                    t->version >= POOLALLOC_TRACE_REGIONS_SINCE ? ", plus a region table of 2 or more entries" : "");
    t->region_count = has_regions ? regions : 1;
    if (record_size != POOLALLOC_TRACE_RECORD_SIZE(t->pointer_size))
        return fail(err, POOLALLOC_TRACE_HEADER_RECORD_SIZE_AT, "record size %u: pointer size %u needs %u",
                    record_size, t->pointer_size, POOLALLOC_TRACE_RECORD_SIZE(t->pointer_size));
    return 0;
}

/* pool_state_size: version 2 records it (not 0), version 1 has 0 there and
 * gets V1_POOL_STATE_SIZE; 0 or -1 with err. */
static int check_pool_state_size(struct trace *t, struct trace_error *err)
{
    if (t->version == 1) {
        if (t->pool_state_size != 0)
            return fail(err, POOLALLOC_TRACE_HEADER_POOL_STATE_SIZE_AT, "reserved header field is %u, must be 0",
                        t->pool_state_size);
        t->pool_state_size = V1_POOL_STATE_SIZE;
    } else if (t->pool_state_size == 0) {
        return fail(err, POOLALLOC_TRACE_HEADER_POOL_STATE_SIZE_AT, "pool state size 0: must be the bytes of "
                    "RAM each pool's state takes");
    }
    return 0;
}

/* A region's name: a letter, then letters, digits and '_' (lower case),
 * then NULs to the end of the field; 0, or -1 with err. */
static int read_region_name(const uint8_t *field, size_t off, unsigned r, struct trace_region *region,
                            struct trace_error *err)
{
    size_t n = 0;
    while (n < POOLALLOC_TRACE_REGION_NAME_LEN && field[n] != 0)
        n++;
    for (size_t i = 0; i < n; i++) {
        char c = (char)field[i];
        bool ok = (c >= 'a' && c <= 'z') || (i > 0 && ((c >= '0' && c <= '9') || c == '_'));
        if (!ok)
            return fail(err, off + i, "region %u: byte 0x%02x in its name (lower-case letters, digits and '_', "
                        "starting with a letter)", r, field[i]);
    }
    if (n == 0)
        return fail(err, off, "region %u: empty name", r);
    for (size_t i = n; i < POOLALLOC_TRACE_REGION_NAME_LEN; i++)
        if (field[i] != 0)
            return fail(err, off + i, "region %u: byte 0x%02x after the NUL that ends its name", r, field[i]);
    memcpy(region->name, field, n);
    region->name[n] = '\0';
    return 0;
}

/* The region table (version 3, several regions), or the one region of a
 * trace without it; 0 or -1 with err. */
static int parse_region_table(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    if (t->region_count == 1) {
        memcpy(t->regions[0].name, POOLALLOC_TRACE_DEFAULT_REGION, sizeof POOLALLOC_TRACE_DEFAULT_REGION);
        t->regions[0].first_pool = 0;
        t->regions[0].pool_count = t->pool_count;
        return 0;
    }
    size_t at = POOLALLOC_TRACE_REGION_TABLE_AT(t->pool_count, t->pointer_size);
    if (len < at + (size_t)t->region_count * POOLALLOC_TRACE_REGION_ENTRY_SIZE)
        return fail(err, len, "truncated region table: the file has %zu bytes, the header needs %zu", len,
                    at + (size_t)t->region_count * POOLALLOC_TRACE_REGION_ENTRY_SIZE);
    unsigned first = 0;
    for (unsigned r = 0; r < t->region_count; r++) {
        size_t off = at + (size_t)r * POOLALLOC_TRACE_REGION_ENTRY_SIZE;
        struct trace_region *region = &t->regions[r];
        region->first_pool = first;
        region->pool_count = (unsigned)FIELD(buf + off, REGION, POOL_COUNT, 0);
        if (region->pool_count == 0 || region->pool_count > t->pool_count - first)
            return fail(err, off, "region %u: %u pools, but %u of the header's %u are left for it", r,
                        region->pool_count, t->pool_count - first, t->pool_count);
        if (read_region_name(buf + off + POOLALLOC_TRACE_REGION_NAME_AT, off + POOLALLOC_TRACE_REGION_NAME_AT, r,
                             region, err) != 0)
            return -1;
        if (r == 0 && strcmp(region->name, POOLALLOC_TRACE_DEFAULT_REGION) != 0)
            return fail(err, off + POOLALLOC_TRACE_REGION_NAME_AT, "region 0: named '%s'; the default region is "
                        "named '%s'", region->name, POOLALLOC_TRACE_DEFAULT_REGION);
        for (unsigned q = 0; q < r; q++)
            if (strcmp(t->regions[q].name, region->name) == 0)
                return fail(err, off + POOLALLOC_TRACE_REGION_NAME_AT, "region %u: named '%s' like region %u", r,
                            region->name, q);
        first += region->pool_count;
    }
    if (first != t->pool_count)
        return fail(err, at, "the regions have %u pools, the header %u", first, t->pool_count);
    return 0;
}

/* True if pool k is the first of its region. */
static bool first_of_region(const struct trace *t, unsigned k)
{
    for (unsigned r = 0; r < t->region_count; r++)
        if (t->regions[r].first_pool == k)
            return true;
    return false;
}

/* The pool table, after a valid fixed header and region table; 0 or -1
 * with err. */
static int parse_pool_table(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    unsigned header_size = POOLALLOC_TRACE_REGION_TABLE_AT(t->pool_count, t->pointer_size);
    if (len < header_size)
        return fail(err, len, "truncated pool table: the file has %zu bytes, the header needs %u",
                    len, header_size);
    for (unsigned k = 0; k < t->pool_count; k++) {
        size_t off = POOLALLOC_TRACE_REGION_TABLE_AT(k, t->pointer_size);
        struct trace_pool *p = &t->pools[k];
        p->block = (uint32_t)FIELD(buf + off, POOL, BLOCK, t->pointer_size);
        p->capacity = (uint32_t)FIELD(buf + off, POOL, CAPACITY, t->pointer_size);
        p->start = FIELD(buf + off, POOL, START, t->pointer_size);
        if (!tune_valid_block(p->block, t->pointer_size, t->alignment))
            return fail(err, off, "pool %u: block %u is not valid for pointer size %u and alignment %llu",
                        k, p->block, t->pointer_size, (unsigned long long)t->alignment);
        if (!first_of_region(t, k) && p->block <= t->pools[k - 1].block)
            return fail(err, off, "pool %u: block %u is not larger than pool %u's %u (a region's pools are sorted)",
                        k, p->block, k - 1, t->pools[k - 1].block);
        if (p->capacity == 0)
            return fail(err, off + POOLALLOC_TRACE_POOL_CAPACITY_AT, "pool %u: capacity 0", k);
    }
    return 0;
}

/* Parse the fixed header, the pool table and the region table into t; 0
 * or -1 with err. */
static int parse_header(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    if (check_magic_and_version(buf, len, t, err) != 0 || read_fixed_header(buf, t, err) != 0 ||
        check_pool_state_size(t, err) != 0 || parse_region_table(buf, len, t, err) != 0)
        return -1;
    return parse_pool_table(buf, len, t, err);
}

/* Check one record's fields; 0 or -1 with err. */
static int check_record(const struct trace_event *e, unsigned w, unsigned version, struct trace_error *err)
{
    static const char *const field_name[4] = { "size", "align", "result", "old" };
    const size_t field_at[4] = { POOLALLOC_TRACE_AT(RECORD, SIZE, w), POOLALLOC_TRACE_AT(RECORD, ALIGN, w),
                                 POOLALLOC_TRACE_AT(RECORD, RESULT, w), POOLALLOC_TRACE_AT(RECORD, OLD, w) };
    const uint64_t value[4] = { e->size, e->align, e->result, e->old };
    size_t off = e->offset;
    const struct op_info *op = find_op(e->op);
    bool before_regions = version < POOLALLOC_TRACE_REGIONS_SINCE;  /* no region field, no op 12 */
    if (op == NULL || (before_regions && e->op == POOLALLOC_TRACE_OP_MALLOC_IN))
        return fail(err, off + POOLALLOC_TRACE_RECORD_OP_AT, "unknown operation %u%s", e->op,
                    op == NULL ? "" : " (poolalloc_malloc_in is a version 3 operation)");
    const char *name = op->name;
    if (before_regions && e->region != 0)
        return fail(err, off + POOLALLOC_TRACE_RECORD_REGION_AT, "%s record: reserved field is %u, must be 0 "
                    "(a version %u trace)", name, e->region, version);
    if ((e->flags & ~POOLALLOC_TRACE_RECORD_IN_IRQ) != 0)
        return fail(err, off + POOLALLOC_TRACE_RECORD_FLAGS_AT, "%s record: unknown flag bits 0x%02x", name, e->flags);
    if ((op->uses & USES_REGION) == 0 && e->region != 0)
        return fail(err, off + POOLALLOC_TRACE_RECORD_REGION_AT, "%s record: field region must be 0, is %u", name,
                    e->region);
    for (unsigned f = 0; f < 4; f++)
        if ((op->uses & (1u << f)) == 0 && value[f] != 0)
            return fail(err, off + field_at[f], "%s record: field %s must be 0, is 0x%llx", name, field_name[f],
                        (unsigned long long)value[f]);
    if (e->op >= POOLALLOC_TRACE_FIRST_CONTROL_OP) {
        if (e->caller != 0)
            return fail(err, off + POOLALLOC_TRACE_AT(RECORD, CALLER, w), "%s record: field caller must be 0", name);
        if (e->op == POOLALLOC_TRACE_OP_DROPPED && e->size == 0)
            return fail(err, off + field_at[0], "DROPPED record with a count of 0");
        if (e->flags != 0)
            return fail(err, off + POOLALLOC_TRACE_RECORD_FLAGS_AT, "%s record: flags must be 0", name);
    }
    return 0;
}

/* A call recorded as successful must be one that can succeed: a result
 * for a request the allocator refuses (an all-ones size, the recorder's
 * mark of an overflowing count * size; an alignment that is not a power of
 * two; a region the build has not) or for more bytes than any object on
 * the target (PTRDIFF_MAX) is an inconsistent trace, refused here rather
 * than fed to the model, whose bound and totals would be meaningless.
 * 0, or -1 with err (at the field that is wrong). */
static int check_success(const struct trace *t, const struct trace_event *e, struct trace_error *err)
{
    unsigned w = t->pointer_size;
    const struct op_info *op = find_op(e->op);
    if (e->result == 0 || op == NULL || (op->uses & USES_SIZE) == 0)
        return 0;                                /* failed, or no allocation */
    uint64_t max_object = (UINT64_C(1) << (8u * w - 1u)) - 1u;
    bool bad_align = (op->uses & USES_ALIGN) != 0 &&
                     (!tune_is_pow2(e->align) || (e->op == POOLALLOC_TRACE_OP_POSIX_MEMALIGN && e->align % w != 0));
    if (e->op == POOLALLOC_TRACE_OP_MALLOC_IN && e->region >= t->region_count)
        return fail(err, e->offset + POOLALLOC_TRACE_RECORD_REGION_AT, "%s record: successful (result 0x%llx) for "
                    "region %u, which the trace has not: an inconsistent trace", op->name,
                    (unsigned long long)e->result, e->region);
    if (bad_align)
        return fail(err, e->offset + POOLALLOC_TRACE_AT(RECORD, ALIGN, w), "%s record: successful (result 0x%llx) "
                    "with alignment %llu, which the allocator refuses: an inconsistent trace", op->name,
                    (unsigned long long)e->result, (unsigned long long)e->align);
    /* pvalloc's size is rounded up to its page (a power of two here). */
    uint64_t slack = e->op == POOLALLOC_TRACE_OP_PVALLOC ? e->align - 1 : 0;
    if (e->size > max_object - (slack < max_object ? slack : max_object))
        return fail(err, e->offset + POOLALLOC_TRACE_AT(RECORD, SIZE, w), "%s record: successful (result 0x%llx) "
                    "for %llu bytes, more than any object on a %u-byte-pointer target (PTRDIFF_MAX, %llu): an "
                    "inconsistent trace", op->name, (unsigned long long)e->result, (unsigned long long)e->size, w,
                    (unsigned long long)max_object);
    return 0;
}

/* Decode the record at p (byte offset pos in the file) into e. */
static void read_record(const uint8_t *p, size_t pos, unsigned w, struct trace_event *e)
{
    e->offset = pos;
    e->op = (uint8_t)FIELD(p, RECORD, OP, w);
    e->flags = (uint8_t)FIELD(p, RECORD, FLAGS, w);
    e->region = (uint16_t)FIELD(p, RECORD, REGION, w);
    e->seq = (uint32_t)FIELD(p, RECORD, SEQ, w);
    e->size = FIELD(p, RECORD, SIZE, w);
    e->align = FIELD(p, RECORD, ALIGN, w);
    e->result = FIELD(p, RECORD, RESULT, w);
    e->old = FIELD(p, RECORD, OLD, w);
    e->caller = FIELD(p, RECORD, CALLER, w);
}

/* Follow the sequence numbers through e (*expect: the next one): count the
 * events missing with no DROPPED record (a warning), the dropped ones, and
 * END.  0, or -1 with err. */
static int follow_sequence(struct trace *t, const struct trace_event *e, unsigned w, uint32_t *expect,
                           struct trace_error *err)
{
    if (e->seq != *expect) {
        t->seq_missing += (uint32_t)(e->seq - *expect);
        if (t->seq_jumps++ == 0)
            t->first_jump_offset = e->offset;
    }
    if (e->op == POOLALLOC_TRACE_OP_DROPPED) {
        if (e->size > UINT32_MAX)
            return fail(err, e->offset + POOLALLOC_TRACE_AT(RECORD, SIZE, w),
                        "DROPPED record: count %llu exceeds the 32-bit sequence", (unsigned long long)e->size);
        t->dropped += e->size;
        *expect = e->seq + (uint32_t)e->size;
    } else if (e->op == POOLALLOC_TRACE_OP_END) {
        t->has_end = true;
        t->end_seq = e->seq;
        *expect = e->seq;
    } else {
        *expect = e->seq + 1;
    }
    return 0;
}

/* The record at byte pos becomes event t->event_count; 0, or -1 with err. */
static int parse_record(const uint8_t *buf, size_t pos, struct trace *t, uint32_t *expect, struct trace_error *err)
{
    unsigned w = t->pointer_size;
    struct trace_event *e = &t->events[t->event_count];
    read_record(buf + pos, pos, w, e);
    if (check_record(e, w, t->version, err) != 0)
        return -1;
    if (t->has_end)
        return fail(err, pos, "%s record after the END record", trace_op_name(e->op));
    if (check_success(t, e, err) != 0 || follow_sequence(t, e, w, expect, err) != 0)
        return -1;
    t->event_count++;
    return 0;
}

int trace_parse(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    memset(t, 0, sizeof *t);
    t->size_bytes = len;
    if (parse_header(buf, len, t, err) != 0)
        return -1;
    size_t pos = POOLALLOC_TRACE_HEADER_SIZE(t->pool_count, t->region_count > 1 ? t->region_count : 0,
                                             t->pointer_size);
    size_t rec = POOLALLOC_TRACE_RECORD_SIZE(t->pointer_size);
    size_t body = len - pos;
    if (body % rec != 0) {
        size_t last = pos + body / rec * rec;
        return fail(err, last, "truncated record at byte %zu: %zu of %zu bytes present", last,
                    body % rec, rec);
    }
    size_t n = body / rec;
    if (n > 0) {
        t->events = calloc(n, sizeof *t->events);
        if (t->events == NULL)
            return fail(err, pos, "out of memory for %zu records", n);
    }
    uint32_t expect = 0;
    for (size_t i = 0; i < n; i++, pos += rec) {
        if (parse_record(buf, pos, t, &expect, err) != 0) {
            trace_free(t);
            return -1;
        }
    }
    return 0;
}

/* Read all of f (at most TUNE_MAX_TRACE_BYTES) into *buf, *len; 0, or -1
 * with err.  The first 64 KiB are checked for the magic and version
 * before more is read, so a file that is no trace (/dev/zero, /dev/urandom)
 * is refused at once, not read to the limit. */
static int read_all(FILE *f, const char *path, uint8_t **buf, size_t *len, struct trace_error *err)
{
    size_t cap = (size_t)1 << 16;
    *len = 0;
    *buf = malloc(cap);
    for (;;) {
        if (*buf == NULL)
            return fail(err, *len, "out of memory reading %s", path);
        *len += fread(*buf + *len, 1, cap - *len, f);
        if (ferror(f) != 0)
            return fail(err, *len, "read error in %s", path);
        struct trace head;
        if (*len < cap || check_magic_and_version(*buf, *len, &head, err) != 0)
            return 0;                       /* the end, or trace_parse says what is wrong */
        if (cap == TUNE_MAX_TRACE_BYTES) {
            if (fgetc(f) == EOF)
                return 0;
            return fail(err, *len, "%s is larger than %llu bytes, the most poolalloc-tune reads (record a "
                        "shorter run, or several: generate takes several traces)", path,
                        (unsigned long long)TUNE_MAX_TRACE_BYTES);
        }
        cap = cap * 2 < TUNE_MAX_TRACE_BYTES ? cap * 2 : TUNE_MAX_TRACE_BYTES;
        uint8_t *bigger = realloc(*buf, cap);
        if (bigger == NULL)
            free(*buf);
        *buf = bigger;
    }
}

int trace_load(const char *path, struct trace *t, struct trace_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(err, 0, "cannot open %s: %s", path, strerror(errno));
    uint8_t *buf;
    size_t len;
    int rc = read_all(f, path, &buf, &len, err);
    (void)fclose(f);
    if (rc == 0)
        rc = trace_parse(buf, len, t, err);
    free(buf);
    return rc;
}

void trace_free(struct trace *t)
{
    if (t == NULL)
        return;
    free(t->events);
    t->events = NULL;
    t->event_count = 0;
}

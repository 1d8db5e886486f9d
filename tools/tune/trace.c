/*
 * Trace reader: checks a poolalloc trace (doc/trace-format.md, version 1)
 * byte by byte and turns it into an array of events.  Everything a firmware
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

/* Fill *err (offset, printf-style message) and evaluate to -1.  A macro
 * rather than a variadic function: no va_list, which clang-tidy's analyzer
 * misjudges when it checks several files in one run. */
#define fail(err, off, ...) \
    ((err)->offset = (off), (void)snprintf((err)->msg, sizeof (err)->msg, __VA_ARGS__), -1)

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

uint64_t tune_natural_align(uint64_t block)
{
    return block & (~block + 1);
}

bool tune_valid_block(uint64_t block, uint64_t pointer_size, uint64_t alignment)
{
    if (block < pointer_size)
        return false;
    return block >= alignment ? block % alignment == 0 : is_pow2(block);
}

const char *trace_op_name(unsigned op)
{
    switch (op) {
    case TRACE_OP_MALLOC: return "malloc";
    case TRACE_OP_FREE: return "free";
    case TRACE_OP_CALLOC: return "calloc";
    case TRACE_OP_REALLOC: return "realloc";
    case TRACE_OP_REALLOCF: return "reallocf";
    case TRACE_OP_REALLOCARRAY: return "reallocarray";
    case TRACE_OP_MEMALIGN: return "memalign";
    case TRACE_OP_ALIGNED_ALLOC: return "aligned_alloc";
    case TRACE_OP_POSIX_MEMALIGN: return "posix_memalign";
    case TRACE_OP_VALLOC: return "valloc";
    case TRACE_OP_PVALLOC: return "pvalloc";
    case TRACE_OP_DROPPED: return "DROPPED";
    case TRACE_OP_END: return "END";
    default: return "?";
    }
}

/* Parse the fixed header and the pool table into t; 0 or -1 with err. */
static int parse_header(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    if (len < TRACE_FIXED_HEADER)
        return fail(err, len, "truncated header: the file has %zu bytes, the fixed header needs %u",
                    len, TRACE_FIXED_HEADER);
    if (memcmp(buf, TRACE_MAGIC, TRACE_MAGIC_LEN) != 0)
        return fail(err, 0, "bad magic: not a poolalloc trace (expected \"PATRACE\\0\")");
    t->version = (unsigned)get_le(buf + 8, 2);
    if (t->version != TRACE_VERSION)
        return fail(err, 8, "unsupported trace version %u (this tool reads version %u)",
                    t->version, TRACE_VERSION);
    unsigned header_size = (unsigned)get_le(buf + 10, 2);
    t->pointer_size = buf[12];
    t->flags = buf[13];
    t->pool_count = (unsigned)get_le(buf + 14, 2);
    t->alignment = get_le(buf + 16, 4);
    unsigned record_size = (unsigned)get_le(buf + 20, 2);
    unsigned reserved = (unsigned)get_le(buf + 22, 2);
    if (t->pointer_size != 4 && t->pointer_size != 8)
        return fail(err, 12, "pointer size %u: must be 4 or 8", t->pointer_size);
    if ((t->flags & ~TRACE_FLAG_FALLBACK) != 0)
        return fail(err, 13, "header flags 0x%02x: unknown bits set", t->flags);
    if (t->pool_count == 0 || t->pool_count > TRACE_MAX_POOLS)
        return fail(err, 14, "pool count %u: must be 1 to %u", t->pool_count, TRACE_MAX_POOLS);
    if (!is_pow2(t->alignment) || t->alignment < t->pointer_size)
        return fail(err, 16, "alignment %llu: must be a power of two and at least the pointer size %u",
                    (unsigned long long)t->alignment, t->pointer_size);
    unsigned want_header = TRACE_FIXED_HEADER + t->pool_count * TRACE_POOL_ENTRY_SIZE(t->pointer_size);
    if (header_size != want_header)
        return fail(err, 10, "header size %u: %u pools of pointer size %u need %u", header_size,
                    t->pool_count, t->pointer_size, want_header);
    if (record_size != TRACE_RECORD_SIZE(t->pointer_size))
        return fail(err, 20, "record size %u: pointer size %u needs %u", record_size,
                    t->pointer_size, TRACE_RECORD_SIZE(t->pointer_size));
    if (reserved != 0)
        return fail(err, 22, "reserved header field is %u, must be 0", reserved);
    if (len < header_size)
        return fail(err, len, "truncated pool table: the file has %zu bytes, the header needs %u",
                    len, header_size);
    for (unsigned k = 0; k < t->pool_count; k++) {
        size_t off = TRACE_FIXED_HEADER + (size_t)k * TRACE_POOL_ENTRY_SIZE(t->pointer_size);
        struct trace_pool *p = &t->pools[k];
        p->block = (uint32_t)get_le(buf + off, 4);
        p->capacity = (uint32_t)get_le(buf + off + 4, 4);
        p->start = get_le(buf + off + 8, t->pointer_size);
        if (!tune_valid_block(p->block, t->pointer_size, t->alignment))
            return fail(err, off, "pool %u: block %u is not valid for pointer size %u and alignment %llu",
                        k, p->block, t->pointer_size, (unsigned long long)t->alignment);
        if (k > 0 && p->block <= t->pools[k - 1].block)
            return fail(err, off, "pool %u: block %u is not larger than pool %u's %u (pools are sorted)",
                        k, p->block, k - 1, t->pools[k - 1].block);
        if (p->capacity == 0)
            return fail(err, off + 4, "pool %u: capacity 0", k);
    }
    return 0;
}

/* Which fields an operation must leave zero: bit 0 size, 1 align, 2 result,
 * 3 old.  The caller field is free for every event record. */
static unsigned zero_fields(unsigned op)
{
    switch (op) {
    case TRACE_OP_MALLOC: case TRACE_OP_CALLOC:
        return 0x2u | 0x8u;
    case TRACE_OP_FREE:
        return 0x1u | 0x2u | 0x4u;
    case TRACE_OP_REALLOC: case TRACE_OP_REALLOCF: case TRACE_OP_REALLOCARRAY:
        return 0x2u;
    case TRACE_OP_MEMALIGN: case TRACE_OP_ALIGNED_ALLOC: case TRACE_OP_POSIX_MEMALIGN:
    case TRACE_OP_VALLOC: case TRACE_OP_PVALLOC:
        return 0x8u;
    default:
        return 0x2u | 0x4u | 0x8u;   /* DROPPED, END: only size (and seq) */
    }
}

/* Check one record's fields; 0 or -1 with err. */
static int check_record(const struct trace_event *e, unsigned w, unsigned reserved, struct trace_error *err)
{
    static const char *const field_name[4] = { "size", "align", "result", "old" };
    size_t off = e->offset;
    if (trace_op_name(e->op)[0] == '?')
        return fail(err, off, "unknown operation %u", e->op);
    if ((e->flags & ~TRACE_EVENT_IN_IRQ) != 0)
        return fail(err, off + 1, "%s record: unknown flag bits 0x%02x", trace_op_name(e->op), e->flags);
    if (reserved != 0)
        return fail(err, off + 2, "%s record: reserved field is %u, must be 0", trace_op_name(e->op), reserved);
    const uint64_t value[4] = { e->size, e->align, e->result, e->old };
    unsigned zero = zero_fields(e->op);
    for (unsigned f = 0; f < 4; f++)
        if ((zero & (1u << f)) != 0 && value[f] != 0)
            return fail(err, off + 8 + (size_t)f * w, "%s record: field %s must be 0, is 0x%llx",
                        trace_op_name(e->op), field_name[f], (unsigned long long)value[f]);
    if (e->op >= TRACE_OP_DROPPED) {
        if (e->caller != 0)
            return fail(err, off + 8 + 4 * (size_t)w, "%s record: field caller must be 0", trace_op_name(e->op));
        if (e->op == TRACE_OP_DROPPED && e->size == 0)
            return fail(err, off + 8, "DROPPED record with a count of 0");
        if (e->op == TRACE_OP_END && e->size != 0)
            return fail(err, off + 8, "END record: field size must be 0");
        if (e->flags != 0)
            return fail(err, off + 1, "%s record: flags must be 0", trace_op_name(e->op));
    }
    return 0;
}

int trace_parse(const uint8_t *buf, size_t len, struct trace *t, struct trace_error *err)
{
    memset(t, 0, sizeof *t);
    t->size_bytes = len;
    if (parse_header(buf, len, t, err) != 0)
        return -1;
    unsigned w = t->pointer_size;
    size_t pos = TRACE_FIXED_HEADER + (size_t)t->pool_count * TRACE_POOL_ENTRY_SIZE(w);
    size_t rec = TRACE_RECORD_SIZE(w);
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
        const uint8_t *p = buf + pos;
        struct trace_event *e = &t->events[i];
        e->offset = pos;
        e->op = p[0];
        e->flags = p[1];
        e->seq = (uint32_t)get_le(p + 4, 4);
        e->size = get_le(p + 8, w);
        e->align = get_le(p + 8 + w, w);
        e->result = get_le(p + 8 + 2 * (size_t)w, w);
        e->old = get_le(p + 8 + 3 * (size_t)w, w);
        e->caller = get_le(p + 8 + 4 * (size_t)w, w);
        if (check_record(e, w, (unsigned)get_le(p + 2, 2), err) != 0) {
            trace_free(t);
            return -1;
        }
        if (t->has_end) {
            trace_free(t);
            return fail(err, pos, "%s record after the END record", trace_op_name(p[0]));
        }
        if (e->seq != expect) {
            /* Events lost with no DROPPED record: a warning, counted. */
            uint32_t gap = e->seq - expect;
            t->seq_missing += gap;
            if (t->seq_jumps++ == 0)
                t->first_jump_offset = pos;
        }
        if (e->op == TRACE_OP_DROPPED) {
            if (e->size > UINT32_MAX) {
                unsigned long long count = e->size;
                trace_free(t);          /* e points into the freed array */
                return fail(err, pos + 8, "DROPPED record: count %llu exceeds the 32-bit sequence", count);
            }
            t->dropped += e->size;
            expect = e->seq + (uint32_t)e->size;
        } else if (e->op == TRACE_OP_END) {
            t->has_end = true;
            t->end_seq = e->seq;
            expect = e->seq;
        } else {
            expect = e->seq + 1;
        }
        t->event_count = i + 1;
    }
    return 0;
}

int trace_load(const char *path, struct trace *t, struct trace_error *err)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return fail(err, 0, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1u << 16, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    bool read_error = ferror(f) != 0;
    (void)fclose(f);
    if (buf == NULL)
        return fail(err, len, "out of memory reading %s", path);
    if (read_error) {
        free(buf);
        return fail(err, len, "read error in %s", path);
    }
    int rc = trace_parse(buf, len, t, err);
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

enum request_kind tune_request(const struct trace_event *e, uint64_t malloc_align, unsigned ptr,
                               uint64_t *size, uint64_t *align)
{
    uint64_t n = e->size, a = 0;
    uint64_t max = ptr >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * ptr)) - 1;
    switch (e->op) {
    case TRACE_OP_MALLOC: case TRACE_OP_CALLOC:
        break;
    case TRACE_OP_REALLOC: case TRACE_OP_REALLOCF: case TRACE_OP_REALLOCARRAY:
        if (e->old != 0 && n == 0)
            return REQ_NONE;           /* realloc(p, 0) frees p */
        break;
    case TRACE_OP_MEMALIGN: case TRACE_OP_ALIGNED_ALLOC:
        if (!is_pow2(e->align))
            return REQ_INVALID;
        a = e->align;
        break;
    case TRACE_OP_POSIX_MEMALIGN:
        if (!is_pow2(e->align) || e->align % ptr != 0)
            return REQ_INVALID;
        a = e->align;
        break;
    case TRACE_OP_VALLOC: case TRACE_OP_PVALLOC:
        a = e->align;
        if (!is_pow2(a))
            return REQ_INVALID;
        if (e->op == TRACE_OP_PVALLOC) {
            if (n > max - (a - 1))
                return REQ_INVALID;
            n = (n + a - 1) & ~(a - 1);
        }
        break;
    default:
        return REQ_NONE;
    }
    /* The all-ones size is the recorder's mark of an overflowing count * size. */
    if (n == max)
        return REQ_INVALID;
    /* Up to malloc's alignment the allocator serves max(size, alignment)
     * bytes from the plain pools (src/memalign.c): a block that large is
     * aligned enough. */
    if (a != 0 && a <= malloc_align && n < a)
        n = a;
    *size = n;
    *align = a > malloc_align ? a : 0;
    return REQ_ALLOC;
}

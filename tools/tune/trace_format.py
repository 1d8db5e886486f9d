# SPDX-License-Identifier: MIT
"""The poolalloc trace format for Python, read from its one definition.

include/poolalloc_trace.h defines the format (doc/trace-format.md) for the
recorder and for poolalloc-tune; this module parses that header when it is
imported, so the Python writers and readers (tools/tune/tests/tracegen.py,
tools/tune/tests/test_tune.py, test/test_trace_irq.py) use the same numbers
and cannot drift from the C code.

  MAGIC, VERSION, OLDEST_VERSION, MAX_POOLS, REGIONS_SINCE, HEADER_FALLBACK,
  RECORD_IN_IRQ
  OPS          {name: code}, e.g. OPS['malloc'] == 1, OPS['END'] == 0x81
  OP_NAMES     {code: name}
  OP_USES      {name: set of the fields the operation uses: size, align,
               result, old, region}
  at(table, field, w), size(table, w)          offsets and sizes in bytes
  header_size(pools, w, regions=0)             offset of the first record
  pack(table, w, **fields) -> bytes            one header, pool, region entry or record
  unpack(table, data, offset, w) -> dict       field name (lower case) -> value
  read(data) -> (header, pools, regions, records)   a whole trace, unchecked

Tables are 'HEADER', 'POOL', 'REGION' and 'RECORD'; field names are the
header's, in lower case ('pool_state_size', 'caller', ...).  The magic and a
region's name are bytes, every other field an int.
"""

import re
from pathlib import Path

HEADER_FILE = Path(__file__).resolve().parents[2] / 'include' / 'poolalloc_trace.h'

_NUMBER = r'(0x[0-9a-fA-F]+|[0-9]+)[uU]?'


def _parse(text):
    text = text.replace('\\\n', ' ')
    defines = {}
    for name, value in re.findall(r'^#define POOLALLOC_TRACE_(\w+)[ \t]+(\S+)', text, re.M):
        m = re.fullmatch(_NUMBER, value)
        if m:
            defines[name] = int(m.group(1), 0)
        elif value.startswith('"') and value.endswith('"'):
            defines[name] = value[1:-1]
    tables = {}
    for table, body in re.findall(r'^#define POOLALLOC_TRACE_(\w+)_FIELDS\(X\)(.*)$', text, re.M):
        fields = []
        for entry in re.findall(r'X\(([^)]*)\)', body):
            tab, field, *numbers = [p.strip() for p in entry.split(',')]
            assert tab == table and len(numbers) == 4, entry
            fields.append((field.lower(), *(int(n, 0) for n in numbers)))
        tables[table] = fields
    ops = re.search(r'^#define POOLALLOC_TRACE_OPS\(X\)(.*)$', text, re.M).group(1)
    op_list = []
    for entry in re.findall(r'X\(([^)]*)\)', ops):
        _op, code, name, *uses = [p.strip() for p in entry.split(',')]
        used = {f for f, flag in zip(('size', 'align', 'result', 'old', 'region'), uses) if int(flag)}
        op_list.append((name.strip('"'), int(code, 0), used))
    return defines, tables, op_list


_DEFINES, TABLES, _OPS = _parse(HEADER_FILE.read_text())

MAGIC = _DEFINES['MAGIC'].encode() + b'\0'
VERSION = _DEFINES['VERSION']
OLDEST_VERSION = _DEFINES['OLDEST_VERSION']
MAX_POOLS = _DEFINES['MAX_POOLS']
REGIONS_SINCE = _DEFINES['REGIONS_SINCE']
HEADER_FALLBACK = _DEFINES['HEADER_FALLBACK']
RECORD_IN_IRQ = _DEFINES['RECORD_IN_IRQ']
FIRST_CONTROL_OP = _DEFINES['FIRST_CONTROL_OP']
OPS = {name: code for name, code, _ in _OPS}
OP_NAMES = {code: name for name, code, _ in _OPS}
OP_USES = {name: used for name, _, used in _OPS}


def _field(table, field):
    for f in TABLES[table]:
        if f[0] == field:
            return f
    raise KeyError('%s has no field %s' % (table, field))


def at(table, field, w):
    """Byte offset of `field` in `table` for pointer size w."""
    _, a, a_words, _, _ = _field(table, field)
    return a + a_words * w


def length(table, field, w):
    """Length in bytes of `field` in `table` for pointer size w."""
    _, _, _, n, n_words = _field(table, field)
    return n + n_words * w


def size(table, w):
    """Size in bytes of one `table` (the end of its last field)."""
    last = TABLES[table][-1][0]
    return at(table, last, w) + length(table, last, w)


def header_size(pools, w, regions=0):
    """Offset of the first record: the fixed header, the pool table and the
    region table (none in a trace of one region)."""
    return size('HEADER', w) + pools * size('POOL', w) + regions * size('REGION', w)


def pack(table, w, **values):
    """The bytes of one `table` with the given field values (missing: 0);
    integers little-endian, bytes as they are."""
    out = bytearray(size(table, w))
    for field, *_ in TABLES[table]:
        value = values.pop(field, 0)
        a, n = at(table, field, w), length(table, field, w)
        out[a:a + n] = value if isinstance(value, bytes) else value.to_bytes(n, 'little')
    if values:
        raise KeyError('%s has no field %s' % (table, ', '.join(values)))
    return bytes(out)


def unpack(table, data, offset, w):
    """The fields of the `table` at data[offset:], as {field: int} (the
    magic as bytes)."""
    out = {}
    for field, *_ in TABLES[table]:
        a, n = offset + at(table, field, w), length(table, field, w)
        raw = bytes(data[a:a + n])
        if len(raw) != n:
            raise ValueError('%s field %s at byte %d: truncated' % (table.lower(), field, a))
        out[field] = raw if field in ('magic', 'name') else int.from_bytes(raw, 'little')
    return out


def read(data):
    """A whole trace, as the tables give it (the checks are the caller's,
    or poolalloc-tune's): the header, the pool entries, the regions as
    [(name, pool count)] (empty for a trace of one region) and the records,
    each with its byte 'offset'.  ValueError for a partial record."""
    head = unpack('HEADER', data, 0, 0)
    w, n = head['pointer_size'], head['pool_count']
    pools = [unpack('POOL', data, header_size(k, w), w) for k in range(n)]
    regions = []
    for r in range((head['header_size'] - header_size(n, w)) // size('REGION', w)):
        e = unpack('REGION', data, header_size(n, w, r), w)
        regions.append((e['name'].rstrip(b'\0').decode(), e['pool_count']))
    if (len(data) - head['header_size']) % head['record_size']:
        raise ValueError('partial record at the end')
    records = []
    for off in range(head['header_size'], len(data), head['record_size']):
        records.append(dict(unpack('RECORD', data, off, w), offset=off))
    return head, pools, regions, records

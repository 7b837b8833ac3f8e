# SPDX-License-Identifier: MIT
"""The comments of a gzipped pprof profile (profile.proto: string_table is
field 6, comment field 13, indices into it), read without go: the facts
allocsnoop keeps there ("allocsnoop.process {json}", ...)."""
import gzip
import json


def _varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return v, i


def _fields(buf):
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield num, wire, v


def comments(path):
    data = gzip.decompress(open(path, "rb").read())
    strings, refs = [], []
    for num, wire, v in _fields(data):
        if num == 6:
            strings.append(v.decode("utf-8", "replace"))
        elif num == 13 and wire == 0:
            refs.append(v)
        elif num == 13 and wire == 2:  # packed
            j = 0
            while j < len(v):
                x, j = _varint(v, j)
                refs.append(x)
    return [strings[r] for r in refs]


def processes(path):
    """{pid: the allocsnoop.process JSON} of a snapshot."""
    out = {}
    for c in comments(path):
        if c.startswith("allocsnoop.process "):
            p = json.loads(c.split(" ", 1)[1])
            out[p["pid"]] = p
    return out


def meta(path):
    for c in comments(path):
        if c.startswith("allocsnoop.meta "):
            return json.loads(c.split(" ", 1)[1])
    return None

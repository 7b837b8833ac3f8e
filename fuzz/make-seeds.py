#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerates the committed seed corpora in fuzz/corpus/ (run from the
repository root after `make build/tests/test_snapshot`; needs clang,
strip and objcopy). The fuzzers only read the committed files; this
script documents where they came from.

snapshot/: the unit test's example snapshot (gzipped and raw), a minimal
allocsnoop profile, a foreign pprof heap profile, and malformed variants.
symbolizer/: fuzz/seed_prog.c built freestanding with DWARF 5, DWARF 4,
compressed DWARF, as a shared object, and with debug info or all
symbols stripped.
The crash-* files next to them are reproducers the fuzzers found; they
are kept as seeds so every run checks the fix, and are not generated here.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAP = ROOT / "fuzz" / "corpus" / "snapshot"
SYM = ROOT / "fuzz" / "corpus" / "symbolizer"
LIMIT = 20 * 1024


def varint(n):
    n &= (1 << 64) - 1  # int64 fields are two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, value):
    """One protobuf field: int -> varint, bytes/str/list -> length-delimited
    (a list of ints is a packed repeated field)."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    if isinstance(value, str):
        value = value.encode()
    elif isinstance(value, list):
        value = b"".join(varint(v) for v in value)
    return varint(num << 3 | 2) + varint(len(value)) + value


class Strings:
    def __init__(self):
        self.table = [""]

    def __call__(self, s):
        if s not in self.table:
            self.table.append(s)
        return self.table.index(s)

    def encode(self):
        return b"".join(field(6, s) for s in self.table)


def value_type(st, t, unit):
    return field(1, st(t)) + field(2, st(unit))


def minimal_ours():
    """An allocsnoop profile with nothing traced: four sample types and the
    meta comment only."""
    st = Strings()
    meta = {"format": 1, "has_meta": True, "tool_version": "0.1.0",
            "hostname": "h", "command": None, "sample_bytes": 0,
            "time_sec": 2, "time_nsec": 1, "start_sec": 1, "start_nsec": 0}
    out = b""
    for t, u in (("alloc_objects", "count"), ("alloc_space", "bytes"),
                 ("inuse_objects", "count"), ("inuse_space", "bytes")):
        out += field(1, value_type(st, t, u))
    out += field(13, [st("allocsnoop.meta " + json.dumps(meta))])
    return out + st.encode()


def foreign():
    """A heap profile from another tool: inuse only, ids not 1..n, a
    string label, an unmapped location and a folded inline frame."""
    st = Strings()
    out = field(1, value_type(st, "inuse_objects", "count"))
    out += field(1, value_type(st, "inuse_space", "bytes"))
    out += field(3, field(1, 9) + field(2, 0x400000) + field(3, 0x401000) +
                 field(4, 0x1000) + field(5, st("/usr/bin/app")) +
                 field(6, st("abcd01")) + field(7, 1) + field(9, 1))
    out += field(5, field(1, 31) + field(2, st("alloc_buf")) +
                 field(3, st("_Z9alloc_bufm")) +
                 field(4, st("src/buf.c")) + field(5, 10))
    out += field(5, field(1, 32) + field(2, st("main")) +
                 field(4, st("/src/main.c")))
    out += field(4, field(1, 100) + field(2, 9) + field(3, 0x400123) +
                 field(4, field(1, 31) + field(2, 12)) +
                 field(4, field(1, 32) + field(2, 40)))
    out += field(4, field(1, 7) + field(3, 0x7f0000001234))
    label = field(1, st("thread")) + field(2, st("worker"))
    out += field(2, field(1, [100, 7]) + field(2, [3, 4096]) +
                 field(3, label))
    out += field(2, field(1, [7]) + field(2, [1, -5]))
    out += field(9, 1700000000000000000) + field(12, 524288)
    out += field(11, value_type(st, "space", "bytes"))
    return out + st.encode()


def gz(data):
    return gzip.compress(data, mtime=0)


def snapshot_seeds():
    example = Path(tempfile.mkdtemp()) / "example.pb.gz"
    env = dict(os.environ, AS_SNAPSHOT_OUT=str(example))
    subprocess.run([str(ROOT / "build" / "tests" / "test_snapshot")],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    ex_gz = example.read_bytes()
    ex = gzip.decompress(ex_gz)
    newer = ex.replace(b'"format":1', b'"format":2')
    assert newer != ex
    seeds = {
        "example.pb.gz": ex_gz,
        "example.pb": ex,
        "minimal.pb": minimal_ours(),
        "minimal.pb.gz": gz(minimal_ours()),
        "foreign.pb": foreign(),
        "foreign.pb.gz": gz(foreign()),
        "newer-format.pb.gz": gz(newer),
        "bad-truncated.pb.gz": ex_gz[: len(ex_gz) // 2],
        "bad-truncated.pb": ex[: len(ex) * 2 // 3],
        "bad-trailing.pb.gz": ex_gz + b"junk",
        "two-members.pb.gz": gz(ex[:100]) + gz(ex[100:]),
        "bad-not-pprof.gz": gz(b"this is not a profile\n"),
    }
    return SNAP, seeds


def run(*cmd):
    subprocess.run(list(cmd), check=True)


def symbolizer_seeds():
    src = str(ROOT / "fuzz" / "seed_prog.c")
    tmp = Path(tempfile.mkdtemp())
    common = ["clang", "-O1", "-nostdlib", "-ffreestanding",
              "-fno-stack-protector", "-Wl,--build-id",
              "-Wl,-z,noseparate-code", src]
    run(*common, "-g", "-gdwarf-5", "-static", "-o", tmp / "dwarf5.elf")
    run(*common, "-g", "-gdwarf-4", "-static", "-o", tmp / "dwarf4.elf")
    run(*common, "-g", "-gz", "-static", "-o", tmp / "dwarf5-zlib.elf")
    run(*common, "-g", "-shared", "-fPIC", "-o", tmp / "shared.so")
    run("strip", "--strip-debug", "-o", tmp / "nodebug.elf",
        tmp / "dwarf5.elf")
    run("strip", "--strip-all", "-o", tmp / "stripped.elf",
        tmp / "dwarf5.elf")
    # A debuglink to a file that is not there: the lookup must fail cleanly.
    (tmp / "gone.debug").write_bytes(b"")
    run("objcopy", "--add-gnu-debuglink=" + str(tmp / "gone.debug"),
        tmp / "stripped.elf", tmp / "debuglink.elf")
    names = ["dwarf5.elf", "dwarf4.elf", "dwarf5-zlib.elf", "shared.so",
             "nodebug.elf", "stripped.elf", "debuglink.elf"]
    return SYM, {n: (tmp / n).read_bytes() for n in names}


def main():
    for directory, seeds in (snapshot_seeds(), symbolizer_seeds()):
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            if len(data) > LIMIT:
                sys.exit(f"make-seeds: {name} is {len(data)} bytes, over "
                         f"the {LIMIT} limit for seeds")
            (directory / name).write_bytes(data)
            print(f"{directory.name}/{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()

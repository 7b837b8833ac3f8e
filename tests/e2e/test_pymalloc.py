# SPDX-License-Identifier: MIT
"""CPython's object allocator seen through its exported entry points
(PyObject_Malloc, PyMem_Malloc and friends), as extension modules call
it: pymalloc's small blocks are rows of kind pymalloc at the Python line,
inside the arenas and not added to the process's totals again; its large
blocks are malloc's, counted once; an arena mapped inside a probed call is
still the arena (DESIGN.md: Language runtimes; README: Python)."""
import re
import subprocess

from conftest import BUILD, ROOT, WL_SRC, WORKLOADS, require_root
from test_python import run_script

SCRIPT = WL_SRC / "py_pyobject.py"


def marks():
    return {n: m.group(1) for n, line in
            enumerate(SCRIPT.read_text().splitlines(), 1)
            for m in [re.search(r"# @(\w+)", line)] if m}


def trace(extra=()):
    """The final report of allocsnoop -c around the script."""
    assert (WORKLOADS / "pyalloc.so").exists(), "run make"
    return run_script(f"{SCRIPT} {WORKLOADS}", extra)[0]


def rows_by_mark(final):
    """{(marker, kind): row} at the script's marked lines."""
    m = marks()
    return {(m[r["line"]], r["kind"]): r for r in final["top"]
            if r["file"] == str(SCRIPT) and r["line"] in m}


def values(row):
    return (row["size"], row["count"], row["alloc_size"], row["alloc_count"])


def test_pymalloc_blocks_at_python_lines():
    """Exact bytes and counts of each call at its line: small blocks and
    PyMem_Malloc's, calloc's and realloc's are pymalloc rows, the large
    ones malloc rows only (PyObject_Malloc's nested malloc is not counted
    again), and frees through PyObject_Free and PyMem_Free end them; a
    list's inlined reallocs are seen through the copies LTO left of
    pymalloc's static functions (found in python3.11-dbg's symbols)."""
    rows = rows_by_mark(trace())
    want = {
        ("small", "pymalloc"): (6 * 200, 6, 10 * 200, 10),
        ("large", "malloc"): (2 * 100_000, 2, 3 * 100_000, 3),
        ("mem", "pymalloc"): (3 * 48, 3, 4 * 48, 4),
        ("calloc", "pymalloc"): (100, 1, 100, 1),
        ("realloc", "pymalloc"): (300, 1, 300, 1),
        ("arena", "pymalloc"): (8192 * 512, 8192, 8192 * 512, 8192),
        # the inlined reallocs of a growing list, through pymalloc's
        # out-of-line copies: 8 blocks, each freed but the last
        ("grow", "pymalloc"): (512, 1, sum((32, 64, 128, 192, 256, 320,
                                            416, 512)), 8),
    }
    for key, v in want.items():
        assert key in rows, f"no row {key}; rows: {sorted(rows)}"
        assert values(rows[key]) == v, (key, values(rows[key]))
        assert rows[key]["module"] == "[python]"
    assert ("large", "pymalloc") not in rows
    assert ("small", "malloc") not in rows
    assert rows[("small", "pymalloc")]["function"] == "small"


def test_pymalloc_counted_once():
    """A byte counts once: the process's current is its malloc rows
    exactly, the pymalloc rows are inside the arenas (pymalloc blocks=),
    and arenas mapped inside PyObject_Malloc are [mmap] rows at the line
    that needed them, in the arenas' bytes; the free pymalloc makes of a
    large block it was handed is no unmatched free."""
    final = trace(["-g", "traceback"])
    proc = final["processes"][0]
    by_kind = {k: sum(r["size"] for r in final["top"] if r["kind"] == k)
               for k in ("malloc", "pymalloc", "mmap")}
    assert proc["current_bytes"] == by_kind["malloc"]
    assert proc["pymalloc_block_bytes"] == by_kind["pymalloc"]
    assert by_kind["pymalloc"] >= 8192 * 512
    assert proc["mmap_bytes"] == by_kind["mmap"]
    assert proc["unmatched_free_count"] == 0
    m = marks()
    arena = [r for r in final["top"] if r["kind"] == "mmap" and
             r["file"] == str(SCRIPT) and m.get(r["line"]) == "arena"]
    assert len(arena) == 1, arena
    # 4 MiB of 512-byte blocks, less what free pools held before
    assert arena[0]["size"] >= 3 << 20 and arena[0]["size"] % (1 << 20) == 0
    assert any((f["function"] or "").startswith("_PyObject_ArenaMmap")
               for f in arena[0]["stack"])
    assert arena[0]["size"] <= proc["pymalloc_arena_bytes"]
    assert by_kind["pymalloc"] <= proc["pymalloc_arena_bytes"]


def doc_figures(text):
    """[(seen, all)] of the shares a text states ("239 of the 2,630
    allocations", "30,128 of 661,213 (4.6%)")."""
    return [(int(a.replace(",", "")), int(b.replace(",", ""))) for a, b in
            re.findall(r"([\d,]+)\s+of\s+(?:the\s+)?([\d,]+)\s+"
                       r"(?:allocations|\()", text)]


def test_docs_state_the_measured_share():
    """The share the README and the man page state is what
    scripts/pymalloc-share measures now (within 5% of each count: pandas'
    work may move a little)."""
    require_root()
    p = subprocess.run([str(ROOT / "scripts" / "pymalloc-share"),
                        str(BUILD)], capture_output=True, text=True,
                       timeout=900)
    assert p.returncode == 0, p.stderr
    got = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
           re.finditer(r"pymalloc-share: (\w+): seen (\d+) of (\d+)",
                       p.stdout)}
    assert set(got) == {"processing", "demo"}, p.stdout
    readme = (ROOT / "README.md").read_text()
    man = (ROOT / "man" / "allocsnoop.8").read_text()
    for case, (seen, small) in got.items():
        assert 0 < seen < small
        for text in (readme, man):
            near = [(s, n) for s, n in doc_figures(text)
                    if abs(s - seen) <= seen / 20 and
                    abs(n - small) <= small / 20]
            assert near, f"{case}: {seen} of {small} not stated"

# SPDX-License-Identifier: MIT
"""CPython from outside: allocations charged to the Python file:line that
made them, with exact bytes and counts, in -c, -p and system-wide modes,
on Debian's python3.11 always and on each pyenv build of 3.10 to 3.13
present (DESIGN.md: Language runtimes)."""
import os
import random
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import (TOOL, WL_SRC, Tracer, Workload, reports,
                      require_root)

SCRIPT = WL_SRC / "py_allocs.py"
PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"


def pyenv(version):
    """The pyenv build of 3.@version, or None when the machine has none."""
    builds = sorted(PYENV.glob(f"3.{version}.*/bin/python3.{version}"))
    return str(builds[-1]) if builds else None


# Debian's interpreter must always be there: install-deps installs it.
INTERPRETERS = [pytest.param("/usr/bin/python3.11", id="debian-3.11")] + [
    pytest.param(pyenv(v), id=f"pyenv-3.{v}",
                 marks=pytest.mark.skipif(pyenv(v) is None,
                                          reason=f"no pyenv 3.{v} build"))
    for v in (10, 11, 12, 13)]

# (size, count) of each marked line; bytearray(n) asks n + 1 bytes,
# bytes(n) n + 33 (its header), numpy.empty exactly n.
EXPECTED = {
    "leaf": (5 * 1_000_001, 5),
    "method": (300_033, 1),
    "generator": (3 * 100_033, 3),
    "thread": (400_001, 1),
    "numpy": (2_000_000, 1),
}
NATIVE_THREAD_SIZE = 123_457


def py_markers():
    return {m.group(1): n for n, line in
            enumerate(SCRIPT.read_text().splitlines(), 1)
            for m in [re.search(r"# @(\w+)", line)] if m}


def minor(python):
    """N of an interpreter path ending in python3.N."""
    return int(re.search(r"python3\.(\d+)$", python).group(1))


def has_numpy(python):
    return subprocess.run([python, "-c", "import numpy"],
                          capture_output=True).returncode == 0


def script_rows(report, pid=None):
    """{marker: row} of the malloc rows at the script's marked lines (the
    small objects pymalloc serves are rows of their own, test_pymalloc)."""
    lines = {v: k for k, v in py_markers().items()}
    out = {}
    for row in report["top"]:
        if pid is not None and row["pid"] not in (pid, None):
            continue
        if row["kind"] != "malloc":
            continue
        if row["file"] == str(SCRIPT) and row["line"] in lines:
            out[lines[row["line"]]] = row
    return out


def run(python, mode, extra=()):
    """The final JSON report of allocsnoop around one run of the script."""
    if mode == "command":
        require_root()
        p = subprocess.run([str(TOOL), "-c", f"{python} {SCRIPT}", "--json",
                            "-T", "0", *extra, "3600"],
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        reps = reports(p.stdout)
        assert reps, p.stderr
        return reps[-1], None
    wl = Workload("py_allocs", argv=[python, str(SCRIPT)])
    try:
        args = ["-p", str(wl.pid)] if mode == "pid" else []
        tr = Tracer([*args, "--json", "-T", "0", *extra, "3600"])
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    assert reps, tr.stderr
    return reps[-1], wl.pid


def check_rows(final, python, pid, numpy=None):
    """@numpy: whether the script had numpy, else asked of @python."""
    rows = script_rows(final, pid)
    want = dict(EXPECTED)
    if not (has_numpy(python) if numpy is None else numpy):
        del want["numpy"]
    for name, (size, count) in want.items():
        assert name in rows, f"no row at @{name}; rows: {sorted(rows)}"
        r = rows[name]
        got = (r["size"], r["count"], r["alloc_size"], r["alloc_count"])
        assert got == (size, count, size, count), f"@{name}: {got}"
        assert r["module"] == "[python]"
    assert rows["leaf"]["function"] == "leaf"
    # 3.10's code objects have no co_qualname: a method is its co_name
    assert rows["method"]["function"] == \
        ("make" if minor(python) == 10 else "Buffers.make")
    assert rows["generator"]["function"] == "chunks"
    assert rows["thread"]["function"] == "worker"


@pytest.mark.parametrize("mode", ["command", "pid", "all"])
def test_python_lines_debian(mode):
    """Exact bytes and counts at the script's lines, every mode."""
    final, pid = run("/usr/bin/python3.11", mode)
    check_rows(final, "/usr/bin/python3.11", pid)


@pytest.mark.parametrize("python", INTERPRETERS)
def test_python_lines_versions(python):
    final, pid = run(python, "pid")
    check_rows(final, python, pid)


def test_native_thread_keeps_native_site():
    """A thread Python never saw (malloc as a pthread start routine) has
    no Python frame: its site stays native."""
    final, _ = run("/usr/bin/python3.11", "command")
    rows = [r for r in final["top"] if r["alloc_size"] == NATIVE_THREAD_SIZE]
    assert len(rows) == 1, rows
    assert rows[0]["module"] != "[python]"
    assert rows[0]["function"] == "start_thread"
    assert rows[0]["count"] == 1


def run_unwound(python, extra=(), script=SCRIPT, env=None):
    """-p on @script once allocsnoop has loaded the interpreter's
    unwind table (-v says so): the final JSON report, -v's lines and the
    script's pid."""
    wl = Workload("py_allocs", argv=[python, str(script)], env=env)
    try:
        tr = Tracer(["-p", str(wl.pid), "-v", "--json", "-T", "0", *extra,
                     "3600"])
        while True:
            line = tr.proc.stderr.readline()
            assert line, tr.stderr
            tr.stderr += line
            if "frames are stepped through with its CFI" in line:
                break
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    assert reps, tr.stderr
    return reps[-1], tr.stderr, wl.pid


@pytest.mark.parametrize("python", INTERPRETERS)
def test_version_and_offsets_said(python):
    """-v names the interpreter's version and where its offsets came from,
    then that they are what its DWARF says (each build here has DWARF)."""
    _, said, pid = run_unwound(python)
    m = minor(python)
    source = ("_Py_DebugOffsets" if m >= 13
              else "type objects and the built-in table")
    assert f"pid {pid}: CPython 3.{m}, offsets from the {source}, " \
        "thread state from TSS key" in said, said
    assert f"pid {pid}: CPython 3.{m}: offsets checked against the " \
        "interpreter's DWARF" in said, said


# the C that starts the interpreter on a file, below its outermost frame
STARTERS = ("PyEval_EvalCode", "run_mod", "Py_RunMain", "Py_BytesMain", "main")


@pytest.mark.parametrize("python", INTERPRETERS)
def test_traceback_merged(python):
    """-g traceback: native frames from the allocator up to the eval loop
    (the interpreter's frames stepped through with its CFI), then the
    Python frames innermost first, each at its marked line, then the
    native frames that called the eval loop."""
    final, _, _ = run_unwound(python, ["-g", "traceback"])
    m = py_markers()
    rows = [r for r in final["top"] if r["alloc_size"] == 5 * 1_000_001]
    assert len(rows) == 1, [r["alloc_size"] for r in final["top"]]
    stack = rows[0]["stack"]
    kinds = ["py" if f["module"] == "[python]" else "native" for f in stack]
    first_py = kinds.index("py")
    last_py = len(kinds) - 1 - kinds[::-1].index("py")
    if minor(python) == 10:
        # 3.10 runs each Python frame in an eval-loop call of its own: leaf
        # alone after the first, and each run after its own call as far as
        # the interpreter's CFI steps reach (two more native frames a
        # Python call: the second call), the rest after the last
        seg = segments(stack[first_py:last_py + 1])
        assert len(seg) >= 3 and seg[0][1] == [("leaf", m["leaf"])], seg
        natives = [fs for k, fs in seg if k == "native"]
        # the last: its own eval loop, or where the native walk ended,
        # the runs it did not reach after it (they were called from below)
        assert all(fs[-1] == "_PyEval_EvalFrameDefault"
                   for fs in natives[:-1]), seg
    else:
        assert "native" not in kinds[first_py:last_py], kinds
    assert stack[first_py - 1]["function"] == "_PyEval_EvalFrameDefault", \
        [f["function"] for f in stack]
    py_frames = [f for f in stack[first_py:last_py + 1]
                 if f["module"] == "[python]"]
    py = [(f["function"], f["line"]) for f in py_frames]
    assert py[:3] == [("leaf", m["leaf"]), ("middle", m["middle"]),
                      ("outer", m["outer"])], py
    assert py[-1][0] == "<module>"
    assert all(f["file"] == str(SCRIPT) for f in py_frames)
    # below the outermost Python frame: the C that started the interpreter,
    # unless 3.10's native walk ended before it (then nothing is below)
    started = [i for i, f in enumerate(stack) if kinds[i] == "native" and
               f["function"] in STARTERS]
    if minor(python) != 10 or started:
        assert started and started[0] > last_py, kinds
    else:
        assert kinds[-1] == "py", kinds


CALLBACK = WL_SRC / "py_callback.py"


def build_cbext(python, out_dir):
    """The C extension cbext built for @python in @out_dir, with frame
    pointers (as Fedora and Ubuntu now build everything): the walk goes
    through its frame by them, and through the interpreter's by its CFI."""
    cfg = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()"
         "['include']); print(sysconfig.get_config_var('EXT_SUFFIX'))"],
        capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-g",
                    "-fno-omit-frame-pointer", f"-I{cfg[0]}",
                    str(WL_SRC / "pyext" / "cbext.c"), "-o",
                    str(out_dir / f"cbext{cfg[1]}")], check=True)


def segments(stack):
    """The stack as runs: ("py", [(function, line)]) for Python frames,
    ("native", [function]) for the native frames between them."""
    out = []
    for f in stack:
        kind = "py" if f["module"] == "[python]" else "native"
        item = (f["function"], f["line"]) if kind == "py" else f["function"]
        if not out or out[-1][0] != kind:
            out.append((kind, []))
        out[-1][1].append(item)
    return out


@pytest.mark.parametrize("python", INTERPRETERS)
def test_traceback_through_c_callback(python, tmp_path):
    """Python called back from a C extension: the traceback holds each
    run of Python frames after the eval-loop call that runs it, with the
    extension's C frame between the two runs, in call order."""
    build_cbext(python, tmp_path)
    m = {k: v for k, v in
         ((mm.group(1), n) for n, line in
          enumerate(CALLBACK.read_text().splitlines(), 1)
          for mm in [re.search(r"# @(\w+)", line)] if mm)}
    final, _, _ = run_unwound(python, ["-g", "traceback"], CALLBACK,
                        {"PYTHONPATH": str(tmp_path)})
    rows = {r["alloc_size"]: r for r in final["top"]}
    inner = rows[555_556]
    assert (inner["file"], inner["line"], inner["function"]) == \
        (str(CALLBACK), m["cb_inner"], "inner")
    seg = segments(inner["stack"])
    kinds = [k for k, _ in seg]
    assert kinds[:5] == ["native", "py", "native", "py", "native"], seg
    assert seg[0][1][-1] == "_PyEval_EvalFrameDefault", seg[0]
    assert seg[2][1][-1] == "_PyEval_EvalFrameDefault", seg[2]
    if minor(python) == 10:
        # 3.10 runs inner and callback in eval-loop calls of their own,
        # two native frames apart: the interpreter's CFI steps end in
        # callback's callers, before the extension's frame (its own block,
        # below, shows the walk going on from that frame); the Python
        # frames the walk did not reach follow where it ended
        assert seg[1][1] == [("inner", m["cb_inner"])], seg[1]
        assert seg[3][1] == [("callback", m["cb_callback"])], seg[3]
        assert kinds[4:] == ["native", "py"], seg
        assert "call_back" not in seg[4][1], seg[4]
        callers = seg[5][1]
    else:
        assert seg[1][1] == [("inner", m["cb_inner"]),
                             ("callback", m["cb_callback"])], seg[1]
        assert "call_back" in seg[2][1], seg[2]
        callers = seg[3][1]
    assert callers[:2] == [("caller", m["cb_caller"]),
                           ("main", m["cb_main"])], callers
    assert callers[-1][0] == "<module>"
    # the extension's own block: its site is the Python line calling it,
    # its stack the C frame, then the eval loop, then that line
    c_row = rows[654_321]
    assert (c_row["size"], c_row["count"]) == (654_321, 1)
    assert (c_row["line"], c_row["function"]) == (m["cb_caller"], "caller")
    seg = segments(c_row["stack"])
    assert seg[0][1][0] == "call_back", seg[0]
    assert seg[1][1][0] == ("caller", m["cb_caller"]), seg


@pytest.mark.parametrize("python", INTERPRETERS)
def test_reused_code_object_address(python):
    """Code objects that live one after another at one address (the
    workload prints it) keep their own stacks and lines: each round's
    bytes at its own file:line, none merged into another's."""
    script = WL_SRC / "py_reuse.py"
    wl = Workload("py_reuse", argv=[python, str(script)])
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", "3600"])
        said = wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    assert reps, tr.stderr
    assert len(set(said)) < len(said), f"no address reused: {said}"
    lines = [1, 2, 3, 4, 5, 6, 7, 9]  # py_reuse.py's LINES
    # the bytearrays' buffers; [pymalloc] rows are their objects
    got = {(r["file"], r["line"]): (r["size"], r["count"])
           for r in reps[-1]["top"]
           if r["file"].startswith("<reuse-") and r["kind"] == "malloc"}
    want = {(f"<reuse-{i}>", line + 1): (20_000 + i + 1, 1)
            for i, line in enumerate(lines)}
    assert got == want


def test_native_option():
    """--native: the sites are native frames, as for any program."""
    final, _ = run("/usr/bin/python3.11", "command", ["--native"])
    assert not any(r["module"] == "[python]" for r in final["top"])
    assert not script_rows(final)
    # the buffers are charged to the interpreter's own malloc call
    rows = [r for r in final["top"] if r["module"] == "/usr/bin/python3.11"
            and r["alloc_size"] >= 5 * 1_000_001]
    assert rows, [(r["function"], r["alloc_size"]) for r in final["top"]]


def test_snapshot_keeps_python_lines(tmp_path):
    """A snapshot holds the Python frames as ordinary pprof Lines: show
    reads back the same rows after the process is gone."""
    snap = tmp_path / "py.pb.gz"
    final, _ = run("/usr/bin/python3.11", "command", ["-o", str(snap)])
    p = subprocess.run([str(TOOL), "show", str(snap), "--json", "-T", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    shown = reports(p.stdout)[-1]
    check_rows(shown, "/usr/bin/python3.11", None)
    assert script_rows(shown).keys() == script_rows(final).keys()


def test_lines_outlive_the_process():
    """-p on a script that exits before the report: its code objects were
    read while it lived (once a second), so the rows keep their lines."""
    wl = Workload("py_allocs", argv=["/usr/bin/python3.11", str(SCRIPT)])
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "0", "3600"])
        wl.go()
        time.sleep(3)  # three passes of the once-a-second read
    finally:
        wl.finish()
    # -p ends on its own when its process has exited
    out, err = tr.proc.communicate(timeout=60)
    tr.kill()
    assert tr.proc.returncode == 0, err
    reps = reports(out)
    assert reps and reps[-1]["processes"][0]["exited"], err
    check_rows(reps[-1], "/usr/bin/python3.11", wl.pid)


def orders_csv(path, rows=100_000):
    """The tutorial's orders: id, customer, amount, date."""
    rnd = random.Random(1)
    with open(path, "w") as f:
        f.write("order_id,customer,amount,date\n")
        for i in range(rows):
            f.write("%d,cust%d,%.2f,2024-%02d-%02d\n" % (
                i, rnd.randrange(5000), rnd.random() * 500,
                rnd.randrange(1, 13), rnd.randrange(1, 29)))


def test_pandas_matches_tracemalloc(tmp_path):
    """The tutorial's pandas processing phase: allocsnoop attached to the
    running script names the same top two file:line pairs as tracemalloc
    run on the same script, with the same bytes but for the small objects
    pymalloc serves, which uprobes cannot see: exactly tracemalloc's
    traces over 512 bytes at each line."""
    csv = tmp_path / "orders.csv"
    orders_csv(csv)
    script = str(WL_SRC / "py_orders.py")
    tm = subprocess.run(["/usr/bin/python3.11", script, str(csv),
                         "--tracemalloc"], capture_output=True, text=True,
                        timeout=120)
    assert tm.returncode == 0, tm.stderr
    top = [(l.split()[1], int(l.split()[2]), int(l.split()[3]))
           for l in tm.stdout.splitlines() if l.startswith("TM ")]
    traces = {(l.split()[1], int(l.split()[2])):
              [int(x) for x in l.split()[3:]]
              for l in tm.stdout.splitlines() if l.startswith("TS ")}
    assert len(top) == 2, tm.stdout

    wl = Workload("py_orders", argv=["/usr/bin/python3.11", script, str(csv)])
    try:
        tr = Tracer(["-p", str(wl.pid), "--json", "-T", "2", "3600"])
        wl.go()
        reps = tr.stop()
    finally:
        wl.finish()
    rows = reps[-1]["top"]
    assert [(r["file"], r["line"]) for r in rows] == \
        [(f, line) for f, line, _ in top], (rows, top)
    for r, (f, line, size) in zip(rows, top):
        big = [s for s in traces[(f, line)] if s > 512]
        assert (r["size"], r["count"]) == (sum(big), len(big)), (r, big)
        assert abs(r["size"] - size) <= size / 100, (r["size"], size)


def test_module_body_line():
    """An allocation made by a module's body while it is imported is
    charged to that line, though its code object is freed after the
    import (allocsnoop reads it as soon as the stack is new)."""
    final, _ = run_script(WL_SRC / "py_import.py")
    body = WL_SRC / "py_module_body.py"
    line = [n for n, l in enumerate(body.read_text().splitlines(), 1)
            if "@module_body" in l][0]
    rows = [r for r in final["top"] if r["alloc_size"] == 654_322]
    assert len(rows) == 1, [(r["file"], r["alloc_size"])
                            for r in final["top"][:10]]
    assert (rows[0]["file"], rows[0]["line"], rows[0]["function"]) == \
        (str(body), line, "<module>"), rows[0]


def run_script(script, extra=()):
    require_root()
    p = subprocess.run([str(TOOL), "-c", f"/usr/bin/python3.11 {script}",
                        "--json", "-T", "0", *extra, "3600"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    reps = reports(p.stdout)
    assert reps, p.stderr
    return reps[-1], None


def test_64_python_frames():
    """A stack 100 Python frames deep keeps its 64 innermost, after its
    native frames, and says it was truncated."""
    final, _ = run_script(WL_SRC / "py_deep.py", ["-g", "traceback"])
    rows = [r for r in final["top"] if r["alloc_size"] == 77_778]
    assert len(rows) == 1, rows
    py = [f for f in rows[0]["stack"] if f["module"] == "[python]"]
    assert len(py) == 64, len(py)
    assert py[0]["function"] == "leaf"
    assert all(f["function"] == "dive" for f in py[1:])
    assert final["lost"]["stacks_truncated"] >= 1


def test_pymalloc_arena_bytes(tmp_path):
    """Each process says how many of its bytes are in pymalloc's arenas:
    the mmap rows whose stack runs the arena allocator, also in its
    snapshot."""
    snap = tmp_path / "arenas.pb.gz"
    final, _ = run("/usr/bin/python3.11", "command",
                   ["-g", "traceback", "-o", str(snap)])
    proc = final["processes"][0]
    arenas = sum(r["size"] for r in final["top"] if r["kind"] == "mmap" and
                 any((f["function"] or "").startswith("_PyObject_ArenaMmap")
                     for f in r["stack"]))
    assert arenas >= 1 << 20
    assert proc["pymalloc_arena_bytes"] == arenas
    assert arenas <= proc["mmap_bytes"]
    p = subprocess.run([str(TOOL), "show", str(snap), "--json"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert reports(p.stdout)[-1]["processes"][0]["pymalloc_arena_bytes"] \
        == arenas

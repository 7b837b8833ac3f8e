# SPDX-License-Identifier: MIT
"""Snapshot files are pprof profiles: `go tool pprof` opens them with the
same totals, names and stacks, and `allocsnoop show|diff` read back both
them and pprof's own rewrite of them.

The snapshot comes from build/tests/test_snapshot, which writes its example
(2 processes, inlined frames, unknown frames, an empty stack) to
$AS_SNAPSHOT_OUT and prints the totals. No root needed."""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
TOOL = BUILD / "allocsnoop"
GEN = BUILD / "tests" / "test_snapshot"
GO = Path("/usr/bin/go")
TYPES = ["alloc_objects", "alloc_space", "inuse_objects", "inuse_space"]
SEPARATOR = "-----------+-------------------------------------------------------"


def run(args, timeout=120, **kw):
    p = subprocess.run([str(a) for a in args], capture_output=True,
                       timeout=timeout, **kw)
    # Comm names in the example are not UTF-8 on purpose.
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


@pytest.fixture
def snapshot(tmp_path):
    """(path, {sample type: total}) of the example snapshot."""
    assert GEN.exists(), f"{GEN} is not built: run make build/tests/test_snapshot"
    assert TOOL.exists(), f"{TOOL} is not built: run make build/allocsnoop"
    path = tmp_path / "example.pb.gz"
    rc, out, err = run([GEN], env={**os.environ, "AS_SNAPSHOT_OUT": path})
    assert rc == 0, err
    totals = {k: int(v) for k, v in (kv.split("=") for kv in out.split())}
    assert sorted(totals) == sorted(TYPES)
    return path, totals


@pytest.fixture
def pprof(tmp_path):
    """Runs `go tool pprof -symbolize=none ARGS...`, offline, in tmp_path."""
    assert GO.exists(), f"{GO} is missing: apt-get install golang-go"
    home = tmp_path / "gohome"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "GOCACHE": str(home / "cache"),
        "GOPATH": str(home / "go"),
        "GOTOOLCHAIN": "local",
        "GOPROXY": "off",
        "GOFLAGS": "",
        "PPROF_TMPDIR": str(home / "pprof"),
    }

    def pprof_run(*args):
        rc, out, err = run([GO, "tool", "pprof", "-symbolize=none", *args],
                           env=env)
        assert rc == 0, f"go tool pprof {' '.join(map(str, args))}: {err}"
        return out

    return pprof_run


def raw_samples(out):
    """(sample type names, per-type sums) from `pprof -raw`."""
    lines = out.splitlines()
    i = lines.index("Samples:")
    header = lines[i + 1].split()
    sums = [0] * len(header)
    for line in lines[i + 2:]:
        if line == "Locations":
            break
        m = re.match(r"^\s*(-?\d+(?:\s+-?\d+)*):", line)
        if m:
            for k, v in enumerate(m.group(1).split()):
                sums[k] += int(v)
    return header, dict(zip((h.split("/")[0] for h in header), sums))


def traces(out):
    """The stacks of `pprof -traces`, leaf first, as lists of names."""
    stacks = []
    for block in out.split(SEPARATOR)[1:]:
        frames = []
        for line in block.splitlines():
            if not line.strip() or re.match(r"^\s*\w+:\s", line):
                continue  # blank, or a label such as "pid:  4242"
            if line.startswith(" " * 13):
                frames.append(line.strip())  # a caller
            else:
                frames.append(line.split(None, 1)[1].strip())  # value leaf
        if frames:
            stacks.append(frames)
    return stacks


def json_reports(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def test_pprof_raw_totals_and_names(snapshot, pprof):
    path, totals = snapshot
    out = pprof("-raw", path)
    header, sums = raw_samples(out)
    assert header == ["alloc_objects/count", "alloc_space/bytes",
                      "inuse_objects/count", "inuse_space/bytes[dflt]"]
    assert sums == totals
    # inlined frames: parse_field (line[0]) inside load_orders
    assert re.search(r"parse_field /src/orders/csv\.c:118 s=0\n\s+"
                     r"load_orders /src/orders/orders\.c:42 s=0\n", out), out
    assert re.search(r"/usr/bin/orders 0123456789abcdef0123456789abcdef01234567"
                     r" \[FN\]\[FL\]\[LN\]\[IN\]", out), out
    assert "/usr/lib/x86_64-linux-gnu/libc.so.6 aabbccdd [FN]" in out
    assert 'Comment: allocsnoop.meta {"format":1,' in out
    assert "Comment: allocsnoop.counter lost_events=3" in out


@pytest.mark.parametrize("index", TYPES)
def test_pprof_top_totals(snapshot, pprof, index):
    path, totals = snapshot
    out = pprof("-top", f"-sample_index={index}", "-unit=B", "-nodecount=100",
                "-nodefraction=0", "-edgefraction=0", path)
    m = re.search(r"Total samples = (-?\d+)B? ", out)
    assert m, out
    assert int(m.group(1)) == totals[index]
    for fn in ["malloc", "parse_field (inline)", "load_orders", "main"]:
        assert re.search(rf"\s{re.escape(fn)}$", out, re.M), f"{fn}: {out}"


def test_pprof_stacks_leaf_first(snapshot, pprof):
    path, _ = snapshot
    stacks = traces(pprof("-traces", path))
    assert ["malloc", "parse_field (inline)", "load_orders", "main"] in stacks
    # the allocations without a stack still count, under one named frame
    assert ["[no stack]"] in stacks


def test_show_matches_pprof(snapshot):
    path, totals = snapshot
    rc, out, err = run([TOOL, "show", path, "--json", "-T", "0",
                        "-g", "traceback"])
    assert rc == 0, err
    (rep,) = json_reports(out)
    assert rep["final"] is True
    assert sum(r["size"] for r in rep["top"]) == totals["inuse_space"]
    assert sum(r["count"] for r in rep["top"]) == totals["inuse_objects"]
    assert all(r["size_diff"] == r["size"] for r in rep["top"])
    assert sorted(p["pid"] for p in rep["processes"]) == [77, 4242, 4300]
    assert [p["exited"] for p in rep["processes"] if p["pid"] == 4300] == [True]


def test_show_reads_pprof_rewrite(snapshot, pprof, tmp_path):
    """pprof renumbers ids and merges mappings; the file stays readable."""
    path, totals = snapshot
    rewritten = tmp_path / "rewritten.pb.gz"
    out = pprof("-proto", "-output", rewritten, path)
    assert rewritten.exists(), out
    rc, out, err = run([TOOL, "show", rewritten, "--json", "-T", "0",
                        "-g", "traceback"])
    assert rc == 0, err
    (rep,) = json_reports(out)
    assert sum(r["size"] for r in rep["top"]) == totals["inuse_space"]


def test_diff_of_a_snapshot_with_itself(snapshot):
    path, totals = snapshot
    rc, out, err = run([TOOL, "diff", path, path, "--json", "-T", "0"])
    assert rc == 0, err
    (rep,) = json_reports(out)
    assert rep["top"], out
    assert all(r["size_diff"] == 0 and r["count_diff"] == 0
               for r in rep["top"])
    assert sum(r["size"] for r in rep["top"]) == totals["inuse_space"]


@pytest.mark.parametrize("cmd", ["show", "diff"])
@pytest.mark.parametrize("name,alias", [("json", ["--json"]),
                                        ("json", ["-j"]),
                                        ("folded", ["--folded"]),
                                        ("text", [])])
def test_format_by_name_is_its_alias(snapshot, cmd, name, alias):
    """--format NAME prints exactly what its alias (or the default) does."""
    path, _ = snapshot
    files = [path] if cmd == "show" else [path, path]
    rc, by_alias, err = run([TOOL, cmd, *files, "-T", "0", *alias])
    assert rc == 0, err
    rc, by_name, err = run([TOOL, cmd, *files, "-T", "0", "--format", name])
    assert rc == 0, err
    assert by_alias and by_name == by_alias
    if name == "json":
        assert json_reports(by_name)
    rc, out, err = run([TOOL, cmd, *files, "--format", "xml"])
    assert rc == 2
    assert "invalid --format 'xml': expected text, json or folded" in err


def test_show_errors(snapshot, tmp_path):
    path, _ = snapshot
    rc, out, err = run([TOOL, "show", tmp_path / "missing.pb.gz"])
    assert rc == 1
    assert f"cannot open {tmp_path / 'missing.pb.gz'}: No such file or " \
           "directory" in err
    cut = tmp_path / "cut.pb.gz"
    cut.write_bytes(path.read_bytes()[:100])
    rc, out, err = run([TOOL, "show", cut])
    assert rc == 1
    assert f"{cut} is truncated" in err
    rc, out, err = run([TOOL, "show"])
    assert rc == 2
    assert "missing the snapshot FILE" in err
    rc, out, err = run([TOOL, "diff", path])
    assert rc == 2
    rc, out, err = run([TOOL, "show", path, "--pid", "999"])
    assert rc == 1
    assert "has no process 999" in err
